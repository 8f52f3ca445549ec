/* mounts: building the container's tree of mounts before the root switch. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "mounts.h"

#define ATIME_MS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
/* Flags a bind mount gets only through a remount. */
#define REMOUNT_MS                                                                                 \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | MS_DIRSYNC        \
   | ATIME_MS | MS_NOSYMFOLLOW | MS_LAZYTIME | MS_I_VERSION | MS_SILENT)

/* Octal escapes of mountinfo ("\040" for a space), decoded in place. */
static void
unescape (char *s)
{
  char *out = s;

  for (; *s != '\0'; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 3;
        }
      else
        *out++ = *s;
    }
  *out = '\0';
}

void
mnt_info_free (struct mnt_info *info, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (info[i].root);
      free (info[i].point);
      free (info[i].fstype);
      free (info[i].super);
    }
  free (info);
}

/* Splits one mountinfo line; 0 when it does not have the expected shape. */
static int
parse_info_line (char *line, struct mnt_info *mi)
{
  char *f[6], *sep, *save = NULL, *tok;
  int i;

  sep = strstr (line, " - ");
  if (sep == NULL)
    return 0;
  *sep = '\0';
  for (i = 0, tok = strtok_r (line, " ", &save); tok != NULL && i < 5;
       tok = strtok_r (NULL, " ", &save))
    f[i++] = tok;
  if (i < 5)
    return 0;
  save = NULL;
  tok = strtok_r (sep + 3, " ", &save);
  f[5] = strtok_r (NULL, " ", &save);   /* source */
  f[0] = strtok_r (NULL, " \n", &save); /* super options */
  if (tok == NULL || f[5] == NULL || f[0] == NULL)
    return 0;
  unescape (f[3]);
  unescape (f[4]);
  mi->root = strdup (f[3]);
  mi->point = strdup (f[4]);
  mi->fstype = strdup (tok);
  mi->super = strdup (f[0]);
  return mi->root && mi->point && mi->fstype && mi->super ? 1 : -ENOMEM;
}

int
mnt_info_load (struct modrun_container *c, struct mnt_info **out, size_t *n)
{
  struct mnt_info *info = NULL;
  size_t cap = 0, len = 0;
  char *line = NULL;
  size_t line_cap = 0;
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  int ret = 0;

  if (f == NULL)
    return c->svc->error (c, errno, "reading /proc/self/mountinfo");
  while (getline (&line, &line_cap, f) > 0)
    {
      if (len == cap)
        {
          struct mnt_info *p = realloc (info, (cap = cap ? cap * 2 : 64) * sizeof (*info));

          if (p == NULL)
            {
              ret = -ENOMEM;
              break;
            }
          info = p;
        }
      memset (&info[len], 0, sizeof (*info));
      ret = parse_info_line (line, &info[len]);
      if (ret < 0)
        {
          len++;
          break;
        }
      if (ret > 0)
        len++;
      ret = 0;
    }
  free (line);
  fclose (f);
  if (ret < 0)
    {
      mnt_info_free (info, len);
      return c->svc->error (c, -ret, "reading /proc/self/mountinfo");
    }
  *out = info;
  *n = len;
  return 0;
}

/* pivot_root refuses a new root whose parent mount is shared; with shared
 * propagation asked for /, make just that parent private. */
static int
make_rootfs_parent_private (struct modrun_container *c)
{
  char real[PATH_MAX];
  struct mnt_info *info = NULL;
  size_t n = 0, i, best = 0, best_len = 0;
  int ret;

  if (realpath (c->rootfs, real) == NULL)
    return c->svc->error (c, errno, "resolving rootfs `%s`", c->rootfs);
  ret = mnt_info_load (c, &info, &n);
  if (ret < 0)
    return ret;
  for (i = 0; i < n; i++)
    {
      size_t len = strlen (info[i].point);

      if (strcmp (info[i].point, "/") == 0)
        len = 0;
      else if (strncmp (real, info[i].point, len) != 0 || (real[len] != '/' && real[len] != '\0'))
        continue;
      if (len >= best_len)
        {
          best = i;
          best_len = len;
        }
    }
  ret = 0;
  if (n > 0 && mount (NULL, info[best].point, NULL, MS_PRIVATE, NULL) < 0)
    ret = c->svc->error (c, errno, "making `%s`, the mount holding the rootfs, private",
                         info[best].point);
  mnt_info_free (info, n);
  return ret;
}

