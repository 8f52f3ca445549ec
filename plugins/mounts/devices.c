/* mounts: device nodes and the symlinks of /dev. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mounts.h"

static void
describe (const struct mnt_device *d, char *buf, size_t len)
{
  if (d->index >= 0)
    snprintf (buf, len, "linux.devices[%d] `%s`", d->index, d->path);
  else
    snprintf (buf, len, "default device `%s`", d->path);
}

static bool
matches (const struct mnt_device *d, const struct stat *st)
{
  if ((st->st_mode & S_IFMT) != d->type)
    return false;
  return d->type == S_IFIFO || (major (st->st_rdev) == d->major && minor (st->st_rdev) == d->minor);
}

static int
check_existing (struct modrun_container *c, const struct mnt_device *d, int parent,
                const char *name, const char *what)
{
  struct stat st;

  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return c->svc->error (c, errno, "%s: checking the file already there", what);
  if (!matches (d, &st))
    return c->svc->error (
        c, EEXIST,
        "%s: the rootfs already has another file at this path; expected the same device %u:%u",
        what, d->major, d->minor);
  return 0;
}

/* In a user namespace mknod is refused: the host's node is bound onto an
 * empty file instead. */
static int
bind_host_node (struct modrun_container *c, const struct mnt_device *d, int parent,
                const char *name, const char *what)
{
  mnt_cleanup_close int fd = -1;
  char fdpath[64];
  struct stat st;

  fd = openat (parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST)
    return c->svc->error (c, errno, "%s: creating the file to bind the host's node on", what);
  if (fd >= 0)
    close (fd);
  fd = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return c->svc->error (c, errno, "%s: opening it in the rootfs", what);
  if (matches (d, &st))
    return 0;
  if (!S_ISREG (st.st_mode))
    return c->svc->error (
        c, EEXIST,
        "%s: the rootfs already has another file at this path; expected the device %u:%u or "
        "nothing",
        what, d->major, d->minor);
  if (stat (d->path, &st) < 0)
    return c->svc->error (
        c, errno, "%s: in a user namespace the host's node is bound, but the host has none", what);
  if (!matches (d, &st))
    return c->svc->error (
        c, ENODEV,
        "%s: in a user namespace the host's node is bound, but the host's is not device %u:%u",
        what, d->major, d->minor);
  if (mount (d->path, mnt_fd_path (fd, fdpath, sizeof (fdpath)), NULL, MS_BIND, NULL) < 0)
    return c->svc->error (c, errno, "%s: binding the host's node", what);
  return 0;
}

static int
set_owner_mode (struct modrun_container *c, const struct mnt_device *d, int parent,
                const char *name, const char *what)
{
  mnt_cleanup_close int fd = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  char fdpath[64];
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return c->svc->error (c, errno, "%s: opening the new node", what);
  if (!matches (d, &st))
    return c->svc->error (c, EXDEV, "%s: the node changed while it was being made", what);
  if (chmod (mnt_fd_path (fd, fdpath, sizeof (fdpath)), d->mode) < 0)
    return c->svc->error (c, errno, "%s: setting mode %04o", what, (unsigned int)d->mode);
  if (fchownat (fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
    return c->svc->error (c, errno, "%s: setting owner %u:%u", what, (unsigned int)d->uid,
                          (unsigned int)d->gid);
  return 0;
}

static int
make_device (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_device *d,
             int rootfd)
{
  mnt_cleanup_free char *dir = strdup (d->rel);
  mnt_cleanup_close int parent = -1;
  const char *name;
  char what[320];
  char *slash;

  describe (d, what, sizeof (what));
  if (dir == NULL)
    return c->svc->error (c, ENOMEM, "%s", what);
  slash = strrchr (dir, '/');
  if (slash != NULL)
    {
      *slash = '\0';
      name = slash + 1;
      parent = mnt_mkpath_in_root (c, rootfd, dir, false, what);
    }
  else
    {
      name = dir;
      parent = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
      if (parent < 0)
        return c->svc->error (c, errno, "%s: duplicating the rootfs fd", what);
    }
  if (parent < 0)
    return parent;
  if (spec->userns && d->type != S_IFIFO)
    return bind_host_node (c, d, parent, name, what);
  if (mknodat (parent, name, d->type | 0600, makedev (d->major, d->minor)) < 0)
    {
      if (errno == EEXIST)
        return check_existing (c, d, parent, name, what);
      return c->svc->error (c, errno, "%s: mknod %u:%u", what, d->major, d->minor);
    }
  return set_owner_mode (c, d, parent, name, what);
}

static bool
device_listed (const struct mnt_spec *spec, const char *rel)
{
  size_t i;

  for (i = 0; i < spec->n_devices; i++)
    if (strcmp (spec->devices[i].rel, rel) == 0)
      return true;
  return false;
}

static const struct
{
  const char *name;
  const char *target;
} dev_links[] = {
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

static int
make_links (struct modrun_container *c, const struct mnt_spec *spec, int rootfd)
{
  mnt_cleanup_close int devfd = mnt_mkpath_in_root (c, rootfd, "dev", false, "/dev");
  size_t i;

  if (devfd < 0)
    return devfd;

  /* The devpts instance of the container holds the ptmx to use. */
  if (!device_listed (spec, "dev/ptmx"))
    {
      if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT && errno != EBUSY)
        return c->svc->error (c, errno, "removing /dev/ptmx in the rootfs");
      if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST)
        return c->svc->error (c, errno, "creating the symlink /dev/ptmx -> pts/ptmx");
    }
  for (i = 0; i < sizeof (dev_links) / sizeof (dev_links[0]); i++)
    if (symlinkat (dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
      return c->svc->error (c, errno, "creating the symlink /dev/%s -> %s", dev_links[i].name,
                            dev_links[i].target);
  if (access ("/proc/kcore", F_OK) == 0 && symlinkat ("/proc/kcore", devfd, "core") < 0
      && errno != EEXIST)
    return c->svc->error (c, errno, "creating the symlink /dev/core -> /proc/kcore");
  return 0;
}

int
mnt_make_devices (struct modrun_container *c, const struct mnt_spec *spec, int rootfd)
{
  size_t i;
  int ret;

  for (i = 0; i < spec->n_devices; i++)
    {
      ret = make_device (c, spec, &spec->devices[i], rootfd);
      if (ret < 0)
        return ret;
    }
  return make_links (c, spec, rootfd);
}
