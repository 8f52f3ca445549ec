#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "process.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_UMASK 0022

/* keyctl(2) commands and permission bits, from linux/keyctl.h and the key
 * permission layout; spelled out so no libkeyutils is needed. */
#define MR_KEYCTL_JOIN_SESSION_KEYRING 1
#define MR_KEYCTL_SETPERM 5
#define MR_KEY_SPEC_SESSION_KEYRING -3
#define MR_KEY_POS_ALL 0x3f000000u
#define MR_KEY_USR_ALL 0x003f0000u

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *const rlimit_names[] = {
  "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
  "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
  "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

static const char *const cap_set_fields[MR_CAP_NSETS] = {
  [MR_CAP_BOUNDING] = "bounding",       [MR_CAP_EFFECTIVE] = "effective",
  [MR_CAP_INHERITABLE] = "inheritable", [MR_CAP_PERMITTED] = "permitted",
  [MR_CAP_AMBIENT] = "ambient",
};

/* An error whose message is complete as written (no strerror appended)
 * but that still carries ERRNUM. */
static int __attribute__ ((format (printf, 3, 4)))
fail_plain (mr_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  mr_vfail (err, 0, fmt, ap);
  va_end (ap);
  if (err != NULL && *err != NULL && (*err)->errnum == 0)
    (*err)->errnum = errnum;
  return -errnum;
}

static const char *
rlimit_name (int resource)
{
  size_t i;

  for (i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (mr_rlimit_from_name (rlimit_names[i]) == resource)
      return rlimit_names[i];
  return "RLIMIT_?";
}

static void
format_limit (char *buf, size_t len, uint64_t v)
{
  if (v == (uint64_t)RLIM_INFINITY)
    snprintf (buf, len, "unlimited");
  else
    snprintf (buf, len, "%llu", (unsigned long long)v);
}

static int
set_rlimit (const struct mr_rlimit *r, mr_error **err)
{
  struct rlimit lim = { .rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard };
  struct rlimit cur;
  char soft[32], hard[32], now[32];
  int saved;

  if (setrlimit (r->resource, &lim) == 0)
    return 0;
  saved = errno;
  format_limit (soft, sizeof (soft), r->soft);
  format_limit (hard, sizeof (hard), r->hard);
  if (saved == EPERM && getrlimit (r->resource, &cur) == 0 && lim.rlim_max > cur.rlim_max)
    {
      format_limit (now, sizeof (now), (uint64_t)cur.rlim_max);
      return mr_fail (
          err, saved,
          "process.rlimits: %s: raising the hard limit to %s (now %s) needs CAP_SYS_RESOURCE",
          rlimit_name (r->resource), hard, now);
    }
  if (saved == EINVAL && r->soft > r->hard)
    return mr_fail (err, saved, "process.rlimits: %s: soft limit %s is above hard limit %s",
                    rlimit_name (r->resource), soft, hard);
  return mr_fail (err, saved, "process.rlimits: %s: set soft %s, hard %s",
                  rlimit_name (r->resource), soft, hard);
}

static int
set_oom_score_adj (int value, mr_error **err)
{
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  char buf[16];
  int len;

  if (fd < 0)
    return mr_fail (err, errno, "process.oomScoreAdj: open `/proc/self/oom_score_adj`");
  len = snprintf (buf, sizeof (buf), "%d", value);
  if (write (fd, buf, (size_t)len) < 0)
    {
      if (errno == EACCES || errno == EPERM)
        return mr_fail (err, errno, "process.oomScoreAdj: lowering it to %d needs CAP_SYS_RESOURCE",
                        value);
      return mr_fail (err, errno, "process.oomScoreAdj: write %d to `/proc/self/oom_score_adj`",
                      value);
    }
  return 0;
}

static int
join_session_keyring (const char *id, mr_error **err)
{
  long key;

  key = syscall (SYS_keyctl, MR_KEYCTL_JOIN_SESSION_KEYRING, id);
  if (key < 0)
    {
      /* Kernels without keys, or seccomp profiles of the calling runtime,
       * make the keyring unavailable: the container then shares ours. */
      if (errno == ENOSYS || errno == EACCES || errno == EPERM)
        {
          mr_log (MODRUN_LOG_DEBUG, "keyring: join a session keyring named \"%s\": %s, ignoring",
                  id, strerror (errno));
          return 0;
        }
      return mr_fail (err, errno, "keyring: join a new session keyring named \"%s\"", id);
    }

  /* The process keeps possession of its session keyring through the change
   * of credentials, so the possessor's permissions are what the container's
   * user gets; the owner (the creating uid) keeps full rights too. */
  if (syscall (SYS_keyctl, MR_KEYCTL_SETPERM, key, MR_KEY_POS_ALL | MR_KEY_USR_ALL) < 0)
    return mr_fail (err, errno, "keyring: set the permissions of session keyring \"%s\"", id);
  return 0;
}

int
mr_process_prepare (const struct mr_process *p, const char *id, int no_new_keyring, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < p->n_rlimits; i++)
    {
      ret = set_rlimit (&p->rlimits[i], err);
      if (ret < 0)
        return ret;
    }

  if (p->has_oom_score_adj)
    {
      ret = set_oom_score_adj (p->oom_score_adj, err);
      if (ret < 0)
        return ret;
    }

  if (!no_new_keyring)
    {
      ret = join_session_keyring (id, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Credentials. */

static int
read_cap_last_cap (void)
{
  cleanup_free char *buf = NULL;
  long v;

  if (mr_read_file ("/proc/sys/kernel/cap_last_cap", &buf, NULL, NULL) < 0)
    return (int)CAP_LAST_CAP;
  v = strtol (buf, NULL, 10);
  if (v <= 0 || v > 63)
    return (int)CAP_LAST_CAP;
  return (int)v;
}

/* Capability C as config.json spells it ("CAP_KILL"), in BUF. */
static const char *
cap_name (int c, char *buf, size_t len)
{
  char *name = cap_to_name ((cap_value_t)c);
  size_t i;

  if (name == NULL || strncmp (name, "cap_", 4) != 0)
    snprintf (buf, len, "capability %d", c);
  else
    {
      for (i = 0; name[i] != '\0' && i + 1 < len; i++)
        buf[i] = (char)toupper ((unsigned char)name[i]);
      buf[i] = '\0';
    }
  cap_free (name);
  return buf;
}

/* The capabilities of one set as a bit mask, leaving out (with a warning)
 * the ones the running kernel does not know. */
static uint64_t
cap_set_mask (const struct mr_process *p, int set, int last_cap)
{
  uint64_t mask = 0;
  size_t i;

  for (i = 0; i < p->ncaps[set]; i++)
    {
      int c = (int)p->caps[set][i];
      char name[64];

      if (c < 0 || c > last_cap)
        {
          mr_log (MODRUN_LOG_WARNING,
                  "process.capabilities.%s: %s unknown to the kernel (last %d), ignoring",
                  cap_set_fields[set], cap_name (c, name, sizeof (name)), last_cap);
          continue;
        }
      mask |= UINT64_C (1) << c;
    }
  return mask;
}

static int
set_groups (const struct mr_process *p, mr_error **err)
{
  cleanup_free char *policy = NULL;
  int saved;

  if (setgroups (p->n_additional_gids, p->additional_gids) == 0)
    return 0;
  saved = errno;
  /* A user namespace whose setgroups file says "deny" refuses it to
   * everyone: the container then keeps the groups it has. */
  if (saved == EPERM && mr_read_file ("/proc/self/setgroups", &policy, NULL, NULL) == 0
      && strncmp (policy, "deny", 4) == 0)
    {
      mr_log (MODRUN_LOG_DEBUG,
              "process.user.additionalGids: setgroups denied in this user namespace, ignoring");
      return 0;
    }
  return mr_fail (err, saved, "process.user.additionalGids: setgroups of %zu groups",
                  p->n_additional_gids);
}

static int
drop_bounding (uint64_t keep, int last_cap, mr_error **err)
{
  int c;

  for (c = 0; c <= last_cap; c++)
    {
      if (keep & (UINT64_C (1) << c))
        continue;
      if (prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) <= 0)
        continue;
      if (prctl (PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
        {
          int saved = errno;
          char name[64];

          return mr_fail (err, saved,
                          "process.capabilities.bounding: drop %s from the bounding set",
                          cap_name (c, name, sizeof (name)));
        }
    }
  return 0;
}

static void
cap_set_from_mask (cap_t caps, cap_flag_t flag, uint64_t mask, int last_cap)
{
  cap_value_t v;
  int c;

  for (c = 0; c <= last_cap; c++)
    if (mask & (UINT64_C (1) << c))
      {
        v = (cap_value_t)c;
        cap_set_flag (caps, flag, 1, &v, CAP_SET);
      }
}

/* Names the first capability that cap_set_proc could not grant, for an
 * error that says what to change. */
static int
explain_capset_failure (int errnum, uint64_t masks[MR_CAP_NSETS], int last_cap, mr_error **err)
{
  cap_t cur = cap_get_proc ();
  char name[64];
  int set, c;

  for (set = MR_CAP_EFFECTIVE; cur != NULL && set <= MR_CAP_PERMITTED; set++)
    for (c = 0; c <= last_cap; c++)
      {
        cap_flag_value_t have = CAP_CLEAR;

        if (!(masks[set] & (UINT64_C (1) << c)))
          continue;
        cap_get_flag (cur, (cap_value_t)c, CAP_PERMITTED, &have);
        if (have == CAP_SET)
          continue;
        mr_fail (err, errnum,
                 "process.capabilities.%s: %s is not in the permitted set of the runtime",
                 cap_set_fields[set], cap_name (c, name, sizeof (name)));
        cap_free (cur);
        return -errnum;
      }
  cap_free (cur);
  return mr_fail (err, errnum,
                  "process.capabilities: set the effective, permitted and inheritable sets");
}

static int
apply_caps (uint64_t masks[MR_CAP_NSETS], int last_cap, mr_error **err)
{
  cap_t caps = cap_init ();
  int c, ret = 0;

  if (caps == NULL)
    return mr_fail (err, errno, "process.capabilities: allocate a capability state");
  cap_set_from_mask (caps, CAP_EFFECTIVE, masks[MR_CAP_EFFECTIVE], last_cap);
  cap_set_from_mask (caps, CAP_PERMITTED, masks[MR_CAP_PERMITTED], last_cap);
  cap_set_from_mask (caps, CAP_INHERITABLE, masks[MR_CAP_INHERITABLE], last_cap);
  if (cap_set_proc (caps) < 0)
    ret = explain_capset_failure (errno, masks, last_cap, err);
  cap_free (caps);
  if (ret < 0)
    return ret;

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      /* Kernels before 4.3 have no ambient set: fine unless one is asked. */
      if (errno == EINVAL && masks[MR_CAP_AMBIENT] == 0)
        return 0;
      return mr_fail (err, errno, "process.capabilities.ambient: clear the ambient set");
    }
  for (c = 0; c <= last_cap; c++)
    {
      if (!(masks[MR_CAP_AMBIENT] & (UINT64_C (1) << c)))
        continue;
      /* The kernel takes an ambient capability only when it is also
       * permitted and inheritable. Configs from `runc spec` list ambient
       * ones without inheritable; runc leaves those out of the ambient set,
       * and so does modrun, saying so at debug level. */
      if (!(masks[MR_CAP_INHERITABLE] & masks[MR_CAP_PERMITTED] & (UINT64_C (1) << c)))
        {
          char name[64];

          mr_log (MODRUN_LOG_DEBUG,
                  "process.capabilities.ambient: %s left out: not both permitted and inheritable",
                  cap_name (c, name, sizeof (name)));
          continue;
        }
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
        {
          int saved = errno;
          char name[64];

          return mr_fail (
              err, saved,
              "process.capabilities.ambient: raise %s (must be permitted and inheritable)",
              cap_name (c, name, sizeof (name)));
        }
    }
  return 0;
}

int
mr_process_set_credentials (const struct mr_process *p, mr_error **err)
{
  uint64_t masks[MR_CAP_NSETS] = { 0 };
  int last_cap = read_cap_last_cap ();
  const char *cwd = p->cwd ? p->cwd : "/";
  int set, ret;

  umask (p->has_umask ? p->umask : DEFAULT_UMASK);

  /* Without a capabilities object the process gets none, in every set. */
  if (p->has_caps)
    for (set = 0; set < MR_CAP_NSETS; set++)
      masks[set] = cap_set_mask (p, set, last_cap);

  /* Dropping from the bounding set takes CAP_SETPCAP, which the change of
   * uid below takes away. */
  ret = drop_bounding (masks[MR_CAP_BOUNDING], last_cap, err);
  if (ret < 0)
    return ret;

  ret = set_groups (p, err);
  if (ret < 0)
    return ret;

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return mr_fail (err, errno, "process.user: keep capabilities across the change of uid");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    return mr_fail (err, errno, "process.user.gid: setresgid to %u", (unsigned)p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    return mr_fail (err, errno, "process.user.uid: setresuid to %u", (unsigned)p->uid);

  ret = apply_caps (masks, last_cap, err);
  if (ret < 0)
    return ret;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return mr_fail (err, errno, "process.user: reset keep-capabilities");

  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mr_fail (err, errno, "process.noNewPrivileges: set no_new_privs");

  if (chdir (cwd) < 0)
    return mr_fail (err, errno, "chdir to cwd (\"%s\") set in config.json failed", cwd);
  return 0;
}

/* Executable lookup. */

static const char *
env_get (char *const *env, const char *name)
{
  size_t len = strlen (name);

  for (; env != NULL && *env != NULL; env++)
    if (strncmp (*env, name, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  return NULL;
}

/* 0 when PATH names a regular file the caller may execute, else -errno. */
static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return -errno;
  if (!S_ISREG (st.st_mode))
    return -EACCES;
  if (access (path, X_OK) < 0)
    return -errno;
  return 0;
}

int
mr_process_find_executable (const struct mr_process *p, char **path, mr_error **err)
{
  const char *name = p->args != NULL ? p->args[0] : NULL;
  const char *search, *dir, *end;
  int ret;

  if (name == NULL || name[0] == '\0')
    return mr_fail (err, 0, "process.args: expected a program to run, got none");

  if (strchr (name, '/') != NULL)
    {
      struct stat st;

      if (stat (name, &st) < 0)
        return mr_fail (err, errno, "exec: \"%s\": stat %s", name, name);
      ret = check_executable (name);
      if (ret == -EACCES)
        return fail_plain (err, EACCES, "exec: \"%s\": permission denied", name);
      if (ret < 0)
        return mr_fail (err, -ret, "exec: \"%s\"", name);
      *path = mr_xstrdup (name);
      return 0;
    }

  search = env_get (p->env, "PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  for (dir = search;; dir = end + 1)
    {
      cleanup_free char *candidate = NULL;
      size_t len;

      end = strchrnul (dir, ':');
      len = (size_t)(end - dir);
      /* An empty element is the current directory, as for the shell. */
      if (len == 0)
        candidate = mr_xasprintf ("./%s", name);
      else
        candidate = mr_xasprintf ("%.*s/%s", (int)len, dir, name);
      if (check_executable (candidate) == 0)
        {
          *path = mr_steal_ptr (candidate);
          return 0;
        }
      if (*end == '\0')
        break;
    }
  return fail_plain (err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/* File descriptors. */

static int
cloexec_range (unsigned int first, unsigned int last)
{
#ifdef SYS_close_range
  if (syscall (SYS_close_range, first, last, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -errno;
#endif
  (void)first;
  (void)last;
  return -ENOSYS;
}

static int
cloexec_walk (int first, int keep)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;

  if (dir == NULL)
    return -errno;
  while ((de = readdir (dir)) != NULL)
    {
      char *endp;
      long fd = strtol (de->d_name, &endp, 10);
      int flags;

      if (*endp != '\0' || endp == de->d_name || fd < first || fd == keep || fd == dirfd (dir))
        continue;
      flags = fcntl ((int)fd, F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC))
        fcntl ((int)fd, F_SETFD, flags | FD_CLOEXEC);
    }
  closedir (dir);
  return 0;
}

int
mr_process_close_fds (int preserve_fds, int keep)
{
  int first = 3 + (preserve_fds > 0 ? preserve_fds : 0);
  int fd, ret;

  if (keep >= first)
    {
      ret = keep > first ? cloexec_range ((unsigned)first, (unsigned)keep - 1) : 0;
      if (ret == 0)
        ret = cloexec_range ((unsigned)keep + 1, UINT_MAX);
    }
  else
    ret = cloexec_range ((unsigned)first, UINT_MAX);
  if (ret == -ENOSYS)
    ret = cloexec_walk (first, keep);
  if (ret < 0)
    return ret;

  for (fd = 3; fd < first; fd++)
    {
      int flags = fcntl (fd, F_GETFD);

      if (flags >= 0 && (flags & FD_CLOEXEC))
        fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
  return 0;
}

/* Exec. */

/* The home directory of UID in the container's /etc/passwd, or NULL. */
static char *
passwd_home (uid_t uid)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;

  if (mr_read_file ("/etc/passwd", &buf, NULL, NULL) < 0)
    return NULL;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *field[7];
      char *f = line, *endp;
      unsigned long v;
      int n;

      for (n = 0; n < 7 && f != NULL; n++)
        {
          field[n] = f;
          f = strchr (f, ':');
          if (f)
            *f++ = '\0';
        }
      if (n < 6)
        continue;
      v = strtoul (field[2], &endp, 10);
      if (*endp != '\0' || endp == field[2] || (uid_t)v != uid)
        continue;
      if (field[5][0] == '\0')
        return NULL;
      return mr_xstrdup (field[5]);
    }
  return NULL;
}

int
mr_process_exec (const struct mr_process *p, const char *path, mr_error **err)
{
  static char *const empty[] = { NULL };
  char *const *env = p->env ? p->env : empty;
  cleanup_free char **full_env = NULL;
  cleanup_free char *home_var = NULL;
  size_t n;

  /* Programs expect HOME: like other runtimes, it comes from the user's
   * entry in the container's /etc/passwd when process.env has none. */
  if (env_get (env, "HOME") == NULL)
    {
      cleanup_free char *home = passwd_home (getuid ());

      home_var = mr_xasprintf ("HOME=%s", home ? home : "/");
      for (n = 0; env[n] != NULL; n++)
        ;
      full_env = mr_xmalloc ((n + 2) * sizeof (char *));
      memcpy (full_env, env, n * sizeof (char *));
      full_env[n] = home_var;
      full_env[n + 1] = NULL;
      env = full_env;
    }

  execve (path, p->args, env);
  return mr_fail (err, errno, "exec: \"%s\"", path);
}