static int
mount_id (int fd, uint64_t *id)
{
  struct statx st;

  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) < 0)
    return -errno;
  *id = st.stx_mnt_id;
  return 0;
}

/* An fd of what now sits on destination REL of M, checked to be another
 * mount than OLDFD's (a swapped symlink would show the old one). */
int
mnt_reopen_mounted (struct modrun_container *c, int rootfd, const struct mnt_mount *m, int oldfd)
{
  uint64_t before, after;
  int fd = mnt_open_in_root (rootfd, m->dest);

  if (fd < 0)
    return c->svc->error (c, -fd, "mounts[%u]: reopening `%s` after mounting it", m->index,
                          m->dest_cfg);
  if ((m->flags & MS_REMOUNT) == 0 && mount_id (oldfd, &before) == 0 && mount_id (fd, &after) == 0
      && before == after)
    {
      close (fd);
      return c->svc->error (c, EXDEV, "mounts[%u]: `%s` changed while it was being mounted",
                            m->index, m->dest_cfg);
    }
  return fd;
}

int
mnt_remount_bind (struct modrun_container *c, const struct mnt_mount *m, int fd, const char *dest)
{
  unsigned long keep = 0, flags;
  char fdpath[64];
  struct statfs sfs;

  if (fstatfs (fd, &sfs) == 0)
    keep = mnt_locked_flags ((unsigned long)sfs.f_flags) & ~m->cleared;
  if (m->atime_given)
    keep &= ~ATIME_MS;
  flags = MS_BIND | MS_REMOUNT | (m->flags & REMOUNT_MS) | keep;
  if (mount (NULL, mnt_fd_path (fd, fdpath, sizeof (fdpath)), NULL, flags, NULL) < 0)
    return c->svc->error (
        c, errno, "mounts[%u]: remounting the bind mount on `%s` with its options", m->index, dest);
  return 0;
}

static bool
needs_bind_remount (const struct mnt_mount *m)
{
  return (m->flags & REMOUNT_MS) != 0 || (m->cleared & REMOUNT_MS) != 0;
}

