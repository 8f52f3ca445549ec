/* landlock: the ruleset, built on the container's paths and enforced on
 * the process about to exec. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "landlock-plugin.h"

#define WHERE "annotation " LL_ANNOTATION

/* Grants the rights of KIND beneath PATH, in the current root. */
static int
add_path (struct modrun_container *c, int ruleset, uint64_t handled, enum ll_kind kind,
          const char *path)
{
  struct landlock_path_beneath_attr rule;
  ll_cleanup_close int fd = -1;
  char shown[256];
  struct stat st;

  ll_printable (shown, sizeof (shown), path);
  fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return c->svc->error (c, 0, "%s: %s: \"%s\" does not exist in the container", WHERE,
                          ll_kind_names[kind], shown);
  if (fd < 0)
    return c->svc->error (c, errno, "%s: %s: open \"%s\" in the container", WHERE,
                          ll_kind_names[kind], shown);
  if (fstat (fd, &st) < 0)
    return c->svc->error (c, errno, "%s: %s: stat \"%s\"", WHERE, ll_kind_names[kind], shown);

  memset (&rule, 0, sizeof (rule));
  rule.allowed_access = ll_fs_allowed (kind, handled, S_ISDIR (st.st_mode));
  rule.parent_fd = fd;
  if (rule.allowed_access == 0)
    return 0;
  if (syscall (SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
    return c->svc->error (c, errno, "%s: %s: add the rule for \"%s\"", WHERE, ll_kind_names[kind],
                          shown);
  c->svc->log (c, MODRUN_LOG_DEBUG, "landlock: %s: %s, rights 0x%llx", ll_kind_names[kind], shown,
               (unsigned long long)rule.allowed_access);
  return 0;
}

int
ll_ruleset_build (struct modrun_container *c, struct ll_data *d)
{
  const struct ll_rules *r = d->rules;
  struct landlock_ruleset_attr attr;
  uint64_t handled;
  size_t k, i;
  int ret;

  if (d->abi <= 0)
    {
      d->abi = ll_abi_detect (c);
      if (d->abi < 0)
        return d->abi;
    }
  handled = ll_fs_handled (d->abi, r->present[LL_EXECUTE]);

  memset (&attr, 0, sizeof (attr));
  attr.handled_access_fs = handled;
  ll_closep (&d->ruleset_fd);
  d->ruleset_fd = (int)syscall (SYS_landlock_create_ruleset, &attr, sizeof (attr), 0);
  if (d->ruleset_fd < 0)
    return c->svc->error (c, errno, "landlock_create_ruleset (ABI %d, rights 0x%llx)", d->abi,
                          (unsigned long long)handled);

  for (k = 0; k < LL_N_KINDS; k++)
    for (i = 0; i < r->n[k]; i++)
      {
        ret = add_path (c, d->ruleset_fd, handled, (enum ll_kind)k, r->paths[k][i]);
        if (ret < 0)
          return ret;
      }
  c->svc->log (c, MODRUN_LOG_DEBUG, "landlock: ruleset of ABI %d handles rights 0x%llx", d->abi,
               (unsigned long long)handled);
  return 0;
}

int
ll_ruleset_restrict (struct modrun_container *c, struct ll_data *d)
{
  int ret = 0;

  if (syscall (SYS_landlock_restrict_self, d->ruleset_fd, 0) < 0)
    {
      if (errno == EPERM)
        ret = c->svc->error (c, errno,
                             "landlock_restrict_self: the process has neither "
                             "no_new_privs nor CAP_SYS_ADMIN");
      else
        ret = c->svc->error (c, errno, "landlock_restrict_self");
    }
  close (d->ruleset_fd);
  d->ruleset_fd = -1;
  return ret;
}
