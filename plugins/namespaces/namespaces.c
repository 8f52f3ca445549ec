#include <modrun/plugin.h>

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (namespaces) = {
  MODRUN_PLUGIN_HEAD,
  .name = "namespaces",
};
