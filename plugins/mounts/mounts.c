/* mounts: "mounts", linux.devices and the spec's default devices,
 * linux.maskedPaths, linux.readonlyPaths, linux.rootfsPropagation and
 * root.readonly. With a mount namespace everything it does happens there,
 * so nothing is left to undo on the host; without one the container's
 * mounts are made in the runtime's, under the rootfs, and destroy detaches
 * them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>

#include "mounts.h"

/* The checked config, kept in DATA for the child's two stages. The parent
 * keeps nothing: validate reads it only to check it, so no copy outlives a
 * process that never runs destroy. */
static int
spec_of (struct modrun_container *c, void **data, struct mnt_spec **spec)
{
  int ret;

  if (*data == NULL)
    {
      ret = mnt_spec_load (c, spec);
      if (ret < 0)
        return ret;
      *data = *spec;
    }
  *spec = *data;
  return 0;
}

static int
mounts_probe (struct modrun_container *c, void **data)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
  long fd;

  (void)data;
  fd = syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof (how));
  if (fd < 0)
    return c->svc->error (
        c, errno,
        "openat2, needed to resolve paths inside the rootfs safely, is not usable (Linux 5.6 or "
        "later is needed)");
  close ((int)fd);
  return 0;
}

static int
mounts_validate (struct modrun_container *c, void **data)
{
  struct mnt_spec *spec;
  int ret;

  (void)data;
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  ret = mnt_spec_load (c, &spec);
  if (ret == 0)
    mnt_spec_free (spec);
  return ret;
}

static int
mounts_child_rootfs (struct modrun_container *c, void **data)
{
  struct mnt_spec *spec;
  int ret;

  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  ret = spec_of (c, data, &spec);
  if (ret < 0)
    return ret;
  /* A mount namespace joined by path gets the container's root built in
   * it like a new one: root.path and mounts still apply. */
  return mnt_child_rootfs (c, spec);
}

static int
mounts_child_after_pivot (struct modrun_container *c, void **data)
{
  struct mnt_spec *spec;
  int ret;

  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  ret = spec_of (c, data, &spec);
  if (ret < 0)
    return ret;
  return mnt_child_after_pivot (c, spec);
}

/* True when CONFIG has mounts but no mount namespace: they were made in
 * the runtime's mount namespace. */
static bool
mounts_in_runtime_ns (const modrun_json *config)
{
  const modrun_json *mounts = modrun_json_get (config, "mounts");
  const modrun_json *nss = modrun_json_path (config, "linux.namespaces");
  uint32_t i;

  if (mounts == NULL || mounts->type != MODRUN_JSON_ARRAY || mounts->count == 0)
    return false;
  for (i = 0; nss != NULL && nss->type == MODRUN_JSON_ARRAY && i < nss->count; i++)
    {
      const modrun_json *t = modrun_json_get (nss->items[i], "type");

      if (t != NULL && t->type == MODRUN_JSON_STRING && strcmp (t->string, "mount") == 0)
        return false;
    }
  return true;
}

static int
mounts_destroy (struct modrun_container *c, void **data)
{
  struct mnt_spec *spec;
  int ret;

  mnt_spec_free (*data);
  *data = NULL;
  if (c->config == NULL || c->rootfs == NULL || !mounts_in_runtime_ns (c->config))
    return 0;
  ret = mnt_spec_load (c, &spec);
  if (ret < 0)
    return ret;
  ret = mnt_detach_host_mounts (c, spec);
  mnt_spec_free (spec);
  return ret;
}

static int
mounts_features (struct modrun_container *c, modrun_json *out)
{
  modrun_json *arr = c->svc->json_add (out, "mountOptions", MODRUN_JSON_ARRAY);

  if (arr == NULL)
    return c->svc->error (c, ENOMEM, "features: mountOptions");
  return mnt_list_options (c, arr);
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (mounts) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_MOUNTS,
  .name = "mounts",
  .version = PACKAGE_VERSION,
  .description = "mounts, devices, masked and read-only paths, rootfs propagation",
  .probe = mounts_probe,
  .validate = mounts_validate,
  .child_rootfs = mounts_child_rootfs,
  .child_after_pivot = mounts_child_after_pivot,
  .destroy = mounts_destroy,
  .features = mounts_features,
};
