/* cgroups-libcgroup: the host as libcgroup sees it, and the container's
 * cgroups: made, joined and removed through libcgroup, with a record of
 * what was made so that another process can remove exactly that. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <libcgroup.h>

#include "cgroups-libcgroup.h"
#include "systemd-path.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* libcgroup keeps a value in a buffer of this size, its terminator included. */
#define LCG_VALUE_MAX 4096
/* How long destroy keeps trying to remove a cgroup whose last processes
 * are still exiting. */
#define LCG_RMDIR_TIMEOUT_NS 1000000000LL
#define LCG_RMDIR_PAUSE_NS 10000000L

static void
lcg_freep (void *p)
{
  free (*(void **)p);
}
#define cleanup_lcg_free __attribute__ ((cleanup (lcg_freep)))

static void
lcg_cgroup_freep (struct cgroup **cg)
{
  if (*cg != NULL)
    cgroup_free (cg);
}
#define cleanup_lcg_cgroup __attribute__ ((cleanup (lcg_cgroup_freep)))

static long long
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *
lcg_strerror (int code, char *buf, size_t len)
{
  if (code == ECGOTHER && cgroup_get_last_errno () != 0)
    snprintf (buf, len, "%s", strerror (cgroup_get_last_errno ()));
  else
    snprintf (buf, len, "%s", cgroup_strerror (code));
  return buf;
}

/* libcgroup's own messages go to the debug log of the container whose
 * stage is running. */
static void
lcg_logger (void *userdata, int level, const char *fmt, va_list ap)
{
  struct modrun_container *c = userdata;
  char line[512];
  size_t len;

  (void)level;
  vsnprintf (line, sizeof (line), fmt, ap);
  len = strlen (line);
  while (len > 0 && line[len - 1] == '\n')
    line[--len] = '\0';
  c->svc->log (c, MODRUN_LOG_DEBUG, LCG_NAME ": libcgroup: %s", line);
}

void
lcg_host_clear (struct lcg_host *host)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    {
      free (host->ctl[i].name);
      free (host->ctl[i].mount);
    }
  free (host->ctl);
  free (host->path);
  free (host->unit);
  memset (host, 0, sizeof (*host));
}

static int
add_controller (struct lcg_host *host, const char *name, const char *mount)
{
  struct lcg_controller *ctl = realloc (host->ctl, (host->n + 1) * sizeof (*ctl));
  struct statfs sfs;

  if (ctl == NULL)
    return -ENOMEM;
  host->ctl = ctl;
  ctl = &host->ctl[host->n];
  memset (ctl, 0, sizeof (*ctl));
  ctl->name = strdup (name);
  ctl->mount = strdup (mount);
  if (ctl->name == NULL || ctl->mount == NULL)
    {
      free (ctl->name);
      free (ctl->mount);
      return -ENOMEM;
    }
  ctl->v2 = statfs (mount, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
  host->n++;
  return 0;
}

int
lcg_host_load (struct modrun_container *c, struct lcg_host *host)
{
  struct cgroup_mount_point info;
  void *handle = NULL;
  char why[256];
  size_t i, n_v2 = 0;
  int ret;

  cgroup_set_logger (lcg_logger, CGROUP_LOG_INFO, c);
  ret = cgroup_init ();
  if (ret != 0)
    return c->svc->error (c, 0, "libcgroup cannot work on this host: cgroup_init: %s",
                          lcg_strerror (ret, why, sizeof (why)));

  ret = cgroup_get_controller_begin (&handle, &info);
  while (ret == 0)
    {
      if (add_controller (host, info.name, info.path) < 0)
        {
          cgroup_get_controller_end (&handle);
          return c->svc->error (c, ENOMEM, "list the cgroup controllers");
        }
      ret = cgroup_get_controller_next (&handle, &info);
    }
  cgroup_get_controller_end (&handle);
  if (ret != ECGEOF)
    return c->svc->error (c, 0, "libcgroup: list the cgroup controllers: %s",
                          lcg_strerror (ret, why, sizeof (why)));
  if (host->n == 0)
    return c->svc->error (c, 0, "libcgroup finds no cgroup controller mounted on this host");

  for (i = 0; i < host->n; i++)
    n_v2 += host->ctl[i].v2;
  host->v2 = n_v2 == host->n;
  host->mixed = n_v2 > 0 && !host->v2;
  /* The cgroup2 hierarchy of a hybrid host is left alone: libcgroup would
   * enable its controllers in the host's root cgroup, which is not the
   * runtime's to change. */
  for (i = 0; i < host->n; i++)
    host->ctl[i].used = !host->mixed || !host->ctl[i].v2;
  return 0;
}

struct lcg_controller *
lcg_host_find (struct lcg_host *host, const char *name)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    if (host->ctl[i].used && strcmp (host->ctl[i].name, name) == 0)
      return &host->ctl[i];
  return NULL;
}

