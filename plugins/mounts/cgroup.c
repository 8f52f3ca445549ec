/* mounts: mounts of type cgroup and cgroup2.
 *
 * On a cgroup v1 host a "cgroup" mount is a tmpfs holding one directory per
 * hierarchy. Inside a cgroup namespace each hierarchy is mounted afresh (the
 * namespace makes the container's cgroup its root); without one, the
 * container's own directory of each hierarchy is bound there, so that it
 * sees its cgroup and nothing above it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "mounts.h"

/* One line of /proc/self/cgroup. */
struct own_cgroup
{
  char *controllers; /* "cpu,cpuacct", "name=systemd", "" for cgroup2 */
  char *path;
};

static void
own_free (struct own_cgroup *own, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (own[i].controllers);
      free (own[i].path);
    }
  free (own);
}

static int
own_load (struct modrun_container *c, struct own_cgroup **out, size_t *n)
{
  struct own_cgroup *own = NULL;
  size_t len = 0, line_cap = 0;
  char *line = NULL;
  FILE *f = fopen ("/proc/self/cgroup", "re");
  int ret = 0;

  if (f == NULL)
    return c->svc->error (c, errno, "reading /proc/self/cgroup");
  while (ret == 0 && getline (&line, &line_cap, f) > 0)
    {
      char *a = strchr (line, ':'), *b = a ? strchr (a + 1, ':') : NULL;
      struct own_cgroup *p;

      if (b == NULL)
        continue;
      b[strcspn (b, "\n")] = '\0';
      p = realloc (own, (len + 1) * sizeof (*own));
      if (p == NULL)
        {
          ret = -ENOMEM;
          break;
        }
      own = p;
      own[len].controllers = strndup (a + 1, (size_t)(b - a - 1));
      own[len].path = strdup (b + 1);
      len++;
      if (own[len - 1].controllers == NULL || own[len - 1].path == NULL)
        ret = -ENOMEM;
    }
  free (line);
  fclose (f);
  if (ret < 0)
    {
      own_free (own, len);
      return c->svc->error (c, -ret, "reading /proc/self/cgroup");
    }
  *out = own;
  *n = len;
  return 0;
}

/* Whether comma-separated LIST holds WORD. */
static bool
has_token (const char *list, const char *word, size_t wlen)
{
  const char *p = list;

  while (*p != '\0')
    {
      size_t len = strcspn (p, ",");

      if (len == wlen && strncmp (p, word, wlen) == 0)
        return true;
      p += len;
      if (*p == ',')
        p++;
    }
  return false;
}

/* The line of /proc/self/cgroup for the hierarchy mounted as MI. */
static const struct own_cgroup *
own_find (const struct own_cgroup *own, size_t n, const struct mnt_info *mi)
{
  bool v2 = strcmp (mi->fstype, "cgroup2") == 0;
  size_t i;

  for (i = 0; i < n; i++)
    {
      const char *p = own[i].controllers;

      if (v2 != (p[0] == '\0'))
        continue;
      if (v2)
        return &own[i];
      while (*p != '\0')
        {
          size_t len = strcspn (p, ",");

          if (!has_token (mi->super, p, len))
            break;
          p += len;
          if (*p == ',')
            p++;
        }
      if (*p == '\0')
        return &own[i];
    }
  return NULL;
}

