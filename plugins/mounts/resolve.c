/* mounts: resolving and creating paths inside the rootfs.
 *
 * Every lookup goes through openat2 with RESOLVE_IN_ROOT from an fd of the
 * rootfs, so an absolute symlink or ".." in the rootfs ends at its own root
 * and never in the host. Creation works one component at a time from an fd
 * of the parent that was itself resolved that way. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "mounts.h"

/* Symlinks followed while creating one path before giving up. */
#define MAX_SYMLINKS 40

int
mnt_open_in_root (int rootfd, const char *rel)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  long fd;

  do
    fd = syscall (SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof (how));
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd < 0 ? -errno : (int)fd;
}

const char *
mnt_fd_path (int fd, char *buf, size_t len)
{
  snprintf (buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

char *
mnt_clean_rel (const char *path)
{
  char *out = malloc (strlen (path) + 1);
  size_t n = 0;
  const char *p = path;

  if (out == NULL)
    return NULL;
  while (*p != '\0')
    {
      const char *end;
      size_t len;

      while (*p == '/')
        p++;
      end = strchrnul (p, '/');
      len = (size_t)(end - p);
      if (len > 0 && !(len == 1 && p[0] == '.'))
        {
          if (n > 0)
            out[n++] = '/';
          memcpy (out + n, p, len);
          n += len;
        }
      p = end;
    }
  out[n] = '\0';
  return out;
}

unsigned long
mnt_locked_flags (unsigned long f)
{
  unsigned long ms = 0;

  if (f & ST_RDONLY)
    ms |= MS_RDONLY;
  if (f & ST_NOSUID)
    ms |= MS_NOSUID;
  if (f & ST_NODEV)
    ms |= MS_NODEV;
  if (f & ST_NOEXEC)
    ms |= MS_NOEXEC;
  if (f & ST_NOATIME)
    ms |= MS_NOATIME;
  if (f & ST_NODIRATIME)
    ms |= MS_NODIRATIME;
  if (f & ST_RELATIME)
    ms |= MS_RELATIME;
  return ms;
}

/* PATH with component [START, END) replaced by the target of the symlink
 * it names in PARENT, or NULL with errno set. */
static char *
splice_symlink (int parent, const char *path, size_t start, size_t end)
{
  char target[PATH_MAX], comp[NAME_MAX + 1];
  ssize_t len;
  char *out;
  int r;

  if (end - start > NAME_MAX)
    {
      errno = ENAMETOOLONG;
      return NULL;
    }
  memcpy (comp, path + start, end - start);
  comp[end - start] = '\0';
  len = readlinkat (parent, comp, target, sizeof (target) - 1);
  if (len < 0)
    return NULL;
  target[len] = '\0';
  if (target[0] == '/')
    r = asprintf (&out, "%s%s", target + 1, path + end);
  else
    r = asprintf (&out, "%.*s%s%s", (int)start, path, target, path + end);
  return r < 0 ? NULL : out;
}

/* Creates component NAME in PARENT: a directory, or an empty file when
 * FILE. Returns 0, -EEXIST when something (a dangling symlink) is in the
 * way, or -errno. */
static int
create_component (int parent, const char *name, bool file)
{
  int fd;

  if (!file)
    return mkdirat (parent, name, 0755) < 0 ? -errno : 0;
  fd = openat (parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  close (fd);
  return 0;
}

int
mnt_mkpath_in_root (struct modrun_container *c, int rootfd, const char *rel, bool file,
                    const char *what)
{
  mnt_cleanup_free char *path = strdup (rel);
  int parent = -1, loops = 0, fd, ret;
  size_t start, end, len;

  if (path == NULL)
    return c->svc->error (c, ENOMEM, "%s", what);

restart:
  if (parent >= 0)
    close (parent);
  parent = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  if (parent < 0)
    return c->svc->error (c, errno, "%s: duplicating the rootfs fd", what);
  len = strlen (path);
  for (start = 0; start < len; start = end)
    {
      char save;

      while (path[start] == '/')
        start++;
      if (start == len)
        break;
      end = start + strcspn (path + start, "/");
      save = path[end];
      path[end] = '\0';
      fd = mnt_open_in_root (rootfd, path);
      if (fd == -ENOENT)
        {
          ret = create_component (parent, path + start, file && save == '\0');
          if (ret == -EEXIST)
            {
              char *spliced;

              path[end] = save;
              if (++loops > MAX_SYMLINKS)
                {
                  close (parent);
                  return c->svc->error (c, ELOOP, "%s: resolving `%s` in the rootfs", what, rel);
                }
              spliced = splice_symlink (parent, path, start, end);
              if (spliced == NULL && errno != EINVAL)
                {
                  ret = c->svc->error (c, errno, "%s: reading symlink `%.*s` in the rootfs", what,
                                       (int)end, path);
                  close (parent);
                  return ret;
                }
              if (spliced != NULL)
                {
                  free (path);
                  path = spliced;
                }
              goto restart;
            }
          if (ret < 0)
            {
              ret = c->svc->error (c, -ret, "%s: creating `%s` in the rootfs", what, path);
              close (parent);
              return ret;
            }
          fd = mnt_open_in_root (rootfd, path);
        }
      if (fd < 0)
        {
          ret = c->svc->error (c, -fd, "%s: opening `%s` in the rootfs", what, path);
          close (parent);
          return ret;
        }
      path[end] = save;
      close (parent);
      parent = fd;
    }
  return parent;
}
