/* apparmor: process.apparmorProfile through libapparmor. The container's
 * init asks the kernel to put it under the profile at its execve, so the
 * runtime's own work in the container is never confined by it. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/apparmor.h>

#include <modrun/plugin.h>

/* process.apparmorProfile, or NULL when absent or empty. */
static int
profile_of (struct modrun_container *c, const char **out)
{
  const modrun_json *proc = NULL;
  int ret;

  *out = NULL;
  ret = c->svc->get_object (c, c->config, "", "process", &proc);
  if (ret <= 0)
    return ret;
  ret = c->svc->get_string (c, proc, "process", "apparmorProfile", out);
  if (ret < 0)
    return ret;
  if (*out != NULL && **out == '\0')
    *out = NULL;
  return 0;
}

/* Why AppArmor cannot confine processes here, or NULL when it can. Only the
 * kernel's side counts: the profile is changed through /proc, so an
 * unmounted securityfs does not matter. */
static const char *
why_not_enabled (void)
{
  if (aa_is_enabled () == 1)
    return NULL;
  switch (errno)
    {
    case ENOENT:
      return NULL;
    case ENOSYS:
      return "the kernel has no AppArmor";
    case ECANCELED:
      return "the kernel has AppArmor but it is not enabled (boot with apparmor=1 "
             "and AppArmor in lsm=)";
    default:
      return strerror (errno);
    }
}

/* A config that asks for a profile on a host without AppArmor is refused,
 * as runc and crun refuse it: a container is never run less confined than
 * its config says. `features` reports what is built in, whatever the
 * host. */
static int
apparmor_probe (struct modrun_container *c, void **data)
{
  const char *profile, *why;
  int ret;

  (void)data;
  if (c->config == NULL || c->command == MODRUN_CMD_FEATURES)
    return 0;
  ret = profile_of (c, &profile);
  if (ret < 0 || profile == NULL)
    return ret;
  why = why_not_enabled ();
  if (why != NULL)
    return c->svc->error (
        c, 0,
        "config.json: process.apparmorProfile is \"%s\", but AppArmor is not enabled on this "
        "host: %s",
        profile, why);
  return 0;
}

static int
apparmor_validate (struct modrun_container *c, void **data)
{
  const char *profile;

  (void)data;
  return profile_of (c, &profile);
}

static int
apparmor_child_before_exec (struct modrun_container *c, void **data)
{
  const char *profile;
  int ret;

  (void)data;
  ret = profile_of (c, &profile);
  if (ret < 0 || profile == NULL)
    return ret;
  c->svc->log (c, MODRUN_LOG_DEBUG, "apparmor: profile \"%s\" at exec", profile);
  if (aa_change_onexec (profile) < 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        return c->svc->error (c, 0,
                              "process.apparmorProfile: profile \"%s\" is not loaded in the "
                              "kernel, or the container has no /proc",
                              profile);
      return c->svc->error (c, saved, "process.apparmorProfile: change to profile \"%s\" at exec",
                            profile);
    }
  return 0;
}

static int
apparmor_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *aa;

  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL)
    return svc->error (c, ENOMEM, "features: linux");
  aa = svc->json_add (linux_obj, "apparmor", MODRUN_JSON_OBJECT);
  if (aa == NULL || svc->json_add_bool (aa, "enabled", 1) < 0)
    return svc->error (c, ENOMEM, "features: linux.apparmor");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (apparmor) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_LSM,
  .name = "apparmor",
  .version = PACKAGE_VERSION,
  .description = "process.apparmorProfile through libapparmor",
  .probe = apparmor_probe,
  .validate = apparmor_validate,
  .child_before_exec = apparmor_child_before_exec,
  .features = apparmor_features,
};
