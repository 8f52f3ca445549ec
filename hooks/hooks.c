/* Running OCI lifecycle hooks: each one is forked and executed with the
 * container's state JSON on a pipe as its stdin, and waited for through a
 * pidfd so that its timeout can be enforced without signal handlers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"

/* One hook, ready for execve. The strings point into the config tree. */
struct hook
{
  const char *kind;
  uint32_t index;
  const char *path;
  char **argv;
  char **envp;
  int64_t timeout; /* seconds; 0 waits for ever */
};

static void
hook_release (struct hook *h)
{
  free (h->argv);
  free (h->envp);
  h->argv = NULL;
  h->envp = NULL;
}

/* Records a failure of hook H and returns -ERRNUM, for results that are not
 * an errno of their own (a status, a signal, a timeout). */
static int
hook_fail (const struct hook *h, int errnum, mr_error **err, const char *what, long long value)
{
  mr_fail (err, 0, "hook %s[%u] (%s): %s %lld%s", h->kind, h->index, h->path, what, value,
           errnum == ETIMEDOUT ? " s" : "");
  if (err != NULL && *err != NULL)
    (*err)->errnum = errnum;
  return -errnum;
}

static const modrun_json *
hook_list (const modrun_json *hooks, const char *kind)
{
  const modrun_json *list = modrun_json_get (hooks, kind);

  if (list == NULL || (list->type == MODRUN_JSON_ARRAY && list->count == 0))
    return NULL;
  return list;
}

int
mr_hooks_have (const modrun_json *hooks, const char *kind)
{
  const modrun_json *list = hook_list (hooks, kind);

  return list != NULL && list->type == MODRUN_JSON_ARRAY;
}

/* Member KEY of the hook as a NULL-terminated vector with one spare slot;
 * an absent or empty list gives { FIRST, NULL } (FIRST may be NULL). */
static int
string_vector (const modrun_json *hook, const struct hook *h, const char *key, const char *first,
               char ***out, mr_error **err)
{
  const modrun_json *arr = modrun_json_get (hook, key);
  uint32_t n = 0;
  uint32_t i;
  char **v;

  if (arr != NULL && arr->type != MODRUN_JSON_ARRAY)
    return mr_fail (err, 0, "hooks.%s[%u].%s: expected array, got %s", h->kind, h->index, key,
                    modrun_json_type_name (arr->type));
  if (arr != NULL)
    n = arr->count;
  v = mr_xzalloc ((n + 2) * sizeof (*v));
  for (i = 0; i < n; i++)
    {
      if (arr->items[i]->type != MODRUN_JSON_STRING)
        {
          free (v);
          return mr_fail (err, 0, "hooks.%s[%u].%s[%u]: expected string, got %s", h->kind,
                          h->index, key, i, modrun_json_type_name (arr->items[i]->type));
        }
      v[i] = (char *)arr->items[i]->string;
    }
  if (n == 0)
    v[0] = (char *)first;
  *out = v;
  return 0;
}

static int
hook_parse (const modrun_json *hook, struct hook *h, mr_error **err)
{
  const modrun_json *path = modrun_json_get (hook, "path");
  const modrun_json *timeout = modrun_json_get (hook, "timeout");
  int ret;

  if (hook->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "hooks.%s[%u]: expected object, got %s", h->kind, h->index,
                    modrun_json_type_name (hook->type));
  if (path == NULL || path->type != MODRUN_JSON_STRING || path->string[0] != '/')
    return mr_fail (err, 0, "hooks.%s[%u].path: expected an absolute path, got %s", h->kind,
                    h->index, path == NULL ? "nothing" : modrun_json_type_name (path->type));
  h->path = path->string;
  if (timeout != NULL && (timeout->type != MODRUN_JSON_INTEGER || timeout->integer <= 0))
    return mr_fail (err, 0, "hooks.%s[%u].timeout: expected a positive integer (seconds)",
                    h->kind, h->index);
  h->timeout = timeout != NULL ? timeout->integer : 0;

  ret = string_vector (hook, h, "args", h->path, &h->argv, err);
  if (ret < 0)
    return ret;
  return string_vector (hook, h, "env", NULL, &h->envp, err);
}

/* A close-on-exec pipe whose ends are both above 2, so that the child can
 * move them onto stdin without clobbering one with the other even when the
 * runtime runs with some of its stdio closed. */
static int
hook_pipe (int fds[2])
{
  int i;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -errno;
  for (i = 0; i < 2; i++)
    if (fds[i] <= 2)
      {
        int moved = fcntl (fds[i], F_DUPFD_CLOEXEC, 3);

        if (moved < 0)
          {
            int e = errno;

            close (fds[0]);
            close (fds[1]);
            return -e;
          }
        close (fds[i]);
        fds[i] = moved;
      }
  return 0;
}

