/* cgroups-v1: acting on a running container's cgroups: freezing, listing
 * and signalling its processes, reading its statistics. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroups-v1.h"

/* How long a freeze may stay FREEZING before it is given up. */
#define CG1_FREEZE_TIMEOUT_NS 5000000000LL
/* How long kill_all waits for a freeze before signalling without one. */
#define CG1_KILL_FREEZE_TIMEOUT_NS 1000000000LL
/* Rounds of signalling a cgroup without a freezer whose processes fork. */
#define CG1_KILL_ROUNDS 100

static long long
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
pause_ns (long ns)
{
  struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

  nanosleep (&ts, NULL);
}

/* The hierarchy whose cgroup.procs lists the container's processes: the
 * freezer's, as that is the one frozen while they are signalled. */
static struct cg1_hierarchy *
procs_hierarchy (struct cg1_host *host)
{
  static const unsigned int order[] = { CG1_FREEZER, CG1_PIDS, CG1_MEMORY, CG1_CPU };
  struct cg1_hierarchy *h;
  size_t i;

  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    if ((h = cg1_host_find (host, order[i])) != NULL)
      return h;
  return host->n_v1 > 0 ? &host->h[0] : NULL;
}

static int
freezer_state (struct cg1_hierarchy *h, char *buf, size_t len)
{
  ssize_t n = cg1_read_small (h->dir, "freezer.state", buf, len);

  return n < 0 ? (int)n : 0;
}

/* Writes VALUE to freezer.state; -errno, recording nothing. */
static int
write_state (struct cg1_hierarchy *h, const char *value)
{
  char path[PATH_MAX];
  int fd, ret = 0;

  if ((size_t)snprintf (path, sizeof (path), "%s/freezer.state", h->dir) >= sizeof (path))
    return -ENAMETOOLONG;
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (write (fd, value, strlen (value)) < 0)
    ret = -errno;
  close (fd);
  return ret;
}

/* Freezes H and waits until the kernel says FROZEN, or thaws it again and
 * returns -ETIMEDOUT after TIMEOUT_NS, with the last state in STATE. */
static int
freeze_wait (struct cg1_hierarchy *h, long long timeout_ns, char *state, size_t len)
{
  long long deadline = now_ns () + timeout_ns;
  long wait = 100000;
  int ret, round;

  for (round = 0;; round++)
    {
      /* A freeze can stall on a task that is busy in the kernel; asking
       * again now and then lets it complete. */
      if (round % 10 == 0 && (ret = write_state (h, "FROZEN")) < 0)
        return ret;
      ret = freezer_state (h, state, len);
      if (ret < 0)
        return ret;
      if (strcmp (state, "FROZEN") == 0)
        return 0;
      if (now_ns () >= deadline)
        {
          write_state (h, "THAWED");
          return -ETIMEDOUT;
        }
      pause_ns (wait);
      if (wait < 10000000)
        wait *= 2;
    }
}

int
cg1_freeze (struct modrun_container *c, struct cg1_host *host, bool frozen)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_FREEZER);
  char state[32] = "";
  int ret;

  if (h == NULL)
    return c->svc->error (c, 0,
                          "%s: the freezer controller is not mounted as cgroup v1 on this host",
                          frozen ? "pause" : "resume");
  if (!frozen)
    return cg1_write (c, h->dir, "freezer.state", "THAWED");
  ret = freeze_wait (h, CG1_FREEZE_TIMEOUT_NS, state, sizeof (state));
  if (ret == -ETIMEDOUT)
    return c->svc->error (c, ETIMEDOUT, "freeze %s: still %s after %lld s", h->dir, state,
                          CG1_FREEZE_TIMEOUT_NS / 1000000000LL);
  if (ret < 0)
    return c->svc->error (c, -ret, "freeze %s", h->dir);
  return 0;
}

struct pid_list
{
  pid_t *v;
  size_t n, cap;
};

static int
pid_list_add (struct pid_list *l, pid_t pid)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 64;
      pid_t *v = realloc (l->v, cap * sizeof (*v));

      if (v == NULL)
        return -ENOMEM;
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = pid;
  return 0;
}

static bool
pid_list_has (const struct pid_list *l, pid_t pid)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    if (l->v[i] == pid)
      return true;
  return false;
}

