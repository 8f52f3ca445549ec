/* landlock: restricts what the container's processes may do on the
 * filesystem with Landlock, following the rules of the annotation
 * run.modrun.landlock. The runtime reads the rules; the init opens their
 * paths in its new root, and enforces the ruleset on itself right before
 * it execs the container's process. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "landlock-plugin.h"

static void
ll_data_free (void *p)
{
  struct ll_data *d = p;

  if (d == NULL)
    return;
  ll_closep (&d->ruleset_fd);
  ll_rules_free (d->rules);
  free (d);
}

/* The annotation's text into *TEXT, NULL when the config has none. */
static int
annotation_text (struct modrun_container *c, const char **text)
{
  const modrun_json *ann = NULL;
  int ret;

  *text = NULL;
  if (c->config == NULL)
    return 0;
  ret = c->svc->get_object (c, c->config, "", "annotations", &ann);
  if (ret <= 0)
    return ret;
  ret = c->svc->get_string (c, ann, "annotations", LL_ANNOTATION, text);
  return ret < 0 ? ret : 0;
}

/* The plugin's data, with the annotation read and checked. */
static int
get_data (struct modrun_container *c, void **data, struct ll_data **out)
{
  struct ll_data *d = *data;
  const char *text;
  int ret;

  if (d == NULL)
    {
      d = calloc (1, sizeof (*d));
      if (d == NULL)
        return c->svc->error (c, ENOMEM, "landlock data");
      d->ruleset_fd = -1;
      *data = d;
    }
  if (!d->loaded)
    {
      ret = annotation_text (c, &text);
      if (ret == 0 && text != NULL)
        ret = ll_rules_parse (c, text, &d->rules);
      if (ret < 0)
        return ret;
      d->loaded = true;
    }
  *out = d;
  return 0;
}

/* Without no_new_privs, only a process with CAP_SYS_ADMIN may restrict
 * itself; the ruleset is enforced once the process has its own
 * credentials, so one of the two must be in the config. */
static int
check_privileges (struct modrun_container *c)
{
  const modrun_json *proc = modrun_json_get (c->config, "process");
  const modrun_json *eff;
  int nnp = 0, ret;
  uint32_t i;

  if (proc == NULL)
    return 0;
  ret = c->svc->get_bool (c, proc, "process", "noNewPrivileges", &nnp);
  if (ret < 0 || nnp)
    return ret < 0 ? ret : 0;
  eff = modrun_json_path (proc, "capabilities.effective");
  for (i = 0; eff != NULL && eff->type == MODRUN_JSON_ARRAY && i < eff->count; i++)
    if (eff->items[i]->type == MODRUN_JSON_STRING
        && strcmp (eff->items[i]->string, "CAP_SYS_ADMIN") == 0)
      return 0;
  return c->svc->error (c, 0,
                        "annotation " LL_ANNOTATION ": Landlock needs process.noNewPrivileges "
                        "true, or CAP_SYS_ADMIN in process.capabilities.effective: without "
                        "either the kernel refuses to restrict the process");
}

/* Landlock missing fails the probe when there is something to enforce, or
 * when "modrun plugins" asks; a container that asks for nothing runs. */
static int
landlock_probe (struct modrun_container *c, void **data)
{
  const char *text = NULL;
  int abi, ret;

  (void)data;
  ret = annotation_text (c, &text);
  if (ret < 0)
    return ret;
  abi = ll_abi_detect (c);
  if (abi < 0 && c->config != NULL && text == NULL)
    {
      c->svc->log (c, MODRUN_LOG_DEBUG, "landlock: probe: unavailable, and no rules to apply");
      return 0;
    }
  return abi < 0 ? abi : 0;
}

static int
landlock_validate (struct modrun_container *c, void **data)
{
  struct ll_data *d;
  int ret;

  ret = get_data (c, data, &d);
  if (ret < 0 || d->rules == NULL)
    return ret;
  ret = check_privileges (c);
  if (ret < 0)
    return ret;
  d->abi = ll_abi_detect (c);
  return d->abi < 0 ? d->abi : 0;
}

/* The paths are opened in the container's root as soon as it is in place,
 * so that a missing one fails create. */
static int
landlock_child_after_pivot (struct modrun_container *c, void **data)
{
  struct ll_data *d;
  int ret;

  ret = get_data (c, data, &d);
  if (ret < 0 || d->rules == NULL)
    return ret;
  return ll_ruleset_build (c, d);
}

/* The core runs this stage after start, right before exec (and before a
 * seccomp filter that comes last): the runtime's own steps in between,
 * such as opening the exec fifo, are not subject to the container's
 * rules. */
static int
landlock_child_before_exec (struct modrun_container *c, void **data)
{
  struct ll_data *d;
  int ret;

  ret = get_data (c, data, &d);
  if (ret < 0 || d->rules == NULL)
    return ret;
  if (d->ruleset_fd < 0)
    {
      ret = ll_ruleset_build (c, d);
      if (ret < 0)
        return ret;
    }
  return ll_ruleset_restrict (c, d);
}

static int
landlock_features (struct modrun_container *c, modrun_json *out)
{
  const struct modrun_services *svc = c->svc;
  modrun_json *ann = (modrun_json *)modrun_json_get (out, "annotations");
  char abi[16];
  int ret;

  ret = ll_abi_detect (c);
  if (ret < 0)
    return ret;
  snprintf (abi, sizeof (abi), "%d", ret);
  if (ann == NULL || ann->type != MODRUN_JSON_OBJECT)
    ann = svc->json_add (out, "annotations", MODRUN_JSON_OBJECT);
  if (ann == NULL || svc->json_add_string (ann, LL_ANNOTATION, ll_kind_list) < 0
      || svc->json_add_string (ann, LL_ANNOTATION ".abi", abi) < 0)
    return svc->error (c, ENOMEM, "features: annotations");
  return 0;
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (landlock) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_EXTRA,
  .name = "landlock",
  .version = PACKAGE_VERSION,
  .description = "Landlock filesystem rules from the annotation " LL_ANNOTATION,
  .probe = landlock_probe,
  .validate = landlock_validate,
  .child_after_pivot = landlock_child_after_pivot,
  .child_before_exec = landlock_child_before_exec,
  .features = landlock_features,
  .release = ll_data_free,
};
