/* cgroups-v1: finding the hierarchies, the container's directories in them,
 * and reading and writing cgroupfs files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups-v1.h"
#include "systemd-path.h"

/* How long destroy keeps trying to remove a cgroup whose last processes
 * are still exiting. */
#define CG1_RMDIR_TIMEOUT_NS 1000000000LL
#define CG1_RMDIR_PAUSE_NS 10000000L

static const struct
{
  const char *name;
  unsigned int bit;
} cg1_controllers[] = {
  { "cpu", CG1_CPU },         { "cpuacct", CG1_CPUACCT },   { "cpuset", CG1_CPUSET },
  { "memory", CG1_MEMORY },   { "devices", CG1_DEVICES },   { "freezer", CG1_FREEZER },
  { "blkio", CG1_BLKIO },     { "pids", CG1_PIDS },         { "hugetlb", CG1_HUGETLB },
  { "net_cls", CG1_NET_CLS }, { "net_prio", CG1_NET_PRIO }, { "rdma", CG1_RDMA },
};

/* Mount options that are not controllers. */
static const char *const cg1_non_controllers[] = {
  "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods",
};

const char *
cg1_controller_name (unsigned int bit)
{
  size_t i;

  for (i = 0; i < sizeof (cg1_controllers) / sizeof (cg1_controllers[0]); i++)
    if (cg1_controllers[i].bit == bit)
      return cg1_controllers[i].name;
  return "?";
}

static void
cg1_freep (void *p)
{
  free (*(void **)p);
}

#define cleanup_cg1_free __attribute__ ((cleanup (cg1_freep)))

static void
cg1_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

#define cleanup_cg1_close __attribute__ ((cleanup (cg1_closep)))

void
cg1_host_clear (struct cg1_host *host)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    {
      free (host->h[i].mount);
      free (host->h[i].controllers);
      free (host->h[i].dir);
    }
  free (host->h);
  free (host->path);
  free (host->unit);
  memset (host, 0, sizeof (*host));
}

struct cg1_hierarchy *
cg1_host_find (struct cg1_host *host, unsigned int bit)
{
  size_t i;

  for (i = 0; i < host->n_v1; i++)
    if (host->h[i].mask & bit)
      return &host->h[i];
  return NULL;
}

/* Undoes the octal escapes (\040 and the like) of a mountinfo field. */
static void
unescape_mountinfo (char *s)
{
  char *out = s;

  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *out++ = *s++;
    }
  *out = '\0';
}

/* Keeps the controller names of a cgroup v1 mount's options. */
static char *
controllers_of (const char *super, unsigned int *mask)
{
  char *copy = strdup (super), *tok, *save = NULL;
  char *out = calloc (1, strlen (super) + 1);
  size_t i;

  *mask = 0;
  if (copy == NULL || out == NULL)
    {
      free (copy);
      free (out);
      return NULL;
    }
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      bool skip = strncmp (tok, "release_agent=", 14) == 0;

      for (i = 0; !skip && i < sizeof (cg1_non_controllers) / sizeof (char *); i++)
        skip = strcmp (tok, cg1_non_controllers[i]) == 0;
      if (skip)
        continue;
      for (i = 0; i < sizeof (cg1_controllers) / sizeof (cg1_controllers[0]); i++)
        if (strcmp (tok, cg1_controllers[i].name) == 0)
          *mask |= cg1_controllers[i].bit;
      if (*out)
        strcat (out, ",");
      strcat (out, tok);
    }
  free (copy);
  return out;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] -
 * FSTYPE SOURCE SUPEROPTS". Returns 1 for a cgroup mount, filling the
 * fields (pointing into LINE), 0 for any other. */