/* The processes of DIR and of the cgroups below it. */
static int
collect_pids (const char *dir, struct pid_list *l, int depth)
{
  char path[PATH_MAX];
  char *text = NULL, *p, *end;
  DIR *d;
  struct dirent *de;
  int ret;

  if ((size_t)snprintf (path, sizeof (path), "%s/cgroup.procs", dir) >= sizeof (path))
    return -ENAMETOOLONG;
  ret = cg1_read_alloc (path, &text, NULL);
  if (ret < 0)
    return ret;
  for (p = text; *p; p = end)
    {
      long v = strtol (p, &end, 10);

      if (end == p)
        break;
      if (v > 0 && (ret = pid_list_add (l, (pid_t)v)) < 0)
        break;
    }
  free (text);
  if (ret < 0 || depth > 32)
    return ret;

  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -errno;
  while ((de = readdir (d)) != NULL && ret == 0)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if ((size_t)snprintf (path, sizeof (path), "%s/%s", dir, de->d_name) >= sizeof (path))
        continue;
      ret = collect_pids (path, l, depth + 1);
      if (ret == -ENOENT)
        ret = 0;
    }
  closedir (d);
  return ret;
}

int
cg1_pids (struct modrun_container *c, struct cg1_host *host, pid_t **pids, size_t *n)
{
  struct cg1_hierarchy *h = procs_hierarchy (host);
  struct pid_list l = { NULL, 0, 0 };
  int ret;

  *pids = NULL;
  *n = 0;
  if (h == NULL)
    return c->svc->error (c, ENOENT, "no cgroup v1 hierarchy is mounted on this host");
  ret = collect_pids (h->dir, &l, 0);
  if (ret == -ENOENT)
    ret = 0;
  if (ret < 0)
    {
      free (l.v);
      return c->svc->error (c, -ret, "read %s/cgroup.procs", h->dir);
    }
  *pids = l.v;
  *n = l.n;
  return 0;
}

/* Signals the processes of the cgroup not signalled yet; returns how many
 * it found. */
static int
signal_round (struct cg1_hierarchy *h, int signo, struct pid_list *done)
{
  struct pid_list now = { NULL, 0, 0 };
  size_t i;
  int ret = collect_pids (h->dir, &now, 0), found = 0;

  for (i = 0; ret == 0 && i < now.n; i++)
    {
      if (pid_list_has (done, now.v[i]))
        continue;
      if (kill (now.v[i], signo) < 0 && errno != ESRCH)
        ret = -errno;
      else
        {
          ret = pid_list_add (done, now.v[i]);
          found++;
        }
    }
  free (now.v);
  if (ret == -ENOENT)
    return 0;
  return ret < 0 ? ret : found;
}

int
cg1_kill_all (struct modrun_container *c, struct cg1_host *host, int signo)
{
  struct cg1_hierarchy *h = procs_hierarchy (host);
  struct cg1_hierarchy *fz = cg1_host_find (host, CG1_FREEZER);
  struct pid_list done = { NULL, 0, 0 };
  bool was_frozen = false, froze = false;
  char state[32];
  int ret = 0, round;

  if (h == NULL)
    return c->svc->error (c, ENOENT, "no cgroup v1 hierarchy is mounted on this host");
  if (access (h->dir, F_OK) < 0)
    return 0;

  /* Frozen, the processes cannot fork new ones behind the signals. */
  if (fz != NULL && freezer_state (fz, state, sizeof (state)) == 0)
    {
      /* Without a freeze, signalling goes on in rounds instead. */
      was_frozen = strcmp (state, "FROZEN") == 0;
      froze
          = was_frozen || freeze_wait (fz, CG1_KILL_FREEZE_TIMEOUT_NS, state, sizeof (state)) == 0;
    }

  for (round = 0; round < CG1_KILL_ROUNDS; round++)
    {
      ret = signal_round (h, signo, &done);
      if (ret <= 0 || froze)
        break;
    }

  /* A frozen process acts on SIGKILL only once thawed. A container that
   * was paused stays so for any other signal. */
  if (froze && (!was_frozen || signo == SIGKILL))
    {
      int tret = write_state (fz, "THAWED");

      if (ret >= 0 && tret < 0)
        ret = tret;
    }
  if (ret >= 0 && froze && signo == SIGKILL)
    for (round = 0; round < CG1_KILL_ROUNDS && (ret = signal_round (h, signo, &done)) > 0; round++)
      ;
  free (done.v);
  if (ret < 0)
    return c->svc->error (c, -ret, "signal the processes of %s", h->dir);
  return 0;
}

/* Statistics, in the shape of runc's "events --stats" data. */

static bool
read_u64 (const char *dir, const char *file, int64_t *out)
{
  char buf[64], *end;
  ssize_t n = cg1_read_small (dir, file, buf, sizeof (buf));
  unsigned long long v;

  if (n <= 0)
    return false;
  v = strtoull (buf, &end, 10);
  if (end == buf)
    return false;
  *out = v > INT64_MAX ? INT64_MAX : (int64_t)v;
  return true;
}

