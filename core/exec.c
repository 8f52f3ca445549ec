/* exec: a new process in an existing container. It enters the namespaces
 * of the container's init, its cgroups (through the cgroups plugin recorded
 * at create), its root, and gets the seccomp filter, LSM label, rlimits and
 * capabilities of config.json's process unless the exec overrides them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "launch.h"
#include "lifecycle.h"
#include "log.h"
#include "ociconfig.h"
#include "plugins.h"
#include "process.h"
#include "terminal.h"
#include "trace.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The namespaces of the init, in the order the process joins them. The
 * user namespace comes last: as the runtime, the process may still join a
 * namespace of the host's user namespace that the container shares. */
static const struct
{
  const char *name; /* in /proc/PID/ns */
  int flag;
} ns_kinds[] = {
  { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },       { "net", CLONE_NEWNET },
  { "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
  { "mnt", CLONE_NEWNS },  { "user", CLONE_NEWUSER },
};
#define NS_KINDS (sizeof (ns_kinds) / sizeof (ns_kinds[0]))

struct exec
{
  struct mr_runtime *rt;
  const struct mr_exec_opts *opts;
  struct mr_ctr ct;
  struct mr_process proc;
  struct mr_fd_pass fds;
  int init_pidfd;
  int root_fd;         /* the init's root, /proc/PID/root */
  int ns_fd[NS_KINDS]; /* -1: shared with the runtime */
  int sync_fd;
  int console_fd;
  int master_fd;
  pid_t pid;
};

/* The process to run. */

/* Sets member KEY of OBJ to VALUE, which it takes. */
static void
json_set (modrun_json *obj, const char *key, modrun_json *value)
{
  uint32_t i;

  for (i = 0; i < obj->count; i++)
    if (strcmp (obj->keys[i], key) == 0)
      {
        mr_json_free (obj->items[i]);
        obj->items[i] = value;
        return;
      }
  mr_json_add_copy (obj, key, value);
  mr_json_free (value);
}

/* Scalars are built as the single item of an array, then taken out of it:
 * the array is freed without its item. */
static modrun_json *
take_only_item (modrun_json *arr)
{
  modrun_json *v = arr->items[0];

  arr->count = 0;
  mr_json_free (arr);
  return v;
}

static modrun_json *
json_string (const char *s)
{
  modrun_json *arr = mr_json_new (MODRUN_JSON_ARRAY);

  mr_json_add_string (arr, NULL, s);
  return take_only_item (arr);
}

static modrun_json *
json_int (int64_t n)
{
  modrun_json *arr = mr_json_new (MODRUN_JSON_ARRAY);

  mr_json_add_int (arr, NULL, n);
  return take_only_item (arr);
}

static modrun_json *
json_bool (int b)
{
  modrun_json *arr = mr_json_new (MODRUN_JSON_ARRAY);

  mr_json_add_bool (arr, NULL, b);
  return take_only_item (arr);
}

/* Member KEY of OBJ as an object or array of TYPE to change: made when
 * absent (or of another type). */
static modrun_json *
json_member (modrun_json *obj, const char *key, modrun_json_type type)
{
  const modrun_json *m = modrun_json_get (obj, key);

  if (m == NULL || m->type != type)
    json_set (obj, key, mr_json_new (type));
  return (modrun_json *)modrun_json_get (obj, key);
}

static int
parse_id (const char *what, const char *s, int64_t *out, mr_error **err)
{
  char *end = NULL;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > (long long)UINT32_MAX - 1)
    return mr_fail (err, 0, "exec: %s: expected a number from 0 to %lld, got \"%s\"", what,
                    (long long)UINT32_MAX - 1, s);
  *out = v;
  return 0;
}

/* -e NAME=VALUE replaces NAME in the environment, or adds it. */
static void
set_env (modrun_json *proc, const char *entry)
{
  modrun_json *env = json_member (proc, "env", MODRUN_JSON_ARRAY);
  const char *eq = strchr (entry, '=');
  size_t len = eq ? (size_t)(eq - entry) + 1 : strlen (entry);
  uint32_t i;

  for (i = 0; i < env->count; i++)
    if (env->items[i]->type == MODRUN_JSON_STRING
        && strncmp (env->items[i]->string, entry, len) == 0
        && (eq != NULL || env->items[i]->string[len] == '\0'))
      {
        mr_json_free (env->items[i]);
        env->items[i] = json_string (entry);
        return;
      }
  mr_json_add_string (env, NULL, entry);
}

