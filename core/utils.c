#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

#define MR_MAX_FILE_SIZE (64 << 20)

int
mr_vfail (mr_error **err, int errnum, const char *fmt, va_list ap)
{
  char *msg = NULL;
  int ret = errnum > 0 ? -errnum : (errnum < 0 ? errnum : -EINVAL);

  if (err == NULL || *err != NULL)
    return ret;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  if (errnum != 0)
    {
      char *full = mr_xasprintf ("%s: %s", msg, strerror (errnum < 0 ? -errnum : errnum));
      free (msg);
      msg = full;
    }
  *err = mr_xzalloc (sizeof (**err));
  (*err)->errnum = errnum < 0 ? -errnum : errnum;
  (*err)->msg = msg;
  return ret;
}

int
mr_fail (mr_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = mr_vfail (err, errnum, fmt, ap);
  va_end (ap);
  return ret;
}

void
mr_error_prefix (mr_error **err, const char *fmt, ...)
{
  va_list ap;
  char *prefix = NULL;
  char *msg;

  if (err == NULL || *err == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    abort ();
  va_end (ap);
  msg = mr_xasprintf ("%s: %s", prefix, (*err)->msg);
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = msg;
}

void
mr_error_free (mr_error *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  free (err);
}

void
mr_freep (void *p)
{
  free (*(void **) p);
}

void
mr_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

void
mr_fclosep (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}

void
mr_error_freep (mr_error **err)
{
  mr_error_free (*err);
}

void *
mr_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);

  if (p == NULL)
    abort ();
  return p;
}

void *
mr_xzalloc (size_t n)
{
  void *p = calloc (1, n ? n : 1);

  if (p == NULL)
    abort ();
  return p;
}

void *
mr_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
mr_xstrdup (const char *s)
{
  char *r;

  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
mr_xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *r = NULL;

  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

int
mr_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
mr_read_all (int fd, void *buf, size_t len)
{
  char *p = buf;

  while (len > 0)
    {
      ssize_t n = read (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (n == 0)
        return -EPIPE;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
mr_read_file_at (int dirfd, const char *path, char **out, size_t *len, mr_error **err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t size = 0, cap = 0;

  if (fd < 0)
    return mr_fail (err, errno, "open `%s`", path);
  for (;;)
    {
      ssize_t n;

      if (cap - size < 4096)
        {
          cap = cap ? cap * 2 : 8192;
          buf = mr_xrealloc (buf, cap);
        }
      n = read (fd, buf + size, cap - size - 1);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_fail (err, errno, "read `%s`", path);
        }
      if (n == 0)
        break;
      size += (size_t) n;
      /* Every file the runtime reads is small; a config.json that never
       * ends (a link to /dev/zero) must not eat the host's memory. */
      if (size > MR_MAX_FILE_SIZE)
        return mr_fail (err, 0, "read `%s`: larger than %d MiB", path,
                        MR_MAX_FILE_SIZE >> 20);
    }
  buf[size] = '\0';
  if (len)
    *len = size;
  *out = mr_steal_ptr (buf);
  return 0;
}

int
mr_read_file (const char *path, char **out, size_t *len, mr_error **err)
{
  return mr_read_file_at (AT_FDCWD, path, out, len, err);
}

int
mr_write_file (const char *path, const void *data, size_t len, mode_t mode, mr_error **err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  int ret;

  if (fd < 0)
    return mr_fail (err, errno, "open `%s`", path);
  ret = mr_write_all (fd, data, len);
  if (ret < 0)
    return mr_fail (err, -ret, "write `%s`", path);
  return 0;
}

int
mr_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                      mr_error **err)
{
  cleanup_free char *tmp = mr_xasprintf ("%s.tmp.%d", path, (int) getpid ());
  int ret;

  ret = mr_write_file (tmp, data, len, mode, err);
  if (ret < 0)
    {
      unlink (tmp);
      return ret;
    }
  if (rename (tmp, path) < 0)
    {
      ret = mr_fail (err, errno, "rename `%s` to `%s`", tmp, path);
      unlink (tmp);
      return ret;
    }
  return 0;
}

int
mr_write_value (const char *path, const char *value, mr_error **err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return mr_fail (err, errno, "open `%s`", path);
  n = write (fd, value, strlen (value));
  if (n < 0)
    return mr_fail (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
mr_mkdir_p (const char *path, mode_t mode, mr_error **err)
{
  cleanup_free char *copy = mr_xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return mr_fail (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return mr_fail (err, errno, "mkdir `%s`", copy);
  return 0;
}

static int
rm_rf_at (int parent, const char *name, mr_error **err)
{
  cleanup_close int fd = -1;
  DIR *dir;
  struct dirent *de;
  int ret = 0;

  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return mr_fail (err, errno, "unlink `%s`", name);
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : mr_fail (err, errno, "open `%s`", name);
  dir = fdopendir (fd);
  if (dir == NULL)
    return mr_fail (err, errno, "opendir `%s`", name);
  fd = -1;
  while ((de = readdir (dir)) != NULL && ret == 0)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = rm_rf_at (dirfd (dir), de->d_name, err);
    }
  closedir (dir);
  if (ret < 0)
    return ret;
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return mr_fail (err, errno, "rmdir `%s`", name);
  return 0;
}

int
mr_rm_rf (const char *path, mr_error **err)
{
  return rm_rf_at (AT_FDCWD, path, err);
}

unsigned long long
mr_proc_start_time (pid_t pid, int *zombie)
{
  char path[64];
  cleanup_free char *buf = NULL;
  char *p;
  unsigned long long start = 0;
  int field;

  if (zombie)
    *zombie = 0;
  if (pid <= 0)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  if (mr_read_file (path, &buf, NULL, NULL) < 0)
    return 0;
  /* The command name may hold spaces and parentheses: fields start after
   * the last ')'. Field 3 is the state, field 22 the start time. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p += 2;
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p)
    start = strtoull (p, NULL, 10);
  return start;
}

char *
mr_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return mr_xasprintf ("%s.%09ldZ", buf, (long) ts.tv_nsec);
}
