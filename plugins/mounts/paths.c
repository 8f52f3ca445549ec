/* mounts: the work done inside the new root: read-only and masked paths,
 * a read-only root and the root's propagation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "mounts.h"

/* What to hand mount(2) for FD: its /proc/self/fd link when the container
 * has a procfs, else PATH itself (the root is already the container's, so
 * no symlink can lead out of it). */
static const char *
target_of (int fd, const char *path, bool have_proc, char *buf, size_t len)
{
  return have_proc ? mnt_fd_path (fd, buf, len) : path;
}

static int
open_path (struct modrun_container *c, int rootfd, const char *where, size_t i, const char *path)
{
  mnt_cleanup_free char *rel = mnt_clean_rel (path);
  int fd;

  if (rel == NULL)
    return c->svc->error (c, ENOMEM, "linux.%s[%zu]", where, i);
  fd = mnt_open_in_root (rootfd, rel);
  if (fd < 0 && fd != -ENOENT)
    return c->svc->error (c, -fd, "linux.%s[%zu]: opening `%s`", where, i, path);
  return fd;
}

static int
mask_path (struct modrun_container *c, int rootfd, bool have_proc, size_t i, const char *path)
{
  mnt_cleanup_close int fd = open_path (c, rootfd, "maskedPaths", i, path);
  char buf[64];
  struct stat st;
  const char *target;

  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return fd;
  if (fstat (fd, &st) < 0)
    return c->svc->error (c, errno, "linux.maskedPaths[%zu]: `%s`", i, path);
  target = target_of (fd, path, have_proc, buf, sizeof (buf));
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", target, "tmpfs", MS_RDONLY, "size=0") < 0)
        return c->svc->error (c, errno,
                              "linux.maskedPaths[%zu]: mounting an empty read-only tmpfs over `%s`",
                              i, path);
      return 0;
    }
  if (mount ("/dev/null", target, NULL, MS_BIND, NULL) < 0)
    return c->svc->error (c, errno, "linux.maskedPaths[%zu]: binding /dev/null over `%s`", i, path);
  return 0;
}

static int
readonly_path (struct modrun_container *c, int rootfd, bool have_proc, size_t i, const char *path)
{
  mnt_cleanup_close int fd = open_path (c, rootfd, "readonlyPaths", i, path);
  mnt_cleanup_close int top = -1;
  unsigned long keep = 0;
  struct statfs sfs;
  const char *target;
  char buf[64];

  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return fd;
  target = target_of (fd, path, have_proc, buf, sizeof (buf));
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return c->svc->error (c, errno, "linux.readonlyPaths[%zu]: binding `%s` on itself", i, path);

  /* The fd still names what is under the new mount. */
  top = open_path (c, rootfd, "readonlyPaths", i, path);
  if (top < 0)
    return top == -ENOENT
               ? c->svc->error (c, ENOENT, "linux.readonlyPaths[%zu]: reopening `%s`", i, path)
               : top;
  if (fstatfs (top, &sfs) == 0)
    keep = mnt_locked_flags ((unsigned long)sfs.f_flags);
  target = target_of (top, path, have_proc, buf, sizeof (buf));
  if (mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
    return c->svc->error (c, errno, "linux.readonlyPaths[%zu]: remounting `%s` read-only", i, path);
  return 0;
}

static int
readonly_root (struct modrun_container *c)
{
  unsigned long keep = 0;
  struct statfs sfs;

  if (statfs ("/", &sfs) == 0)
    keep = mnt_locked_flags ((unsigned long)sfs.f_flags);
  if (mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
    return c->svc->error (c, errno, "root.readonly: remounting the container's / read-only");
  return 0;
}

int
mnt_child_after_pivot (struct modrun_container *c, const struct mnt_spec *spec)
{
  mnt_cleanup_close int rootfd = -1;
  bool have_proc;
  size_t i;
  int ret;

  if (!spec->mountns)
    return 0;
  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return c->svc->error (c, errno, "opening the container's /");
  have_proc = access ("/proc/self/fd", F_OK) == 0;
  for (i = 0; i < spec->n_readonly; i++)
    if ((ret = readonly_path (c, rootfd, have_proc, i, spec->readonly[i])) < 0)
      return ret;
  for (i = 0; i < spec->n_masked; i++)
    if ((ret = mask_path (c, rootfd, have_proc, i, spec->masked[i])) < 0)
      return ret;
  if (spec->root_readonly && (ret = readonly_root (c)) < 0)
    return ret;
  if (spec->root_prop != 0 && mount (NULL, "/", NULL, spec->root_prop, NULL) < 0)
    return c->svc->error (c, errno,
                          "linux.rootfsPropagation: changing the propagation of the container's /");
  return 0;
}
