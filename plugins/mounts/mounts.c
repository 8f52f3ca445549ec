/* mounts: "mounts", linux.devices and the spec's default devices,
 * linux.maskedPaths, linux.readonlyPaths, linux.rootfsPropagation and
 * root.readonly. Everything it does happens in the container's mount
 * namespace, so nothing is left to undo on the host. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
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
        "openat2, needed to resolve paths inside the rootfs safely, is not usable (Linux 5.6 or later is needed)");
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

static int
mounts_destroy (struct modrun_container *c, void **data)
{
  (void)c;
  mnt_spec_free (*data);
  *data = NULL;
  return 0;
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