int
lcg_missing_controller (struct modrun_container *c, struct lcg_host *host, const char *name,
                        const char *field)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    if (strcmp (host->ctl[i].name, name) == 0 && !host->ctl[i].used)
      return c->svc->error (
          c, 0,
          "%s: the %s controller is on the cgroup2 hierarchy of this hybrid host, which "
          "cgroups-libcgroup leaves alone",
          field, name);
  return c->svc->error (c, 0, "%s: libcgroup finds no %s controller mounted on this host", field,
                        name);
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
  /* The record of what prepare made holds one cgroup a line. */
  if (strchr (given, '\n') != NULL)
    {
      free (res);
      return c->svc->error (c, 0, "linux.cgroupsPath: a newline is not allowed");
    }
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
lcg_host_set_path (struct modrun_container *c, struct lcg_host *host)
{
  const modrun_json *linux_obj = modrun_json_get (c->config, "linux");
  const char *given = NULL;
  char *path = NULL;
  int ret;

  if (linux_obj != NULL)
    {
      ret = c->svc->get_string (c, linux_obj, "linux", "cgroupsPath", &given);
      if (ret < 0)
        return ret;
    }
  if ((c->options & MODRUN_OPT_SYSTEMD_CGROUP) || cgroup_systemd_marked (c, LCG_SYSTEMD_NAME))
    {
      struct cgroup_systemd_unit u;

      if ((ret = cgroup_systemd_resolve (c, given, &u)) < 0)
        return ret;
      free (host->unit);
      host->unit = strdup (u.unit);
      free (host->path);
      host->path = strdup (u.path);
      if (host->unit == NULL || host->path == NULL)
        return c->svc->error (c, ENOMEM, "linux.cgroupsPath");
      return 0;
    }
  if (given == NULL || *given == '\0')
    {
      if (c->id == NULL)
        return c->svc->error (c, 0, "linux.cgroupsPath: no container id to name the cgroup");
      given = c->id;
    }
  /* Taken below each hierarchy's root, relative or not, as libcgroup
   * takes every cgroup name. */
  ret = canonical_path (c, given, &path);
  if (ret < 0)
    return ret;
  free (host->path);
  host->path = path;
  return 0;
}

/* The mount point of controller NAME, "cgroup" (the core files of
 * cgroup2) included, whether the container uses it or not. */
static const char *
mount_of (struct lcg_host *host, const char *name)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    if (strcmp (host->ctl[i].name, name) == 0 || (strcmp (name, "cgroup") == 0 && host->ctl[i].v2))
      return host->ctl[i].mount;
  return "?";
}

static int
count_lines (const char *s)
{
  int n = 1;

  for (; *s; s++)
    n += *s == '\n';
  return n;
}

int
lcg_write (struct modrun_container *c, struct lcg_host *host, const char *ctl, const char *path,
           const char *file, const char *value)
{
  cleanup_lcg_cgroup struct cgroup *cg = NULL;
  struct cgroup_controller *cc;
  char why[256];
  int ret;

  if (path == NULL)
    path = host->path;
  if (strlen (value) >= LCG_VALUE_MAX)
    return c->svc->error (c, 0, "%s%s/%s: the value is longer than libcgroup takes (%d bytes)",
                          mount_of (host, ctl), path, file, LCG_VALUE_MAX - 1);
  cg = cgroup_new_cgroup (path);
  cc = cg != NULL ? cgroup_add_controller (cg, ctl) : NULL;
  if (cc == NULL || cgroup_add_value_string (cc, file, value) != 0)
    return c->svc->error (c, ENOMEM, "%s%s/%s", mount_of (host, ctl), path, file);
  if (strchr (value, '\n') == NULL)
    c->svc->log (c, MODRUN_LOG_DEBUG, LCG_NAME ": %s:%s/%s = \"%s\"", ctl, path, file, value);
  else
    c->svc->log (c, MODRUN_LOG_DEBUG, LCG_NAME ": %s:%s/%s = %d lines from \"%.*s\"", ctl, path,
                 file, count_lines (value), (int)strcspn (value, "\n"), value);
  ret = cgroup_modify_cgroup (cg);
  if (ret != 0)
    return c->svc->error (c, 0, "%s%s/%s: write \"%s\": %s", mount_of (host, ctl), path, file,
                          value, lcg_strerror (ret, why, sizeof (why)));
  return 0;
}

