/* cgroups-libcgroup: linux.cgroupsPath and linux.resources through
 * libcgroup, on whichever hierarchies it finds: the cgroup v1 controllers
 * of a v1 or hybrid host (the cgroup2 hierarchy of a hybrid host is left
 * alone), or the controllers of a cgroup2 host, which it can make, join,
 * freeze and remove the container's cgroup in. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-libcgroup.h"
#include "systemd-path.h"

/* libcgroup, the controllers it finds, and with WITH_PATH the container's
 * cgroup. */
static int
load (struct modrun_container *c, struct lcg_host *host, bool with_path)
{
  int ret = lcg_host_load (c, host);

  if (ret < 0)
    return ret;
  return with_path ? lcg_host_set_path (c, host) : 0;
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
lcg_probe (struct modrun_container *c, void **data)
{
  cleanup_lcg_host struct lcg_host host = { 0 };

  (void)data;
  return load (c, &host, false);
}

static int
lcg_validate (struct modrun_container *c, void **data)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  const modrun_json *res;
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0)
    return ret;
  if (host.unit != NULL && !host.v2
      && (ret = cgroup_systemd_check_devices (c, modrun_json_get (res, "devices"))) < 0)
    return ret;
  return lcg_validate_resources (c, &host, res, true);
}

/* The container's directory of controller NAME when systemd made it for
 * the scope (a v1 hierarchy the record does not list), or NULL. */
static const char *
systemd_dir (struct modrun_container *c, struct lcg_host *host, const char *name, char *buf,
             size_t len)
{
  struct lcg_controller *ctl = lcg_host_find (host, name);

  if (ctl == NULL || ctl->v2 || !ctl->used || lcg_made_leaf (c, host, name)
      || (size_t)snprintf (buf, len, "%s%s", ctl->mount, host->path) >= len)
    return NULL;
  return buf;
}

/* Hands the limits of the v1 controllers systemd manages in the scope to
 * it, read back from the kernel, so that a reload of systemd keeps them. */
static int
systemd_sync (struct modrun_container *c, struct lcg_host *host, unsigned int what)
{
  char mem[PATH_MAX], pids[PATH_MAX], cpu[PATH_MAX], dev[PATH_MAX];
  struct cgroup_systemd_dirs d;

  if (host->v2)
    {
      struct lcg_controller *ctl = lcg_host_find (host, "memory");

      if (ctl == NULL && host->n > 0)
        ctl = &host->ctl[0];
      if (ctl == NULL
          || (size_t)snprintf (mem, sizeof (mem), "%s%s", ctl->mount, host->path) >= sizeof (mem))
        return c->svc->error (c, ENAMETOOLONG, "--systemd-cgroup: %s", host->path);
      return cgroup_systemd_sync_v2 (c, host->unit, mem, what);
    }
  d.memory = systemd_dir (c, host, "memory", mem, sizeof (mem));
  d.pids = systemd_dir (c, host, "pids", pids, sizeof (pids));
  d.cpu = systemd_dir (c, host, "cpu", cpu, sizeof (cpu));
  d.devices = systemd_dir (c, host, "devices", dev, sizeof (dev));
  return cgroup_systemd_sync_v1 (c, host->unit, &d, what);
}

/* The scope, once the init exists: systemd makes it and moves the init
 * there; libcgroup makes what systemd left, moves the init into every
 * controller, and writes every limit. */
static int
systemd_start (struct modrun_container *c, struct lcg_host *host)
{
  const modrun_json *res;
  uint64_t memory_max = 0, tasks_max = 0;
  int ret;

  if ((ret = resources_of (c, &res)) < 0)
    return ret;
  if (host->v2)
    cgroup_systemd_scope_limits (res, &memory_max, &tasks_max);
  if ((ret = cgroup_systemd_start_init_scope (c, LCG_SYSTEMD_NAME, memory_max, tasks_max)) < 0
      || (ret = lcg_create (c, host, res)) < 0 || (ret = lcg_attach (c, host)) < 0)
    return ret;
  return systemd_sync (c, host, CGROUP_SYSTEMD_ALL);
}

static int
lcg_prepare (struct modrun_container *c, void **data)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  const modrun_json *res;
  int ret;

  (void)data;
  /* An exec joins the cgroups of its container; they are not its own to
   * make, nor to record. */
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  if ((ret = load (c, &host, true)) < 0 || (ret = resources_of (c, &res)) < 0)
    return ret;
  /* systemd makes the scope once the init is there to join it. */
  if (host.unit != NULL)
    return 0;
  return lcg_create (c, &host, res);
}

