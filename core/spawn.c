/* create and run: the container's init is cloned here, driven through the
 * plugin stages, and left waiting on the exec fifo until start. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "json.h"
#include "launch.h"
#include "lifecycle.h"
#include "log.h"
#include "ociconfig.h"
#include "plugins.h"
#include "process.h"
#include "state.h"
#include "terminal.h"
#include "trace.h"

struct spawn
{
  struct mr_runtime *rt;
  const struct mr_create_opts *opts;
  struct mr_config *cfg;
  struct mr_plugin_set plugins;
  struct modrun_container c;
  struct mr_container_core core;
  char *state_dir;
  int sync_fd;
  int fifo_fd;
  int console_fd;
  int master_fd;
  int lock_fd;
  pid_t pid;
  char *hook_state; /* in the init: the state JSON its hooks read */
  /* The fds of socket activation and --preserve-fds, from 3 on. */
  struct mr_fd_pass fds;
};

static char *hook_state_text (struct spawn *s, enum mr_status status);

/* Child side. */

static int describe_child_exit (struct spawn *s, mr_error **err);

/* Whether the init moves itself into the cgroups a plugin opened: not
 * from a new user namespace, where it is nobody until its maps are set. */
static bool
self_joins (const struct modrun_container *c)
{
  return c->n_join_fds > 0 && c->join_fds != NULL && !(c->clone_flags & CLONE_NEWUSER);
}

/* Waits for the init to report that it moved itself into its cgroups. */
static int
wait_joined (struct spawn *s, mr_error **err)
{
  char msg[4096];
  char tag = 0;
  int fd = -1;

  if (mr_sync_recv (s->sync_fd, &tag, msg, sizeof (msg), &fd) < 0)
    return describe_child_exit (s, err);
  if (fd >= 0)
    close (fd);
  if (tag == MR_SYNC_ERROR)
    return mr_fail (err, 0, "%s", msg);
  if (tag != MR_SYNC_JOINED)
    return mr_fail (err, EPROTO, "unexpected message from the container init");
  s->c.joined = 1;
  return 0;
}

static void __attribute__ ((noreturn))
child_fail (struct spawn *s, mr_error *err)
{
  if (mr_sync_send (s->sync_fd, MR_SYNC_ERROR, err->msg) < 0)
    dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
  _exit (1);
}

/* True when config.json joins an existing mount namespace by path: the root
 * is switched in it as in a new one. */
static int
joins_mount_namespace (const modrun_json *config)
{
  const modrun_json *nss = modrun_json_path (config, "linux.namespaces");
  uint32_t i;

  for (i = 0; nss && nss->type == MODRUN_JSON_ARRAY && i < nss->count; i++)
    {
      const modrun_json *t = modrun_json_get (nss->items[i], "type");
      const modrun_json *p = modrun_json_get (nss->items[i], "path");

      if (t && t->type == MODRUN_JSON_STRING && strcmp (t->string, "mount") == 0 && p
          && p->type == MODRUN_JSON_STRING && p->length > 0)
        return 1;
    }
  return 0;
}