/* Closes every fd above 2 but KEEP (itself above 2 and close-on-exec). */
static void
close_others (int keep)
{
  struct rlimit rl;
  long max = 65536;
  long fd;

#ifdef SYS_close_range
  if ((keep == 3 || syscall (SYS_close_range, 3U, (unsigned) keep - 1, 0U) == 0)
      && syscall (SYS_close_range, (unsigned) keep + 1, ~0U, 0U) == 0)
    return;
#endif
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
      && rl.rlim_cur < (rlim_t) (1 << 20))
    max = (long) rl.rlim_cur;
  for (fd = 3; fd < max; fd++)
    if (fd != keep)
      close ((int)fd);
}

/* In the forked child: clean signal state, own process group (so that a
 * timeout kills whatever the hook started), the state pipe as stdin,
 * nothing else of the runtime's open, then execve. An exec failure goes to
 * the parent as an errno through EXEC_W. */
static void __attribute__ ((noreturn))
hook_child (const struct hook *h, int in_r, int exec_w)
{
  sigset_t none;
  int sig;
  int e;

  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setpgid (0, 0);

  if (dup2 (in_r, 0) < 0)
    goto fail;
  close_others (exec_w);
  execve (h->path, h->argv, h->envp);

fail:
  e = errno;
  if (write (exec_w, &e, sizeof (e)) < 0)
    _exit (126);
  _exit (127);
}

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
kill_and_reap (pid_t pid, int *status)
{
  kill (-pid, SIGKILL);
  kill (pid, SIGKILL);
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Feeds STATE into *IN_W while waiting for PID to exit. Returns 0 with
 * *STATUS, 1 when the timeout killed it (reaped), or -errno. Without a
 * pidfd the wait falls back to polling every 20 ms. */
static int
feed_and_wait (pid_t pid, int pidfd, int *in_w, const char *state, size_t len,
               int64_t timeout, int *status)
{
  int64_t deadline = timeout > 0 ? now_ms () + timeout * 1000 : -1;
  size_t off = 0;

  for (;;)
    {
      struct pollfd pfd[2];
      int wait_ms = -1;
      pid_t r = waitpid (pid, status, WNOHANG);

      if (r == pid)
        return 0;
      if (r < 0 && errno != EINTR)
        return -errno;
      if (off == len)
        close_fd (in_w);
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();

          if (left <= 0)
            {
              kill_and_reap (pid, status);
              return 1;
            }
          wait_ms = left > INT_MAX ? INT_MAX : (int)left;
        }
      if (pidfd < 0 && (wait_ms < 0 || wait_ms > 20))
        wait_ms = 20;

      pfd[0] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
      pfd[1] = (struct pollfd){ .fd = *in_w, .events = POLLOUT };
      if (poll (pfd, 2, wait_ms) < 0 && errno != EINTR)
        return -errno;
      if (*in_w >= 0 && pfd[1].revents != 0)
        {
          ssize_t n = write (*in_w, state + off, len - off);

          /* EPIPE and the like: the hook does not read its stdin, which is
           * its right. */
          if (n > 0)
            off += (size_t)n;
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            close_fd (in_w);
        }
    }
}

static int
hook_result (const struct hook *h, int wait_ret, int status, int exec_r, mr_error **err)
{
  int e = 0;

  if (wait_ret < 0)
    return mr_fail (err, -wait_ret, "hook %s[%u] (%s): wait", h->kind, h->index, h->path);
  if (wait_ret == 1)
    return hook_fail (h, ETIMEDOUT, err, "timed out after", (long long)h->timeout);
  if (mr_read_all (exec_r, &e, sizeof (e)) == 0 && e > 0)
    return mr_fail (err, e, "hook %s[%u] (%s): cannot execute", h->kind, h->index, h->path);
  if (WIFSIGNALED (status))
    return hook_fail (h, EINTR, err, "killed by signal", WTERMSIG (status));
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return hook_fail (h, EIO, err, "exited with status", WEXITSTATUS (status));
  return 0;
}

