/* seccomp: linux.seccomp through libseccomp. The runtime compiles the
 * filter; the container's init only loads the instructions and, for
 * SCMP_ACT_NOTIFY, hands the notification fd to the agent. */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "seccomp-plugin.h"

static void
sc_data_free (void *p)
{
  struct sc_data *d = p;

  if (d == NULL)
    return;
  sc_closep (&d->listener_fd);
  sc_closep (&d->pid_rd);
  sc_closep (&d->pid_wr);
  sc_config_free (d->cfg);
  free (d->bpf);
  free (d);
}

/* The plugin's data, with the configuration read and checked. */
static int
get_data (struct modrun_container *c, void **data, struct sc_data **out)
{
  struct sc_data *d = *data;
  int ret;

  if (d == NULL)
    {
      d = calloc (1, sizeof (*d));
      if (d == NULL)
        return c->svc->error (c, ENOMEM, "seccomp data");
      d->listener_fd = d->pid_rd = d->pid_wr = -1;
      *data = d;
    }
  if (d->cfg == NULL)
    {
      ret = sc_config_load (c, &d->cfg);
      if (ret < 0)
        return ret;
      if (d->cfg == NULL)
        return c->svc->error (c, EINVAL, "config.json: linux.seccomp: missing");
      if (d->cfg->unknown != NULL)
        c->svc->log (c, MODRUN_LOG_WARNING, "linux.seccomp.syscalls: unknown syscalls skipped: %s",
                     d->cfg->unknown);
    }
  *out = d;
  return 0;
}

static int
seccomp_probe (struct modrun_container *c, void **data)
{
  const struct scmp_version *v = seccomp_version ();

  (void)data;
  if (v == NULL || v->major < 2 || (v->major == 2 && v->minor < 5))
    return c->svc->error (c, ENOTSUP, "libseccomp 2.5 or newer is needed");
  if (seccomp_api_get () < 1)
    return c->svc->error (c, ENOTSUP, "the kernel has no seccomp filters");
  return 0;
}

/* The flags are settled here too, so that a combination this kernel
 * cannot load is refused before anything exists. */
static int
seccomp_validate (struct modrun_container *c, void **data)
{
  struct sc_data *d;
  uint32_t flags;
  int ret;

  ret = get_data (c, data, &d);
  if (ret < 0)
    return ret;
  return sc_filter_flags (c, d->cfg, &flags);
}

static int
seccomp_prepare (struct modrun_container *c, void **data)
{
  struct sc_data *d;
  int ret;

  ret = get_data (c, data, &d);
  if (ret < 0)
    return ret;
  ret = sc_filter_build (c, d);
  if (ret < 0)
    return ret;
  c->svc->log (c, MODRUN_LOG_DEBUG, "seccomp: prepare: program of %zu instructions",
               d->bpf_len / 8);
  if (d->cfg->notify)
    return sc_notify_connect (c, d);
  return 0;
}

static int
seccomp_parent_after_clone (struct modrun_container *c, void **data)
{
  struct sc_data *d = *data;

  if (d == NULL)
    return 0;
  return sc_notify_send_pid (c, d);
}

static int
seccomp_child_before_exec (struct modrun_container *c, void **data)
{
  struct sc_data *d = *data;
  sc_cleanup_free char *msg = NULL;
  uint32_t flags = 0;
  int listener, ret;

  if (d == NULL || d->cfg == NULL)
    return c->svc->error (c, EINVAL, "no seccomp filter was prepared for this process");
  ret = sc_filter_flags (c, d->cfg, &flags);
  if (ret < 0)
    return ret;
  if (d->cfg->notify)
    {
      ret = sc_notify_prepare_message (c, d, &msg);
      if (ret < 0)
        return ret;
    }

  listener = sc_filter_load (c, d, flags);
  if (listener < 0)
    return listener;
  if (!d->cfg->notify)
    return 0;
  ret = sc_notify_send (c, d, msg, listener);
  close (listener);
  return ret;
}

/* Nothing of this plugin outlives the container's processes. */
static int
seccomp_destroy (struct modrun_container *c, void **data)
{
  (void)c;
  sc_data_free (*data);
  *data = NULL;
  return 0;
}

static int
add_names (struct modrun_container *c, modrun_json *obj, const char *key,
           const struct sc_name *names, size_t n, bool kernel_check)
{
  modrun_json *list = c->svc->json_add (obj, key, MODRUN_JSON_ARRAY);
  size_t i;

  if (list == NULL)
    return c->svc->error (c, ENOMEM, "features: linux.seccomp.%s", key);
  for (i = 0; i < n; i++)
    {
      if (kernel_check && !sc_kernel_has_flag (names[i].value))
        continue;
      if (c->svc->json_add_string (list, NULL, names[i].name) < 0)
        return c->svc->error (c, ENOMEM, "features: linux.seccomp.%s", key);
    }
  return 0;
}

static int
seccomp_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *sc;
  int ret;

  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL)
    return svc->error (c, ENOMEM, "features: linux");
  sc = svc->json_add (linux_obj, "seccomp", MODRUN_JSON_OBJECT);
  if (sc == NULL || svc->json_add_bool (sc, "enabled", 1) < 0)
    return svc->error (c, ENOMEM, "features: linux.seccomp");

  ret = add_names (c, sc, "actions", sc_actions, sc_n_actions, false);
  if (ret == 0)
    ret = add_names (c, sc, "operators", sc_operators, sc_n_operators, false);
  if (ret == 0)
    ret = add_names (c, sc, "archs", sc_archs, sc_n_archs, false);
  if (ret == 0)
    ret = add_names (c, sc, "knownFlags", sc_flags, sc_n_flags, false);
  if (ret == 0)
    ret = add_names (c, sc, "supportedFlags", sc_flags, sc_n_flags, true);
  return ret;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (seccomp) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_SECCOMP,
  .name = "seccomp",
  .version = PACKAGE_VERSION,
  .description = "linux.seccomp filters through libseccomp, with SCMP_ACT_NOTIFY listeners",
  .probe = seccomp_probe,
  .validate = seccomp_validate,
  .prepare = seccomp_prepare,
  .parent_after_clone = seccomp_parent_after_clone,
  .child_before_exec = seccomp_child_before_exec,
  .destroy = seccomp_destroy,
  .features = seccomp_features,
  .release = sc_data_free,
};
