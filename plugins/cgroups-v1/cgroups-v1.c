/* cgroups-v1: linux.cgroupsPath and linux.resources on cgroup v1 hosts,
 * hybrid ones included (the cgroup2 hierarchy of those is joined too, so
 * that the container's path shows there as well, but holds no limits). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-v1.h"
#include "systemd-path.h"

/* The hierarchies and the container's directories in them. */
static int
load (struct modrun_container *c, struct cg1_host *host, bool with_path)
{
  int ret = cg1_host_load (c, host);

  if (ret < 0)
    return ret;
  if (host->n_v1 == 0)
    return c->svc->error (c, ENOENT, "no cgroup v1 hierarchy is mounted on this host");
  return with_path ? cg1_host_set_path (c, host) : 0;
}

static int
resources_of (struct modrun_container *c, const modrun_json **res)
{
  const modrun_json *linux_obj = modrun_json_get (c->config, "linux");

  *res = NULL;
  if (linux_obj == NULL)
    return 0;
  return c->svc->get_object (c, linux_obj, "linux", "resources", res);
}

static int
cgroups_v1_probe (struct modrun_container *c, void **data)
{
  cleanup_cg1_host struct cg1_host host = { 0 };

  (void)data;
  return load (c, &host, false);
}

static int
cgroups_v1_validate (struct modrun_container *c, void **data)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  const modrun_json *res;
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0)
    return ret;
  if (host.unit != NULL
      && (ret = cgroup_systemd_check_devices (c, modrun_json_get (res, "devices"))) < 0)
    return ret;
  return cg1_validate_resources (c, &host, res);
}

/* Marks the hierarchies where systemd put the init for the scope; the
 * runtime makes the container's directory in the others itself. */
static void
find_systemd_dirs (struct modrun_container *c, struct cg1_host *host)
{
  size_t i;

  for (i = 0; i < host->n; i++)
    host->h[i].by_systemd = cgroup_systemd_pid_placed (
        c->pid, host->h[i].unified ? "" : host->h[i].controllers, host->path);
}

/* Hands the limits of the controllers systemd manages in the scope to it,
 * read back from the kernel, so that a reload of systemd keeps them. */
static int
systemd_sync (struct modrun_container *c, struct cg1_host *host, unsigned int what)
{
  struct cgroup_systemd_dirs d = { NULL, NULL, NULL, NULL };
  struct cg1_hierarchy *h;

  if ((h = cg1_host_find (host, CG1_MEMORY)) != NULL && h->by_systemd)
    d.memory = h->dir;
  if ((h = cg1_host_find (host, CG1_PIDS)) != NULL && h->by_systemd)
    d.pids = h->dir;
  if ((h = cg1_host_find (host, CG1_CPU)) != NULL && h->by_systemd)
    d.cpu = h->dir;
  if ((h = cg1_host_find (host, CG1_DEVICES)) != NULL && h->by_systemd)
    d.devices = h->dir;
  return cgroup_systemd_sync_v1 (c, host->unit, &d, what);
}

/* The scope, once the init exists: systemd makes it and moves the init
 * there; the runtime makes the rest, moves the init there, and writes
 * every limit. */
static int
systemd_start (struct modrun_container *c, struct cg1_host *host)
{
  const modrun_json *res;
  char pid[32];
  size_t i;
  int ret;

  if ((ret = resources_of (c, &res)) < 0
      || (ret = cgroup_systemd_start_init_scope (c, CG1_SYSTEMD_NAME, 0, 0)) < 0)
    return ret;
  find_systemd_dirs (c, host);
  if ((ret = cg1_create_dirs (c, host)) < 0 || (ret = cg1_check_unused (c, host)) < 0
      || (ret = cg1_cpuset_init (c, host, res)) < 0
      || (ret = cg1_apply_resources (c, host, res, true)) < 0)
    return ret;
  snprintf (pid, sizeof (pid), "%d", (int)c->pid);
  for (i = 0; i < host->n; i++)
    if (!host->h[i].by_systemd && (ret = cg1_write (c, host->h[i].dir, "cgroup.procs", pid)) < 0)
      return ret;
  return systemd_sync (c, host, CGROUP_SYSTEMD_ALL);
}

