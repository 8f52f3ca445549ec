#include <modrun/plugin.h>

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (mounts) = {
  MODRUN_PLUGIN_HEAD,
  .name = "mounts",
};