static int
switch_root (struct spawn *s, mr_error **err)
{
  const char *rootfs = s->c.rootfs;
  cleanup_close int oldroot = -1;

  if (chdir (rootfs) < 0)
    return mr_fail (err, errno, "chdir to rootfs `%s`", rootfs);

  if (!(s->c.clone_flags & CLONE_NEWNS) && !joins_mount_namespace (s->cfg->tree))
    {
      if (chroot (".") < 0)
        return mr_fail (err, errno, "chroot to `%s`", rootfs);
      return chdir ("/") < 0 ? mr_fail (err, errno, "chdir to / in the rootfs") : 0;
    }

  if (s->opts->no_pivot)
    {
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return mr_fail (err, errno, "move rootfs `%s` to /", rootfs);
      if (chroot (".") < 0)
        return mr_fail (err, errno, "chroot to `%s`", rootfs);
      return chdir ("/") < 0 ? mr_fail (err, errno, "chdir to / in the rootfs") : 0;
    }

  /* pivot_root (".", ".") stacks the old root on top of the new one.
   * Stepping into the old root (through a descriptor taken before) and
   * making it a slave keeps its detach from propagating back to the host,
   * without touching the propagation of the container's own mounts. */
  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return mr_fail (err, errno, "open the old root");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return mr_fail (err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return mr_fail (err, errno, "enter the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return mr_fail (err, errno, "make the old root a slave mount");
  if (umount2 (".", MNT_DETACH) < 0)
    return mr_fail (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return mr_fail (err, errno, "chdir to / in the rootfs");
  return 0;
}

/* The pty master goes to the console socket, or back to a foreground
 * `run` over the sync socket: a message that carries a descriptor is the
 * master, whatever its bytes. */
static int
send_master (struct spawn *s, int master, mr_error **err)
{
  return mr_send_fd (s->console_fd >= 0 ? s->console_fd : s->sync_fd, master, err);
}

/* Blocks until `start` opens the exec fifo; runs the startContainer hooks
 * and answers "0" to go on, or "E" and the hook's error for start to
 * report. The write end then stays open, close-on-exec, so that `start`
 * sees the fifo close when the process is executed (or the init dies), and
 * runs the poststart hooks only then. */
static int
wait_for_start (struct spawn *s, mr_error **err)
{
  char path[64];
  cleanup_close int fd = -1;
  cleanup_free char *answer = NULL;
  int ret;

  snprintf (path, sizeof (path), "/proc/self/fd/%d", s->fifo_fd);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return mr_fail (err, errno,
                    "open the exec fifo through %s (the container needs /proc mounted)", path);
  close (s->fifo_fd);
  s->fifo_fd = -1;
  ret = mr_hooks_run (s->cfg->hooks, "startContainer", s->hook_state, err);
  if (ret < 0)
    answer = mr_xasprintf ("E%.*s", PIPE_BUF - 2, (*err)->msg);
  if (mr_write_all (fd, answer ? answer : "0", answer ? strlen (answer) : 1) < 0 && ret == 0)
    return mr_fail (err, errno, "write to the exec fifo");
  /* start reports the hook's failure; the init just ends. */
  if (ret < 0)
    _exit (1);
  s->fifo_fd = mr_fd_pass_above (&s->fds, fd);
  fd = -1;
  return 0;
}

/* Waits for the parent's go; it carries the state JSON when the init has
 * hooks of its own to run. */
static int
read_go (struct spawn *s)
{
  ssize_t size, n;
  char *buf;

  do
    size = recv (s->sync_fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
  while (size < 0 && errno == EINTR);
  if (size < 1)
    return -1;
  buf = mr_xmalloc ((size_t) size + 1);
  do
    n = recv (s->sync_fd, buf, (size_t) size, 0);
  while (n < 0 && errno == EINTR);
  if (n != size || buf[0] != MR_SYNC_GO)
    {
      free (buf);
      return -1;
    }
  buf[n] = '\0';
  if (n > 1)
    {
      memmove (buf, buf + 1, (size_t) n);
      s->hook_state = buf;
    }
  else
    free (buf);
  return 0;
}

static void __attribute__ ((noreturn))
child_main (struct spawn *s)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *exe = NULL;
  const struct mr_process *proc = &s->cfg->process;
  
  /* Until it execs, the init runs the runtime's binary inside the
   * container's namespaces: other processes there must not reach it
   * through /proc (its exe, fds, memory). execve makes it dumpable again. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* The parent keeps the container locked until create is done; this copy
   * of the descriptor must not keep it past that. */
  if (s->lock_fd >= 0)
    close (s->lock_fd);
  s->lock_fd = -1;

  if (self_joins (&s->c))
    {
      uint32_t i;

      for (i = 0; i < s->c.n_join_fds; i++)
        if (write (s->c.join_fds[i], "0", 1) != 1)
          {
            mr_fail (&err, errno, "join the container's cgroups");
            child_fail (s, err);
          }
      if (mr_sync_send (s->sync_fd, MR_SYNC_JOINED, NULL) < 0)
        _exit (1);
    }

  if (read_go (s) < 0)
    _exit (1);

  if (mr_plugins_run (&s->plugins, &s->c, MR_STAGE (child_rootfs), &err) < 0)
    child_fail (s, err);
  /* In the container's namespaces, before the root moves: the hook's path
   * still resolves in the runtime's view of the filesystem. */
  if (mr_hooks_run (s->cfg->hooks, "createContainer", s->hook_state, &err) < 0)
    child_fail (s, err);
  if (switch_root (s, &err) < 0)
    child_fail (s, err);
  if (mr_plugins_run (&s->plugins, &s->c, MR_STAGE (child_after_pivot), &err) < 0)
    child_fail (s, err);

  if (proc->present && proc->terminal)
    {
      unsigned int rows = proc->console_height, cols = proc->console_width;
      int master = -1;

      if (s->console_fd < 0)
        mr_terminal_size_of_stdin (&rows, &cols);
      if (mr_terminal_setup_child (rows, cols, &master, &err) < 0)
        child_fail (s, err);
      if (send_master (s, master, &err) < 0)
        child_fail (s, err);
      close (master);
    }

  /* LSM labels take effect at exec. They are written while the init still
   * has all its privileges, before the session keyring is made (so that it
   * gets the label the LSM gives new keys) and before any seccomp filter,
   * which could deny the writes. */
  if (mr_plugins_run_concern (&s->plugins, &s->c, MR_STAGE (child_before_exec),
                              MODRUN_CONCERN_LSM, true, &err)
      < 0)
    child_fail (s, err);

  if (proc->present)
    {
      /* Before any seccomp filter, which may allow only some domains. */
      if (s->cfg->has_personality && personality (s->cfg->personality) < 0)
        {
          mr_fail (&err, errno, "linux.personality: personality(0x%lx)", s->cfg->personality);
          child_fail (s, err);
        }
      if (mr_process_prepare (proc, s->c.id, s->opts->no_new_keyring, &err) < 0)
        child_fail (s, err);
      /* Without no_new_privs, installing a seccomp filter takes
       * CAP_SYS_ADMIN: it goes in while the init still has it. */
      if (!proc->no_new_privileges
          && mr_plugins_run_concern (&s->plugins, &s->c, MR_STAGE (child_before_exec),
                                     MODRUN_CONCERN_SECCOMP, true, &err)
               < 0)
        child_fail (s, err);
      if (mr_process_set_credentials (proc, &err) < 0)
        child_fail (s, err);
      if (mr_process_find_executable (proc, &exe, &err) < 0)
        child_fail (s, err);
    }

  if (mr_plugins_run_concerns (&s->plugins, &s->c, MR_STAGE (child_before_exec),
                               ~(MR_CONCERN_BIT (MODRUN_CONCERN_LSM)
                                 | MR_CONCERN_BIT (MODRUN_CONCERN_EXTRA)
                                 | MR_CONCERN_BIT (MODRUN_CONCERN_SECCOMP)),
                               &err)
      < 0)
    child_fail (s, err);

  /* Extra plugins (sandboxes) and, with no_new_privs, seccomp come after
   * start. */
  mr_sync_send_trace (s->sync_fd, &s->plugins,
                      MR_CONCERN_BIT (MODRUN_CONCERN_EXTRA)
                          | (proc->present && proc->no_new_privileges
                                 ? MR_CONCERN_BIT (MODRUN_CONCERN_SECCOMP)
                                 : 0));
  if (mr_sync_send (s->sync_fd, MR_SYNC_READY, NULL) < 0)
    _exit (1);
  close (s->sync_fd);
  s->sync_fd = -1;

  /* From here on nobody waits for an error message: what fails goes to the
   * container's stderr, as with any process that fails to exec. */
  if (wait_for_start (s, &err) < 0)
    {
      dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
      _exit (1);
    }
  if (!proc->present)
    {
      dprintf (STDERR_FILENO, "modrun: config.json: process is required to start the container\n");
      _exit (1);
    }

  /* Sandboxes such as Landlock bind the process, not the runtime: opening
   * the exec fifo and the startContainer hooks stay outside them. */
  if (mr_plugins_run_concern (&s->plugins, &s->c, MR_STAGE (child_before_exec),
                              MODRUN_CONCERN_EXTRA, true, &err)
      < 0)
    {
      dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
      _exit (1);
    }
  /* With no_new_privs the filter goes in last, so that the runtime makes as
   * few syscalls as possible under it. */
  if (proc->no_new_privileges
      && mr_plugins_run_concern (&s->plugins, &s->c, MR_STAGE (child_before_exec),
                                 MODRUN_CONCERN_SECCOMP, true, &err)
           < 0)
    {
      dprintf (STDERR_FILENO, "modrun: %s\n", err->msg);
      _exit (1);
    }
  mr_fd_pass_apply (&s->fds);
  mr_process_exec (proc, exe, &err);
  dprintf (STDERR_FILENO, "modrun: %s\n", err ? err->msg : "exec failed");
  _exit (127);
}

/* Parent side. */

static int
check_options (struct spawn *s, mr_error **err)
{
  const struct mr_process *proc = &s->cfg->process;

  if (s->opts->preserve_fds < 0 || s->opts->preserve_fds > MR_MAX_PASSED_FDS - mr_listen_fds ())
    return mr_fail (err, 0, "--preserve-fds: expected 0 to %d, got %d",
                    MR_MAX_PASSED_FDS - mr_listen_fds (), s->opts->preserve_fds);
  if ((s->opts->foreground || s->opts->detach) && !proc->present)
    return mr_fail (err, 0, "config.json: process is required to run a container");
  if (proc->present && proc->terminal && s->opts->console_socket == NULL
      && !s->opts->foreground)
    return mr_fail (err, 0,
                    "process.terminal is true: --console-socket is required when modrun "
                    "does not stay in the foreground");
  if (s->opts->console_socket != NULL && !(proc->present && proc->terminal))
    return mr_fail (err, 0,
                    "--console-socket was given but process.terminal is not true in config.json");
  return 0;
}

static int
save_config_copy (struct spawn *s, mr_error **err)
{
  cleanup_free char *src = NULL;
  cleanup_free char *dst = mr_xasprintf ("%s/config.json", s->state_dir);
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret;

  if (s->opts->config_path)
    src = mr_xstrdup (s->opts->config_path);
  else
    src = mr_xasprintf ("%s/config.json", s->opts->bundle);
  ret = mr_read_file (src, &text, &len, err);
  if (ret < 0)
    return ret;
  return mr_write_file (dst, text, len, 0600, err);
}

static int
make_exec_fifo (struct spawn *s, mr_error **err)
{
  cleanup_free char *path = mr_xasprintf ("%s/exec.fifo", s->state_dir);

  if (mkfifo (path, 0600) < 0)
    return mr_fail (err, errno, "mkfifo `%s`", path);
  /* Writable by everyone: the init may have dropped to any user before it
   * reopens the fifo through its fd. */
  if (chmod (path, 0622) < 0)
    return mr_fail (err, errno, "chmod `%s`", path);
  s->fifo_fd = mr_fd_pass_above (&s->fds, open (path, O_PATH | O_CLOEXEC));
  if (s->fifo_fd < 0)
    return mr_fail (err, errno, "open `%s`", path);
  return 0;
}

/* The kernel's struct clone_args up to its cgroup member (88 bytes). */
struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Creates the init; in the cgroup C->cgroup_fd names when a plugin gave
 * one and the kernel can (clone3, Linux 5.7), so that no write to
 * cgroup.procs has to move it there afterwards. */
static pid_t
clone_child (struct modrun_container *c)
{
  c->born_in_cgroup = 0;
  if (c->cgroup_fd >= 0)
    {
      struct clone3_args args = { 0 };
      long pid;

      args.flags = c->clone_flags | CLONE_INTO_CGROUP;
      args.exit_signal = SIGCHLD;
      args.cgroup = (uint64_t) c->cgroup_fd;
      pid = syscall (SYS_clone3, &args, sizeof (args));
      if (pid >= 0)
        {
          if (pid > 0)
            c->born_in_cgroup = 1;
          return (pid_t) pid;
        }
      if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP)
        return -1;
      mr_log (MODRUN_LOG_DEBUG, "clone3 into the cgroup: %s; the cgroups plugin moves the init",
              strerror (errno));
    }
  return (pid_t) syscall (SYS_clone, (unsigned long) (c->clone_flags | SIGCHLD), NULL, NULL, NULL,
                          NULL);
}

static int
describe_child_exit (struct spawn *s, mr_error **err)
{
  int status = 0;

  if (waitpid (s->pid, &status, 0) == s->pid)
    {
      s->pid = 0;
      if (WIFSIGNALED (status))
        return mr_fail (err, 0, "container init was killed by signal %d before it was ready",
                        WTERMSIG (status));
      return mr_fail (err, 0, "container init exited with status %d before it was ready",
                      WEXITSTATUS (status));
    }
  return mr_fail (err, 0, "container init went away before it was ready");
}

static int
wait_child_ready (struct spawn *s, mr_error **err)
{
  char msg[4096];
  char tag = 0;
  int fd = -1, ret;

  for (;;)
    {
      ret = mr_sync_recv (s->sync_fd, &tag, msg, sizeof (msg), &fd);
      if (ret < 0)
        return describe_child_exit (s, err);
      if (fd >= 0)
        tag = MR_SYNC_MASTER;
      switch (tag)
        {
        case MR_SYNC_READY:
          return 0;
        case MR_SYNC_ERROR:
          return mr_fail (err, 0, "%s", msg);
        case MR_SYNC_TRACE:
          mr_trace_merge_child_text (msg);
          break;
        case MR_SYNC_MASTER:
          if (s->master_fd >= 0)
            close (s->master_fd);
          s->master_fd = fd;
          break;
        default:
          if (fd >= 0)
            close (fd);
          return mr_fail (err, EPROTO, "unexpected message from the container init");
        }
    }
}

/* prestart and createRuntime: in the runtime's namespaces, once the
 * container's namespaces and cgroups exist, before its root is built. */
static int
run_runtime_hooks (struct spawn *s, mr_error **err)
{
  cleanup_free char *text = NULL;
  int ret;

  if (!mr_hooks_have (s->cfg->hooks, "prestart") && !mr_hooks_have (s->cfg->hooks, "createRuntime"))
    return 0;
  /* The hooks of create see the container as it will be when create
   * returns ("created"), as the conformance suite and crun have it. */
  text = hook_state_text (s, MR_STATUS_CREATED);
  ret = mr_hooks_run (s->cfg->hooks, "prestart", text, err);
  if (ret < 0)
    return ret;
  return mr_hooks_run (s->cfg->hooks, "createRuntime", text, err);
}

static int
send_go (struct spawn *s)
{
  cleanup_free char *msg = NULL;
  size_t len = 1;

  if (mr_hooks_have (s->cfg->hooks, "createContainer")
      || mr_hooks_have (s->cfg->hooks, "startContainer"))
    {
      cleanup_free char *text = hook_state_text (s, MR_STATUS_CREATED);

      msg = mr_xasprintf ("%c%s", MR_SYNC_GO, text);
      len = strlen (msg);
    }
  else
    msg = mr_xasprintf ("%c", MR_SYNC_GO);
  return send (s->sync_fd, msg, len, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int
spawn_init (struct spawn *s, mr_error **err)
{
  int sv[2];
  int ret;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mr_fail (err, errno, "socketpair");
  sv[0] = mr_fd_pass_above (&s->fds, sv[0]);
  sv[1] = mr_fd_pass_above (&s->fds, sv[1]);

  s->pid = clone_child (&s->c);
  if (s->pid < 0)
    {
      ret = mr_fail (err, errno, "clone the container init");
      close (sv[0]);
      close (sv[1]);
      s->pid = 0;
      return ret;
    }
  if (s->pid == 0)
    {
      close (sv[0]);
      s->sync_fd = sv[1];
      child_main (s);
    }

  close (sv[1]);
  s->sync_fd = sv[0];
  s->c.pid = s->pid;

  if (self_joins (&s->c))
    {
      ret = wait_joined (s, err);
      if (ret < 0)
        return ret;
    }
  ret = mr_plugins_run (&s->plugins, &s->c, MR_STAGE (parent_after_clone), err);
  if (ret < 0)
    return ret;
  ret = run_runtime_hooks (s, err);
  if (ret < 0)
    return ret;
  ret = send_go (s);
  if (ret < 0)
    return describe_child_exit (s, err);
  return wait_child_ready (s, err);
}

static void fill_state (struct spawn *s, struct mr_state *st);

/* Writes state.json: first with no init (pid 0) right after the state
 * directory is made, so that a create killed part way leaves a container
 * that `delete` can clean up, then with the init once it is ready. */
static int
record_state (struct spawn *s, mr_error **err)
{
  struct mr_state st = { 0 };
  cleanup_free char *created = mr_now_rfc3339 ();
  cleanup_free char *plugins = mr_plugins_names (&s->plugins);
  int ret;

  fill_state (s, &st);
  st.created = created;
  st.plugins = plugins;
  ret = mr_state_save (s->state_dir, &st, err);
  if (ret < 0)
    return ret;
  if (s->opts->pid_file && s->pid > 0)
    return mr_write_pid_file (s->opts->pid_file, s->pid, err);
  return 0;
}

static void
fill_state (struct spawn *s, struct mr_state *st)
{
  st->id = (char *) s->c.id;
  st->pid = s->pid;
  st->start_time = s->pid > 0 ? mr_proc_start_time (s->pid, NULL) : 0;
  st->bundle = (char *) s->opts->bundle;
  st->rootfs = s->cfg->rootfs;
  st->owner = (char *) "";
  st->oci_version = s->cfg->oci_version;
  st->options = s->c.options;
  st->annotations = (modrun_json *) s->cfg->annotations;
}

/* The state hooks read on stdin. */
static char *
hook_state_text (struct spawn *s, enum mr_status status)
{
  struct mr_state st = { 0 };

  fill_state (s, &st);
  return mr_state_text (&st, status);
}

/* Undoes a create that failed part way: the init, the plugins' work and
 * the state directory. */
static void
abort_create (struct spawn *s, int prepared)
{
  cleanup_error mr_error *err = NULL;

  if (s->pid > 0)
    {
      kill (s->pid, SIGKILL);
      while (waitpid (s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      s->pid = 0;
    }
  if (prepared && mr_plugins_destroy (&s->plugins, &s->c, &err) < 0)
    mr_log (MODRUN_LOG_WARNING, "cleaning up after a failed create: %s", err->msg);
  if (s->state_dir)
    {
      mr_error_free (err);
      err = NULL;
      if (mr_rm_rf (s->state_dir, &err) < 0)
        mr_log (MODRUN_LOG_WARNING, "cleaning up after a failed create: %s", err->msg);
    }
}

static void
spawn_release (struct spawn *s)
{
  if (s->sync_fd >= 0)
    close (s->sync_fd);
  if (s->fifo_fd >= 0)
    close (s->fifo_fd);
  if (s->console_fd >= 0)
    close (s->console_fd);
  if (s->master_fd >= 0)
    close (s->master_fd);
  if (s->lock_fd >= 0)
    close (s->lock_fd);
  mr_plugins_unload (&s->plugins);
  mr_config_free (s->cfg);
  free (s->state_dir);
  mr_fd_pass_free (&s->fds);
}

/* delete, for a foreground run whose process has exited: the plugins that
 * created the container are still loaded, so they destroy it directly. */
static int
destroy_after_run (struct spawn *s, mr_error **err)
{
  cleanup_free char *poststop = NULL;
  cleanup_close int lock = mr_state_lock (s->state_dir, err);
  int ret, rmret;

  if (lock < 0)
    return lock;
  s->c.command = MODRUN_CMD_DELETE;
  s->c.pid = 0;
  ret = mr_plugins_destroy (&s->plugins, &s->c, err);
  if (mr_hooks_have (s->cfg->hooks, "poststop"))
    poststop = hook_state_text (s, MR_STATUS_STOPPED);
  rmret = mr_rm_rf (s->state_dir, ret < 0 ? NULL : err);
  if (poststop != NULL)
    mr_hooks_run_warn (s->cfg->hooks, "poststop", poststop);
  return ret < 0 ? ret : rmret;
}

static int
run_foreground (struct spawn *s, mr_error **err)
{
  cleanup_error mr_error *derr = NULL;
  struct mr_state *st = NULL;
  pid_t pid = s->pid;
  int code, ret;

  ret = mr_state_load (s->rt->root, s->c.id, &st, err);
  if (ret < 0)
    return ret;
  ret = mr_state_release_fifo (s->state_dir, st, err);
  mr_state_free (st);
  if (ret < 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      s->pid = 0;
      if (mr_destroy_container (s->rt, s->c.id, &derr) < 0)
        mr_log (MODRUN_LOG_WARNING, "cleaning up after a failed start: %s", derr->msg);
      return ret;
    }
  mr_plugins_run (&s->plugins, &s->c, MR_STAGE (poststart), &derr);
  if (derr)
    {
      mr_log (MODRUN_LOG_WARNING, "%s", derr->msg);
      mr_error_free (derr);
      derr = NULL;
    }
  if (mr_hooks_have (s->cfg->hooks, "poststart"))
    {
      cleanup_free char *text = hook_state_text (s, MR_STATUS_RUNNING);

      mr_hooks_run_warn (s->cfg->hooks, "poststart", text);
    }

  code = mr_wait_foreground (pid, s->master_fd, err);
  s->pid = 0;
  if (code < 0)
    return code;
  if (!s->opts->keep && destroy_after_run (s, &derr) < 0)
    mr_log (MODRUN_LOG_WARNING, "delete after exit: %s", derr->msg);
  return code;
}

/* True when config.json joins a PID namespace by path: its processes can
 * see the init while it still runs the runtime's binary, and could open
 * /proc/INIT/exe and, once the init has exec'd, write through it into the
 * runtime's binary on the host: the runtime runs from a sealed copy then. */
static int
joins_pid_namespace (const modrun_json *config)
{
  const modrun_json *nss = modrun_json_path (config, "linux.namespaces");
  uint32_t i;

  for (i = 0; nss && nss->type == MODRUN_JSON_ARRAY && i < nss->count; i++)
    {
      const modrun_json *t = modrun_json_get (nss->items[i], "type");
      const modrun_json *p = modrun_json_get (nss->items[i], "path");

      if (t && t->type == MODRUN_JSON_STRING && strcmp (t->string, "pid") == 0 && p
          && p->type == MODRUN_JSON_STRING && p->length > 0)
        return 1;
    }
  return 0;
}

/* Socket activation: the fds systemd passed go on to the container, and
 * LISTEN_FDS and LISTEN_PID tell its process about them. */
static void
pass_listen_fds (struct spawn *s)
{
  char n[16];
  int listen = mr_listen_fds ();

  if (listen == 0 || !s->cfg->process.present)
    return;
  snprintf (n, sizeof (n), "%d", listen);
  mr_process_setenv (&s->cfg->process, "LISTEN_FDS", n);
  mr_process_setenv (&s->cfg->process, "LISTEN_PID", "1");
}

int
mr_create (struct mr_runtime *rt, const struct mr_create_opts *opts, mr_error **err)
{
  struct spawn s = { .rt = rt, .opts = opts, .sync_fd = -1, .fifo_fd = -1, .console_fd = -1,
                     .master_fd = -1, .lock_fd = -1 };
  int prepared = 0;
  int ret;

  mr_fd_pass_note (&s.fds, mr_listen_fds () + opts->preserve_fds);
  ret = mr_state_check_id (opts->id, err);
  if (ret < 0)
    goto out;
  ret = mr_config_load (opts->bundle, opts->config_path, &s.cfg, err);
  if (ret < 0)
    goto out;
  ret = check_options (&s, err);
  if (ret < 0)
    goto out;
  pass_listen_fds (&s);
  if (joins_pid_namespace (s.cfg->tree))
    {
      ret = mr_reexec_sealed (err);
      if (ret < 0)
        goto out;
    }

  mr_container_init (&s.c, &s.core);
  s.c.command = opts->foreground || opts->detach ? MODRUN_CMD_RUN : MODRUN_CMD_CREATE;
  s.c.id = opts->id;
  s.c.bundle = opts->bundle;
  s.c.rootfs = s.cfg->rootfs;
  s.c.config = s.cfg->tree;
  s.c.options = (opts->no_pivot ? MODRUN_OPT_NO_PIVOT : 0)
                | (opts->no_new_keyring ? MODRUN_OPT_NO_NEW_KEYRING : 0)
                | (rt->systemd_cgroup ? MODRUN_OPT_SYSTEMD_CGROUP : 0);

  ret = mr_plugins_select (rt->plugins, s.cfg->tree, &s.plugins, err);
  if (ret < 0)
    goto out;
  ret = mr_plugins_run (&s.plugins, &s.c, MR_STAGE (validate), err);
  if (ret < 0)
    goto out;

  ret = mr_state_create_dir (rt->root, opts->id, &s.state_dir, err);
  if (ret < 0)
    goto out;
  s.c.state_dir = s.state_dir;
  s.lock_fd = mr_state_lock (s.state_dir, err);
  if (s.lock_fd < 0)
    {
      ret = s.lock_fd;
      goto fail;
    }
  ret = save_config_copy (&s, err);
  if (ret < 0)
    goto fail;
  ret = record_state (&s, err);
  if (ret < 0)
    goto fail;

  prepared = 1;
  ret = mr_plugins_run (&s.plugins, &s.c, MR_STAGE (prepare), err);
  if (ret < 0)
    goto fail;
  ret = make_exec_fifo (&s, err);
  if (ret < 0)
    goto fail;
  if (opts->console_socket)
    {
      s.console_fd = mr_fd_pass_above (&s.fds, mr_console_socket_open (opts->console_socket, err));
      if (s.console_fd < 0)
        {
          ret = s.console_fd;
          goto fail;
        }
    }

  ret = spawn_init (&s, err);
  if (ret < 0)
    goto fail;
  ret = record_state (&s, err);
  if (ret < 0)
    goto fail;
  if (opts->pidfd_socket)
    {
      ret = mr_send_pidfd (opts->pidfd_socket, s.pid, err);
      if (ret < 0)
        goto fail;
    }

  close (s.sync_fd);
  s.sync_fd = -1;
  close (s.lock_fd);
  s.lock_fd = -1;
  if (opts->foreground)
    ret = run_foreground (&s, err);
  else if (opts->detach)
    ret = mr_start (rt, opts->id, err);
  else
    ret = 0;
  goto out;

fail:
  abort_create (&s, prepared);
out:
  spawn_release (&s);
  return ret;
}