/* What prepare opened so that the init is made in, or moves itself into,
 * its cgroups without the kernel's global migration lock: the "tasks"
 * files of the v1 hierarchies (the init writes "0" there itself) and the
 * directory in the cgroup2 hierarchy of a hybrid host (clone3). */
struct cg1_join
{
  int32_t fds[32];
  uint32_t n;
  int cgroup_fd;
};

static void
join_close (struct modrun_container *c, struct cg1_join *j)
{
  uint32_t i;

  if (j == NULL)
    return;
  for (i = 0; i < j->n; i++)
    close (j->fds[i]);
  j->n = 0;
  if (j->cgroup_fd >= 0)
    close (j->cgroup_fd);
  j->cgroup_fd = -1;
  if (c != NULL)
    {
      c->join_fds = NULL;
      c->n_join_fds = 0;
      c->cgroup_fd = -1;
    }
}

static void
cgroups_v1_release (void *data)
{
  join_close (NULL, data);
  free (data);
}

/* Opens what the init joins its cgroups through; on any failure the
 * runtime moves it afterwards as before. */
static void
join_open (struct modrun_container *c, struct cg1_host *host, void **data)
{
  struct cg1_join *j = *data;
  size_t i;

  if (j == NULL)
    {
      j = calloc (1, sizeof (*j));
      if (j == NULL)
        return;
      j->cgroup_fd = -1;
      *data = j;
    }
  join_close (c, j);
  for (i = 0; i < host->n; i++)
    {
      struct cg1_hierarchy *h = &host->h[i];

      if (h->dir == NULL)
        continue;
      if (h->unified)
        {
          if (j->cgroup_fd < 0)
            j->cgroup_fd = open (h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          continue;
        }
      if (j->n < sizeof (j->fds) / sizeof (j->fds[0]))
        {
          char path[PATH_MAX];
          int fd;

          if ((size_t)snprintf (path, sizeof (path), "%s/tasks", h->dir) >= sizeof (path)
              || (fd = open (path, O_WRONLY | O_CLOEXEC)) < 0)
            {
              join_close (c, j);
              return;
            }
          j->fds[j->n++] = fd;
        }
      else
        {
          join_close (c, j);
          return;
        }
    }
  c->join_fds = j->fds;
  c->n_join_fds = j->n;
  c->cgroup_fd = j->cgroup_fd;
}

static int
cgroups_v1_prepare (struct modrun_container *c, void **data)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  const modrun_json *res;
  int ret;

  /* An exec joins the cgroups of its container; they are not its own to
   * make, nor to record. */
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0)
    return ret;
  /* systemd makes the scope once the init is there to join it. */
  if (host.unit != NULL)
    return 0;
  /* Checked once the record of what prepare made is written, so that
   * the destroy of the failed create takes nothing it did not make. */
  ret = cg1_create_dirs (c, &host);
  if (ret < 0)
    return ret;
  ret = cg1_check_unused (c, &host);
  if (ret == 0)
    ret = cg1_cpuset_init (c, &host, res);
  if (ret == 0)
    ret = cg1_apply_resources (c, &host, res, true);
  if (ret < 0)
    {
      cg1_undo_dirs (c);
      return ret;
    }
  join_open (c, &host, data);
  return 0;
}

static int
cgroups_v1_parent_after_clone (struct modrun_container *c, void **data)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  char pid[32];
  size_t i;
  int ret;

  ret = load (c, &host, true);
  if (ret >= 0 && host.unit != NULL && c->command != MODRUN_CMD_EXEC)
    {
      join_close (c, *data);
      return systemd_start (c, &host);
    }
  if (ret >= 0)
    snprintf (pid, sizeof (pid), "%d", (int)c->pid);
  for (i = 0; ret >= 0 && i < host.n; i++)
    {
      /* Already there: it moved itself, or was born there. */
      if (host.h[i].unified ? c->born_in_cgroup != 0 : c->joined != 0)
        continue;
      ret = cg1_write (c, host.h[i].dir, "cgroup.procs", pid);
    }
  join_close (c, *data);
  return ret < 0 ? ret : 0;
}