int
lcg_read (const char *ctl, const char *path, const char *file, char *buf, size_t len)
{
  void *handle = NULL;
  size_t n;
  int ret;

  buf[0] = '\0';
  ret = cgroup_read_value_begin (ctl, path, (char *)file, &handle, buf, (int)len);
  if (handle != NULL)
    cgroup_read_value_end (&handle);
  if (ret != 0)
    return ret;
  n = strlen (buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  return 0;
}

bool
lcg_root_has (struct lcg_controller *ctl, const char *file)
{
  char path[PATH_MAX];

  if ((size_t)snprintf (path, sizeof (path), "%s/%s", ctl->mount, file) >= sizeof (path))
    return false;
  return access (path, F_OK) == 0;
}

/* The record of what prepare made. */

static int
record_path (struct modrun_container *c, char *buf, size_t len)
{
  if (c->svc->state_path (c, LCG_RECORD_NAME, buf, len) < 0)
    return c->svc->error (c, ENAMETOOLONG, "the state path of %s", LCG_RECORD_NAME);
  return 0;
}

/* Appends to TEXT a line for each level of PATH missing under controller
 * CTL, parents first. */
static int
record_fresh (struct lcg_controller *ctl, const char *path, char **text, size_t *len)
{
  char dir[PATH_MAX];
  size_t i, plen = strlen (path);
  bool missing = false;

  for (i = 1; i <= plen; i++)
    {
      struct stat st;
      char *more;
      int n;

      if (i < plen && path[i] != '/')
        continue;
      if (!missing)
        {
          if ((size_t)snprintf (dir, sizeof (dir), "%s%.*s", ctl->mount, (int)i, path)
              >= sizeof (dir))
            return -ENAMETOOLONG;
          missing = stat (dir, &st) < 0 && errno == ENOENT;
        }
      if (!missing)
        continue;
      more = realloc (*text, *len + strlen (ctl->name) + i + 3);
      if (more == NULL)
        return -ENOMEM;
      *text = more;
      n = sprintf (*text + *len, "%s %.*s\n", ctl->name, (int)i, path);
      *len += (size_t)n;
    }
  return 0;
}

static int
write_record (struct modrun_container *c, const char *text, size_t len)
{
  char path[PATH_MAX];
  int fd, ret = record_path (c, path, sizeof (path));

  if (ret < 0)
    return ret;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return c->svc->error (c, errno, "create %s", path);
  if (len > 0 && write (fd, text, len) != (ssize_t)len)
    {
      ret = c->svc->error (c, errno ? errno : EIO, "write %s", path);
      close (fd);
      return ret;
    }
  if (close (fd) < 0)
    return c->svc->error (c, errno, "write %s", path);
  return 0;
}

/* A cgroup holding the used controllers, named PATH. */
static struct cgroup *
new_group (struct lcg_host *host, const char *path)
{
  struct cgroup *cg = cgroup_new_cgroup (path);
  size_t i;

  for (i = 0; cg != NULL && i < host->n; i++)
    if (host->ctl[i].used && cgroup_add_controller (cg, host->ctl[i].name) == NULL)
      cgroup_free (&cg);
  return cg;
}

/* A new cgroup v1 cpuset has empty cpuset.cpus and cpuset.mems, and no
 * task can join it until both are set: each level prepare made gets its
 * parent's, top down; the leaf gets what linux.resources says instead. */
static int
cpuset_init (struct modrun_container *c, struct lcg_host *host, const char *record,
             const modrun_json *res)
{
  const modrun_json *cpu = modrun_json_get (res, "cpu");
  static const char *const keys[] = { "cpus", "mems" };
  const char *line;
  char path[PATH_MAX];
  int ret;

  for (line = record; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      size_t len = strcspn (line, "\n"), name_len = strcspn (line, " "), k;
      char name[64], *slash;

      /* The levels made in the cpuset hierarchy, whichever controller
       * mounted with it names them. */
      if (name_len >= sizeof (name) || name_len >= len || len - name_len - 1 >= sizeof (path))
        continue;
      snprintf (name, sizeof (name), "%.*s", (int)name_len, line);
      if (strcmp (mount_of (host, name), mount_of (host, "cpuset")) != 0)
        continue;
      memcpy (path, line + name_len + 1, len - name_len - 1);
      path[len - name_len - 1] = '\0';
      for (k = 0; k < 2; k++)
        {
          const modrun_json *want = modrun_json_get (cpu, keys[k]);
          char file[32], value[LCG_VALUE_MAX], why[256];

          if (strcmp (path, host->path) == 0 && want != NULL && want->type == MODRUN_JSON_STRING
              && want->length > 0)
            continue;
          snprintf (file, sizeof (file), "cpuset.%s", keys[k]);
          slash = strrchr (path, '/');
          *slash = '\0';
          ret = lcg_read ("cpuset", *path ? path : "/", file, value, sizeof (value));
          *slash = '/';
          if (ret != 0 || value[0] == '\0')
            return c->svc->error (c, 0, "%s%.*s/%s: %s", mount_of (host, "cpuset"),
                                  (int)(slash - path), path, file,
                                  ret != 0 ? lcg_strerror (ret, why, sizeof (why))
                                           : "empty, nothing to give the cgroups below");
          ret = lcg_write (c, host, "cpuset", path, file, value);
          if (ret < 0)
            return ret;
        }
    }
  return 0;
}

/* Whether a used controller before controller I is mounted where it is
 * (co-mounted v1 controllers, every controller of cgroup2): its levels are
 * recorded once. */
static bool
same_mount_before (struct lcg_host *host, size_t i)
{
  size_t k;

  for (k = 0; k < i; k++)
    if (host->ctl[k].used && strcmp (host->ctl[k].mount, host->ctl[i].mount) == 0)
      return true;
  return false;
}

int
lcg_create (struct modrun_container *c, struct lcg_host *host, const modrun_json *res)
{
  cleanup_lcg_cgroup struct cgroup *cg = NULL;
  cleanup_lcg_free char *record = NULL;
  size_t len = 0, i;
  char why[256];
  int ret;

  for (i = 0; i < host->n; i++)
    if (host->ctl[i].used && !same_mount_before (host, i)
        && (ret = record_fresh (&host->ctl[i], host->path, &record, &len)) < 0)
      return c->svc->error (c, -ret, "%s%s", host->ctl[i].mount, host->path);
  ret = write_record (c, record ? record : "", len);
  if (ret < 0)
    return ret;

  cg = new_group (host, host->path);
  if (cg == NULL)
    return c->svc->error (c, ENOMEM, "cgroup %s", host->path);
  ret = cgroup_create_cgroup (cg, 1);
  if (ret != 0)
    ret = c->svc->error (c, 0, "create the cgroup %s: %s", host->path,
                         lcg_strerror (ret, why, sizeof (why)));
  if (ret == 0 && lcg_host_find (host, "cpuset") != NULL && !host->v2 && record != NULL)
    ret = cpuset_init (c, host, record, res);
  if (ret == 0)
    ret = lcg_apply_resources (c, host, res, true);
  if (ret < 0)
    lcg_undo (c);
  return ret;
}

int
lcg_attach (struct modrun_container *c, struct lcg_host *host)
{
  cleanup_lcg_cgroup struct cgroup *cg = new_group (host, host->path);
  char why[256];
  int ret;

  if (cg == NULL)
    return c->svc->error (c, ENOMEM, "cgroup %s", host->path);
  ret = cgroup_attach_task_pid (cg, c->pid);
  if (ret != 0)
    return c->svc->error (c, 0, "move pid %d into the cgroup %s: %s", (int)c->pid, host->path,
                          lcg_strerror (ret, why, sizeof (why)));
  return 0;
}

/* Removes the cgroup PATH of controller CTL, the cgroups below it first.
 * Returns 0 or a libcgroup error code. */
static int
remove_group (const char *ctl, const char *path)
{
  cleanup_lcg_cgroup struct cgroup *cg = NULL;
  struct cgroup_file_info info;
  void *handle = NULL;
  size_t base = 0;
  int level, ret;

  ret = cgroup_walk_tree_begin (ctl, path, 0, &handle, &info, &level);
  if (ret == 0)
    {
      base = strlen (info.full_path);
      ret = cgroup_walk_tree_set_flags (&handle, CGROUP_WALK_TYPE_POST_DIR);
    }
  while (ret == 0)
    {
      ret = cgroup_walk_tree_next (0, &handle, &info, level);
      if (ret == 0 && info.type == CGROUP_FILE_TYPE_DIR && info.depth > 0)
        {
          char child[PATH_MAX];
          int cret;

          snprintf (child, sizeof (child), "%s/%s", path, info.full_path + base);
          cg = cgroup_new_cgroup (child);
          if (cg == NULL || cgroup_add_controller (cg, ctl) == NULL)
            ret = ECGOTHER;
          else if ((cret = cgroup_delete_cgroup_ext (cg, CGFLAG_DELETE_EMPTY_ONLY)) != 0)
            ret = cret;
          if (cg != NULL)
            cgroup_free (&cg);
        }
    }
  if (handle != NULL)
    cgroup_walk_tree_end (&handle);
  /* A cgroup already gone is no walk at all. */
  if (ret != 0 && ret != ECGEOF && ret != ECGROUPNOTEXIST && ret != ECGOTHER)
    return ret;

  cg = cgroup_new_cgroup (path);
  if (cg == NULL || cgroup_add_controller (cg, ctl) == NULL)
    return ECGOTHER;
  return cgroup_delete_cgroup_ext (cg, CGFLAG_DELETE_EMPTY_ONLY);
}

/* Errors of a removal that undoes a failed prepare are not recorded: the
 * one the user reads is what made prepare fail. */
#define LCG_FAIL(quiet, c, errnum, ...)                                                            \
  ((quiet) ? -EIO : (c)->svc->error ((c), (errnum), __VA_ARGS__))

static int
destroy_recorded (struct modrun_container *c, bool quiet)
{
  struct lcg_host host = { 0 };
  cleanup_lcg_free char *text = NULL;
  char path[PATH_MAX], why[256];
  long long deadline = 0;
  size_t size = 0, cap = 0;
  int fd, first = 0;
  char *line;

  if (c->svc->state_path (c, LCG_RECORD_NAME, path, sizeof (path)) < 0)
    return LCG_FAIL (quiet, c, ENAMETOOLONG, "the state path of %s", LCG_RECORD_NAME);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return LCG_FAIL (quiet, c, errno, "read %s", path);
  for (;;)
    {
      ssize_t n;

      if (cap - size < 1024)
        {
          char *more = realloc (text, cap + 4096);

          if (more == NULL)
            {
              close (fd);
              return LCG_FAIL (quiet, c, ENOMEM, "read %s", path);
            }
          text = more;
          cap += 4096;
        }
      n = read (fd, text + size, cap - size - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      size += (size_t)n;
    }
  close (fd);
  if (text == NULL)
    return 0;
  text[size] = '\0';

  if (size > 0)
    {
      int ret = lcg_host_load (c, &host);

      lcg_host_clear (&host);
      if (ret < 0)
        return ret;
    }

  /* Deepest first: the lines are parents first, so from the end. */
  while (size > 0)
    {
      char *sp;
      int ret;

      text[size] = '\0';
      if (text[size - 1] == '\n')
        text[--size] = '\0';
      line = strrchr (text, '\n');
      line = line ? line + 1 : text;
      size = (size_t)(line - text);
      sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      for (;;)
        {
          ret = remove_group (line, sp + 1);
          if (ret != ECGNONEMPTY && !(ret == ECGOTHER && cgroup_get_last_errno () == EBUSY))
            break;
          if (deadline == 0)
            deadline = now_ns () + LCG_RMDIR_TIMEOUT_NS;
          if (now_ns () >= deadline)
            break;
          nanosleep (&(struct timespec){ 0, LCG_RMDIR_PAUSE_NS }, NULL);
        }
      if (ret != 0 && first == 0)
        first = LCG_FAIL (quiet, c, 0, "remove the cgroup %s of %s: %s", sp + 1, line,
                          ret == ECGNONEMPTY ? "processes are still in it"
                                             : lcg_strerror (ret, why, sizeof (why)));
    }
  if (first < 0)
    return first;
  if (unlink (path) < 0 && errno != ENOENT)
    return LCG_FAIL (quiet, c, errno, "remove %s", path);
  return 0;
}

int
lcg_destroy (struct modrun_container *c)
{
  return destroy_recorded (c, false);
}

void
lcg_undo (struct modrun_container *c)
{
  destroy_recorded (c, true);
}

bool
lcg_made_leaf (struct modrun_container *c, struct lcg_host *host, const char *name)
{
  char path[PATH_MAX], line[PATH_MAX + 64];
  const char *mount = mount_of (host, name);
  bool made = false;
  FILE *f;

  if (record_path (c, path, sizeof (path)) < 0 || (f = fopen (path, "re")) == NULL)
    return false;
  while (!made && fgets (line, sizeof (line), f) != NULL)
    {
      char *sp = strchr (line, ' ');

      line[strcspn (line, "\n")] = '\0';
      if (sp == NULL)
        continue;
      *sp = '\0';
      made = strcmp (sp + 1, host->path) == 0 && strcmp (mount_of (host, line), mount) == 0;
    }
  fclose (f);
  return made;
}
