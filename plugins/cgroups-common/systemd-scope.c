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

/* Whether PID's cgroup v2 path, in /proc/PID/cgroup, is PATH. */
static bool
pid_in_cgroup (pid_t pid, const char *path)
{
  char file[64], buf[4096];
  ssize_t n;
  int fd;
  const char *line;

  snprintf (file, sizeof (file), "/proc/%d/cgroup", (int)pid);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  for (line = buf; line != NULL && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp (line, "0::", 3) == 0)
      {
        size_t len = strlen (path);

        return strncmp (line + 3, path, len) == 0
               && (line[3 + len] == '\n' || line[3 + len] == '\0');
      }
  return false;
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
                            pid_t pid, uint64_t memory_max, uint64_t tasks_max)
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

  /* The scope is up once systemd has moved the init into its cgroup. */
  deadline = now_ns () + SCOPE_WAIT_NS;
  while (!pid_in_cgroup (pid, u->path))
    {
      struct timespec pause = { 0, 5000000 };

      if (now_ns () >= deadline)
        return c->svc->error (c, ETIMEDOUT, "--systemd-cgroup: the scope %s did not take %d",
                              u->unit, (int)pid);
      nanosleep (&pause, NULL);
    }
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