static int
set_user (modrun_json *proc, const struct mr_exec_opts *o, mr_error **err)
{
  modrun_json *user = json_member (proc, "user", MODRUN_JSON_OBJECT);
  int64_t v;
  size_t i;
  int ret;

  if (o->user != NULL)
    {
      cleanup_free char *copy = mr_xstrdup (o->user);
      char *colon = strchr (copy, ':');

      if (colon != NULL)
        {
          *colon = '\0';
          ret = parse_id ("--user: gid", colon + 1, &v, err);
          if (ret < 0)
            return ret;
          json_set (user, "gid", json_int (v));
        }
      ret = parse_id ("--user: uid", copy, &v, err);
      if (ret < 0)
        return ret;
      json_set (user, "uid", json_int (v));
    }
  if (o->n_additional_gids > 0)
    {
      modrun_json *gids = json_member (user, "additionalGids", MODRUN_JSON_ARRAY);

      for (i = 0; i < o->n_additional_gids; i++)
        {
          ret = parse_id ("--additional-gids", o->additional_gids[i], &v, err);
          if (ret < 0)
            return ret;
          mr_json_add_int (gids, NULL, v);
        }
    }
  return 0;
}

/* -c CAP joins the bounding, effective and permitted sets, and the ambient
 * one when config.json has an inheritable set (ambient capabilities need
 * it; -c does not add to it). */
static void
add_caps (modrun_json *proc, const struct mr_exec_opts *o)
{
  static const char *const sets[] = { "bounding", "effective", "permitted" };
  modrun_json *caps;
  bool ambient;
  size_t i, k;

  if (o->ncaps == 0)
    return;
  caps = json_member (proc, "capabilities", MODRUN_JSON_OBJECT);
  ambient = modrun_json_get (caps, "inheritable") != NULL;
  for (i = 0; i < o->ncaps; i++)
    {
      for (k = 0; k < sizeof (sets) / sizeof (sets[0]); k++)
        mr_json_add_string (json_member (caps, sets[k], MODRUN_JSON_ARRAY), NULL, o->caps[i]);
      if (ambient)
        mr_json_add_string (json_member (caps, "ambient", MODRUN_JSON_ARRAY), NULL, o->caps[i]);
    }
}

/* The process from the command line: config.json's, with the command and
 * the flags applied. */
static int
process_from_flags (struct exec *x, const modrun_json *base, modrun_json **out, mr_error **err)
{
  const struct mr_exec_opts *o = x->opts;
  cleanup_json modrun_json *proc = NULL;
  modrun_json *args;
  size_t i;
  int ret;

  proc = base && base->type == MODRUN_JSON_OBJECT ? mr_json_copy (base)
                                                  : mr_json_new (MODRUN_JSON_OBJECT);
  args = mr_json_new (MODRUN_JSON_ARRAY);
  for (i = 0; i < o->nargs; i++)
    mr_json_add_string (args, NULL, o->args[i]);
  json_set (proc, "args", args);
  /* Named by their option here: config.json's parser would name the
   * process field the option fills. */
  if (o->cwd != NULL && o->cwd[0] != '/')
    return mr_fail (err, 0, "exec: --cwd: expected an absolute path, got \"%s\"", o->cwd);
  for (i = 0; i < o->ncaps; i++)
    if (mr_cap_from_name (o->caps[i]) < 0)
      return mr_fail (err, 0, "exec: --cap: unknown capability \"%s\"", o->caps[i]);
  if (o->cwd != NULL)
    json_set (proc, "cwd", json_string (o->cwd));
  for (i = 0; i < o->nenv; i++)
    set_env (proc, o->env[i]);
  /* The container's terminal is its init's: an exec has one only when
   * asked. */
  json_set (proc, "terminal", json_bool (o->tty > 0));
  ret = set_user (proc, o, err);
  if (ret < 0)
    return ret;
  add_caps (proc, o);
  if (o->no_new_privs >= 0)
    json_set (proc, "noNewPrivileges", json_bool (o->no_new_privs));
  if (o->apparmor != NULL)
    json_set (proc, "apparmorProfile", json_string (o->apparmor));
  if (o->process_label != NULL)
    json_set (proc, "selinuxLabel", json_string (o->process_label));
  *out = mr_steal_ptr (proc);
  return 0;
}