static int
add_u64 (struct modrun_container *c, modrun_json *obj, const char *key, const char *dir,
         const char *file)
{
  int64_t v;

  if (!read_u64 (dir, file, &v))
    return 0;
  return c->svc->json_add_int (obj, key, v);
}

/* {"limit", "usage", "max", "failcnt"} of one memory counter. */
static int
memory_entry (struct modrun_container *c, modrun_json *mem, const char *key, const char *dir,
              const char *prefix)
{
  char file[96];
  modrun_json *e;
  int64_t v;

  snprintf (file, sizeof (file), "%s.usage_in_bytes", prefix);
  if (!read_u64 (dir, file, &v))
    return 0;
  e = c->svc->json_add (mem, key, MODRUN_JSON_OBJECT);
  if (e == NULL)
    return -ENOMEM;
  if (c->svc->json_add_int (e, "usage", v) < 0)
    return -ENOMEM;
  snprintf (file, sizeof (file), "%s.limit_in_bytes", prefix);
  if (add_u64 (c, e, "limit", dir, file) < 0)
    return -ENOMEM;
  snprintf (file, sizeof (file), "%s.max_usage_in_bytes", prefix);
  if (add_u64 (c, e, "max", dir, file) < 0)
    return -ENOMEM;
  snprintf (file, sizeof (file), "%s.failcnt", prefix);
  if (add_u64 (c, e, "failcnt", dir, file) < 0)
    return -ENOMEM;
  return 0;
}

static int
memory_stats (struct modrun_container *c, struct cg1_hierarchy *h, modrun_json *out)
{
  char path[PATH_MAX];
  char *text = NULL, *line, *save = NULL;
  modrun_json *mem = c->svc->json_add (out, "memory", MODRUN_JSON_OBJECT), *raw;
  int ret;

  if (mem == NULL)
    return -ENOMEM;
  if ((ret = memory_entry (c, mem, "usage", h->dir, "memory")) < 0
      || (ret = memory_entry (c, mem, "swap", h->dir, "memory.memsw")) < 0
      || (ret = memory_entry (c, mem, "kernel", h->dir, "memory.kmem")) < 0
      || (ret = memory_entry (c, mem, "kernelTCP", h->dir, "memory.kmem.tcp")) < 0)
    return ret;

  /* The OOM kills so far, which the core's events watch for. */
  snprintf (path, sizeof (path), "%s/memory.oom_control", h->dir);
  if (cg1_read_alloc (path, &text, NULL) == 0)
    {
      char *k = strstr (text, "oom_kill ");

      if (k != NULL && (k == text || k[-1] == '\n')
          && c->svc->json_add_int (mem, "oomKill", strtoll (k + 9, NULL, 10)) < 0)
        {
          free (text);
          return -ENOMEM;
        }
      free (text);
      text = NULL;
    }

  snprintf (path, sizeof (path), "%s/memory.stat", h->dir);
  if (cg1_read_alloc (path, &text, NULL) < 0)
    return 0;
  raw = c->svc->json_add (mem, "raw", MODRUN_JSON_OBJECT);
  for (line = strtok_r (text, "\n", &save); raw && line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      unsigned long long v;

      if (sp == NULL)
        continue;
      *sp = '\0';
      v = strtoull (sp + 1, NULL, 10);
      if (c->svc->json_add_int (raw, line, v > INT64_MAX ? INT64_MAX : (int64_t)v) < 0
          || (strcmp (line, "cache") == 0 && c->svc->json_add_int (mem, "cache", (int64_t)v) < 0))
        {
          free (text);
          return -ENOMEM;
        }
    }
  free (text);
  return raw == NULL ? -ENOMEM : 0;
}