int
mnt_apply_extra (struct modrun_container *c, const struct mnt_mount *m, int fd)
{
  char fdpath[64];
  size_t i;

  mnt_fd_path (fd, fdpath, sizeof (fdpath));
  for (i = 0; i < m->n_prop; i++)
    if (mount (NULL, fdpath, NULL, m->prop[i], NULL) < 0)
      return c->svc->error (c, errno, "mounts[%u]: changing the propagation of `%s`", m->index,
                            m->dest_cfg);
  if (m->rattr_set != 0 || m->rattr_clr != 0)
    {
      struct mount_attr attr = { .attr_set = m->rattr_set, .attr_clr = m->rattr_clr };

      if (mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
        return c->svc->error (
            c, errno, "mounts[%u]: applying the recursive options (rro, rnosuid, ...) to `%s`",
            m->index, m->dest_cfg);
    }
  return 0;
}

int
mnt_bind (struct modrun_container *c, const struct mnt_mount *m, int rootfd, int targetfd,
          unsigned long strip)
{
  mnt_cleanup_close int fd = -1;
  struct mnt_mount eff = *m;
  char fdpath[64];

  if (mount (m->source, mnt_fd_path (targetfd, fdpath, sizeof (fdpath)), NULL,
             MS_BIND | (m->rec ? MS_REC : 0), NULL)
      < 0)
    return c->svc->error (c, errno, "mounts[%u]: bind mounting `%s` on `%s`", m->index, m->source,
                          m->dest_cfg);
  fd = mnt_reopen_mounted (c, rootfd, m, targetfd);
  if (fd < 0)
    return fd;
  eff.flags &= ~strip;
  if (needs_bind_remount (&eff))
    {
      int ret = mnt_remount_bind (c, &eff, fd, m->dest_cfg);

      if (ret < 0)
        return ret;
    }
  return mnt_apply_extra (c, m, fd);
}

/* sysfs belongs to the network namespace; in a user namespace without one
 * of its own the kernel refuses a new instance, so the host's is bound. */
static int
do_sysfs_bind (struct modrun_container *c, const struct mnt_mount *m, int rootfd, int targetfd)
{
  struct mnt_mount b = *m;

  b.bind = true;
  b.rec = true;
  b.source = (char *)"/sys";
  return mnt_bind (c, &b, rootfd, targetfd, 0);
}

static int
do_mount_fs (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_mount *m,
             int rootfd, int targetfd, unsigned long strip)
{
  mnt_cleanup_close int fd = -1;
  unsigned long flags = m->flags & ~strip;
  const char *source = m->source ? m->source : m->type;
  bool sysfs = strcmp (m->type, "sysfs") == 0;
  char fdpath[64];

  if (sysfs && spec->userns && !spec->netns)
    return do_sysfs_bind (c, m, rootfd, targetfd);
  c->svc->log (c, MODRUN_LOG_DEBUG, "mounts[%u]: %s on `%s`, data \"%s\"", m->index, m->type,
               m->dest_cfg, m->data ? m->data : "");
  if (mount (source, mnt_fd_path (targetfd, fdpath, sizeof (fdpath)), m->type, flags, m->data) < 0)
    {
      if (sysfs && spec->userns && errno == EPERM)
        return do_sysfs_bind (c, m, rootfd, targetfd);
      return c->svc->error (c, errno, "mounts[%u]: mounting `%s` of type %s on `%s`%s%s%s",
                            m->index, source, m->type, m->dest_cfg, m->data ? " with data \"" : "",
                            m->data ? m->data : "", m->data ? "\"" : "");
    }
  if (m->n_prop == 0 && m->rattr_set == 0 && m->rattr_clr == 0)
    return 0;
  fd = mnt_reopen_mounted (c, rootfd, m, targetfd);
  if (fd < 0)
    return fd;
  return mnt_apply_extra (c, m, fd);
}

static bool
is_type (const struct mnt_mount *m, const char *type)
{
  return m->type != NULL && strcmp (m->type, type) == 0;
}

/* A mount whose target is a file of the container's procfs hides what the
 * kernel shows there, and what the runtime writes there afterwards (the
 * LSM label of the process in /proc/self/attr) would land in the mount.
 * Only the files that are mounted over to show other figures (lxcfs) are
 * allowed, named as they are, and a proc file system on /proc itself; a
 * destination that reaches /proc through a symlink never is. */
static int
check_proc_target (struct modrun_container *c, const struct mnt_mount *m, int targetfd)
{
  static const char *const allowed[] = {
    "proc/cpuinfo", "proc/diskstats",
    "proc/meminfo", "proc/stat",
    "proc/swaps",   "proc/uptime",
    "proc/loadavg", "proc/slabinfo",
    "proc/net/dev", "proc/sys/kernel/ns_last_pid",
  };
  struct statfs sfs;
  size_t i;

  if (fstatfs (targetfd, &sfs) < 0)
    return c->svc->error (c, errno, "mounts[%u]: statfs of `%s`", m->index, m->dest_cfg);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return 0;
  if (strcmp (m->dest, "proc") == 0 && is_type (m, "proc"))
    return 0;
  for (i = 0; i < sizeof (allowed) / sizeof (allowed[0]); i++)
    if (strcmp (m->dest, allowed[i]) == 0)
      return 0;
  return c->svc->error (c, 0,
                        "mounts[%u]: `%s` resolves to a file of the container's /proc; mounting "
                        "over it is refused",
                        m->index, m->dest_cfg);
}

static int
do_one (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_mount *m,
        int rootfd, bool *dev_ro)
{
  mnt_cleanup_close int targetfd = -1;
  unsigned long strip = 0;
  bool file = false;
  char what[64];
  int ret;

  if (m->bind)
    {
      struct stat st;

      if (stat (m->source, &st) < 0)
        return c->svc->error (c, errno, "mounts[%u]: bind source `%s` of `%s`", m->index, m->source,
                              m->dest_cfg);
      file = !S_ISDIR (st.st_mode);
    }
  snprintf (what, sizeof (what), "mounts[%u]", m->index);
  targetfd = mnt_mkpath_in_root (c, rootfd, m->dest, file, what);
  if (targetfd < 0)
    return targetfd;
  ret = check_proc_target (c, m, targetfd);
  if (ret < 0)
    return ret;

  /* A read-only /dev still needs its device nodes: it turns read-only once
   * they are made. */
  if (strcmp (m->dest, "dev") == 0 && (m->flags & MS_RDONLY) && !(m->flags & MS_REMOUNT))
    {
      strip = MS_RDONLY;
      *dev_ro = true;
    }
  if (m->bind)
    return mnt_bind (c, m, rootfd, targetfd, strip);
  if (is_type (m, "cgroup") || is_type (m, "cgroup2"))
    return mnt_mount_cgroup (c, spec, m, rootfd, targetfd);
  return do_mount_fs (c, spec, m, rootfd, targetfd, strip);
}

static int
remount_dev_ro (struct modrun_container *c, const struct mnt_spec *spec, int rootfd)
{
  mnt_cleanup_close int fd = mnt_open_in_root (rootfd, "dev");
  const struct mnt_mount *m = NULL;
  size_t i;

  for (i = 0; i < spec->n_mounts; i++)
    if (strcmp (spec->mounts[i].dest, "dev") == 0 && (spec->mounts[i].flags & MS_RDONLY))
      m = &spec->mounts[i];
  if (fd < 0)
    return c->svc->error (c, -fd, "reopening /dev to make it read-only");
  return mnt_remount_bind (c, m, fd, m->dest_cfg);
}

int
mnt_child_rootfs (struct modrun_container *c, struct mnt_spec *spec)
{
  mnt_cleanup_close int rootfd = -1;
  unsigned long prop = spec->root_prop ? spec->root_prop | MS_REC : MS_SLAVE | MS_REC;
  bool dev_ro = false;
  size_t i;
  int ret;

  /* Without a mount namespace of its own the container is chrooted into
   * the rootfs as it is, and its mounts are made in the runtime's mount
   * namespace, under the rootfs only. A rootfs that is the runtime's own
   * root has its devices already, and no mounts (validate saw to that). */
  if (!spec->mountns && spec->root_is_host)
    return 0;
  if (spec->mountns)
    {
      /* Nothing can be bound out of an unbindable tree, the rootfs
       * included: until the root is switched the tree is private, and
       * rootfsPropagation reaches / after the pivot. */
      if (prop & MS_UNBINDABLE)
        prop = MS_PRIVATE | MS_REC;
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return c->svc->error (c, errno,
                              "changing the propagation of / in the container's mount namespace");
      if ((prop & MS_SHARED) && (ret = make_rootfs_parent_private (c)) < 0)
        return ret;
      if (mount (c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return c->svc->error (c, errno, "bind mounting the rootfs `%s` on itself", c->rootfs);
    }
  rootfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return c->svc->error (c, errno, "opening the rootfs `%s`", c->rootfs);

  for (i = 0; i < spec->n_mounts; i++)
    {
      ret = do_one (c, spec, &spec->mounts[i], rootfd, &dev_ro);
      if (ret < 0)
        return ret;
    }

  ret = mnt_make_devices (c, spec, rootfd);
  if (ret < 0)
    return ret;
  return dev_ro ? remount_dev_ro (c, spec, rootfd) : 0;
}

/* True when FD is the root of a mount other than ROOT_ID. */
static bool
is_other_mount_root (int fd, uint64_t root_id)
{
  struct statx st;

  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &st) < 0)
    return false;
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0
         && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0 && st.stx_mnt_id != root_id;
}

int
mnt_detach_host_mounts (struct modrun_container *c, const struct mnt_spec *spec)
{
  mnt_cleanup_close int rootfd = -1;
  uint64_t root_id = 0;
  size_t i;
  int ret;

  rootfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 && errno == ENOENT)
    return 0;
  if (rootfd < 0)
    return c->svc->error (c, errno, "opening the rootfs `%s` to detach the container's mounts",
                          c->rootfs);
  ret = mount_id (rootfd, &root_id);
  if (ret < 0)
    return c->svc->error (c, -ret, "reading the mount id of the rootfs `%s`", c->rootfs);

  /* The last made first, so that a mount made on top of another, or
   * inside it, goes before it. A destination that holds no mount (never
   * made by a create that failed first, or detached already) is skipped. */
  for (i = spec->n_mounts; i-- > 0;)
    {
      const struct mnt_mount *m = &spec->mounts[i];
      mnt_cleanup_close int fd = -1;
      char fdpath[64];

      if (m->flags & MS_REMOUNT)
        continue;
      fd = mnt_open_in_root (rootfd, m->dest);
      if (fd < 0 || !is_other_mount_root (fd, root_id))
        continue;
      if (umount2 (mnt_fd_path (fd, fdpath, sizeof (fdpath)), MNT_DETACH) < 0)
        return c->svc->error (c, errno, "mounts[%u]: detaching `%s` from the rootfs `%s`", m->index,
                              m->dest_cfg, c->rootfs);
    }
  return 0;
}
