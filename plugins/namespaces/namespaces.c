/* namespaces: linux.namespaces, linux.uidMappings, linux.gidMappings,
 * linux.timeOffsets, hostname, domainname and linux.sysctl. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "namespaces.h"

/* An exec enters the namespaces of its container, which the core finds
 * through the container's init; nothing here is for it to create. */
static bool
creates_container (const struct modrun_container *c)
{
  return c->command != MODRUN_CMD_EXEC;
}

/* Checked here, read again by prepare: a container whose create stops
 * between the two (another plugin refusing it) gets no destroy. */
static int
namespaces_validate (struct modrun_container *c, void **data)
{
  struct ns_config *cfg;
  int ret;

  (void)data;
  ret = ns_config_load (c, &cfg);
  ns_config_free (cfg);
  return ret;
}

static int
namespaces_prepare (struct modrun_container *c, void **data)
{
  struct ns_config *cfg;
  int ret;

  if (!creates_container (c))
    return 0;
  ret = ns_config_get (c, data, &cfg);
  if (ret < 0)
    return ret;
  return ns_parent_prepare (c, cfg);
}

/* The last stage of this plugin in the runtime: the init has its own copy
 * of the configuration from the clone on, so the runtime's goes now. */
static int
namespaces_parent_after_clone (struct modrun_container *c, void **data)
{
  struct ns_config *cfg;
  int ret;

  if (!creates_container (c))
    return 0;
  ret = ns_config_get (c, data, &cfg);
  if (ret == 0)
    ret = ns_parent_after_clone (c, cfg);
  ns_config_free (*data);
  *data = NULL;
  return ret;
}

static int
namespaces_child_rootfs (struct modrun_container *c, void **data)
{
  struct ns_config *cfg;
  int ret;

  if (!creates_container (c))
    return 0;
  ret = ns_config_get (c, data, &cfg);
  if (ret < 0)
    return ret;
  return ns_child_rootfs (c, cfg);
}

static int
namespaces_child_after_pivot (struct modrun_container *c, void **data)
{
  struct ns_config *cfg;
  int ret;

  if (!creates_container (c))
    return 0;
  ret = ns_config_get (c, data, &cfg);
  if (ret < 0)
    return ret;
  return ns_child_after_pivot (c, cfg);
}

/* Nothing outlives the container's processes but what the runtime holds
 * during a create that failed: its own namespaces are restored here. */
static int
namespaces_destroy (struct modrun_container *c, void **data)
{
  (void)c;
  ns_config_free (*data);
  *data = NULL;
  return 0;
}

static int
namespaces_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *list;
  char path[64];
  int k;

  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL)
    return svc->error (c, ENOMEM, "features: linux");
  list = svc->json_add (linux_obj, "namespaces", MODRUN_JSON_ARRAY);
  if (list == NULL)
    return svc->error (c, ENOMEM, "features: linux.namespaces");
  for (k = 0; k < NS_COUNT; k++)
    {
      /* Only the kinds this kernel has. */
      snprintf (path, sizeof (path), "/proc/self/ns/%s", ns_kinds[k].proc);
      if (access (path, F_OK) < 0)
        continue;
      if (svc->json_add_string (list, NULL, ns_kinds[k].type) < 0)
        return svc->error (c, ENOMEM, "features: linux.namespaces");
    }
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (namespaces) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_NAMESPACES,
  .name = "namespaces",
  .version = PACKAGE_VERSION,
  .description = "Linux namespaces, id mappings, time offsets, hostname, domainname, sysctl",
  .validate = namespaces_validate,
  .prepare = namespaces_prepare,
  .parent_after_clone = namespaces_parent_after_clone,
  .child_rootfs = namespaces_child_rootfs,
  .child_after_pivot = namespaces_child_after_pivot,
  .destroy = namespaces_destroy,
  .features = namespaces_features,
};
