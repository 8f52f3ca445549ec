/* selinux: process.selinuxLabel through libselinux. The container's init
 * sets the context its execve moves it to, and the context of the keys it
 * creates (its session keyring), so the runtime's own work in the
 * container keeps the runtime's context. linux.mountLabel is the mounts
 * plugin's: it is an option of the mounts it makes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <selinux/selinux.h>

#include <modrun/plugin.h>

/* process.selinuxLabel, or NULL when absent or empty. */
static int
label_of (struct modrun_container *c, const char **out)
{
  const modrun_json *proc = NULL;
  int ret;

  *out = NULL;
  ret = c->svc->get_object (c, c->config, "", "process", &proc);
  if (ret <= 0)
    return ret;
  ret = c->svc->get_string (c, proc, "process", "selinuxLabel", out);
  if (ret < 0)
    return ret;
  if (*out != NULL && **out == '\0')
    *out = NULL;
  return 0;
}

/* Why SELinux does not confine processes on this host, or NULL when it
 * does: the kernel must run it (it registers selinuxfs only then) and have
 * a policy loaded (until then every context reads back as "kernel", and
 * the kernel refuses contexts on mounts). The mounts plugin asks the same
 * before it adds context= to mounts. */
static const char *
selinux_off_reason (void)
{
  char line[256];
  bool registered = false;
  ssize_t n = -1;
  FILE *f = fopen ("/proc/filesystems", "re");
  int fd;

  if (f != NULL)
    {
      while (!registered && fgets (line, sizeof (line), f) != NULL)
        {
          line[strcspn (line, "\n")] = '\0';
          registered = strcmp (line, "nodev\tselinuxfs") == 0;
        }
      fclose (f);
    }
  if (!registered)
    return "SELinux is not enabled on this host";
  fd = open ("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      n = read (fd, line, sizeof (line) - 1);
      close (fd);
    }
  if (n < 0)
    return "SELinux is enabled but its context cannot be read from /proc/self/attr/current";
  line[n] = '\0';
  line[strcspn (line, "\n")] = '\0';
  if (strcmp (line, "kernel") == 0)
    return "SELinux is enabled on this host but has no policy loaded";
  return NULL;
}

/* A config that asks for a label on a host without SELinux is refused, as
 * runc and crun refuse it. `features` reports what is built in, whatever
 * the host. */
static int
selinux_probe (struct modrun_container *c, void **data)
{
  const char *label, *why;
  int ret;

  (void)data;
  if (c->config == NULL || c->command == MODRUN_CMD_FEATURES)
    return 0;
  ret = label_of (c, &label);
  if (ret < 0 || label == NULL)
    return ret;
  why = selinux_off_reason ();
  if (why != NULL)
    return c->svc->error (c, 0, "config.json: process.selinuxLabel is \"%s\", but %s", label, why);
  return 0;
}

static int
selinux_validate (struct modrun_container *c, void **data)
{
  const char *label;

  (void)data;
  return label_of (c, &label);
}

static int
selinux_child_before_exec (struct modrun_container *c, void **data)
{
  const char *label;
  int ret;

  (void)data;
  ret = label_of (c, &label);
  if (ret < 0 || label == NULL)
    return ret;
  c->svc->log (c, MODRUN_LOG_DEBUG, "selinux: context \"%s\" at exec", label);
  if (setkeycreatecon (label) < 0)
    return c->svc->error (c, errno, "process.selinuxLabel: set \"%s\" as the context of new keys",
                          label);
  if (setexeccon (label) < 0)
    return c->svc->error (c, errno, "process.selinuxLabel: set \"%s\" as the context at exec",
                          label);
  return 0;
}

static int
selinux_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *linux_obj = (modrun_json *)modrun_json_get (out, "linux");
  modrun_json *se;

  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    linux_obj = svc->json_add (out, "linux", MODRUN_JSON_OBJECT);
  if (linux_obj == NULL)
    return svc->error (c, ENOMEM, "features: linux");
  se = svc->json_add (linux_obj, "selinux", MODRUN_JSON_OBJECT);
  if (se == NULL || svc->json_add_bool (se, "enabled", 1) < 0)
    return svc->error (c, ENOMEM, "features: linux.selinux");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (selinux) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_LSM,
  .name = "selinux",
  .version = PACKAGE_VERSION,
  .description = "process.selinuxLabel through libselinux",
  .probe = selinux_probe,
  .validate = selinux_validate,
  .child_before_exec = selinux_child_before_exec,
  .features = selinux_features,
};