static int
parse_mountinfo_line (char *line, char **dev, char **root, char **mnt, char **fstype, char **super)
{
  char *field[6], *save = NULL, *tok;
  int i;

  for (i = 0; i < 6; i++)
    {
      field[i] = strtok_r (i == 0 ? line : NULL, " ", &save);
      if (field[i] == NULL)
        return 0;
    }
  while ((tok = strtok_r (NULL, " ", &save)) != NULL && strcmp (tok, "-") != 0)
    ;
  if (tok == NULL)
    return 0;
  *fstype = strtok_r (NULL, " ", &save);
  if (*fstype == NULL || strtok_r (NULL, " ", &save) == NULL)
    return 0;
  *super = strtok_r (NULL, " ", &save);
  if (*super == NULL)
    return 0;
  if (strcmp (*fstype, "cgroup") != 0 && strcmp (*fstype, "cgroup2") != 0)
    return 0;
  *dev = field[2];
  *root = field[3];
  *mnt = field[4];
  unescape_mountinfo (*mnt);
  return 1;
}

struct cg1_seen
{
  char dev[32];
  bool root_is_top;
};

static int
add_hierarchy (struct modrun_container *c, struct cg1_host *host, struct cg1_seen **seen,
               const char *dev, const char *root, const char *mnt, bool unified, const char *super)
{
  bool top = strcmp (root, "/") == 0;
  struct cg1_hierarchy *h;
  unsigned int mask = 0;
  size_t i;

  /* The same hierarchy mounted twice: keep one mount, preferring the one
   * that shows the hierarchy from its root. */
  for (i = 0; i < host->n; i++)
    if (strcmp ((*seen)[i].dev, dev) == 0)
      {
        if (top && !(*seen)[i].root_is_top)
          {
            char *m = strdup (mnt);

            if (m == NULL)
              return c->svc->error (c, ENOMEM, "read /proc/self/mountinfo");
            free (host->h[i].mount);
            host->h[i].mount = m;
            (*seen)[i].root_is_top = true;
          }
        return 0;
      }

  h = realloc (host->h, (host->n + 1) * sizeof (*h));
  if (h == NULL)
    return c->svc->error (c, ENOMEM, "read /proc/self/mountinfo");
  host->h = h;
  h = &host->h[host->n];
  memset (h, 0, sizeof (*h));
  {
    struct cg1_seen *s = realloc (*seen, (host->n + 1) * sizeof (**seen));

    if (s == NULL)
      return c->svc->error (c, ENOMEM, "read /proc/self/mountinfo");
    *seen = s;
    snprintf (s[host->n].dev, sizeof (s[host->n].dev), "%s", dev);
    s[host->n].root_is_top = top;
  }
  h->unified = unified;
  h->mount = strdup (mnt);
  h->controllers = unified ? strdup ("") : controllers_of (super, &mask);
  h->mask = mask;
  host->n++;
  if (h->mount == NULL || h->controllers == NULL)
    return c->svc->error (c, ENOMEM, "read /proc/self/mountinfo");
  if (!unified)
    host->mask |= mask;
  return 0;
}

int
cg1_host_load (struct modrun_container *c, struct cg1_host *host)
{
  cleanup_cg1_free char *buf = NULL;
  cleanup_cg1_free struct cg1_seen *seen = NULL;
  char *line, *save = NULL;
  size_t i, unified = (size_t)-1;
  int ret;

  memset (host, 0, sizeof (*host));
  ret = cg1_read_alloc ("/proc/self/mountinfo", &buf, NULL);
  if (ret < 0)
    return c->svc->error (c, -ret, "read /proc/self/mountinfo");
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *dev, *root, *mnt, *fstype, *super;

      if (!parse_mountinfo_line (line, &dev, &root, &mnt, &fstype, &super))
        continue;
      ret = add_hierarchy (c, host, &seen, dev, root, mnt, strcmp (fstype, "cgroup2") == 0, super);
      if (ret < 0)
        {
          cg1_host_clear (host);
          return ret;
        }
    }

  /* The cgroup2 hierarchy of a hybrid host goes last, after the v1 ones;
   * a host may show at most one. */
  for (i = 0; i < host->n; i++)
    if (host->h[i].unified)
      {
        if (unified == (size_t)-1)
          unified = i;
        else
          {
            free (host->h[i].mount);
            free (host->h[i].controllers);
            host->h[i].mount = NULL;
            host->h[i].controllers = NULL;
          }
      }
  {
    struct cg1_hierarchy keep = { 0 };
    size_t out = 0;

    if (unified != (size_t)-1)
      keep = host->h[unified];
    for (i = 0; i < host->n; i++)
      if (!host->h[i].unified)
        host->h[out++] = host->h[i];
    host->n_v1 = out;
    if (unified != (size_t)-1)
      host->h[out++] = keep;
    host->n = out;
  }
  return 0;
}

