/* cgroups-v2: acting on a running container's cgroup: freezing, listing
 * and signalling its processes, reading its statistics. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-v2.h"

/* How long a freeze or a kill may take before it is given up. */
#define CG2_WAIT_TIMEOUT_NS 10000000000LL
/* Rounds of signalling a cgroup, without cgroup.kill, whose processes fork. */
#define CG2_KILL_ROUNDS 100

/* The value of KEY in a "key value" file such as cgroup.events, or -1. */
static long long
keyed_value (const char *text, const char *key)
{
  size_t klen = strlen (key);
  const char *p = text;

  while (p != NULL && *p)
    {
      if (strncmp (p, key, klen) == 0 && p[klen] == ' ')
        return strtoll (p + klen + 1, NULL, 10);
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
  return -1;
}

int
cg2_freeze (struct modrun_container *c, struct cg2_host *host, bool frozen)
{
  long long deadline = cg2_now_ns () + CG2_WAIT_TIMEOUT_NS;
  char events[512];
  int ret;

  if (!cg2_file_exists (host->dir, "cgroup.freeze"))
    return c->svc->error (
        c, 0, "%s: this kernel has no cgroup.freeze in %s (Linux 5.2 or later is needed)",
        frozen ? "pause" : "resume", host->dir);
  ret = cg2_write (c, host->dir, "cgroup.freeze", frozen ? "1" : "0", NULL);
  if (ret < 0)
    return ret;
  for (;;)
    {
      if (cg2_read_small (host->dir, "cgroup.events", events, sizeof (events)) < 0)
        return c->svc->error (c, errno, "%s/cgroup.events: cannot read", host->dir);
      if (keyed_value (events, "frozen") == (frozen ? 1 : 0))
        return 0;
      if (cg2_now_ns () > deadline)
        break;
      cg2_pause_ns (10000000L);
    }
  if (frozen)
    cg2_write (c, host->dir, "cgroup.freeze", "0", NULL);
  return c->svc->error (c, ETIMEDOUT, "%s: %s/cgroup.events does not show frozen %d",
                        frozen ? "pause" : "resume", host->dir, frozen ? 1 : 0);
}

static int
add_pids_of (const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
  cleanup_cg2_free char *procs = NULL;
  char *p, *end, sub[PATH_MAX];
  struct dirent *e;
  pid_t *grown;
  DIR *d;
  long v;
  int ret;

  ret = cg2_read_alloc (dir, "cgroup.procs", &procs);
  if (ret < 0)
    return ret;
  for (p = procs; *p; p = end)
    {
      v = strtol (p, &end, 10);
      if (end == p)
        break;
      while (*end == '\n')
        end++;
      if (v <= 0)
        continue;
      if (*n == *cap)
        {
          *cap = *cap ? *cap * 2 : 64;
          grown = realloc (*pids, *cap * sizeof (pid_t));
          if (grown == NULL)
            return -ENOMEM;
          *pids = grown;
        }
      (*pids)[(*n)++] = (pid_t)v;
    }

  d = opendir (dir);
  if (d == NULL)
    return -errno;
  while ((e = readdir (d)) != NULL)
    {
      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      snprintf (sub, sizeof (sub), "%s/%s", dir, e->d_name);
      ret = add_pids_of (sub, pids, n, cap);
      if (ret < 0 && ret != -ENOENT)
        break;
      ret = 0;
    }
  closedir (d);
  return ret;
}

int
cg2_pids (struct modrun_container *c, const char *dir, pid_t **pids, size_t *n)
{
  size_t cap = 0;
  int ret;

  *pids = NULL;
  *n = 0;
  ret = add_pids_of (dir, pids, n, &cap);
  if (ret < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return c->svc->error (c, -ret, "%s: cannot list the processes of the cgroup", dir);
    }
  return 0;
}

/* Whether the cgroup and those below it hold no process any more. */
static bool
unpopulated (const char *dir)
{
  char events[512];

  if (cg2_read_small (dir, "cgroup.events", events, sizeof (events)) < 0)
    return true;
  return keyed_value (events, "populated") == 0;
}

int
cg2_kill_all (struct modrun_container *c, const char *dir, int signo)
{
  long long deadline = cg2_now_ns () + CG2_WAIT_TIMEOUT_NS;
  pid_t *pids = NULL;
  size_t n, i;
  int ret, round;

  if (signo == SIGKILL && cg2_file_exists (dir, "cgroup.kill"))
    {
      ret = cg2_write (c, dir, "cgroup.kill", "1", NULL);
      if (ret < 0)
        return ret;
      while (!unpopulated (dir) && cg2_now_ns () < deadline)
        cg2_pause_ns (5000000L);
      return 0;
    }

  /* Without cgroup.kill, or for another signal: each process in turn. A
   * SIGKILL is repeated while new processes show up. */
  for (round = 0; round < (signo == SIGKILL ? CG2_KILL_ROUNDS : 1); round++)
    {
      ret = cg2_pids (c, dir, &pids, &n);
      if (ret < 0)
        return ret;
      for (i = 0; i < n; i++)
        if (kill (pids[i], signo) < 0 && errno != ESRCH)
          {
            ret = c->svc->error (c, errno, "cannot signal process %d of %s", (int)pids[i], dir);
            break;
          }
      free (pids);
      if (ret < 0 || n == 0)
        return ret;
      cg2_pause_ns (5000000L);
    }
  return 0;
}

/* Adds member KEY with the number in DIR/FILE; "max" is left out. */
static int
add_file_int (struct modrun_container *c, modrun_json *obj, const char *key, const char *dir,
              const char *file)
{
  char buf[64];

  if (cg2_read_small (dir, file, buf, sizeof (buf)) <= 0 || strcmp (buf, "max") == 0)
    return 0;
  return c->svc->json_add_int (obj, key, strtoll (buf, NULL, 10));
}

static int
memory_stats (struct modrun_container *c, struct cg2_host *host, modrun_json *out)
{
  cleanup_cg2_free char *stat = NULL;
  modrun_json *mem, *usage, *swap, *raw;
  char *line, *save = NULL, *sp;
  char events[512];

  if (!cg2_file_exists (host->dir, "memory.current"))
    return 0;
  mem = c->svc->json_add (out, "memory", MODRUN_JSON_OBJECT);
  usage = mem ? c->svc->json_add (mem, "usage", MODRUN_JSON_OBJECT) : NULL;
  swap = mem ? c->svc->json_add (mem, "swap", MODRUN_JSON_OBJECT) : NULL;
  if (usage == NULL || swap == NULL)
    return -ENOMEM;
  if (add_file_int (c, usage, "usage", host->dir, "memory.current") < 0
      || add_file_int (c, usage, "limit", host->dir, "memory.max") < 0
      || add_file_int (c, usage, "max", host->dir, "memory.peak") < 0
      || add_file_int (c, swap, "usage", host->dir, "memory.swap.current") < 0
      || add_file_int (c, swap, "limit", host->dir, "memory.swap.max") < 0)
    return -ENOMEM;
  /* oomKill: the OOM kills so far, which the core's events watch for. */
  if (cg2_read_small (host->dir, "memory.events", events, sizeof (events)) > 0
      && (c->svc->json_add_int (usage, "failcnt", keyed_value (events, "max")) < 0
          || c->svc->json_add_int (mem, "oomKill", keyed_value (events, "oom_kill")) < 0))
    return -ENOMEM;
  if (cg2_read_alloc (host->dir, "memory.stat", &stat) < 0)
    return 0;
  raw = c->svc->json_add (mem, "raw", MODRUN_JSON_OBJECT);
  if (raw == NULL)
    return -ENOMEM;
  for (line = strtok_r (stat, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      if (c->svc->json_add_int (raw, line, strtoll (sp + 1, NULL, 10)) < 0)
        return -ENOMEM;
      if (strcmp (line, "file") == 0
          && c->svc->json_add_int (mem, "cache", strtoll (sp + 1, NULL, 10)) < 0)
        return -ENOMEM;
    }
  return 0;
}

static int
cpu_stats (struct modrun_container *c, struct cg2_host *host, modrun_json *out)
{
  cleanup_cg2_free char *stat = NULL;
  modrun_json *cpu, *usage, *thr;

  if (cg2_read_alloc (host->dir, "cpu.stat", &stat) < 0)
    return 0;
  cpu = c->svc->json_add (out, "cpu", MODRUN_JSON_OBJECT);
  usage = cpu ? c->svc->json_add (cpu, "usage", MODRUN_JSON_OBJECT) : NULL;
  thr = cpu ? c->svc->json_add (cpu, "throttling", MODRUN_JSON_OBJECT) : NULL;
  if (usage == NULL || thr == NULL)
    return -ENOMEM;
  /* cpu.stat counts microseconds; runc's events report nanoseconds. */
  if (c->svc->json_add_int (usage, "total", keyed_value (stat, "usage_usec") * 1000) < 0
      || c->svc->json_add_int (usage, "user", keyed_value (stat, "user_usec") * 1000) < 0
      || c->svc->json_add_int (usage, "kernel", keyed_value (stat, "system_usec") * 1000) < 0)
    return -ENOMEM;
  if (keyed_value (stat, "nr_periods") >= 0
      && (c->svc->json_add_int (thr, "periods", keyed_value (stat, "nr_periods")) < 0
          || c->svc->json_add_int (thr, "throttledPeriods", keyed_value (stat, "nr_throttled")) < 0
          || c->svc->json_add_int (thr, "throttledTime",
                                   keyed_value (stat, "throttled_usec") * 1000)
                 < 0))
    return -ENOMEM;
  return 0;
}

int
cg2_stats (struct modrun_container *c, struct cg2_host *host, modrun_json *out)
{
  modrun_json *pids;
  char buf[64];

  if (access (host->dir, F_OK) < 0)
    return c->svc->error (c, errno, "%s: the container's cgroup", host->dir);
  if (cpu_stats (c, host, out) < 0 || memory_stats (c, host, out) < 0)
    return c->svc->error (c, ENOMEM, "stats of %s", host->dir);
  if (cg2_file_exists (host->dir, "pids.current"))
    {
      pids = c->svc->json_add (out, "pids", MODRUN_JSON_OBJECT);
      if (pids == NULL || add_file_int (c, pids, "current", host->dir, "pids.current") < 0)
        return c->svc->error (c, ENOMEM, "stats of %s", host->dir);
      /* runc reports an unlimited pids.max as 0. */
      if (cg2_read_small (host->dir, "pids.max", buf, sizeof (buf)) > 0
          && c->svc->json_add_int (pids, "limit",
                                   strcmp (buf, "max") == 0 ? 0 : strtoll (buf, NULL, 10))
                 < 0)
        return c->svc->error (c, ENOMEM, "stats of %s", host->dir);
    }
  return 0;
}