static int
hook_run (const struct hook *h, const char *state, size_t len, mr_error **err)
{
  int in[2] = { -1, -1 };
  int ex[2] = { -1, -1 };
  sigset_t pipe_set, old_mask, pending;
  int pipe_was_pending;
  int pidfd;
  int status = 0;
  int ret;
  pid_t pid;

  ret = hook_pipe (in);
  if (ret == 0)
    ret = hook_pipe (ex);
  if (ret < 0)
    {
      close_fd (&in[0]);
      close_fd (&in[1]);
      return mr_fail (err, -ret, "hook %s[%u] (%s): pipe", h->kind, h->index, h->path);
    }
  mr_log (MODRUN_LOG_DEBUG, "hooks: %s[%u]: running %s", h->kind, h->index, h->path);

  pid = fork ();
  if (pid < 0)
    {
      ret = -errno;
      close_fd (&in[0]);
      close_fd (&in[1]);
      close_fd (&ex[0]);
      close_fd (&ex[1]);
      return mr_fail (err, -ret, "hook %s[%u] (%s): fork", h->kind, h->index, h->path);
    }
  if (pid == 0)
    hook_child (h, in[0], ex[1]);

  /* Both sides set the group, whichever runs first; a failure here only
   * means the child has already executed the hook. */
  setpgid (pid, pid);
  close_fd (&in[0]);
  close_fd (&ex[1]);
  pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  fcntl (in[1], F_SETFL, O_NONBLOCK);

  /* A hook that exits without reading its stdin must not kill the runtime
   * with SIGPIPE: the signal is blocked here and a SIGPIPE raised by the
   * writes is consumed before the mask is restored. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old_mask);
  sigpending (&pending);
  pipe_was_pending = sigismember (&pending, SIGPIPE);

  ret = feed_and_wait (pid, pidfd, &in[1], state, len, h->timeout, &status);
  if (ret < 0)
    kill_and_reap (pid, &status);
  close_fd (&in[1]);
  if (!pipe_was_pending && sigpending (&pending) == 0 && sigismember (&pending, SIGPIPE))
    {
      struct timespec zero = { 0, 0 };

      sigtimedwait (&pipe_set, NULL, &zero);
    }
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  close_fd (&pidfd);

  ret = hook_result (h, ret, status, ex[0], err);
  close_fd (&ex[0]);
  return ret;
}

/* Runs the hooks of KIND; with WARN_ONLY each failure is logged as a warning
 * and the next hook runs. Returns 0, the first error, or with WARN_ONLY the
 * number of hooks that failed. */
static int
hooks_run (const modrun_json *hooks, const char *kind, const char *state_json, int warn_only,
           mr_error **err)
{
  const modrun_json *list = hook_list (hooks, kind);
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  struct sigaction old_chld;
  int restore_chld = 0;
  int failed = 0;
  size_t len;
  uint32_t i;
  int ret = 0;

  if (list == NULL)
    return 0;
  if (list->type != MODRUN_JSON_ARRAY)
    return mr_fail (err, 0, "hooks.%s: expected array, got %s", kind,
                    modrun_json_type_name (list->type));
  len = state_json != NULL ? strlen (state_json) : 0;

  /* With SIGCHLD ignored the kernel reaps the hook itself and its status
   * is lost: waiting needs the default disposition. */
  if (sigaction (SIGCHLD, NULL, &old_chld) == 0
      && (old_chld.sa_handler == SIG_IGN || (old_chld.sa_flags & SA_NOCLDWAIT) != 0))
    restore_chld = sigaction (SIGCHLD, &dfl, NULL) == 0;

  for (i = 0; ret == 0 && i < list->count; i++)
    {
      struct hook h = { .kind = kind, .index = i };
      mr_error *one = NULL;

      ret = hook_parse (list->items[i], &h, &one);
      if (ret == 0)
        ret = hook_run (&h, state_json, len, &one);
      hook_release (&h);
      if (ret < 0 && warn_only)
        {
          mr_log (MODRUN_LOG_WARNING, "%s", one != NULL ? one->msg : "hook failed");
          failed++;
          ret = 0;
        }
      if (ret < 0 && err != NULL && *err == NULL)
        *err = mr_steal_ptr (one);
      mr_error_free (one);
    }

  if (restore_chld)
    sigaction (SIGCHLD, &old_chld, NULL);
  return warn_only ? failed : ret;
}

int
mr_hooks_run (const modrun_json *hooks, const char *kind, const char *state_json,
              mr_error **err)
{
  return hooks_run (hooks, kind, state_json, 0, err);
}

int
mr_hooks_run_warn (const modrun_json *hooks, const char *kind, const char *state_json)
{
  cleanup_error mr_error *err = NULL;
  int ret = hooks_run (hooks, kind, state_json, 1, &err);

  if (ret < 0)
    {
      mr_log (MODRUN_LOG_WARNING, "%s", err != NULL ? err->msg : "hooks failed");
      return 1;
    }
  return ret;
}