static int
cgroups_v1_destroy (struct modrun_container *c, void **data)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret;

  join_close (c, *data);
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  if ((ret = load (c, &host, true)) < 0)
    return ret;
  if (host.unit == NULL)
    return cg1_destroy_dirs (c);
  /* A scope this container did not start (systemd refused it: another
   * container's, maybe) is not its to stop, and nothing was made in it. */
  if (!cgroup_systemd_marked (c, CG1_SYSTEMD_NAME))
    return 0;

  /* Stopping the scope kills what is left in it, and systemd removes the
   * directories it made; the processes go first, so that no stop timeout
   * is waited. Then the runtime's own directories. */
  if ((ret = cg1_kill_all (c, &host, SIGKILL)) < 0
      || (ret = cgroup_systemd_stop_unit (c, host.unit)) < 0 || (ret = cg1_destroy_dirs (c)) < 0)
    return ret;
  return cgroup_systemd_mark (c, CG1_SYSTEMD_NAME, host.unit, false);
}

static int
cgroups_v1_update (struct modrun_container *c, void **data, const modrun_json *resources)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0 || (ret = cg1_validate_resources (c, &host, resources)) < 0)
    return ret;
  if (host.unit == NULL)
    return cg1_apply_resources (c, &host, resources, false);
  if ((ret = cgroup_systemd_check_devices (c, modrun_json_get (resources, "devices"))) < 0
      || (ret = cg1_apply_resources (c, &host, resources, false)) < 0)
    return ret;
  /* What the update changed, told to systemd too. */
  if ((ret = cg1_mark_systemd_dirs (c, &host)) < 0)
    return ret;
  return systemd_sync (c, &host, cgroup_systemd_update_what (resources));
}

static int
freeze (struct modrun_container *c, bool frozen)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret = load (c, &host, true);

  if (ret < 0)
    return ret;
  return cg1_freeze (c, &host, frozen);
}

static int
cgroups_v1_pause (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, true);
}

static int
cgroups_v1_resume (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, false);
}

static int
cgroups_v1_stats (struct modrun_container *c, void **data, modrun_json *out)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg1_stats (c, &host, out);
}

static int
cgroups_v1_kill_all (struct modrun_container *c, void **data, int signo)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg1_kill_all (c, &host, signo);
}

static int
cgroups_v1_list_pids (struct modrun_container *c, void **data, pid_t **pids, size_t *n)
{
  cleanup_cg1_host struct cg1_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg1_pids (c, &host, pids, n);
}

static int
cgroups_v1_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  cleanup_cg1_host struct cg1_host host = { 0 };
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *cg;
  bool rdma = false;

  /* What this host offers, when it can be told; the plugin's abilities
   * are the same either way. */
  if (cg1_host_load (c, &host) == 0)
    rdma = (host.mask & CG1_RDMA) != 0;
  if (linux_obj == NULL)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    return svc->error (c, ENOMEM, "features: linux");
  cg = svc->json_add (linux_obj, "cgroup", MODRUN_JSON_OBJECT);
  if (cg == NULL || svc->json_add_bool (cg, "v1", 1) < 0 || svc->json_add_bool (cg, "v2", 0) < 0
      || svc->json_add_bool (cg, "systemd", 1) < 0 || svc->json_add_bool (cg, "systemdUser", 0) < 0
      || svc->json_add_bool (cg, "rdma", rdma) < 0)
    return svc->error (c, ENOMEM, "features: linux.cgroup");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (cgroups_v1) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_CGROUPS,
  .name = "cgroups-v1",
  .version = PACKAGE_VERSION,
  .description = "linux.cgroupsPath and linux.resources on cgroup v1 and hybrid hosts",
  .probe = cgroups_v1_probe,
  .validate = cgroups_v1_validate,
  .prepare = cgroups_v1_prepare,
  .parent_after_clone = cgroups_v1_parent_after_clone,
  .destroy = cgroups_v1_destroy,
  .release = cgroups_v1_release,
  .update = cgroups_v1_update,
  .pause = cgroups_v1_pause,
  .resume = cgroups_v1_resume,
  .stats = cgroups_v1_stats,
  .kill_all = cgroups_v1_kill_all,
  .list_pids = cgroups_v1_list_pids,
  .features = cgroups_v1_features,
};
