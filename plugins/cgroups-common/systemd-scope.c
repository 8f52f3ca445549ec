/* Transient systemd scopes through systemd's D-Bus API (sd-bus): the
 * container's init is handed to systemd, which makes its cgroup. As root
 * the runtime talks to systemd's own socket, so that no bus daemon is
 * needed; the system bus is the fallback. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <modrun/plugin.h>

#include "systemd-path.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* How long systemd may take to move the init into its new scope. */
#define SCOPE_WAIT_NS 10000000000LL

static void
bus_unrefp (sd_bus **bus)
{
  if (*bus != NULL)
    sd_bus_flush_close_unref (*bus);
}

#define cleanup_bus __attribute__ ((cleanup (bus_unrefp)))

static int
bus_open (sd_bus **out)
{
  sd_bus *bus = NULL;
  int ret;

  if (geteuid () == 0 && (ret = sd_bus_new (&bus)) >= 0)
    {
      if ((ret = sd_bus_set_address (bus, "unix:path=/run/systemd/private")) >= 0
          && (ret = sd_bus_start (bus)) >= 0)
        {
          *out = bus;
          return 0;
        }
      sd_bus_unref (bus);
    }
  return sd_bus_open_system (out);
}

static long long
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether the line of /proc/PID/cgroup for the hierarchy of CONTROLLERS
 * ("cpu,cpuacct", "name=systemd", "" for cgroup2; NULL for any line) holds
 * PATH. */
static bool
pid_at (pid_t pid, const char *controllers, const char *path)
{
  char file[64], buf[8192];
  size_t len = strlen (path);
  ssize_t n;
  int fd;
  char *line, *save = NULL;

  snprintf (file, sizeof (file), "/proc/%d/cgroup", (int)pid);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  for (line = strtok_r (buf, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      char *ctl = strchr (line, ':'), *where;

      if (ctl == NULL || (where = strchr (ctl + 1, ':')) == NULL)
        continue;
      *where++ = '\0';
      if (controllers != NULL && !cgroup_same_controllers (ctl + 1, controllers))
        continue;
      if (strncmp (where, path, len) == 0 && where[len] == '\0')
        return true;
    }
  return false;
}

bool
cgroup_systemd_pid_placed (pid_t pid, const char *controllers, const char *path)
{
  return pid_at (pid, controllers, path);
}

/* Appends property NAME of D-Bus type TYPE ("s", "b" or "t") to M. */
static int
append_prop (sd_bus_message *m, const char *name, char type, const void *value)
{
  char sig[2] = { type, '\0' };
  int ret = sd_bus_message_open_container (m, 'r', "sv");

  if (ret < 0 || (ret = sd_bus_message_append (m, "s", name)) < 0
      || (ret = sd_bus_message_open_container (m, 'v', sig)) < 0)
    return ret;
  if (type == 's')
    ret = sd_bus_message_append (m, "s", (const char *)value);
  else if (type == 'b')
    ret = sd_bus_message_append (m, "b", *(const int *)value);
  else
    ret = sd_bus_message_append (m, "t", *(const uint64_t *)value);
  if (ret < 0 || (ret = sd_bus_message_close_container (m)) < 0)
    return ret;
  return sd_bus_message_close_container (m);
}

int
cgroup_systemd_start_scope (struct modrun_container *c, const struct cgroup_systemd_unit *u,
                            pid_t pid, uint64_t memory_max, uint64_t tasks_max, const char *mark)
{
  cleanup_bus sd_bus *bus = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  char desc[300];
  const int yes = 1, no = 0;
  uint32_t p = (uint32_t)pid;
  long long deadline;
  int ret;

  ret = bus_open (&bus);
  if (ret < 0)
    return c->svc->error (c, -ret, "--systemd-cgroup: cannot reach systemd on D-Bus");
  snprintf (desc, sizeof (desc), "modrun container %s", c->id ? c->id : "");
  ret = sd_bus_message_new_method_call (bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "StartTransientUnit");
  if (ret >= 0)
    ret = sd_bus_message_append (m, "ss", u->unit, "fail");
  if (ret >= 0)
    ret = sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret >= 0)
    ret = append_prop (m, "Description", 's', desc);
  if (ret >= 0)
    ret = append_prop (m, "Slice", 's', u->slice);
  if (ret >= 0)
    ret = append_prop (m, "Delegate", 'b', &yes);
  if (ret >= 0)
    ret = append_prop (m, "DefaultDependencies", 'b', &no);
  /* Limits systemd keeps itself, so that a daemon-reload does not undo
   * what the backend writes into the scope's files. */
  if (ret >= 0 && memory_max > 0)
    ret = append_prop (m, "MemoryMax", 't', &memory_max);
  if (ret >= 0 && tasks_max > 0)
    ret = append_prop (m, "TasksMax", 't', &tasks_max);
  if (ret >= 0)
    ret = sd_bus_message_open_container (m, 'r', "sv");
  if (ret >= 0)
    ret = sd_bus_message_append (m, "sv", "PIDs", "au", 1, p);
  if (ret >= 0)
    ret = sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = sd_bus_message_append (m, "a(sa(sv))", 0);
  if (ret < 0)
    {
      sd_bus_message_unref (m);
      return c->svc->error (c, -ret, "--systemd-cgroup: build the request for %s", u->unit);
    }
  ret = sd_bus_call (bus, m, 0, &error, &reply);
  sd_bus_message_unref (m);
  sd_bus_message_unref (reply);
  if (ret < 0)
    {
      ret = c->svc->error (c, 0, "--systemd-cgroup: systemd cannot start the scope %s in %s: %s",
                           u->unit, u->slice, error.message ? error.message : strerror (-ret));
      sd_bus_error_free (&error);
      return ret;
    }
  /* Recorded only now: a scope of that name that systemd refused to
   * start belongs to someone else, and the destroy of this failed
   * create must leave it alone. */
  if (mark != NULL && (ret = cgroup_systemd_mark (c, mark, u->unit, true)) < 0)
    {
      cgroup_systemd_stop_unit (c, u->unit);
      return ret;
    }

  /* The scope is up once systemd has moved the init into its cgroup. */
  deadline = now_ns () + SCOPE_WAIT_NS;
  while (!pid_at (pid, NULL, u->path))
    {
      struct timespec pause = { 0, 5000000 };

      if (now_ns () >= deadline)
        return c->svc->error (c, ETIMEDOUT, "--systemd-cgroup: the scope %s did not take %d",
                              u->unit, (int)pid);
      nanosleep (&pause, NULL);
    }
  /* systemd moves the init into each hierarchy in turn, within one step of
   * its loop: any answer of it comes after the last move. */
  sd_bus_call_method (bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", NULL, &reply,
                      "s", u->unit);
  sd_bus_message_unref (reply);
  return 0;
}