/* The host directory of cgroup PATH in the hierarchy mounted as MI. */
static char *
host_dir (const struct mnt_info *mi, const char *path)
{
  size_t rlen = strcmp (mi->root, "/") == 0 ? 0 : strlen (mi->root);
  char *out;

  if (strncmp (path, mi->root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0'))
    return NULL;
  if (asprintf (&out, "%s%s", mi->point, path + rlen) < 0)
    return NULL;
  return out;
}

/* Binds the container's own directory of hierarchy MI on DEST (relative to
 * the rootfs), with the options of M. */
static int
bind_own (struct modrun_container *c, const struct mnt_mount *m, int rootfd, const char *dest,
          const struct mnt_info *mi, const struct own_cgroup *own)
{
  mnt_cleanup_free char *src = host_dir (mi, own->path);
  mnt_cleanup_free char *shown = NULL;
  mnt_cleanup_close int fd = -1;
  struct mnt_mount b = *m;

  if (src == NULL)
    return c->svc->error (
        c, ENOENT,
        "mounts[%u]: the container's cgroup `%s` is not visible under the mount of `%s` at `%s`",
        m->index, own->path, mi->super, mi->point);
  if (asprintf (&shown, "/%s", dest) < 0)
    return c->svc->error (c, ENOMEM, "mounts[%u]", m->index);
  b.bind = true;
  b.rec = false;
  b.source = src;
  b.dest = (char *)dest;
  b.dest_cfg = shown;
  b.n_prop = 0;
  b.rattr_set = b.rattr_clr = 0;
  b.flags &= ~MS_REMOUNT;
  fd = mnt_mkpath_in_root (c, rootfd, dest, false, "cgroup mount");
  if (fd < 0)
    return fd;
  return mnt_bind (c, &b, rootfd, fd, 0);
}

static int
mount_fresh (struct modrun_container *c, const struct mnt_mount *m, int rootfd, const char *dest,
             const char *type, const char *data)
{
  mnt_cleanup_close int fd = mnt_mkpath_in_root (c, rootfd, dest, false, "cgroup mount");
  char fdpath[64];

  if (fd < 0)
    return fd;
  if (mount (type, mnt_fd_path (fd, fdpath, sizeof (fdpath)), type, m->flags & ~MS_REMOUNT, data)
      < 0)
    return c->svc->error (c, errno, "mounts[%u]: mounting %s%s%s on `/%s`", m->index, type,
                          data ? " " : "", data ? data : "", dest);
  return 0;
}

/* One directory for hierarchy MI under the tmpfs at M->dest. */
static int
mount_hierarchy (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_mount *m,
                 int rootfd, int tmpfd, const struct mnt_info *mi, const struct own_cgroup *own)
{
  const char *name = strrchr (mi->point, '/') + 1;
  bool v2 = own->controllers[0] == '\0';
  mnt_cleanup_free char *dest = NULL;
  const char *p;
  int ret;

  if (name[0] == '\0' || asprintf (&dest, "%s/%s", m->dest, name) < 0)
    return 0;
  if (mkdirat (tmpfd, name, 0755) < 0)
    return errno == EEXIST ? 0
                           : c->svc->error (c, errno, "mounts[%u]: creating `%s`", m->index, dest);
  if (spec->cgroupns)
    ret = mount_fresh (c, m, rootfd, dest, v2 ? "cgroup2" : "cgroup", v2 ? NULL : own->controllers);
  else
    ret = bind_own (c, m, rootfd, dest, mi, own);
  if (ret < 0 || strchr (name, ',') == NULL)
    return ret;

  /* Co-mounted controllers ("cpu,cpuacct") are reachable by each name. */
  for (p = name; *p != '\0';)
    {
      size_t len = strcspn (p, ",");
      char link[64];

      if (len < sizeof (link) && strncmp (p, name, len) != 0)
        {
          memcpy (link, p, len);
          link[len] = '\0';
          if (symlinkat (name, tmpfd, link) < 0 && errno != EEXIST)
            return c->svc->error (c, errno, "mounts[%u]: symlink `%s/%s`", m->index, m->dest_cfg,
                                  link);
        }
      p += len;
      if (*p == ',')
        p++;
    }
  return 0;
}

static bool
under (const char *path, const char *dir)
{
  size_t len = strlen (dir);

  return strncmp (path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

static int
mount_v1 (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_mount *m,
          int rootfd, int targetfd)
{
  mnt_cleanup_close int tmpfd = -1;
  struct own_cgroup *own = NULL;
  struct mnt_info *info = NULL;
  size_t n_info = 0, n_own = 0, i, j;
  char fdpath[64];
  int ret;

  if (mount ("tmpfs", mnt_fd_path (targetfd, fdpath, sizeof (fdpath)), "tmpfs",
             m->flags & ~(MS_RDONLY | MS_REMOUNT), "mode=755")
      < 0)
    return c->svc->error (c, errno, "mounts[%u]: mounting the tmpfs for cgroup hierarchies on `%s`",
                          m->index, m->dest_cfg);
  tmpfd = mnt_reopen_mounted (c, rootfd, m, targetfd);
  if (tmpfd < 0)
    return tmpfd;
  if ((ret = mnt_info_load (c, &info, &n_info)) < 0)
    return ret;
  if ((ret = own_load (c, &own, &n_own)) < 0)
    goto out;
  for (i = 0; i < n_info && ret == 0; i++)
    {
      const struct own_cgroup *o;
      bool seen = false;

      if (strcmp (info[i].fstype, "cgroup") != 0 && strcmp (info[i].fstype, "cgroup2") != 0)
        continue;
      /* The hierarchies the host mounted, not copies of them below. */
      if (!under (info[i].point, "/sys/fs/cgroup") || strcmp (info[i].point, "/sys/fs/cgroup") == 0)
        continue;
      o = own_find (own, n_own, &info[i]);
      for (j = 0; j < i && o != NULL; j++)
        if (strcmp (info[j].fstype, info[i].fstype) == 0 && own_find (own, n_own, &info[j]) == o
            && under (info[j].point, "/sys/fs/cgroup"))
          seen = true;
      if (o != NULL && !seen)
        ret = mount_hierarchy (c, spec, m, rootfd, tmpfd, &info[i], o);
    }
  if (ret == 0 && (m->flags & MS_RDONLY))
    ret = mnt_remount_bind (c, m, tmpfd, m->dest_cfg);
  if (ret == 0)
    ret = mnt_apply_extra (c, m, tmpfd);
out:
  mnt_info_free (info, n_info);
  own_free (own, n_own);
  return ret;
}

/* A cgroup2 mount; where the kernel refuses a new one (a user namespace
 * without a cgroup namespace), the container's own directory is bound. */
static int
mount_v2 (struct modrun_container *c, const struct mnt_spec *spec, const struct mnt_mount *m,
          int rootfd, int targetfd)
{
  mnt_cleanup_close int fd = -1;
  struct own_cgroup *own = NULL;
  struct mnt_info *info = NULL;
  size_t n_info = 0, n_own = 0, i;
  char fdpath[64];
  int ret, err;

  if (mount ("cgroup2", mnt_fd_path (targetfd, fdpath, sizeof (fdpath)), "cgroup2",
             m->flags & ~MS_REMOUNT, m->data)
      == 0)
    {
      fd = mnt_reopen_mounted (c, rootfd, m, targetfd);
      return fd < 0 ? fd : mnt_apply_extra (c, m, fd);
    }
  err = errno;
  if (spec->cgroupns || (err != EPERM && err != EBUSY))
    return c->svc->error (c, err, "mounts[%u]: mounting cgroup2 on `%s`", m->index, m->dest_cfg);
  if ((ret = mnt_info_load (c, &info, &n_info)) < 0)
    return ret;
  ret = own_load (c, &own, &n_own);
  for (i = 0; i < n_info && ret == 0; i++)
    if (strcmp (info[i].fstype, "cgroup2") == 0)
      {
        const struct own_cgroup *o = own_find (own, n_own, &info[i]);
        mnt_cleanup_free char *src = o ? host_dir (&info[i], o->path) : NULL;
        struct mnt_mount b = *m;

        if (src == NULL)
          continue;
        b.bind = true;
        b.rec = false;
        b.source = src;
        b.flags &= ~MS_REMOUNT;
        ret = mnt_bind (c, &b, rootfd, targetfd, 0);
        break;
      }
  if (ret == 0 && i == n_info)
    ret = c->svc->error (
        c, err,
        "mounts[%u]: mounting cgroup2 on `%s`, and no cgroup2 mount shows the container's cgroup "
        "to bind instead",
        m->index, m->dest_cfg);
  mnt_info_free (info, n_info);
  own_free (own, n_own);
  return ret;
}

int
mnt_mount_cgroup (struct modrun_container *c, const struct mnt_spec *spec,
                  const struct mnt_mount *m, int rootfd, int targetfd)
{
  struct statfs sfs;

  if (strcmp (m->type, "cgroup2") == 0
      || (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC))
    return mount_v2 (c, spec, m, rootfd, targetfd);
  return mount_v1 (c, spec, m, rootfd, targetfd);
}
