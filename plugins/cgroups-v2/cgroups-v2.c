/* cgroups-v2: linux.cgroupsPath and linux.resources on hosts where the
 * unified hierarchy is the only one (no cgroup v1 hierarchy mounted). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-v2.h"
#include "systemd-path.h"

/* Controllers enabled along the path even when no limit needs them, so that
 * statistics and later updates find their files. */
#define CG2_WANTED (CG2_CPU | CG2_MEMORY | CG2_PIDS | CG2_IO | CG2_CPUSET | CG2_HUGETLB)

static int
load (struct modrun_container *c, struct cg2_host *host, bool with_path)
{
  int ret = cg2_host_load (c, host);

  if (ret < 0)
    return ret;
  return with_path ? cg2_host_set_path (c, host) : 0;
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
cgroups_v2_probe (struct modrun_container *c, void **data)
{
  cleanup_cg2_host struct cg2_host host = { 0 };

  (void)data;
  return load (c, &host, false);
}

static int
cgroups_v2_validate (struct modrun_container *c, void **data)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  const modrun_json *res;
  unsigned int need;
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0)
    return ret;
  return cg2_validate_resources (c, &host, res, &need);
}

/* A cgroup that exists already and has processes, in it or below it, is
 * refused: a container never shares its cgroup, whose limits, freezer and
 * kill --all would reach the other processes too. */
static int
check_unused (struct modrun_container *c, struct cg2_host *host)
{
  cleanup_cg2_free pid_t *pids = NULL;
  size_t n = 0;
  int ret;

  if (!cg2_file_exists (host->dir, "cgroup.procs"))
    return 0;
  ret = cg2_pids (c, host->dir, &pids, &n);
  if (ret < 0)
    return ret;
  if (n > 0)
    return c->svc->error (c, 0,
                          "linux.cgroupsPath: cgroup %s is not empty: %zu process%s in %s already",
                          host->path, n, n == 1 ? "" : "es", host->dir);
  return 0;
}

static int
cgroups_v2_prepare (struct modrun_container *c, void **data)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  const modrun_json *res;
  unsigned int need;
  int ret;

  (void)data;
  /* An exec joins its container's cgroup: not its own to make. */
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0
      || (ret = cg2_validate_resources (c, &host, res, &need)) < 0
      || (ret = check_unused (c, &host)) < 0)
    return ret;
  /* systemd makes the scope's cgroup once the init is there to join it. */
  if (host.unit != NULL)
    return 0;
  ret = cg2_create_dirs (c, &host, need, CG2_WANTED & host.available);
  if (ret == 0)
    ret = cg2_apply_resources (c, &host, res, false);
  if (ret < 0)
    {
      cg2_destroy_dirs (c, false);
      return ret;
    }
  /* The init is born in its cgroup (clone3), which spares the kernel's
   * global migration lock that a write to cgroup.procs takes. */
  if (c->size >= sizeof (*c))
    c->cgroup_fd = open (host.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return 0;
}

static void
close_cgroup_fd (struct modrun_container *c)
{
  if (c->size >= sizeof (*c) && c->cgroup_fd >= 0)
    {
      close (c->cgroup_fd);
      c->cgroup_fd = -1;
    }
}

static int
cgroups_v2_parent_after_clone (struct modrun_container *c, void **data)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  char pid[32];
  int ret;

  (void)data;
  ret = load (c, &host, true);
  if (ret < 0)
    return ret;
  if (host.unit != NULL && c->command != MODRUN_CMD_EXEC)
    {
      const modrun_json *res;
      uint64_t memory_max, tasks_max;

      if ((ret = resources_of (c, &res)) < 0)
        return ret;
      cgroup_systemd_scope_limits (res, &memory_max, &tasks_max);
      ret = cgroup_systemd_start_init_scope (c, CG2_SYSTEMD_NAME, memory_max, tasks_max);
      if (ret < 0 || (ret = cg2_apply_resources (c, &host, res, false)) < 0)
        return ret;
      /* A reload of systemd writes the scope's properties again: they
       * must be what the kernel holds now. */
      return cgroup_systemd_sync_v2 (c, host.unit, host.dir, CGROUP_SYSTEMD_ALL);
    }
  if (c->size >= sizeof (*c) && c->born_in_cgroup && c->cgroup_fd >= 0)
    {
      close_cgroup_fd (c);
      return 0;
    }
  close_cgroup_fd (c);
  snprintf (pid, sizeof (pid), "%d", (int)c->pid);
  return cg2_write (c, host.dir, "cgroup.procs", pid, NULL);
}