/* The process from --process: that file's, where what it leaves out of
 * capabilities, rlimits and the LSM labels is config.json's, as runc has
 * it. */
static int
process_from_file (struct exec *x, const modrun_json *base, modrun_json **out, mr_error **err)
{
  static const char *const inherited[]
      = { "capabilities", "rlimits", "apparmorProfile", "selinuxLabel" };
  cleanup_json modrun_json *proc = NULL;
  size_t i;
  int ret;

  ret = mr_json_parse_file (x->opts->process_file, x->opts->process_file, &proc, err);
  if (ret < 0)
    return ret;
  if (proc->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "%s: expected a process object, got %s", x->opts->process_file,
                    modrun_json_type_name (proc->type));
  for (i = 0; i < sizeof (inherited) / sizeof (inherited[0]); i++)
    {
      const modrun_json *v = modrun_json_get (base, inherited[i]);

      if (modrun_json_get (proc, inherited[i]) == NULL && v != NULL)
        mr_json_add_copy (proc, inherited[i], v);
    }
  if (x->opts->tty >= 0)
    json_set (proc, "terminal", json_bool (x->opts->tty));
  *out = mr_steal_ptr (proc);
  return 0;
}

/* Builds the process, parses it, and puts it in the config the plugins
 * see in place of the init's, so that they label, filter and limit this
 * process by it. */
static int
build_process (struct exec *x, mr_error **err)
{
  const struct mr_exec_opts *o = x->opts;
  const modrun_json *base = modrun_json_get (x->ct.config, "process");
  modrun_json *proc = NULL;
  int ret;

  if (o->process_file != NULL && o->nargs > 0)
    return mr_fail (err, 0, "exec: give either --process or a command, not both");
  if (o->process_file == NULL && o->nargs == 0)
    return mr_fail (err, 0,
                    "exec: a command to run is required, or --process FILE; see "
                    "`modrun exec --help`");
  if (o->process_file != NULL)
    ret = process_from_file (x, base, &proc, err);
  else
    ret = process_from_flags (x, base, &proc, err);
  if (ret < 0)
    return ret;
  json_set (x->ct.config, "process", proc);

  ret = mr_process_parse (proc, "process", &x->proc, err);
  if (ret < 0)
    {
      if (o->process_file != NULL)
        mr_error_prefix (err, "%s", o->process_file);
      return ret;
    }
  if (x->proc.args == NULL || x->proc.args[0] == NULL)
    return mr_fail (err, 0, "exec: process.args: expected a program to run, got none");
  return 0;
}

static int
check_options (struct exec *x, mr_error **err)
{
  const struct mr_exec_opts *o = x->opts;

  if (o->preserve_fds < 0 || o->preserve_fds > MR_MAX_PASSED_FDS)
    return mr_fail (err, 0, "exec: --preserve-fds: expected 0 to %d, got %d", MR_MAX_PASSED_FDS,
                    o->preserve_fds);
  if (x->proc.terminal && o->detach && o->console_socket == NULL)
    return mr_fail (err, 0, "exec: a terminal with --detach needs --console-socket");
  if (o->console_socket != NULL && !x->proc.terminal)
    return mr_fail (err, 0,
                    "exec: --console-socket was given but the process has no terminal "
                    "(--tty, or process.terminal in --process)");
  if ((x->proc.apparmor_profile && *x->proc.apparmor_profile)
      || (x->proc.selinux_label && *x->proc.selinux_label))
    if (mr_plugins_find (&x->ct.plugins, MODRUN_CONCERN_LSM) == NULL)
      return mr_fail (err, 0,
                      "exec: process.%s is \"%s\", but the container has no lsm plugin "
                      "to apply it",
                      x->proc.apparmor_profile && *x->proc.apparmor_profile ? "apparmorProfile"
                                                                            : "selinuxLabel",
                      x->proc.apparmor_profile && *x->proc.apparmor_profile
                          ? x->proc.apparmor_profile
                          : x->proc.selinux_label);
  return 0;
}

/* The container. */