static int
lcg_parent_after_clone (struct modrun_container *c, void **data)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret;

  (void)data;
  ret = load (c, &host, true);
  if (ret < 0)
    return ret;
  if (host.unit != NULL && c->command != MODRUN_CMD_EXEC)
    return systemd_start (c, &host);
  return lcg_attach (c, &host);
}

static int
lcg_destroy_stage (struct modrun_container *c, void **data)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret;

  (void)data;
  if (c->command == MODRUN_CMD_EXEC)
    return 0;
  if ((ret = load (c, &host, true)) < 0)
    return ret;
  if (host.unit == NULL)
    return lcg_destroy (c);
  /* A scope this container did not start (systemd refused it: another
   * container's, maybe) is not its to stop, and nothing was made in it. */
  if (!cgroup_systemd_marked (c, LCG_SYSTEMD_NAME))
    return 0;
  /* The processes first, so that stopping the scope waits no timeout;
   * then systemd removes its directories, and libcgroup the others. */
  if ((ret = lcg_kill_all (c, &host, SIGKILL)) < 0
      || (ret = cgroup_systemd_stop_unit (c, host.unit)) < 0 || (ret = lcg_destroy (c)) < 0)
    return ret;
  return cgroup_systemd_mark (c, LCG_SYSTEMD_NAME, host.unit, false);
}

static int
lcg_update (struct modrun_container *c, void **data, const modrun_json *resources)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret;

  (void)data;
  if ((ret = load (c, &host, true)) < 0
      || (ret = lcg_validate_resources (c, &host, resources, false)) < 0)
    return ret;
  if (host.unit == NULL)
    return lcg_apply_resources (c, &host, resources, false);
  if ((!host.v2
       && (ret = cgroup_systemd_check_devices (c, modrun_json_get (resources, "devices"))) < 0)
      || (ret = lcg_apply_resources (c, &host, resources, false)) < 0)
    return ret;
  return systemd_sync (c, &host, cgroup_systemd_update_what (resources));
}

static int
freeze (struct modrun_container *c, bool frozen)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret = load (c, &host, true);

  if (ret < 0)
    return ret;
  return lcg_freeze (c, &host, frozen);
}

static int
lcg_pause (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, true);
}

static int
lcg_resume (struct modrun_container *c, void **data)
{
  (void)data;
  return freeze (c, false);
}

static int
lcg_stats_stage (struct modrun_container *c, void **data, modrun_json *out)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return lcg_stats (c, &host, out);
}

static int
lcg_kill_all_stage (struct modrun_container *c, void **data, int signo)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return lcg_kill_all (c, &host, signo);
}

static int
lcg_list_pids (struct modrun_container *c, void **data, pid_t **pids, size_t *n)
{
  cleanup_lcg_host struct lcg_host host = { 0 };
  int ret = load (c, &host, true);

  (void)data;
  if (ret < 0)
    return ret;
  return lcg_pids (c, &host, pids, n);
}

static int
lcg_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  cleanup_lcg_host struct lcg_host host = { 0 };
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *cg;
  bool v1 = true, v2 = false, rdma = false;

  /* What this host offers, when libcgroup can tell. */
  if (lcg_host_load (c, &host) == 0)
    {
      v1 = !host.v2;
      v2 = host.v2;
      rdma = lcg_host_find (&host, "rdma") != NULL && !host.v2;
    }
  if (linux_obj == NULL)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    return svc->error (c, ENOMEM, "features: linux");
  cg = svc->json_add (linux_obj, "cgroup", MODRUN_JSON_OBJECT);
  if (cg == NULL || svc->json_add_bool (cg, "v1", v1) < 0 || svc->json_add_bool (cg, "v2", v2) < 0
      || svc->json_add_bool (cg, "systemd", 1) < 0 || svc->json_add_bool (cg, "systemdUser", 0) < 0
      || svc->json_add_bool (cg, "rdma", rdma) < 0)
    return svc->error (c, ENOMEM, "features: linux.cgroup");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (cgroups_libcgroup) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_CGROUPS,
  .name = LCG_NAME,
  .version = PACKAGE_VERSION,
  .description = "linux.cgroupsPath and linux.resources through libcgroup",
  .probe = lcg_probe,
  .validate = lcg_validate,
  .prepare = lcg_prepare,
  .parent_after_clone = lcg_parent_after_clone,
  .destroy = lcg_destroy_stage,
  .update = lcg_update,
  .pause = lcg_pause,
  .resume = lcg_resume,
  .stats = lcg_stats_stage,
  .kill_all = lcg_kill_all_stage,
  .list_pids = lcg_list_pids,
  .features = lcg_features,
};