int
cgroup_systemd_stop_unit (struct modrun_container *c, const char *unit)
{
  cleanup_bus sd_bus *bus = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  int ret = bus_open (&bus);

  if (ret < 0)
    return c->svc->error (c, -ret, "--systemd-cgroup: cannot reach systemd on D-Bus");
  ret = sd_bus_call_method (bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", &error,
                            &reply, "ss", unit, "replace");
  sd_bus_message_unref (reply);
  if (ret < 0 && !sd_bus_error_has_name (&error, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      ret = c->svc->error (c, 0, "--systemd-cgroup: systemd cannot stop %s: %s", unit,
                           error.message ? error.message : strerror (-ret));
      sd_bus_error_free (&error);
      return ret;
    }
  sd_bus_error_free (&error);
  return 0;
}

/* The limits of cgroup v1 files, handed to systemd as the scope's own. */

void
cgroup_systemd_props_clear (struct cgroup_systemd_props *p)
{
  free (p->devices);
  memset (p, 0, sizeof (*p));
}

/* Reads FILE of DIR into BUF (its first line). */
static int
read_line (const char *dir, const char *file, char *buf, size_t len)
{
  char path[PATH_MAX];
  ssize_t n;
  int fd;

  if ((size_t)snprintf (path, sizeof (path), "%s/%s", dir, file) >= sizeof (path))
    return -ENAMETOOLONG;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  n = read (fd, buf, len - 1);
  close (fd);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return 0;
}

static int
read_u64 (struct modrun_container *c, const char *dir, const char *file, uint64_t *out)
{
  char buf[64], *end;
  int ret = read_line (dir, file, buf, sizeof (buf));
  long long v;

  if (ret < 0)
    return c->svc->error (c, -ret, "--systemd-cgroup: read %s/%s", dir, file);
  if (strcmp (buf, "max") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  errno = 0;
  v = strtoll (buf, &end, 10);
  if (errno != 0 || end == buf)
    return c->svc->error (c, EINVAL, "--systemd-cgroup: %s/%s holds \"%s\"", dir, file, buf);
  *out = v < 0 ? UINT64_MAX : (uint64_t)v;
  return 0;
}

/* One line of devices.list, "c 1:3 rwm", as a DeviceAllow= entry. */
static int
device_entry (struct modrun_container *c, const char *line, struct cgroup_systemd_device *d)
{
  char type, maj[24], min[24], acc[8], name[64];
  const char *kind;

  if (sscanf (line, "%c %23[^:]:%23s %7s", &type, maj, min, acc) != 4
      || (type != 'c' && type != 'b'))
    return c->svc->error (c, EINVAL, "--systemd-cgroup: devices.list holds \"%s\"", line);
  kind = type == 'c' ? "char" : "block";
  snprintf (d->access, sizeof (d->access), "%s", acc);
  if (strcmp (maj, "*") == 0 && strcmp (min, "*") == 0)
    snprintf (d->path, sizeof (d->path), "%s-*", kind);
  else if (strcmp (maj, "*") == 0)
    return c->svc->error (c, 0,
                          "--systemd-cgroup: the device rule \"%s\" (any major, one minor) "
                          "has no systemd DeviceAllow= form",
                          line);
  else if (strcmp (min, "*") != 0)
    snprintf (d->path, sizeof (d->path), "/dev/%s/%s:%s", kind, maj, min);
  else if (cgroup_device_driver (type == 'b', strtol (maj, NULL, 10), name, sizeof (name)) == 0)
    snprintf (d->path, sizeof (d->path), "%s-%s", kind, name);
  else
    return c->svc->error (c, 0,
                          "--systemd-cgroup: the device rule \"%s\" names every device of major "
                          "%s, which systemd's DeviceAllow= cannot name alone (/proc/devices)",
                          line, maj);
  return 0;
}

static int
read_devices (struct modrun_container *c, const char *dir, struct cgroup_systemd_props *p)
{
  char path[PATH_MAX], buf[65536], *line, *save = NULL;
  ssize_t n;
  int fd;

  snprintf (path, sizeof (path), "%s/devices.list", dir);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return c->svc->error (c, errno, "--systemd-cgroup: read %s", path);
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n < 0)
    return c->svc->error (c, errno, "--systemd-cgroup: read %s", path);
  buf[n] = '\0';
  for (line = strtok_r (buf, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      struct cgroup_systemd_device *nd;
      int ret;

      /* Every device allowed: systemd's "auto" policy with no list. */
      if (line[0] == 'a')
        {
          p->devices_all = true;
          p->n_devices = 0;
          return 0;
        }
      nd = realloc (p->devices, (p->n_devices + 1) * sizeof (*nd));
      if (nd == NULL)
        return c->svc->error (c, ENOMEM, "--systemd-cgroup: devices");
      p->devices = nd;
      ret = device_entry (c, line, &p->devices[p->n_devices]);
      if (ret < 0)
        return ret;
      p->n_devices++;
    }
  return 0;
}

int
cgroup_systemd_read_v1 (struct modrun_container *c, const struct cgroup_systemd_dirs *d,
                        unsigned int what, struct cgroup_systemd_props *p)
{
  int ret;

  if ((what & CGROUP_SYSTEMD_MEMORY) && d->memory != NULL)
    {
      if ((ret = read_u64 (c, d->memory, "memory.limit_in_bytes", &p->memory_max)) < 0)
        return ret;
      /* The kernel's "no limit" is the largest page multiple. */
      if (p->memory_max >= (UINT64_C (1) << 62))
        p->memory_max = UINT64_MAX;
      p->set |= CGROUP_SYSTEMD_MEMORY;
    }
  if ((what & CGROUP_SYSTEMD_TASKS) && d->pids != NULL)
    {
      if ((ret = read_u64 (c, d->pids, "pids.max", &p->tasks_max)) < 0)
        return ret;
      p->set |= CGROUP_SYSTEMD_TASKS;
    }
  if ((what & CGROUP_SYSTEMD_CPU) && d->cpu != NULL)
    {
      uint64_t quota;

      if ((ret = read_u64 (c, d->cpu, "cpu.shares", &p->cpu_shares)) < 0
          || (ret = read_u64 (c, d->cpu, "cpu.cfs_period_us", &p->cpu_period)) < 0
          || (ret = read_u64 (c, d->cpu, "cpu.cfs_quota_us", &quota)) < 0)
        return ret;
      /* systemd writes PERIOD * PER_SEC / 1s, rounding down: rounding up
       * here gives the same quota back. */
      p->cpu_quota_per_sec = quota == UINT64_MAX || p->cpu_period == 0
                                 ? UINT64_MAX
                                 : (quota * 1000000 + p->cpu_period - 1) / p->cpu_period;
      p->set |= CGROUP_SYSTEMD_CPU;
    }
  if ((what & CGROUP_SYSTEMD_DEVICES) && d->devices != NULL)
    {
      if ((ret = read_devices (c, d->devices, p)) < 0)
        return ret;
      p->set |= CGROUP_SYSTEMD_DEVICES;
    }
  return 0;
}

int
cgroup_systemd_read_v2 (struct modrun_container *c, const char *dir, unsigned int what,
                        struct cgroup_systemd_props *p)
{
  char buf[128];
  int ret;

  p->v2 = true;
  if (what & CGROUP_SYSTEMD_MEMORY)
    {
      if ((ret = read_u64 (c, dir, "memory.max", &p->memory_max)) < 0
          || (ret = read_u64 (c, dir, "memory.high", &p->memory_high)) < 0
          || (ret = read_u64 (c, dir, "memory.low", &p->memory_low)) < 0
          || (ret = read_u64 (c, dir, "memory.min", &p->memory_min)) < 0)
        return ret;
      /* No swap accounting, no file. */
      p->has_swap = read_line (dir, "memory.swap.max", buf, sizeof (buf)) == 0;
      if (p->has_swap && (ret = read_u64 (c, dir, "memory.swap.max", &p->memory_swap_max)) < 0)
        return ret;
      p->set |= CGROUP_SYSTEMD_MEMORY;
    }
  if (what & CGROUP_SYSTEMD_TASKS)
    {
      if ((ret = read_u64 (c, dir, "pids.max", &p->tasks_max)) < 0)
        return ret;
      p->set |= CGROUP_SYSTEMD_TASKS;
    }
  if (what & CGROUP_SYSTEMD_CPU)
    {
      char quota[32];
      unsigned long long period;

      if ((ret = read_u64 (c, dir, "cpu.weight", &p->cpu_weight)) < 0)
        return ret;
      /* An idle cgroup is systemd's CPUWeight=idle, 0 on the bus. */
      if (read_line (dir, "cpu.idle", buf, sizeof (buf)) == 0 && strcmp (buf, "1") == 0)
        p->cpu_weight = 0;
      if ((ret = read_line (dir, "cpu.max", buf, sizeof (buf))) < 0)
        return c->svc->error (c, -ret, "--systemd-cgroup: read %s/cpu.max", dir);
      if (sscanf (buf, "%31s %llu", quota, &period) != 2 || period == 0)
        return c->svc->error (c, EINVAL, "--systemd-cgroup: %s/cpu.max holds \"%s\"", dir, buf);
      p->cpu_period = period;
      p->cpu_quota_per_sec = strcmp (quota, "max") == 0
                                 ? UINT64_MAX
                                 : (strtoull (quota, NULL, 10) * 1000000 + period - 1) / period;
      p->set |= CGROUP_SYSTEMD_CPU;
    }
  if ((what & CGROUP_SYSTEMD_IO) && read_line (dir, "io.weight", buf, sizeof (buf)) == 0)
    {
      unsigned long long w = 0;

      p->has_io_weight = sscanf (buf, "default %llu", &w) == 1;
      p->io_weight = w;
      p->set |= CGROUP_SYSTEMD_IO;
    }
  return 0;
}

int
cgroup_systemd_sync_v2 (struct modrun_container *c, const char *unit, const char *dir,
                        unsigned int what)
{
  struct cgroup_systemd_props p = { 0 };
  int ret = cgroup_systemd_read_v2 (c, dir, what, &p);

  if (ret == 0)
    ret = cgroup_systemd_set_props (c, unit, &p);
  cgroup_systemd_props_clear (&p);
  return ret;
}

static int
append_devices (sd_bus_message *m, const struct cgroup_systemd_props *p)
{
  const char *policy = p->devices_all ? "auto" : "strict";
  size_t i;
  int ret;

  /* An empty list first empties what the scope had; the policy goes
   * last, as emptying the list sets it back to "auto". */
  ret = sd_bus_message_append (m, "(sv)", "DeviceAllow", "a(ss)", 0);
  if (ret < 0 || p->devices_all || p->n_devices == 0)
    return ret < 0 ? ret : append_prop (m, "DevicePolicy", 's', policy);
  if ((ret = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (ret = sd_bus_message_append (m, "s", "DeviceAllow")) < 0
      || (ret = sd_bus_message_open_container (m, 'v', "a(ss)")) < 0
      || (ret = sd_bus_message_open_container (m, 'a', "(ss)")) < 0)
    return ret;
  for (i = 0; i < p->n_devices; i++)
    if ((ret = sd_bus_message_append (m, "(ss)", p->devices[i].path, p->devices[i].access)) < 0)
      return ret;
  if ((ret = sd_bus_message_close_container (m)) < 0
      || (ret = sd_bus_message_close_container (m)) < 0
      || (ret = sd_bus_message_close_container (m)) < 0)
    return ret;
  return append_prop (m, "DevicePolicy", 's', policy);
}

int
cgroup_systemd_set_props (struct modrun_container *c, const char *unit,
                          const struct cgroup_systemd_props *p)
{
  cleanup_bus sd_bus *bus = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  int ret;

  if (p->set == 0)
    return 0;
  ret = bus_open (&bus);
  if (ret < 0)
    return c->svc->error (c, -ret, "--systemd-cgroup: cannot reach systemd on D-Bus");
  ret = sd_bus_message_new_method_call (bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "SetUnitProperties");
  if (ret >= 0)
    ret = sd_bus_message_append (m, "sb", unit, 1);
  if (ret >= 0)
    ret = sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_MEMORY))
    ret = append_prop (m, "MemoryMax", 't', &p->memory_max);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_TASKS))
    ret = append_prop (m, "TasksMax", 't', &p->tasks_max);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_MEMORY) && p->v2)
    {
      ret = append_prop (m, "MemoryHigh", 't', &p->memory_high);
      if (ret >= 0)
        ret = append_prop (m, "MemoryLow", 't', &p->memory_low);
      if (ret >= 0)
        ret = append_prop (m, "MemoryMin", 't', &p->memory_min);
      if (ret >= 0 && p->has_swap)
        ret = append_prop (m, "MemorySwapMax", 't', &p->memory_swap_max);
    }
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_CPU))
    ret = p->v2 ? append_prop (m, "CPUWeight", 't', &p->cpu_weight)
                : append_prop (m, "CPUShares", 't', &p->cpu_shares);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_IO) && p->has_io_weight)
    ret = append_prop (m, "IOWeight", 't', &p->io_weight);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_CPU))
    ret = append_prop (m, "CPUQuotaPerSecUSec", 't', &p->cpu_quota_per_sec);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_CPU) && p->cpu_period > 0)
    ret = append_prop (m, "CPUQuotaPeriodUSec", 't', &p->cpu_period);
  if (ret >= 0 && (p->set & CGROUP_SYSTEMD_DEVICES))
    ret = append_devices (m, p);
  if (ret >= 0)
    ret = sd_bus_message_close_container (m);
  if (ret < 0)
    {
      sd_bus_message_unref (m);
      return c->svc->error (c, -ret, "--systemd-cgroup: build the properties of %s", unit);
    }
  ret = sd_bus_call (bus, m, 0, &error, &reply);
  sd_bus_message_unref (m);
  sd_bus_message_unref (reply);
  if (ret < 0)
    {
      ret = c->svc->error (c, 0, "--systemd-cgroup: systemd cannot set the limits of %s: %s", unit,
                           error.message ? error.message : strerror (-ret));
      sd_bus_error_free (&error);
      return ret;
    }
  return 0;
}

int
cgroup_systemd_sync_v1 (struct modrun_container *c, const char *unit,
                        const struct cgroup_systemd_dirs *d, unsigned int what)
{
  struct cgroup_systemd_props p = { 0 };
  int ret = cgroup_systemd_read_v1 (c, d, what, &p);

  if (ret == 0)
    ret = cgroup_systemd_set_props (c, unit, &p);
  cgroup_systemd_props_clear (&p);
  return ret;
}

int
cgroup_systemd_start_init_scope (struct modrun_container *c, const char *mark, uint64_t memory_max,
                                 uint64_t tasks_max)
{
  const modrun_json *given = modrun_json_path (c->config, "linux.cgroupsPath");
  struct cgroup_systemd_unit u;
  int ret = cgroup_systemd_resolve (
      c, given != NULL && given->type == MODRUN_JSON_STRING ? given->string : NULL, &u);

  if (ret < 0)
    return ret;
  return cgroup_systemd_start_scope (c, &u, c->pid, memory_max, tasks_max, mark);
}