static int
cgroups_v2_destroy (struct modrun_container *c, void **data)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  int ret;

  (void)data;
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  close_cgroup_fd (c);
  if ((ret = load (c, &host, true)) < 0)
    return ret;
  if (host.unit == NULL)
    return cg2_destroy_dirs (c, c->command == MODRUN_CMD_DELETE);
  /* A scope this container did not start (systemd refused it: another
   * container's, maybe) is not its to stop. */
  if (!cgroup_systemd_marked (c, CG2_SYSTEMD_NAME))
    return 0;

  /* Stopping the scope kills what is left in it, and systemd removes its
   * cgroup; the processes go first, so that no stop timeout is waited.
   * systemd may be removing the cgroup of a scope that became empty
   * meanwhile: a cgroup that went away is no failure. */
  if (access (host.dir, F_OK) == 0 && (ret = cg2_kill_all (c, host.dir, SIGKILL)) < 0
      && access (host.dir, F_OK) == 0)
    return ret;
  if ((ret = cgroup_systemd_stop_unit (c, host.unit)) < 0)
    return ret;
  return cgroup_systemd_mark (c, CG2_SYSTEMD_NAME, host.unit, false);
}

static int
cgroups_v2_update (struct modrun_container *c, void **data, const modrun_json *resources)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  unsigned int need;
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0
      || (ret = cg2_validate_resources (c, &host, resources, &need)) < 0
      || (ret = cg2_apply_resources (c, &host, resources, true)) < 0)
    return ret;
  return host.unit == NULL ? 0
                           : cgroup_systemd_sync_v2 (c, host.unit, host.dir, CGROUP_SYSTEMD_ALL);
}

static int
freeze (struct modrun_container *c, bool frozen)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  int ret = load (c, &host, true);

  if (ret < 0)
    return ret;
  return cg2_freeze (c, &host, frozen);
}

static int
cgroups_v2_pause (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, true);
}

static int
cgroups_v2_resume (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, false);
}

static int
cgroups_v2_stats (struct modrun_container *c, void **data, modrun_json *out)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg2_stats (c, &host, out);
}

static int
cgroups_v2_kill_all (struct modrun_container *c, void **data, int signo)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg2_kill_all (c, host.dir, signo);
}

static int
cgroups_v2_list_pids (struct modrun_container *c, void **data, pid_t **pids, size_t *n)
{
  cleanup_cg2_host struct cg2_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return cg2_pids (c, host.dir, pids, n);
}

static int
cgroups_v2_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *cg;

  if (linux_obj == NULL)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    return svc->error (c, ENOMEM, "features: linux");
  cg = svc->json_add (linux_obj, "cgroup", MODRUN_JSON_OBJECT);
  if (cg == NULL || svc->json_add_bool (cg, "v1", 0) < 0 || svc->json_add_bool (cg, "v2", 1) < 0
      || svc->json_add_bool (cg, "systemd", 1) < 0 || svc->json_add_bool (cg, "systemdUser", 0) < 0
      || svc->json_add_bool (cg, "rdma", 1) < 0)
    return svc->error (c, ENOMEM, "features: linux.cgroup");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (cgroups_v2) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_CGROUPS,
  .name = "cgroups-v2",
  .version = PACKAGE_VERSION,
  .description = "cgroup v2 unified hierarchy: linux.cgroupsPath, linux.resources, eBPF devices",
  .probe = cgroups_v2_probe,
  .validate = cgroups_v2_validate,
  .prepare = cgroups_v2_prepare,
  .parent_after_clone = cgroups_v2_parent_after_clone,
  .destroy = cgroups_v2_destroy,
  .update = cgroups_v2_update,
  .pause = cgroups_v2_pause,
  .resume = cgroups_v2_resume,
  .stats = cgroups_v2_stats,
  .kill_all = cgroups_v2_kill_all,
  .list_pids = cgroups_v2_list_pids,
  .features = cgroups_v2_features,
};
