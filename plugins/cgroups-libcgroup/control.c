/* cgroups-libcgroup: acting on a running container's cgroups through
 * libcgroup: freezing, listing and signalling its processes, reading its
 * statistics. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libcgroup.h>

#include "cgroups-libcgroup.h"

/* How long a freeze may take before it is given up. */
#define LCG_FREEZE_TIMEOUT_NS 5000000000LL
/* How long kill_all waits for a freeze before signalling without one. */
#define LCG_KILL_FREEZE_TIMEOUT_NS 1000000000LL
/* Rounds of signalling a cgroup that cannot be frozen, whose processes fork. */
#define LCG_KILL_ROUNDS 100

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

/* Freezing: freezer.state on cgroup v1, cgroup.freeze on a cgroup2 host
 * (written through libcgroup's "cgroup" pseudo-controller, which names the
 * core files of cgroup2). */

static bool
can_freeze (struct lcg_host *host)
{
  return host->v2 || lcg_host_find (host, "freezer") != NULL;
}

/* Asks for STATE, recording nothing: 0 or a libcgroup error code. */
static int
request_state (struct lcg_host *host, bool frozen)
{
  struct cgroup *cg = cgroup_new_cgroup (host->path);
  struct cgroup_controller *cc;
  int ret = ECGOTHER;

  cc = cg ? cgroup_add_controller (cg, host->v2 ? "cgroup" : "freezer") : NULL;
  if (cc != NULL
      && cgroup_add_value_string (cc, host->v2 ? "cgroup.freeze" : "freezer.state",
                                  host->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"))
             == 0)
    ret = cgroup_modify_cgroup (cg);
  if (cg != NULL)
    cgroup_free (&cg);
  return ret;
}

/* Whether the kernel reports the cgroup frozen; STATE gets its words. */
static bool
is_frozen (struct lcg_host *host, char *state, size_t len)
{
  void *handle = NULL;
  char line[256];
  int ret;

  if (!host->v2)
    return lcg_read ("freezer", host->path, "freezer.state", state, len) == 0
           && strcmp (state, "FROZEN") == 0;
  snprintf (state, len, "not frozen");
  ret = cgroup_read_value_begin ("cgroup", host->path, (char *)"cgroup.events", &handle, line,
                                 sizeof (line));
  while (ret == 0)
    {
      if (strncmp (line, "frozen 1", 8) == 0)
        {
          snprintf (state, len, "frozen");
          break;
        }
      ret = cgroup_read_value_next (&handle, line, sizeof (line));
    }
  if (handle != NULL)
    cgroup_read_value_end (&handle);
  return strcmp (state, "frozen") == 0;
}

/* Freezes and waits for the kernel to say so; else thaws again and
 * returns ETIMEDOUT. */
static int
freeze_wait (struct lcg_host *host, long long timeout_ns, char *state, size_t len)
{
  long long deadline = now_ns () + timeout_ns;
  long wait = 100000;
  int ret, round;

  for (round = 0;; round++)
    {
      /* A freeze can stall on a task busy in the kernel; asking again now
       * and then lets it complete. */
      if (round % 10 == 0 && (ret = request_state (host, true)) != 0)
        return ret;
      if (is_frozen (host, state, len))
        return 0;
      if (now_ns () >= deadline)
        {
          request_state (host, false);
          return ETIMEDOUT;
        }
      pause_ns (wait);
      if (wait < 10000000)
        wait *= 2;
    }
}

int
lcg_freeze (struct modrun_container *c, struct lcg_host *host, bool frozen)
{
  char state[64] = "", why[256];
  int ret;

  if (!can_freeze (host))
    return lcg_missing_controller (c, host, "freezer", frozen ? "pause" : "resume");
  if (!frozen)
    return lcg_write (c, host, host->v2 ? "cgroup" : "freezer", NULL,
                      host->v2 ? "cgroup.freeze" : "freezer.state", host->v2 ? "0" : "THAWED");
  ret = freeze_wait (host, LCG_FREEZE_TIMEOUT_NS, state, sizeof (state));
  if (ret == ETIMEDOUT)
    return c->svc->error (c, ETIMEDOUT, "freeze %s: still %s after %lld s", host->path, state,
                          LCG_FREEZE_TIMEOUT_NS / 1000000000LL);
  if (ret != 0)
    return c->svc->error (c, 0, "freeze %s: %s", host->path, lcg_strerror (ret, why, sizeof (why)));
  return 0;
}

/* Processes. */

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

/* The controller whose cgroups list the container's processes: the
 * freezer's, as that is the one frozen while they are signalled. */
static const char *
procs_controller (struct lcg_host *host)
{
  static const char *const order[] = { "freezer", "pids", "memory", "cpu" };
  size_t i;

  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    if (lcg_host_find (host, order[i]) != NULL)
      return order[i];
  for (i = 0; i < host->n; i++)
    if (host->ctl[i].used)
      return host->ctl[i].name;
  return NULL;
}

static int
add_procs (const char *ctl, const char *path, struct pid_list *l)
{
  pid_t *pids = NULL;
  int size = 0, i, ret;

  ret = cgroup_get_procs ((char *)path, (char *)ctl, &pids, &size);
  /* libcgroup says "unsupported" when cgroup.procs does not exist. */
  if (ret == ECGROUPUNSUPP)
    return ECGROUPNOTEXIST;
  if (ret != 0)
    return ret;
  for (i = 0; i < size; i++)
    if (pids[i] > 0 && !pid_list_has (l, pids[i]) && pid_list_add (l, pids[i]) < 0)
      {
        free (pids);
        return ECGOTHER;
      }
  free (pids);
  return 0;
}

/* The processes of the container's cgroup of CTL and of the cgroups below
 * it: 0, or a libcgroup error code (ECGROUPNOTEXIST when it is gone). */
static int
collect_pids (const char *ctl, const char *path, struct pid_list *l)
{
  struct cgroup_file_info info;
  void *handle = NULL;
  size_t base = 0;
  int level, ret;

  ret = add_procs (ctl, path, l);
  if (ret != 0)
    return ret;
  ret = cgroup_walk_tree_begin (ctl, path, 0, &handle, &info, &level);
  if (ret == 0)
    base = strlen (info.full_path);
  while (ret == 0)
    {
      ret = cgroup_walk_tree_next (0, &handle, &info, level);
      if (ret == 0 && info.type == CGROUP_FILE_TYPE_DIR && info.depth > 0)
        {
          char child[PATH_MAX];

          snprintf (child, sizeof (child), "%s/%s", path, info.full_path + base);
          /* A cgroup removed meanwhile has no processes. */
          if (add_procs (ctl, child, l) == ECGOTHER && cgroup_get_last_errno () == ENOMEM)
            ret = ECGOTHER;
        }
    }
  if (handle != NULL)
    cgroup_walk_tree_end (&handle);
  return 0;
}

int
lcg_pids (struct modrun_container *c, struct lcg_host *host, pid_t **pids, size_t *n)
{
  const char *ctl = procs_controller (host);
  struct pid_list l = { NULL, 0, 0 };
  char why[256];
  int ret;

  *pids = NULL;
  *n = 0;
  if (ctl == NULL)
    return c->svc->error (c, 0, "libcgroup finds no cgroup controller for the container here");
  ret = collect_pids (ctl, host->path, &l);
  if (ret != 0 && ret != ECGROUPNOTEXIST)
    {
      free (l.v);
      return c->svc->error (c, 0, "the processes of %s:%s: %s", ctl, host->path,
                            lcg_strerror (ret, why, sizeof (why)));
    }
  *pids = l.v;
  *n = l.n;
  return 0;
}

/* Signals the processes not signalled yet; returns how many it found, or
 * a negative errno. */
static int
signal_round (const char *ctl, const char *path, int signo, struct pid_list *done)
{
  struct pid_list now = { NULL, 0, 0 };
  size_t i;
  int ret = collect_pids (ctl, path, &now), found = 0;

  if (ret == ECGROUPNOTEXIST)
    ret = 0;
  else if (ret != 0)
    ret = -EIO;
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
  return ret < 0 ? ret : found;
}

/* Whether the container's cgroup of controller CTL is there. */
static bool
group_exists (struct lcg_host *host, const char *ctl)
{
  struct lcg_controller *h = lcg_host_find (host, ctl);
  char dir[PATH_MAX];

  return h == NULL
         || (size_t)snprintf (dir, sizeof (dir), "%s%s", h->mount, host->path) >= sizeof (dir)
         || access (dir, F_OK) == 0;
}

int
lcg_kill_all (struct modrun_container *c, struct lcg_host *host, int signo)
{
  const char *ctl = procs_controller (host);
  struct pid_list done = { NULL, 0, 0 };
  bool was_frozen = false, froze = false;
  char state[64];
  int ret = 0, round;

  if (ctl == NULL)
    return c->svc->error (c, 0, "libcgroup finds no cgroup controller for the container here");

  /* Frozen, the processes cannot fork new ones behind the signals. */
  if (can_freeze (host)
      && lcg_read (host->v2 ? "cgroup" : "freezer", host->path,
                   host->v2 ? "cgroup.freeze" : "freezer.state", state, sizeof (state))
             == 0)
    {
      was_frozen = is_frozen (host, state, sizeof (state));
      froze = was_frozen
              || freeze_wait (host, LCG_KILL_FREEZE_TIMEOUT_NS, state, sizeof (state)) == 0;
    }
  for (round = 0; round < LCG_KILL_ROUNDS; round++)
    {
      ret = signal_round (ctl, host->path, signo, &done);
      if (ret <= 0 || froze)
        break;
    }
  /* A frozen process acts on SIGKILL only once thawed; a paused container
   * stays paused for any other signal. */
  if (froze && (!was_frozen || signo == SIGKILL))
    {
      int tret = request_state (host, false);

      if (ret >= 0 && tret != 0)
        ret = -EIO;
    }
  if (ret >= 0 && froze && signo == SIGKILL)
    for (round = 0;
         round < LCG_KILL_ROUNDS && (ret = signal_round (ctl, host->path, signo, &done)) > 0;
         round++)
      ;
  free (done.v);
  /* A cgroup that went away meanwhile (systemd removes an emptied scope's)
   * holds no process left to signal. */
  if (ret < 0 && group_exists (host, ctl))
    return c->svc->error (c, -ret, "signal the processes of %s:%s", ctl, host->path);
  return 0;
}

/* Statistics, in the shape of runc's "events --stats" data. */

static bool
read_u64 (struct lcg_host *host, const char *ctl, const char *file, int64_t *out)
{
  char buf[64], *end;
  unsigned long long v;

  if (lcg_host_find (host, ctl) == NULL || lcg_read (ctl, host->path, file, buf, sizeof (buf)) != 0)
    return false;
  v = strtoull (buf, &end, 10);
  if (end == buf)
    return false;
  *out = v > INT64_MAX ? INT64_MAX : (int64_t)v;
  return true;
}

static int
add_u64 (struct modrun_container *c, struct lcg_host *host, modrun_json *obj, const char *key,
         const char *ctl, const char *file)
{
  int64_t v;

  if (!read_u64 (host, ctl, file, &v))
    return 0;
  return c->svc->json_add_int (obj, key, v);
}

/* {"usage", "limit", "max", "failcnt"} of one memory counter. */
static int
memory_entry (struct modrun_container *c, struct lcg_host *host, modrun_json *mem, const char *key,
              const char *prefix)
{
  static const char *const keys[] = { "limit", "max", "failcnt" };
  static const char *const files[] = { "limit_in_bytes", "max_usage_in_bytes", "failcnt" };
  char file[96];
  modrun_json *e;
  int64_t v;
  size_t i;

  snprintf (file, sizeof (file), "%s.usage_in_bytes", prefix);
  if (!read_u64 (host, "memory", file, &v))
    return 0;
  e = c->svc->json_add (mem, key, MODRUN_JSON_OBJECT);
  if (e == NULL || c->svc->json_add_int (e, "usage", v) < 0)
    return -ENOMEM;
  for (i = 0; i < 3; i++)
    {
      snprintf (file, sizeof (file), "%s.%s", prefix, files[i]);
      if (add_u64 (c, host, e, keys[i], "memory", file) < 0)
        return -ENOMEM;
    }
  return 0;
}

/* Every "NAME VALUE" line of a stat file of CTL, through FN. */
static int
each_stat (struct lcg_host *host, const char *ctl, int (*fn) (void *, const char *, int64_t),
           void *arg)
{
  struct cgroup_stat st;
  void *handle = NULL;
  int ret;

  if (lcg_host_find (host, ctl) == NULL)
    return 0;
  ret = cgroup_read_stats_begin (ctl, host->path, &handle, &st);
  while (ret == 0)
    {
      unsigned long long v = strtoull (st.value, NULL, 10);

      if (fn (arg, st.name, v > INT64_MAX ? INT64_MAX : (int64_t)v) < 0)
        {
          cgroup_read_stats_end (&handle);
          return -ENOMEM;
        }
      ret = cgroup_read_stats_next (&handle, &st);
    }
  if (handle != NULL)
    cgroup_read_stats_end (&handle);
  return 0;
}

struct stat_target
{
  struct modrun_container *c;
  modrun_json *obj;
  modrun_json *extra;
};

static int
memory_raw (void *arg, const char *name, int64_t v)
{
  struct stat_target *t = arg;

  if (strcmp (name, "cache") == 0 && t->c->svc->json_add_int (t->extra, "cache", v) < 0)
    return -ENOMEM;
  return t->c->svc->json_add_int (t->obj, name, v);
}

static int
cpu_throttling (void *arg, const char *name, int64_t v)
{
  struct stat_target *t = arg;
  const char *key = NULL;

  if (strcmp (name, "nr_periods") == 0)
    key = "periods";
  else if (strcmp (name, "nr_throttled") == 0)
    key = "throttledPeriods";
  else if (strcmp (name, "throttled_time") == 0)
    key = "throttledTime";
  return key ? t->c->svc->json_add_int (t->obj, key, v) : 0;
}

static int
memory_stats (struct modrun_container *c, struct lcg_host *host, modrun_json *out)
{
  modrun_json *mem = c->svc->json_add (out, "memory", MODRUN_JSON_OBJECT);
  struct stat_target t = { c, NULL, mem };
  int ret;

  if (mem == NULL)
    return -ENOMEM;
  if ((ret = memory_entry (c, host, mem, "usage", "memory")) < 0
      || (ret = memory_entry (c, host, mem, "swap", "memory.memsw")) < 0
      || (ret = memory_entry (c, host, mem, "kernel", "memory.kmem")) < 0
      || (ret = memory_entry (c, host, mem, "kernelTCP", "memory.kmem.tcp")) < 0)
    return ret;
  t.obj = c->svc->json_add (mem, "raw", MODRUN_JSON_OBJECT);
  if (t.obj == NULL)
    return -ENOMEM;
  return each_stat (host, "memory", memory_raw, &t);
}

static int
cpu_stats (struct modrun_container *c, struct lcg_host *host, modrun_json *out)
{
  modrun_json *cpu = c->svc->json_add (out, "cpu", MODRUN_JSON_OBJECT), *usage, *percpu;
  struct stat_target t = { c, NULL, NULL };
  char buf[4096], *p, *end;

  if (cpu == NULL)
    return -ENOMEM;
  if (lcg_host_find (host, "cpuacct") != NULL)
    {
      usage = c->svc->json_add (cpu, "usage", MODRUN_JSON_OBJECT);
      if (usage == NULL || add_u64 (c, host, usage, "total", "cpuacct", "cpuacct.usage") < 0
          || add_u64 (c, host, usage, "kernel", "cpuacct", "cpuacct.usage_sys") < 0
          || add_u64 (c, host, usage, "user", "cpuacct", "cpuacct.usage_user") < 0)
        return -ENOMEM;
      if (lcg_read ("cpuacct", host->path, "cpuacct.usage_percpu", buf, sizeof (buf)) == 0)
        {
          percpu = c->svc->json_add (usage, "percpu", MODRUN_JSON_ARRAY);
          for (p = buf; percpu != NULL; p = end)
            {
              unsigned long long v = strtoull (p, &end, 10);

              if (end == p)
                break;
              if (c->svc->json_add_int (percpu, NULL, (int64_t)v) < 0)
                return -ENOMEM;
            }
          if (percpu == NULL)
            return -ENOMEM;
        }
    }
  if (lcg_host_find (host, "cpu") == NULL)
    return 0;
  t.obj = c->svc->json_add (cpu, "throttling", MODRUN_JSON_OBJECT);
  if (t.obj == NULL)
    return -ENOMEM;
  return each_stat (host, "cpu", cpu_throttling, &t);
}

/* "MAJOR:MINOR OP VALUE" lines of a blkio file, as {major, minor, op, value}. */
static int
blkio_list (struct modrun_container *c, struct lcg_host *host, modrun_json *blkio, const char *key,
            const char *file)
{
  modrun_json *arr = c->svc->json_add (blkio, key, MODRUN_JSON_ARRAY);
  void *handle = NULL;
  char line[256];
  int ret;

  if (arr == NULL)
    return -ENOMEM;
  ret = cgroup_read_value_begin ("blkio", host->path, (char *)file, &handle, line, sizeof (line));
  while (ret == 0)
    {
      unsigned int major, minor;
      unsigned long long v;
      char op[32];
      modrun_json *e;

      /* The closing "Total N" line names no device. */
      if (sscanf (line, "%u:%u %31s %llu", &major, &minor, op, &v) == 4)
        {
          e = c->svc->json_add (arr, NULL, MODRUN_JSON_OBJECT);
          if (e == NULL || c->svc->json_add_int (e, "major", major) < 0
              || c->svc->json_add_int (e, "minor", minor) < 0
              || c->svc->json_add_string (e, "op", op) < 0
              || c->svc->json_add_int (e, "value", (int64_t)v) < 0)
            {
              cgroup_read_value_end (&handle);
              return -ENOMEM;
            }
        }
      ret = cgroup_read_value_next (&handle, line, sizeof (line));
    }
  if (handle != NULL)
    cgroup_read_value_end (&handle);
  return 0;
}

/* cgroup2's files, in the same shape. */

static int
cpu_v2 (void *arg, const char *name, int64_t v)
{
  struct stat_target *t = arg;
  const struct modrun_services *svc = t->c->svc;

  if (strcmp (name, "usage_usec") == 0)
    return svc->json_add_int (t->extra, "total", v * 1000);
  if (strcmp (name, "user_usec") == 0)
    return svc->json_add_int (t->extra, "user", v * 1000);
  if (strcmp (name, "system_usec") == 0)
    return svc->json_add_int (t->extra, "kernel", v * 1000);
  if (strcmp (name, "nr_periods") == 0)
    return svc->json_add_int (t->obj, "periods", v);
  if (strcmp (name, "nr_throttled") == 0)
    return svc->json_add_int (t->obj, "throttledPeriods", v);
  if (strcmp (name, "throttled_usec") == 0)
    return svc->json_add_int (t->obj, "throttledTime", v * 1000);
  return 0;
}

static int
memory_v2 (void *arg, const char *name, int64_t v)
{
  struct stat_target *t = arg;

  if (strcmp (name, "file") == 0 && t->c->svc->json_add_int (t->extra, "cache", v) < 0)
    return -ENOMEM;
  return t->c->svc->json_add_int (t->obj, name, v);
}

/* {"usage", "limit"} from two files; a limit of "max" is left out. */
static int
usage_entry (struct modrun_container *c, struct lcg_host *host, modrun_json *mem, const char *key,
             const char *current, const char *max)
{
  modrun_json *e;
  int64_t v;

  if (!read_u64 (host, "memory", current, &v))
    return 0;
  e = c->svc->json_add (mem, key, MODRUN_JSON_OBJECT);
  if (e == NULL || c->svc->json_add_int (e, "usage", v) < 0
      || add_u64 (c, host, e, "limit", "memory", max) < 0)
    return -ENOMEM;
  return 0;
}

static int
stats_v2 (struct modrun_container *c, struct lcg_host *host, modrun_json *out)
{
  modrun_json *cpu = c->svc->json_add (out, "cpu", MODRUN_JSON_OBJECT);
  struct stat_target t = { c, NULL, NULL };
  int ret = 0;

  t.extra = cpu ? c->svc->json_add (cpu, "usage", MODRUN_JSON_OBJECT) : NULL;
  t.obj = cpu ? c->svc->json_add (cpu, "throttling", MODRUN_JSON_OBJECT) : NULL;
  if (t.obj == NULL || each_stat (host, "cpu", cpu_v2, &t) < 0)
    ret = -ENOMEM;
  if (ret == 0 && lcg_host_find (host, "memory") != NULL)
    {
      t.extra = c->svc->json_add (out, "memory", MODRUN_JSON_OBJECT);
      if (t.extra == NULL
          || usage_entry (c, host, t.extra, "usage", "memory.current", "memory.max") < 0
          || usage_entry (c, host, t.extra, "swap", "memory.swap.current", "memory.swap.max") < 0
          || (t.obj = c->svc->json_add (t.extra, "raw", MODRUN_JSON_OBJECT)) == NULL
          || each_stat (host, "memory", memory_v2, &t) < 0)
        ret = -ENOMEM;
    }
  if (ret == 0 && lcg_host_find (host, "pids") != NULL)
    {
      modrun_json *pids = c->svc->json_add (out, "pids", MODRUN_JSON_OBJECT);

      if (pids == NULL || add_u64 (c, host, pids, "current", "pids", "pids.current") < 0
          || add_u64 (c, host, pids, "limit", "pids", "pids.max") < 0)
        ret = -ENOMEM;
    }
  if (ret < 0)
    return c->svc->error (c, -ret, "stats of %s", host->path);
  return 0;
}

int
lcg_stats (struct modrun_container *c, struct lcg_host *host, modrun_json *out)
{
  int ret = 0;

  if (host->v2)
    return stats_v2 (c, host, out);
  ret = cpu_stats (c, host, out);
  if (ret == 0 && lcg_host_find (host, "memory") != NULL)
    ret = memory_stats (c, host, out);
  if (ret == 0 && lcg_host_find (host, "pids") != NULL)
    {
      modrun_json *pids = c->svc->json_add (out, "pids", MODRUN_JSON_OBJECT);

      /* "max" reads as no limit and is left out, as runc does. */
      if (pids == NULL || add_u64 (c, host, pids, "current", "pids", "pids.current") < 0
          || add_u64 (c, host, pids, "limit", "pids", "pids.max") < 0)
        ret = -ENOMEM;
    }
  if (ret == 0 && lcg_host_find (host, "blkio") != NULL)
    {
      modrun_json *blkio = c->svc->json_add (out, "blkio", MODRUN_JSON_OBJECT);

      if (blkio == NULL
          || blkio_list (c, host, blkio, "ioServiceBytesRecursive",
                         "blkio.throttle.io_service_bytes_recursive")
                 < 0
          || blkio_list (c, host, blkio, "ioServicedRecursive",
                         "blkio.throttle.io_serviced_recursive")
                 < 0)
        ret = -ENOMEM;
    }
  if (ret < 0)
    return c->svc->error (c, -ret, "stats of %s", host->path);
  return 0;
}
