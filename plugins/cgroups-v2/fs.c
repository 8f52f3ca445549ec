/* cgroups-v2: finding the unified hierarchy, the container's directory in
 * it, reading and writing cgroupfs files, creating and removing cgroups. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups-v2.h"
#include "systemd-path.h"

/* How long destroy keeps trying to remove a cgroup whose last processes
 * are still exiting. */
#define CG2_RMDIR_TIMEOUT_NS 5000000000LL

static const struct
{
  const char *name;
  unsigned int bit;
} cg2_controllers[] = {
  { "cpuset", CG2_CPUSET }, { "cpu", CG2_CPU },         { "io", CG2_IO },
  { "memory", CG2_MEMORY }, { "hugetlb", CG2_HUGETLB }, { "pids", CG2_PIDS },
  { "rdma", CG2_RDMA },     { "misc", CG2_MISC },       { "cgroup", CG2_CORE },
};

#define N_CONTROLLERS (sizeof (cg2_controllers) / sizeof (cg2_controllers[0]))

void
cg2_freep (void *p)
{
  free (*(void **)p);
}

void
cg2_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

long long
cg2_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
cg2_pause_ns (long ns)
{
  struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

  nanosleep (&ts, NULL);
}

unsigned int
cg2_controller_bit (const char *name, size_t len)
{
  size_t i;

  for (i = 0; i < N_CONTROLLERS; i++)
    if (strlen (cg2_controllers[i].name) == len
        && strncmp (cg2_controllers[i].name, name, len) == 0)
      return cg2_controllers[i].bit;
  return 0;
}

const char *
cg2_controller_name (unsigned int bit)
{
  size_t i;

  for (i = 0; i < N_CONTROLLERS; i++)
    if (cg2_controllers[i].bit == bit)
      return cg2_controllers[i].name;
  return "?";
}

unsigned int
cg2_parse_controllers (const char *list)
{
  unsigned int mask = 0;
  const char *p = list;
  size_t len;

  while (*p)
    {
      while (*p == ' ' || *p == '\n')
        p++;
      len = strcspn (p, " \n");
      if (len > 0)
        mask |= cg2_controller_bit (p, len);
      p += len;
    }
  return mask & ~CG2_CORE;
}