static int
cpu_stats (struct modrun_container *c, struct cg1_host *host, modrun_json *out)
{
  struct cg1_hierarchy *acct = cg1_host_find (host, CG1_CPUACCT);
  struct cg1_hierarchy *cpu = cg1_host_find (host, CG1_CPU);
  modrun_json *obj = c->svc->json_add (out, "cpu", MODRUN_JSON_OBJECT), *usage, *percpu;
  char path[PATH_MAX];
  char *text = NULL, *p, *end;

  if (obj == NULL)
    return -ENOMEM;
  if (acct != NULL)
    {
      usage = c->svc->json_add (obj, "usage", MODRUN_JSON_OBJECT);
      if (usage == NULL || add_u64 (c, usage, "total", acct->dir, "cpuacct.usage") < 0
          || add_u64 (c, usage, "kernel", acct->dir, "cpuacct.usage_sys") < 0
          || add_u64 (c, usage, "user", acct->dir, "cpuacct.usage_user") < 0)
        return -ENOMEM;
      snprintf (path, sizeof (path), "%s/cpuacct.usage_percpu", acct->dir);
      if (cg1_read_alloc (path, &text, NULL) == 0)
        {
          percpu = c->svc->json_add (usage, "percpu", MODRUN_JSON_ARRAY);
          for (p = text; percpu != NULL; p = end)
            {
              unsigned long long v = strtoull (p, &end, 10);

              if (end == p)
                break;
              if (c->svc->json_add_int (percpu, NULL, (int64_t)v) < 0)
                percpu = NULL;
            }
          free (text);
          if (percpu == NULL)
            return -ENOMEM;
        }
    }
  if (cpu != NULL)
    {
      char *line, *save = NULL;
      modrun_json *thr;

      snprintf (path, sizeof (path), "%s/cpu.stat", cpu->dir);
      if (cg1_read_alloc (path, &text, NULL) < 0)
        return 0;
      thr = c->svc->json_add (obj, "throttling", MODRUN_JSON_OBJECT);
      for (line = strtok_r (text, "\n", &save); thr && line; line = strtok_r (NULL, "\n", &save))
        {
          const char *key = NULL;
          char *sp = strchr (line, ' ');

          if (sp == NULL)
            continue;
          *sp = '\0';
          if (strcmp (line, "nr_periods") == 0)
            key = "periods";
          else if (strcmp (line, "nr_throttled") == 0)
            key = "throttledPeriods";
          else if (strcmp (line, "throttled_time") == 0)
            key = "throttledTime";
          if (key && c->svc->json_add_int (thr, key, strtoll (sp + 1, NULL, 10)) < 0)
            thr = NULL;
        }
      free (text);
      if (thr == NULL)
        return -ENOMEM;
    }
  return 0;
}

static int
blkio_list (struct modrun_container *c, modrun_json *blkio, const char *key, const char *dir,
            const char *file)
{
  char path[PATH_MAX];
  char *text = NULL, *line, *save = NULL;
  modrun_json *arr;

  snprintf (path, sizeof (path), "%s/%s", dir, file);
  if (cg1_read_alloc (path, &text, NULL) < 0)
    return 0;
  arr = c->svc->json_add (blkio, key, MODRUN_JSON_ARRAY);
  for (line = strtok_r (text, "\n", &save); arr && line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned int major, minor;
      char op[32];
      unsigned long long v;
      modrun_json *e;

      /* "8:0 Read 4096"; the closing "Total N" line has no device. */
      if (sscanf (line, "%u:%u %31s %llu", &major, &minor, op, &v) != 4)
        continue;
      e = c->svc->json_add (arr, NULL, MODRUN_JSON_OBJECT);
      if (e == NULL || c->svc->json_add_int (e, "major", major) < 0
          || c->svc->json_add_int (e, "minor", minor) < 0
          || c->svc->json_add_string (e, "op", op) < 0
          || c->svc->json_add_int (e, "value", (int64_t)v) < 0)
        arr = NULL;
    }
  free (text);
  return arr == NULL ? -ENOMEM : 0;
}

int
cg1_stats (struct modrun_container *c, struct cg1_host *host, modrun_json *out)
{
  struct cg1_hierarchy *h;
  int ret = cpu_stats (c, host, out);

  if (ret == 0 && (h = cg1_host_find (host, CG1_MEMORY)) != NULL)
    ret = memory_stats (c, h, out);
  if (ret == 0 && (h = cg1_host_find (host, CG1_PIDS)) != NULL)
    {
      modrun_json *pids = c->svc->json_add (out, "pids", MODRUN_JSON_OBJECT);

      /* "max" reads as no limit and is left out, as runc does. */
      if (pids == NULL || add_u64 (c, pids, "current", h->dir, "pids.current") < 0
          || add_u64 (c, pids, "limit", h->dir, "pids.max") < 0)
        ret = -ENOMEM;
    }
  if (ret == 0 && (h = cg1_host_find (host, CG1_BLKIO)) != NULL)
    {
      modrun_json *blkio = c->svc->json_add (out, "blkio", MODRUN_JSON_OBJECT);

      if (blkio == NULL
          || blkio_list (c, blkio, "ioServiceBytesRecursive", h->dir,
                         "blkio.throttle.io_service_bytes_recursive")
                 < 0
          || blkio_list (c, blkio, "ioServicedRecursive", h->dir,
                         "blkio.throttle.io_serviced_recursive")
                 < 0)
        ret = -ENOMEM;
    }
  if (ret < 0)
    return c->svc->error (c, -ret, "stats of %s", host->path);
  return 0;
}