/* linux.cgroupsPath, made canonical: "/a/b", no "." or empty parts. */
static int
canonical_path (struct modrun_container *c, const char *given, char **out)
{
  size_t len = strlen (given);
  char *res = malloc (len + 2), *p;
  const char *s = given;

  if (res == NULL)
    return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
  p = res;
  while (*s)
    {
      const char *end = strchrnul (s, '/');
      size_t n = (size_t)(end - s);

      if (n == 2 && s[0] == '.' && s[1] == '.')
        {
          free (res);
          return c->svc->error (c, 0, "linux.cgroupsPath: \"%s\": \"..\" is not allowed", given);
        }
      if (n > 0 && !(n == 1 && s[0] == '.'))
        {
          *p++ = '/';
          memcpy (p, s, n);
          p += n;
        }
      s = *end ? end + 1 : end;
    }
  *p = '\0';
  if (p == res)
    {
      free (res);
      return c->svc->error (
          c, 0, "linux.cgroupsPath: \"%s\" is the root cgroup; expected one below it", given);
    }
  *out = res;
  return 0;
}

int
cg1_host_set_path (struct modrun_container *c, struct cg1_host *host)
{
  const modrun_json *linux_obj = modrun_json_get (c->config, "linux");
  const char *given = NULL;
  char *path = NULL;
  size_t i;
  int ret;

  if (linux_obj != NULL)
    {
      ret = c->svc->get_string (c, linux_obj, "linux", "cgroupsPath", &given);
      if (ret < 0)
        return ret;
    }
  if ((c->options & MODRUN_OPT_SYSTEMD_CGROUP) || cgroup_systemd_marked (c, CG1_SYSTEMD_NAME))
    {
      struct cgroup_systemd_unit u;

      if ((ret = cgroup_systemd_resolve (c, given, &u)) < 0)
        return ret;
      free (host->unit);
      host->unit = strdup (u.unit);
      path = strdup (u.path);
      if (host->unit == NULL || path == NULL)
        {
          free (path);
          return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
        }
    }
  else if (given == NULL || *given == '\0')
    {
      if (c->id == NULL)
        return c->svc->error (c, 0, "linux.cgroupsPath: no container id to name the cgroup");
      given = c->id;
    }

  /* An absolute path is taken under each hierarchy's root. A relative one
   * is too: relative to the root, never to the cgroup the runtime itself
   * runs in, so that the same config always lands in the same place. */
  if (path == NULL && (ret = canonical_path (c, given, &path)) < 0)
    return ret;
  free (host->path);
  host->path = path;
  for (i = 0; i < host->n; i++)
    {
      char *dir = NULL;

      if (asprintf (&dir, "%s%s", host->h[i].mount, path) < 0)
        return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
      free (host->h[i].dir);
      host->h[i].dir = dir;
    }
  return 0;
}

int
cg1_read_alloc (const char *path, char **out, size_t *len)
{
  cleanup_cg1_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  size_t size = 0, cap = 0;
  char *buf = NULL;

  if (fd < 0)
    return -errno;
  for (;;)
    {
      ssize_t n;

      if (cap - size < 1024)
        {
          char *nb;

          cap = cap ? cap * 2 : 8192;
          nb = realloc (buf, cap);
          if (nb == NULL)
            {
              free (buf);
              return -ENOMEM;
            }
          buf = nb;
        }
      n = read (fd, buf + size, cap - size - 1);
      if (n < 0)
        {
          int e = errno;

          if (e == EINTR)
            continue;
          free (buf);
          return -e;
        }
      if (n == 0)
        break;
      size += (size_t)n;
    }
  buf[size] = '\0';
  if (len)
    *len = size;
  *out = buf;
  return 0;
}