void
cg2_host_clear (struct cg2_host *host)
{
  free (host->mount);
  free (host->path);
  free (host->dir);
  free (host->unit);
  memset (host, 0, sizeof (*host));
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

/* Splits a mountinfo line into its root, mount point and file system
 * type (pointers into LINE). Returns false for a line it cannot read. */
static bool
split_mountinfo (char *line, char **root, char **mnt, char **fstype)
{
  char *save = NULL, *tok;
  int i;

  for (i = 0; i < 5; i++)
    {
      tok = strtok_r (i == 0 ? line : NULL, " \n", &save);
      if (tok == NULL)
        return false;
      if (i == 3)
        *root = tok;
      else if (i == 4)
        *mnt = tok;
    }
  while ((tok = strtok_r (NULL, " \n", &save)) != NULL && strcmp (tok, "-") != 0)
    ;
  if (tok == NULL || (*fstype = strtok_r (NULL, " \n", &save)) == NULL)
    return false;
  unescape_mountinfo (*mnt);
  unescape_mountinfo (*root);
  return true;
}

int
cg2_host_load (struct modrun_container *c, struct cg2_host *host)
{
  cleanup_cg2_free char *v1 = NULL;
  char *line = NULL, *root = NULL, *mnt = NULL, *fstype = NULL, buf[4096];
  size_t cap = 0;
  FILE *f;

  f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return c->svc->error (c, errno, "cannot open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      if (!split_mountinfo (line, &root, &mnt, &fstype))
        continue;
      if (strcmp (fstype, "cgroup") == 0 && v1 == NULL)
        v1 = strdup (mnt);
      else if (strcmp (fstype, "cgroup2") == 0 && strcmp (root, "/") == 0)
        {
          /* The usual place wins over any other mount of the hierarchy. */
          if (host->mount == NULL || strcmp (mnt, "/sys/fs/cgroup") == 0)
            {
              free (host->mount);
              host->mount = strdup (mnt);
            }
        }
    }
  free (line);
  fclose (f);

  if (v1 != NULL)
    return c->svc->error (
        c, 0, "a cgroup v1 hierarchy is mounted at %s: the host is not cgroup v2 only", v1);
  if (host->mount == NULL)
    return c->svc->error (c, ENOENT, "no cgroup2 file system in /proc/self/mountinfo");
  if (cg2_read_small (host->mount, "cgroup.controllers", buf, sizeof (buf)) < 0)
    return c->svc->error (c, errno, "%s/cgroup.controllers: cannot read", host->mount);
  host->available = cg2_parse_controllers (buf);
  return 0;
}

/* Checks one cgroupsPath and writes it, with a leading "/" and without
 * repeated or trailing slashes, into a new string. */
static int
normalize_path (struct modrun_container *c, const char *in, char **out)
{
  size_t len = strlen (in), i = 0, o = 0, seg;
  char *p = malloc (len + 2);

  if (p == NULL)
    return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
  while (i < len)
    {
      while (in[i] == '/')
        i++;
      seg = strcspn (in + i, "/");
      if (seg == 0)
        break;
      if ((seg == 1 && in[i] == '.') || (seg == 2 && in[i] == '.' && in[i + 1] == '.'))
        {
          free (p);
          return c->svc->error (
              c, 0, "config.json: linux.cgroupsPath: \"%s\": \".\" or \"..\" in it", in);
        }
      p[o++] = '/';
      memcpy (p + o, in + i, seg);
      o += seg;
      i += seg;
    }
  p[o] = '\0';
  if (o == 0)
    {
      free (p);
      return c->svc->error (
          c, 0, "config.json: linux.cgroupsPath: \"%s\": expected a cgroup below the root", in);
    }
  *out = p;
  return 0;
}

/* The scope systemd makes from the "slice:prefix:name" form. */
static int
set_systemd_path (struct modrun_container *c, struct cg2_host *host, const char *given)
{
  struct cgroup_systemd_unit u;
  int ret = cgroup_systemd_resolve (c, given, &u);

  if (ret < 0)
    return ret;
  host->path = strdup (u.path);
  host->unit = strdup (u.unit);
  if (host->path == NULL || host->unit == NULL
      || asprintf (&host->dir, "%s%s", host->mount, host->path) < 0)
    {
      host->dir = NULL;
      return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
    }
  return 0;
}

int
cg2_host_set_path (struct modrun_container *c, struct cg2_host *host)
{
  const modrun_json *linux_obj = modrun_json_get (c->config, "linux");
  const char *cg = NULL;
  char def[PATH_MAX];
  int ret;

  if (linux_obj != NULL)
    {
      ret = c->svc->get_string (c, linux_obj, "linux", "cgroupsPath", &cg);
      if (ret < 0)
        return ret;
    }
  if ((c->options & MODRUN_OPT_SYSTEMD_CGROUP) || cgroup_systemd_marked (c, CG2_SYSTEMD_NAME))
    return set_systemd_path (c, host, cg);
  if (cg == NULL || *cg == '\0')
    {
      if (c->id == NULL)
        return c->svc->error (c, EINVAL, "no container id and no linux.cgroupsPath");
      snprintf (def, sizeof (def), "/%s", c->id);
      cg = def;
    }
  /* A relative path is taken from the root of the hierarchy as well: the
   * runtime has no cgroup of its own to nest containers under. */
  ret = normalize_path (c, cg, &host->path);
  if (ret < 0)
    return ret;
  if (asprintf (&host->dir, "%s%s", host->mount, host->path) < 0)
    {
      host->dir = NULL;
      return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
    }
  return 0;
}

int
cg2_write (struct modrun_container *c, const char *dir, const char *file, const char *value,
           const char *field)
{
  char path[PATH_MAX];
  size_t len = strlen (value);
  ssize_t n;
  int fd, err;

  snprintf (path, sizeof (path), "%s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      err = errno;
      if (err == ENOENT && field != NULL)
        return c->svc->error (c, 0, "%s: this host cannot enforce it: %s does not exist", field,
                              path);
      return c->svc->error (c, err, "%s: cannot open for writing", path);
    }
  c->svc->log (c, MODRUN_LOG_DEBUG, "cgroups-v2: %s <- %s", path, value);
  n = write (fd, value, len);
  err = errno;
  close (fd);
  if (n < 0 || (size_t)n != len)
    {
      if (n >= 0)
        err = EIO;
      if (field != NULL)
        return c->svc->error (c, err, "%s: cannot write \"%s\" to %s", field, value, path);
      return c->svc->error (c, err, "%s: cannot write \"%s\"", path, value);
    }
  return 0;
}

ssize_t
cg2_read_small (const char *dir, const char *file, char *buf, size_t len)
{
  char path[PATH_MAX];
  ssize_t n;
  int fd, err;

  snprintf (path, sizeof (path), "%s/%s", dir, file);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  n = read (fd, buf, len - 1);
  err = errno;
  close (fd);
  if (n < 0)
    return -err;
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return n;
}

int
cg2_read_alloc (const char *dir, const char *file, char **out)
{
  char path[PATH_MAX], *buf = NULL, *nbuf;
  size_t len = 0, cap = 0;
  ssize_t n;
  int fd, err;

  snprintf (path, sizeof (path), "%s/%s", dir, file);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  for (;;)
    {
      if (cap - len < 4096)
        {
          cap = cap ? cap * 2 : 8192;
          nbuf = realloc (buf, cap);
          if (nbuf == NULL)
            {
              free (buf);
              close (fd);
              return -ENOMEM;
            }
          buf = nbuf;
        }
      n = read (fd, buf + len, cap - len - 1);
      if (n < 0)
        {
          err = errno;
          if (err == EINTR)
            continue;
          free (buf);
          close (fd);
          return -err;
        }
      if (n == 0)
        break;
      len += (size_t)n;
    }
  close (fd);
  buf[len] = '\0';
  *out = buf;
  return 0;
}

bool
cg2_file_exists (const char *dir, const char *file)
{
  char path[PATH_MAX];

  snprintf (path, sizeof (path), "%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

/* Appends DIR to the record of created directories. */
static int
record_dir (struct modrun_container *c, const char *dir)
{
  char path[PATH_MAX];
  int fd, err;
  ssize_t n;
  size_t len = strlen (dir);

  if (c->svc->state_path (c, CG2_RECORD_NAME, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "state path of %s", CG2_RECORD_NAME);
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return c->svc->error (c, errno, "%s: cannot open", path);
  n = write (fd, dir, len);
  if (n == (ssize_t)len)
    n = write (fd, "\n", 1) == 1 ? n : -1;
  err = errno;
  if (close (fd) < 0 && n >= 0)
    {
      err = errno;
      n = -1;
    }
  if (n != (ssize_t)len)
    return c->svc->error (c, n < 0 ? err : EIO, "%s: cannot write", path);
  return 0;
}

/* Enables the controllers of WANT in DIR's children. */
static int
enable_controllers (struct modrun_container *c, const char *dir, unsigned int need,
                    unsigned int want)
{
  char buf[1024], op[32];
  unsigned int enabled, bit;
  int ret;

  if (cg2_read_small (dir, "cgroup.subtree_control", buf, sizeof (buf)) < 0)
    return c->svc->error (c, errno, "%s/cgroup.subtree_control: cannot read", dir);
  enabled = cg2_parse_controllers (buf);
  for (bit = 1; bit < CG2_CORE; bit <<= 1)
    {
      if (!(want & bit) || (enabled & bit))
        continue;
      snprintf (op, sizeof (op), "+%s", cg2_controller_name (bit));
      if (!(need & bit))
        {
          /* Wanted for statistics only: a parent with processes of its
           * own cannot delegate, and that is no reason to fail. */
          char path[PATH_MAX];
          int fd;

          snprintf (path, sizeof (path), "%s/cgroup.subtree_control", dir);
          fd = open (path, O_WRONLY | O_CLOEXEC);
          if (fd >= 0)
            {
              if (write (fd, op, strlen (op)) < 0)
                c->svc->log (c, MODRUN_LOG_DEBUG, "cgroups-v2: %s: cannot enable %s, ignoring",
                             path, op + 1);
              close (fd);
            }
          continue;
        }
      ret = cg2_write (c, dir, "cgroup.subtree_control", op, NULL);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
cg2_create_dirs (struct modrun_container *c, struct cg2_host *host, unsigned int need,
                 unsigned int want)
{
  size_t mlen = strlen (host->mount), i;
  unsigned int bit;
  char dir[PATH_MAX];
  int ret;

  if (strlen (host->dir) >= sizeof (dir))
    return c->svc->error (c, ENAMETOOLONG, "linux.cgroupsPath: %s", host->path);
  for (bit = 1; bit < CG2_CORE; bit <<= 1)
    if ((need & bit) && !(host->available & bit))
      return c->svc->error (c, 0, "the %s controller is not in %s/cgroup.controllers",
                            cg2_controller_name (bit), host->mount);
  strcpy (dir, host->mount);
  /* From the root down: enable controllers in each parent, make each
   * missing directory. */
  for (i = mlen; host->dir[i] != '\0';)
    {
      size_t next = i + 1 + strcspn (host->dir + i + 1, "/");

      ret = enable_controllers (c, dir, need, want);
      if (ret < 0)
        return ret;
      memcpy (dir + i, host->dir + i, next - i);
      dir[next] = '\0';
      if (mkdir (dir, 0755) == 0)
        {
          ret = record_dir (c, dir);
          if (ret < 0)
            {
              rmdir (dir);
              return ret;
            }
        }
      else if (errno != EEXIST)
        return c->svc->error (c, errno, "%s: cannot create the cgroup", dir);
      i = next;
    }
  return 0;
}

/* Removes DIR's descendants (made by the container in its own cgroup
 * namespace), then DIR, retrying while its processes exit. */
static int
remove_tree (struct modrun_container *c, const char *dir, long long deadline)
{
  DIR *d;
  struct dirent *e;
  char sub[PATH_MAX];
  int ret;

  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : c->svc->error (c, errno, "%s: cannot open", dir);
  while ((e = readdir (d)) != NULL)
    {
      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      snprintf (sub, sizeof (sub), "%s/%s", dir, e->d_name);
      ret = remove_tree (c, sub, deadline);
      if (ret < 0)
        {
          closedir (d);
          return ret;
        }
    }
  closedir (d);
  for (;;)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || cg2_now_ns () > deadline)
        return c->svc->error (c, errno, "%s: cannot remove the cgroup", dir);
      cg2_pause_ns (10000000L);
    }
}

int
cg2_destroy_dirs (struct modrun_container *c, bool kill_first)
{
  cleanup_cg2_free char *rec = NULL;
  char path[PATH_MAX], *lines[64], *p, *nl;
  long long deadline;
  size_t n = 0;
  int ret, i;

  if (c->svc->state_path (c, CG2_RECORD_NAME, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "state path of %s", CG2_RECORD_NAME);
  ret = cg2_read_alloc ("", path, &rec);
  if (ret == -ENOENT)
    return 0;
  if (ret < 0)
    return c->svc->error (c, -ret, "%s: cannot read", path);
  for (p = rec; *p && n < sizeof (lines) / sizeof (lines[0]); p = nl + 1)
    {
      nl = strchr (p, '\n');
      if (nl == NULL)
        break;
      *nl = '\0';
      if (*p == '/')
        lines[n++] = p;
    }
  if (*p != '\0')
    return c->svc->error (c, E2BIG, "%s: more than %zu directories recorded", path, n);
  /* The last directory made is the container's own. */
  if (kill_first && n > 0 && access (lines[n - 1], F_OK) == 0)
    {
      ret = cg2_kill_all (c, lines[n - 1], SIGKILL);
      if (ret < 0)
        return ret;
    }
  deadline = cg2_now_ns () + CG2_RMDIR_TIMEOUT_NS;
  for (i = (int)n - 1; i >= 0; i--)
    {
      /* A parent made for this container may hold other containers by
       * now: it stays then. */
      if (i < (int)n - 1)
        {
          if (rmdir (lines[i]) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
            return c->svc->error (c, errno, "%s: cannot remove the cgroup", lines[i]);
          continue;
        }
      ret = remove_tree (c, lines[i], deadline);
      if (ret < 0)
        return ret;
    }
  if (unlink (path) < 0 && errno != ENOENT)
    return c->svc->error (c, errno, "%s: cannot remove", path);
  return 0;
}
