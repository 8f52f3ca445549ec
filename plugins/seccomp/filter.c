/* seccomp: the filter, compiled by libseccomp in the runtime and loaded by
 * the container's init with seccomp(2). */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "seccomp-plugin.h"

#define CONFIG "config.json"

static void
ctx_releasep (scmp_filter_ctx *ctx)
{
  if (*ctx != NULL)
    seccomp_release (*ctx);
}

#define sc_cleanup_ctx __attribute__ ((cleanup (ctx_releasep)))

static int
add_archs (struct modrun_container *c, scmp_filter_ctx ctx, const struct sc_config *cfg)
{
  size_t i;
  int ret;

  for (i = 0; i < cfg->n_archs; i++)
    {
      ret = seccomp_arch_add (ctx, cfg->archs[i]);
      if (ret < 0 && ret != -EEXIST)
        return c->svc->error (c, -ret,
                              "%s: linux.seccomp.architectures[%zu]: libseccomp cannot add it "
                              "to the filter",
                              CONFIG, i);
    }
  return 0;
}

static int
add_one (struct modrun_container *c, scmp_filter_ctx ctx, const struct sc_rule *rule, size_t k,
         const struct sc_arg *args, size_t n_args)
{
  struct scmp_arg_cmp cmp[6];
  size_t i;
  int ret;

  for (i = 0; i < n_args; i++)
    {
      cmp[i].arg = args[i].index;
      cmp[i].op = (enum scmp_compare)args[i].op;
      cmp[i].datum_a = args[i].value;
      cmp[i].datum_b = args[i].value_two;
    }
  ret = seccomp_rule_add_array (ctx, rule->action, rule->nrs[k], (unsigned int)n_args, cmp);
  if (ret < 0)
    return c->svc->error (c, -ret, "%s: linux.seccomp.syscalls[%u]: cannot add a rule for \"%s\"",
                          CONFIG, rule->index, rule->names[k]);
  return 0;
}

/* Conditions on distinct arguments all hold at once in one rule. Two on
 * the same argument cannot share a rule in libseccomp: each gets its own,
 * and the action applies when any of them holds. */
static int
add_rule (struct modrun_container *c, scmp_filter_ctx ctx, const struct sc_rule *rule)
{
  size_t k, i;
  int ret;

  for (k = 0; k < rule->n_nrs; k++)
    {
      if (!rule->same_index)
        {
          ret = add_one (c, ctx, rule, k, rule->args, rule->n_args);
          if (ret < 0)
            return ret;
          continue;
        }
      for (i = 0; i < rule->n_args; i++)
        {
          ret = add_one (c, ctx, rule, k, &rule->args[i], 1);
          if (ret < 0)
            return ret;
        }
    }
  return 0;
}

/* Writes the program to a memfd and reads it back: libseccomp exports to
 * an fd only. */
static int
export_bpf (struct modrun_container *c, scmp_filter_ctx ctx, struct sc_data *d)
{
  sc_cleanup_close int fd = memfd_create ("modrun-seccomp-bpf", MFD_CLOEXEC);
  struct stat st;
  size_t done = 0;
  char *buf;
  int ret;

  if (fd < 0)
    return c->svc->error (c, errno, "memfd_create for the seccomp program");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return c->svc->error (c, -ret, "export the seccomp program");
  if (fstat (fd, &st) < 0)
    return c->svc->error (c, errno, "fstat the seccomp program");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0
      || st.st_size / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return c->svc->error (c, E2BIG, "the seccomp program has %lld bytes, expected 1 to %u of %zu",
                          (long long)st.st_size, BPF_MAXINSNS, sizeof (struct sock_filter));
  buf = malloc ((size_t)st.st_size);
  if (buf == NULL)
    return c->svc->error (c, ENOMEM, "read the seccomp program");
  while (done < (size_t)st.st_size)
    {
      ssize_t n = pread (fd, buf + done, (size_t)st.st_size - done, (off_t)done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ret = c->svc->error (c, n < 0 ? errno : EIO, "read the seccomp program");
          free (buf);
          return ret;
        }
      done += (size_t)n;
    }
  free (d->bpf);
  d->bpf = buf;
  d->bpf_len = done;
  return 0;
}

int
sc_filter_build (struct modrun_container *c, struct sc_data *d)
{
  const struct sc_config *cfg = d->cfg;
  sc_cleanup_ctx scmp_filter_ctx ctx = NULL;
  size_t i;
  int ret;

  ctx = seccomp_init (cfg->default_action);
  if (ctx == NULL)
    return c->svc->error (c, 0, "%s: linux.seccomp.defaultAction: not supported here", CONFIG);
  ret = add_archs (c, ctx, cfg);
  if (ret < 0)
    return ret;

  for (i = 0; i < cfg->n_rules; i++)
    {
      const struct sc_rule *rule = &cfg->rules[i];

      /* A rule that does what the default does is no rule at all, and
       * libseccomp refuses it. */
      if (rule->action == cfg->default_action)
        {
          c->svc->log (c, MODRUN_LOG_DEBUG, "linux.seccomp.syscalls[%u]: the default action",
                       rule->index);
          continue;
        }
      ret = add_rule (c, ctx, rule);
      if (ret < 0)
        return ret;
    }
  return export_bpf (c, ctx, d);
}

int
sc_filter_flags (struct modrun_container *c, const struct sc_config *cfg, uint32_t *out)
{
  uint32_t flags = cfg->flags;

  if (cfg->notify)
    flags |= SC_FLAG_NEW_LISTENER;
  else if (flags & SC_FLAG_WAIT_KILLABLE_RECV)
    {
      /* It only changes how notified syscalls wait: nothing to do here. */
      c->svc->log (c, MODRUN_LOG_DEBUG, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: no listener");
      flags &= ~SC_FLAG_WAIT_KILLABLE_RECV;
    }

  /* The kernel takes TSYNC with a listener only when told to report a
   * thread it cannot sync as ESRCH. */
  if ((flags & SC_FLAG_TSYNC) && (flags & SC_FLAG_NEW_LISTENER))
    {
      if (!sc_kernel_has_flag (SC_FLAG_TSYNC_ESRCH))
        return c->svc->error (
            c, 0, "%s: linux.seccomp.flags: TSYNC with SCMP_ACT_NOTIFY needs Linux 5.7", CONFIG);
      flags |= SC_FLAG_TSYNC_ESRCH;
    }
  *out = flags;
  return 0;
}

int
sc_filter_load (struct modrun_container *c, struct sc_data *d, uint32_t flags)
{
  struct sock_fprog prog = {
    .len = (unsigned short)(d->bpf_len / sizeof (struct sock_filter)),
    .filter = d->bpf,
  };
  long ret;

  if (d->bpf == NULL)
    return c->svc->error (c, EINVAL, "no seccomp program was built for this process");
  ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (ret < 0 && errno == EACCES)
    return c->svc->error (c, errno, "load the seccomp filter: needs no_new_privs or CAP_SYS_ADMIN");
  if (ret < 0 && errno == EBUSY)
    return c->svc->error (c, errno, "load the seccomp filter: a listener is already in place");
  if (ret < 0)
    return c->svc->error (c, errno, "load the seccomp filter");
  return (flags & SC_FLAG_NEW_LISTENER) ? (int)ret : 0;
}