ssize_t
cg1_read_small (const char *dir, const char *file, char *buf, size_t len)
{
  char path[PATH_MAX];
  cleanup_cg1_close int fd = -1;
  ssize_t n;

  if ((size_t)snprintf (path, sizeof (path), "%s/%s", dir, file) >= sizeof (path))
    return -ENAMETOOLONG;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  do
    n = read (fd, buf, len - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    n--;
  buf[n] = '\0';
  return n;
}

bool
cg1_file_exists (const char *dir, const char *file)
{
  char path[PATH_MAX];

  if ((size_t)snprintf (path, sizeof (path), "%s/%s", dir, file) >= sizeof (path))
    return false;
  return access (path, F_OK) == 0;
}

int
cg1_open_write (struct modrun_container *c, const char *dir, const char *file, char *path,
                size_t len)
{
  int fd;

  if ((size_t)snprintf (path, len, "%s/%s", dir, file) >= len)
    return c->svc->error (c, ENAMETOOLONG, "open %s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return c->svc->error (c, errno, "open %s for writing", path);
  return fd;
}

int
cg1_write_fd (struct modrun_container *c, int fd, const char *path, const char *value)
{
  size_t len = strlen (value);
  ssize_t n;

  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return c->svc->error (c, errno, "write \"%s\" to %s", value, path);
  if ((size_t)n != len)
    return c->svc->error (c, EIO, "write \"%s\" to %s: short write", value, path);
  return 0;
}

int
cg1_write (struct modrun_container *c, const char *dir, const char *file, const char *value)
{
  char path[PATH_MAX];
  cleanup_cg1_close int fd = -1;

  if ((size_t)snprintf (path, sizeof (path), "%s/%s", dir, file) >= sizeof (path))
    return c->svc->error (c, ENAMETOOLONG, "write \"%s\" to %s/%s", value, dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return c->svc->error (c, errno, "write \"%s\" to %s", value, path);
  return cg1_write_fd (c, fd, path, value);
}

/* The record of the directories prepare made. */
struct cg1_record
{
  char *text;
  size_t len;
};

static int
record_add (struct modrun_container *c, struct cg1_record *r, const char *dir)
{
  size_t n = strlen (dir);
  char *t = realloc (r->text, r->len + n + 2);

  if (t == NULL)
    return c->svc->error (c, ENOMEM, "record the cgroups created");
  memcpy (t + r->len, dir, n);
  t[r->len + n] = '\n';
  t[r->len + n + 1] = '\0';
  r->text = t;
  r->len += n + 1;
  return 0;
}

static int
record_save (struct modrun_container *c, const struct cg1_record *r)
{
  char path[PATH_MAX];
  cleanup_cg1_close int fd = -1;
  ssize_t n;

  if (c->svc->state_path (c, CG1_RECORD_NAME, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "the state directory path of %s is too long",
                          CG1_RECORD_NAME);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return c->svc->error (c, errno, "open %s", path);
  do
    n = write (fd, r->text ? r->text : "", r->len);
  while (n < 0 && errno == EINTR);
  if (n < 0 || (size_t)n != r->len)
    return c->svc->error (c, n < 0 ? errno : EIO, "write %s", path);
  return 0;
}

/* Removes the empty child cgroups under PATH, deepest first: a cgroup the
 * container made for itself below its own. Failures are left to the
 * caller's rmdir of PATH to report. */
static void
remove_children (const char *path, int depth)
{
  DIR *d;
  struct dirent *de;

  if (depth > 32 || (d = opendir (path)) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      char sub[PATH_MAX];

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if ((size_t)snprintf (sub, sizeof (sub), "%s/%s", path, de->d_name) >= sizeof (sub))
        continue;
      remove_children (sub, depth + 1);
      rmdir (sub);
    }
  closedir (d);
}

static long long
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* rmdir that waits a little for exiting processes to leave. */
static int
remove_cgroup (struct modrun_container *c, const char *path, long long deadline)
{
  for (;;)
    {
      struct timespec pause = { 0, CG1_RMDIR_PAUSE_NS };

      if (rmdir (path) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return c->svc->error (c, errno, "remove %s", path);
      remove_children (path, 0);
      if (rmdir (path) == 0 || errno == ENOENT)
        return 0;
      if (now_ns () >= deadline)
        return c->svc->error (c, EBUSY, "remove %s: processes remain in the cgroup", path);
      nanosleep (&pause, NULL);
    }
}

static void
undo_created (struct cg1_record *r)
{
  char *end;

  if (r->text == NULL)
    return;
  /* Deepest first: the record lists parents before children. */
  while (r->len > 0)
    {
      r->text[r->len - 1] = '\0';
      end = strrchr (r->text, '\n');
      rmdir (end ? end + 1 : r->text);
      r->len = end ? (size_t)(end - r->text) + 1 : 0;
    }
  r->text[0] = '\0';
}

/* Creates the components of H->dir below H->mount that do not exist. */
static int
create_one (struct modrun_container *c, struct cg1_hierarchy *h, struct cg1_record *r)
{
  char buf[PATH_MAX];
  size_t base = strlen (h->mount);
  char *p;
  int ret;

  /* Most often only the leaf is missing: one mkdir. */
  if (mkdir (h->dir, 0755) == 0)
    {
      h->created = true;
      h->fresh_len = strlen (h->dir);
      return record_add (c, r, h->dir);
    }
  if (errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return c->svc->error (c, errno, "create cgroup %s", h->dir);

  if ((size_t)snprintf (buf, sizeof (buf), "%s", h->dir) >= sizeof (buf))
    return c->svc->error (c, ENAMETOOLONG, "create cgroup %s", h->dir);
  for (p = buf + base + 1;; p++)
    {
      bool last = *p == '\0';

      if (*p != '/' && !last)
        continue;
      *p = '\0';
      if (mkdir (buf, 0755) == 0)
        {
          if (h->fresh_len == 0)
            h->fresh_len = strlen (buf);
          ret = record_add (c, r, buf);
          if (ret < 0)
            return ret;
          if (last)
            h->created = true;
        }
      else if (errno != EEXIST)
        return c->svc->error (c, errno, "create cgroup %s", buf);
      if (last)
        return 0;
      *p = '/';
    }
}

int
cg1_create_dirs (struct modrun_container *c, struct cg1_host *host)
{
  struct cg1_record r = { NULL, 0 };
  size_t i;
  int ret = 0;

  for (i = 0; i < host->n && ret == 0; i++)
    if (!host->h[i].by_systemd)
      ret = create_one (c, &host->h[i], &r);
  if (ret == 0)
    ret = record_save (c, &r);
  if (ret < 0)
    {
      /* Nothing of a failed prepare stays, and the record says so, so that
       * a destroy that follows never takes a cgroup that existed before. */
      undo_created (&r);
      r.len = 0;
      record_save (c, &r);
      for (i = 0; i < host->n; i++)
        {
          host->h[i].created = false;
          host->h[i].fresh_len = 0;
        }
    }
  free (r.text);
  return ret;
}

/* The number of processes in DIR and in the cgroups below it. */
static size_t
count_procs (const char *dir, int depth)
{
  char path[PATH_MAX];
  cleanup_cg1_free char *text = NULL;
  struct dirent *de;
  size_t n = 0;
  DIR *d;
  char *p;

  if (depth > 32 || (size_t)snprintf (path, sizeof (path), "%s/cgroup.procs", dir) >= sizeof (path))
    return 0;
  if (cg1_read_alloc (path, &text, NULL) == 0)
    for (p = text; *p; p++)
      if (*p == '\n')
        n++;
  if ((d = opendir (dir)) == NULL)
    return n;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || (size_t)snprintf (path, sizeof (path), "%s/%s", dir, de->d_name) >= sizeof (path))
        continue;
      n += count_procs (path, depth + 1);
    }
  closedir (d);
  return n;
}

int
cg1_check_unused (struct modrun_container *c, struct cg1_host *host)
{
  size_t i, n;

  for (i = 0; i < host->n; i++)
    {
      if (host->h[i].created || host->h[i].by_systemd)
        continue;
      n = count_procs (host->h[i].dir, 0);
      if (n > 0)
        return c->svc->error (
            c, 0, "linux.cgroupsPath: cgroup %s is not empty: %zu process%s in %s already",
            host->path, n, n == 1 ? "" : "es", host->h[i].dir);
    }
  return 0;
}

int
cg1_undo_dirs (struct modrun_container *c)
{
  struct cg1_record empty = { NULL, 0 };
  int ret = cg1_destroy_dirs (c);

  /* What is gone is no longer ours: a destroy that follows must not take
   * a directory someone else makes under the same name meanwhile. */
  if (ret == 0)
    ret = record_save (c, &empty);
  return ret;
}

/* Whether RECORD, lines of directories, holds one below DIR. */
static bool
holds_child (const char *record, const char *dir)
{
  size_t n = strlen (dir);
  const char *p;

  for (p = record; *p; p += strcspn (p, "\n"), p += *p == '\n')
    if (strncmp (p, dir, n) == 0 && p[n] == '/')
      return true;
  return false;
}

int
cg1_destroy_dirs (struct modrun_container *c)
{
  char path[PATH_MAX];
  cleanup_cg1_free char *text = NULL;
  cleanup_cg1_free char *all = NULL;
  long long deadline = now_ns () + CG1_RMDIR_TIMEOUT_NS;
  int ret, first = 0;

  if (c->svc->state_path (c, CG1_RECORD_NAME, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "the state directory path of %s is too long",
                          CG1_RECORD_NAME);
  ret = cg1_read_alloc (path, &text, NULL);
  /* No record: prepare made nothing, and a cgroup of that path is someone
   * else's (a create refused for a cgroup in use, say). */
  if (ret == -ENOENT)
    return 0;
  if (ret < 0)
    return c->svc->error (c, -ret, "read %s", path);
  all = strdup (text);
  if (all == NULL)
    return c->svc->error (c, ENOMEM, "read %s", path);

  {
    size_t len = strlen (text);

    while (len > 0)
      {
        char *line;

        text[len - 1] = '\0';
        line = strrchr (text, '\n');
        line = line ? line + 1 : text;
        if (line[0] == '/' && holds_child (all, line))
          {
            /* A parent made on the way: another container may have put
             * its own cgroup in it since. Removed only once empty. */
            if (rmdir (line) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY
                && first == 0)
              first = c->svc->error (c, errno, "remove %s", line);
          }
        else if (line[0] == '/')
          {
            ret = remove_cgroup (c, line, deadline);
            if (ret < 0 && first == 0)
              first = ret;
          }
        len = (size_t)(line - text);
      }
  }
  return first;
}

int
cg1_mark_systemd_dirs (struct modrun_container *c, struct cg1_host *host)
{
  char path[PATH_MAX];
  cleanup_cg1_free char *text = NULL;
  size_t i;
  int ret;

  if (c->svc->state_path (c, CG1_RECORD_NAME, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "the state directory path of %s is too long",
                          CG1_RECORD_NAME);
  ret = cg1_read_alloc (path, &text, NULL);
  if (ret < 0 && ret != -ENOENT)
    return c->svc->error (c, -ret, "read %s", path);
  for (i = 0; i < host->n; i++)
    {
      size_t n = strlen (host->h[i].dir);
      const char *p;
      bool ours = false;

      for (p = text ? text : ""; *p && !ours; p += strcspn (p, "\n"), p += *p == '\n')
        ours = strncmp (p, host->h[i].dir, n) == 0 && (p[n] == '\n' || p[n] == '\0');
      host->h[i].by_systemd = !ours;
    }
  return 0;
}