static int
check_status (struct exec *x, mr_error **err)
{
  switch (mr_state_status (x->ct.dir, x->ct.st))
    {
    case MR_STATUS_CREATED:
    case MR_STATUS_RUNNING:
      return 0;
    case MR_STATUS_PAUSED:
      if (x->opts->ignore_paused)
        return 0;
      return mr_fail (err, 0,
                      "cannot exec in a paused container (use --ignore-paused to override)");
    case MR_STATUS_STOPPED:
      return mr_fail (err, 0, "cannot exec in a stopped container");
    default:
      return mr_fail (err, 0, "%s: cannot exec in a container that is %s", x->ct.st->id,
                      mr_status_name (mr_state_status (x->ct.dir, x->ct.st)));
    }
}

static bool
init_has_exited (int pidfd)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };

  return poll (&p, 1, 0) != 0;
}

static bool
same_file (int a, int b)
{
  struct stat sa, sb;

  return fstat (a, &sa) == 0 && fstat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino;
}

/* Opens the init's namespaces and root through /proc/PID, with the pid
 * pinned by a pidfd: the init still living once they are open proves they
 * are its own and not those of a process that took over its pid. */
static int
open_init (struct exec *x, mr_error **err)
{
  cleanup_close int proc_dir = -1;
  cleanup_free char *path = NULL;
  size_t i;

  x->init_pidfd = mr_fd_pass_above (&x->fds, mr_ctr_init_pidfd (x->ct.st, err));
  if (x->init_pidfd == -ESRCH)
    return mr_fail (err, 0, "cannot exec in a stopped container");
  if (x->init_pidfd < 0)
    return x->init_pidfd;
  path = mr_xasprintf ("/proc/%d", (int)x->ct.st->pid);
  proc_dir = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0)
    return mr_fail (err, errno, "open `%s`", path);

  for (i = 0; i < NS_KINDS; i++)
    {
      cleanup_free char *name = mr_xasprintf ("ns/%s", ns_kinds[i].name);
      cleanup_free char *own = mr_xasprintf ("/proc/self/ns/%s", ns_kinds[i].name);
      cleanup_close int self = open (own, O_RDONLY | O_CLOEXEC);
      int fd = openat (proc_dir, name, O_RDONLY | O_CLOEXEC);

      if (fd < 0 && errno == ENOENT && self < 0)
        continue; /* a kind of namespace this kernel does not have */
      if (fd < 0)
        return mr_fail (err, errno, "open `%s/%s` of the container init", path, name);
      if (self >= 0 && same_file (fd, self))
        {
          close (fd);
          continue;
        }
      x->ns_fd[i] = mr_fd_pass_above (&x->fds, fd);
      if (x->ns_fd[i] < 0)
        return mr_fail (err, errno, "move an fd above the --preserve-fds range");
    }
  x->root_fd
      = mr_fd_pass_above (&x->fds, openat (proc_dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (x->root_fd < 0)
    return mr_fail (err, errno, "open `%s/root` of the container init", path);
  if (init_has_exited (x->init_pidfd))
    return mr_fail (err, 0, "cannot exec in a stopped container");
  return 0;
}

/* The process, in the runtime's fork. */

static void __attribute__ ((noreturn)) child_fail (struct exec *x, mr_error *err)
{
  if (mr_sync_send (x->sync_fd, MR_SYNC_ERROR, err->msg) < 0)
    dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
  _exit (1);
}

/* Joins every namespace of the init but its PID namespace (the runtime
 * joined that one for its children), enters its root, then its user
 * namespace: before that, the process is still the runtime, which may join
 * namespaces of the host's user namespace that the container shares. */
static int
join_namespaces (struct exec *x, mr_error **err)
{
  size_t i, user = NS_KINDS;

  for (i = 0; i < NS_KINDS; i++)
    {
      if (x->ns_fd[i] < 0 || ns_kinds[i].flag == CLONE_NEWPID)
        continue;
      if (ns_kinds[i].flag == CLONE_NEWUSER)
        {
          user = i;
          continue;
        }
      if (setns (x->ns_fd[i], ns_kinds[i].flag) < 0)
        return mr_fail (err, errno, "join the %s namespace of the container", ns_kinds[i].name);
    }
  if (fchdir (x->root_fd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return mr_fail (err, errno, "enter the root of the container");
  if (user < NS_KINDS && setns (x->ns_fd[user], CLONE_NEWUSER) < 0)
    return mr_fail (err, errno, "join the user namespace of the container");

  for (i = 0; i < NS_KINDS; i++)
    if (x->ns_fd[i] >= 0)
      {
        close (x->ns_fd[i]);
        x->ns_fd[i] = -1;
      }
  close (x->root_fd);
  x->root_fd = -1;
  return 0;
}

static int
read_go (struct exec *x)
{
  char c = 0;
  ssize_t n;

  do
    n = recv (x->sync_fd, &c, 1, 0);
  while (n < 0 && errno == EINTR);
  return n == 1 && c == MR_SYNC_GO ? 0 : -1;
}

static int
run_seccomp (struct exec *x, mr_error **err)
{
  return mr_plugins_run_concern (&x->ct.plugins, &x->ct.c, MR_STAGE (child_before_exec),
                                 MODRUN_CONCERN_SECCOMP, true, err);
}

static void __attribute__ ((noreturn)) child_main (struct exec *x)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *exe = NULL;
  struct mr_process *proc = &x->proc;

  /* It runs the runtime's code in the container until it execs: other
   * processes there must not reach it through /proc. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (x->ct.lock_fd >= 0)
    close (x->ct.lock_fd);
  x->ct.lock_fd = -1;
  if (read_go (x) < 0)
    _exit (1);

  if (join_namespaces (x, &err) < 0)
    child_fail (x, err);
  if (proc->terminal)
    {
      unsigned int rows = proc->console_height, cols = proc->console_width;
      int master = -1;

      /* Bridged to our terminal, it has our terminal's size. */
      if (x->console_fd < 0)
        mr_terminal_size_of_stdin (&rows, &cols);
      if (mr_terminal_setup_child (rows, cols, &master, &err) < 0)
        child_fail (x, err);
      if (mr_send_fd (x->console_fd >= 0 ? x->console_fd : x->sync_fd, master, &err) < 0)
        child_fail (x, err);
      close (master);
      if (x->console_fd >= 0)
        close (x->console_fd);
      x->console_fd = -1;
    }

  /* As for the init: the LSM label is set while the process still has
   * every privilege, before its keyring, any filter and its credentials. */
  if (mr_plugins_run_concern (&x->ct.plugins, &x->ct.c, MR_STAGE (child_before_exec),
                              MODRUN_CONCERN_LSM, true, &err)
      < 0)
    child_fail (x, err);
  if (mr_process_prepare (proc, x->ct.st->id, (x->ct.st->options & MODRUN_OPT_NO_NEW_KEYRING) != 0,
                          &err)
      < 0)
    child_fail (x, err);
  if (!proc->no_new_privileges && run_seccomp (x, &err) < 0)
    child_fail (x, err);
  if (mr_process_set_credentials (proc, &err) < 0)
    child_fail (x, err);
  if (mr_process_find_executable (proc, &exe, &err) < 0)
    child_fail (x, err);
  if (mr_plugins_run_concerns (&x->ct.plugins, &x->ct.c, MR_STAGE (child_before_exec),
                               ~(MR_CONCERN_BIT (MODRUN_CONCERN_LSM)
                                 | MR_CONCERN_BIT (MODRUN_CONCERN_SECCOMP)),
                               &err)
      < 0)
    child_fail (x, err);
  mr_sync_send_trace (x->sync_fd, &x->ct.plugins,
                      proc->no_new_privileges ? MR_CONCERN_BIT (MODRUN_CONCERN_SECCOMP) : 0);
  if (mr_sync_send (x->sync_fd, MR_SYNC_READY, NULL) < 0)
    _exit (1);

  /* Nobody waits for an error from here on: it goes to stderr. */
  if (proc->no_new_privileges && run_seccomp (x, &err) < 0)
    {
      dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
      _exit (1);
    }
  mr_fd_pass_apply (&x->fds);
  mr_process_exec (proc, exe, &err);
  dprintf (STDERR_FILENO, "modrun: %s\n", err ? err->msg : "exec failed");
  _exit (127);
}

/* The runtime's side. */

static int
describe_exit (struct exec *x, mr_error **err)
{
  int status = 0;

  if (waitpid (x->pid, &status, 0) == x->pid)
    {
      x->pid = 0;
      if (WIFSIGNALED (status))
        return mr_fail (err, 0, "exec: the process was killed by signal %d before it started",
                        WTERMSIG (status));
      return mr_fail (err, 0, "exec: the process exited with status %d before it started",
                      WEXITSTATUS (status));
    }
  return mr_fail (err, 0, "exec: the process went away before it started");
}

static int
wait_ready (struct exec *x, mr_error **err)
{
  char msg[4096];
  char tag = 0;
  int fd = -1, ret;

  for (;;)
    {
      ret = mr_sync_recv (x->sync_fd, &tag, msg, sizeof (msg), &fd);
      if (ret < 0)
        return describe_exit (x, err);
      if (fd >= 0)
        {
          if (x->master_fd >= 0)
            close (x->master_fd);
          x->master_fd = fd;
          continue;
        }
      if (tag == MR_SYNC_READY)
        return 0;
      if (tag == MR_SYNC_TRACE)
        {
          mr_trace_merge_child_text (msg);
          continue;
        }
      if (tag == MR_SYNC_ERROR)
        {
          while (waitpid (x->pid, NULL, 0) < 0 && errno == EINTR)
            ;
          x->pid = 0;
          return mr_fail (err, 0, "%s", msg);
        }
      return mr_fail (err, EPROTO, "exec: unexpected message from the process");
    }
}

/* Forks the process into the container's PID namespace, moves it into the
 * container's cgroups, and waits until it is ready to exec. */
/* Forks with the PID namespace of the init for the child (the namespace
 * is entered by a fork); the runtime's later children, the sanitizers'
 * leak check's too, are born in its own again. *PID is 0 in the child. */
static int
fork_into_pid_ns (struct exec *x, pid_t *pid, mr_error **err)
{
  cleanup_close int own = -1;
  size_t k;
  int saved;

  for (k = 0; ns_kinds[k].flag != CLONE_NEWPID; k++)
    ;
  if (x->ns_fd[k] >= 0)
    {
      own = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (own < 0)
        return mr_fail (err, errno, "open `/proc/self/ns/pid`");
      if (setns (x->ns_fd[k], CLONE_NEWPID) < 0)
        return mr_fail (err, errno, "join the pid namespace of the container");
    }
  *pid = fork ();
  if (*pid == 0)
    return 0;
  saved = errno;
  if (own >= 0 && setns (own, CLONE_NEWPID) < 0)
    mr_log (MODRUN_LOG_WARNING, "exec: return to the runtime's pid namespace: %s",
            strerror (errno));
  if (*pid > 0)
    return 0;
  *pid = 0;
  /* A PID namespace whose init is gone takes no one in. */
  if (saved == ENOMEM && init_has_exited (x->init_pidfd))
    return mr_fail (err, 0, "cannot exec in a stopped container");
  return mr_fail (err, saved, "exec: fork the process");
}

static int
spawn_process (struct exec *x, mr_error **err)
{
  int sv[2];
  int ret;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mr_fail (err, errno, "socketpair");
  sv[0] = mr_fd_pass_above (&x->fds, sv[0]);
  sv[1] = mr_fd_pass_above (&x->fds, sv[1]);
  if (sv[0] < 0 || sv[1] < 0)
    {
      ret = mr_fail (err, errno, "move an fd above the --preserve-fds range");
      if (sv[0] >= 0)
        close (sv[0]);
      if (sv[1] >= 0)
        close (sv[1]);
      return ret;
    }

  ret = fork_into_pid_ns (x, &x->pid, err);
  if (ret < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return ret;
    }
  if (x->pid == 0)
    {
      close (sv[0]);
      x->sync_fd = sv[1];
      child_main (x);
    }
  close (sv[1]);
  x->sync_fd = sv[0];
  x->ct.c.pid = x->pid;

  ret = mr_plugins_run (&x->ct.plugins, &x->ct.c, MR_STAGE (parent_after_clone), err);
  if (ret < 0)
    return ret;
  if (mr_sync_send (x->sync_fd, MR_SYNC_GO, NULL) < 0)
    return describe_exit (x, err);
  return wait_ready (x, err);
}

static int
prepare (struct exec *x, mr_error **err)
{
  int ret;

  ret = mr_ctr_load_config (&x->ct, err);
  if (ret < 0)
    return ret;
  ret = build_process (x, err);
  if (ret < 0)
    return ret;
  /* The plugins see the config with this process in it. */
  ret = mr_ctr_load_plugins (&x->ct, MODRUN_CMD_EXEC, false, err);
  if (ret < 0)
    return ret;
  ret = check_options (x, err);
  if (ret < 0)
    return ret;
  ret = mr_plugins_run (&x->ct.plugins, &x->ct.c, MR_STAGE (validate), err);
  if (ret < 0)
    return ret;
  ret = open_init (x, err);
  if (ret < 0)
    return ret;
  ret = mr_plugins_run (&x->ct.plugins, &x->ct.c, MR_STAGE (prepare), err);
  if (ret < 0)
    return ret;
  if (x->opts->console_socket != NULL)
    {
      x->console_fd
          = mr_fd_pass_above (&x->fds, mr_console_socket_open (x->opts->console_socket, err));
      if (x->console_fd < 0)
        return x->console_fd;
    }
  return 0;
}

static void
exec_release (struct exec *x)
{
  size_t i;

  if (x->pid > 0)
    {
      kill (x->pid, SIGKILL);
      while (waitpid (x->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  for (i = 0; i < NS_KINDS; i++)
    if (x->ns_fd[i] >= 0)
      close (x->ns_fd[i]);
  if (x->root_fd >= 0)
    close (x->root_fd);
  if (x->init_pidfd >= 0)
    close (x->init_pidfd);
  if (x->sync_fd >= 0)
    close (x->sync_fd);
  if (x->console_fd >= 0)
    close (x->console_fd);
  if (x->master_fd >= 0)
    close (x->master_fd);
  mr_ctr_release (&x->ct);
  mr_process_clear (&x->proc);
  mr_fd_pass_free (&x->fds);
}

/* Status errors come before the copy of the runtime is made. */
static int
precheck (struct mr_runtime *rt, const char *id, bool ignore_paused, mr_error **err)
{
  struct exec x = { .opts = &(struct mr_exec_opts){ .ignore_paused = ignore_paused } };
  int ret;

  ret = mr_ctr_open (rt, id, false, &x.ct, err);
  if (ret == 0)
    ret = check_status (&x, err);
  mr_ctr_release (&x.ct);
  return ret;
}

int
mr_exec (struct mr_runtime *rt, const struct mr_exec_opts *opts, mr_error **err)
{
  struct exec x = { .rt = rt,
                    .opts = opts,
                    .init_pidfd = -1,
                    .root_fd = -1,
                    .sync_fd = -1,
                    .console_fd = -1,
                    .master_fd = -1 };
  pid_t pid;
  size_t i;
  int ret;

  for (i = 0; i < NS_KINDS; i++)
    x.ns_fd[i] = -1;
  x.ct.lock_fd = -1;
  mr_fd_pass_note (&x.fds, opts->preserve_fds);

  ret = precheck (rt, opts->id, opts->ignore_paused, err);
  if (ret < 0)
    goto out;
  /* The process runs the runtime's code inside the container, where its
   * /proc/PID/exe would lead back to the runtime's binary. */
  ret = mr_reexec_sealed (err);
  if (ret < 0)
    goto out;

  ret = mr_ctr_open (rt, opts->id, true, &x.ct, err);
  if (ret < 0)
    goto out;
  ret = check_status (&x, err);
  if (ret < 0)
    goto out;
  ret = prepare (&x, err);
  if (ret < 0)
    goto out;
  ret = spawn_process (&x, err);
  if (ret < 0)
    goto out;

  if (opts->pid_file != NULL)
    {
      ret = mr_write_pid_file (opts->pid_file, x.pid, err);
      if (ret < 0)
        goto out;
    }
  if (opts->pidfd_socket != NULL)
    {
      ret = mr_send_pidfd (opts->pidfd_socket, x.pid, err);
      if (ret < 0)
        goto out;
    }
  /* The process execs now: the container is free for other commands. */
  close (x.sync_fd);
  x.sync_fd = -1;
  close (x.ct.lock_fd);
  x.ct.lock_fd = -1;
  pid = x.pid;
  x.pid = 0;
  if (opts->detach)
    {
      ret = 0;
      goto out;
    }
  ret = mr_wait_foreground (pid, x.master_fd, err);

out:
  exec_release (&x);
  return ret;
}
