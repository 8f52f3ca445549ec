#include <modrun/plugin.h>

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (cgroups_v1) = {
  MODRUN_PLUGIN_HEAD,
  .name = "cgroups-v1",
};
