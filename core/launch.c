/* What create, run and exec share to start a process in a container. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "plugins.h"
#include "process.h"
#include "terminal.h"
#include "trace.h"

int
mr_listen_fds (void)
{
  const char *fds = getenv ("LISTEN_FDS");
  const char *pid = getenv ("LISTEN_PID");
  char *end = NULL;
  long n, p;

  if (fds == NULL || pid == NULL)
    return 0;
  errno = 0;
  p = strtol (pid, &end, 10);
  if (errno != 0 || end == pid || *end != '\0' || p != (long)getpid ())
    return 0;
  n = strtol (fds, &end, 10);
  if (errno != 0 || end == fds || *end != '\0' || n <= 0 || n > MR_MAX_PASSED_FDS)
    return 0;
  return (int)n;
}

void
mr_fd_pass_note (struct mr_fd_pass *fp, int n)
{
  int i;

  if (n < 0 || n > MR_MAX_PASSED_FDS)
    n = 0;
  fp->n = n;
  fp->open = mr_xzalloc ((size_t)(n > 0 ? n : 1));
  for (i = 0; i < n; i++)
    fp->open[i] = fcntl (3 + i, F_GETFD) >= 0;
}

int
mr_fd_pass_above (const struct mr_fd_pass *fp, int fd)
{
  int moved;

  if (fd < 0 || fd >= 3 + fp->n)
    return fd;
  moved = fcntl (fd, F_DUPFD_CLOEXEC, 3 + fp->n);
  close (fd);
  return moved;
}

int
mr_fd_pass_apply (const struct mr_fd_pass *fp)
{
  int i, ret;

  ret = mr_process_close_fds (fp->n, -1);
  if (ret < 0)
    return ret;
  for (i = 0; i < fp->n; i++)
    if (!fp->open[i])
      close (3 + i);
  return 0;
}

void
mr_fd_pass_free (struct mr_fd_pass *fp)
{
  free (fp->open);
  fp->open = NULL;
  fp->n = 0;
}

void
mr_process_setenv (struct mr_process *p, const char *name, const char *value)
{
  size_t len = strlen (name), n = 0;
  char *entry = mr_xasprintf ("%s=%s", name, value);

  for (n = 0; p->env != NULL && p->env[n] != NULL; n++)
    if (strncmp (p->env[n], name, len) == 0 && p->env[n][len] == '=')
      {
        free (p->env[n]);
        p->env[n] = entry;
        return;
      }
  p->env = mr_xrealloc (p->env, (n + 2) * sizeof (char *));
  p->env[n] = entry;
  p->env[n + 1] = NULL;
}

int
mr_reexec_sealed (mr_error **err)
{
  char exe[PATH_MAX];
  cleanup_free char *cmdline = NULL;
  cleanup_close int src = -1, mfd = -1;
  char **argv;
  size_t len = 0, n = 0, i;
  ssize_t l;
  struct stat stb;
  off_t off = 0;

  l = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  if (l > 0 && strncmp (exe, "/memfd:", 7) == 0)
    return 0;
  if (mr_read_file ("/proc/self/cmdline", &cmdline, &len, err) < 0)
    return -EIO;
  src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0 || fstat (src, &stb) < 0)
    return mr_fail (err, errno, "open the runtime's own binary");
  mfd = (int)syscall (SYS_memfd_create, "modrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return mr_fail (err, errno, "memfd_create");
  while (off < stb.st_size)
    if (sendfile (mfd, src, &off, (size_t)(stb.st_size - off)) <= 0)
      return mr_fail (err, errno, "copy the runtime's binary to memory");
  if (fcntl (mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return mr_fail (err, errno, "seal the runtime's copy");

  for (i = 0; i < len; i++)
    if (cmdline[i] == '\0')
      n++;
  argv = mr_xzalloc ((n + 1) * sizeof (char *));
  for (i = 0, n = 0; i < len; i += strlen (cmdline + i) + 1)
    argv[n++] = cmdline + i;
  fexecve (mfd, argv, environ);
  free (argv);
  return mr_fail (err, errno, "run the runtime's sealed copy");
}

int
mr_sync_recv (int sock, char *tag, char *msg, size_t msglen, int *fd)
{
  struct iovec iov[2];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { 0 };
  struct cmsghdr *cm;
  ssize_t n;

  *fd = -1;
  iov[0].iov_base = tag;
  iov[0].iov_len = 1;
  iov[1].iov_base = msg;
  iov[1].iov_len = msglen - 1;
  mh.msg_iov = iov;
  mh.msg_iovlen = 2;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof (u.buf);
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return n < 0 ? -errno : -EPIPE;
  msg[n - 1] = '\0';
  for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy (fd, CMSG_DATA (cm), sizeof (int));
  return 0;
}

int
mr_sync_send (int sock, char tag, const char *text)
{
  size_t len = text ? strlen (text) : 0;
  cleanup_free char *buf = mr_xmalloc (len + 1);

  buf[0] = tag;
  if (len > 0)
    memcpy (buf + 1, text, len);
  return send (sock, buf, len + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void
mr_sync_send_trace (int sock, struct mr_plugin_set *set, uint32_t later)
{
  cleanup_free char *text = NULL;

  if (!mr_trace_on ())
    return;
  mr_plugins_trace_defer (set, MR_STAGE (child_before_exec), later);
  text = mr_trace_child_text ();
  if (text != NULL)
    mr_sync_send (sock, MR_SYNC_TRACE, text);
}

int
mr_write_pid_file (const char *path, pid_t pid, mr_error **err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", (int)pid);

  return mr_write_file_atomic (path, buf, (size_t)len, 0644, err);
}

int
mr_send_pidfd (const char *path, pid_t pid, mr_error **err)
{
  static char name[] = "pidfd";
  cleanup_close int sock = -1, pidfd = -1;
  struct iovec iov = { .iov_base = name, .iov_len = sizeof (name) - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { 0 };
  struct cmsghdr *cm;
  ssize_t n;

  pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return mr_fail (err, errno, "--pidfd-socket: pidfd_open of pid %d", (int)pid);
  sock = mr_unix_socket_connect ("pidfd socket", path, err);
  if (sock < 0)
    return sock;
  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &pidfd, sizeof (int));
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mr_fail (err, errno, "pidfd socket `%s`: send the pidfd", path);
  return 0;
}

int
mr_exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

static const int forwarded_signals[]
    = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCONT, SIGWINCH };

int
mr_wait_foreground (pid_t pid, int master, mr_error **err)
{
  sigset_t mask, old;
  cleanup_close int sfd = -1;
  size_t i;
  int status = 0;

  /* With a terminal, the bridge sends the signals on while it runs, but
   * SIGWINCH: it sets the terminal's size instead. */
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  for (i = 0; i < sizeof (forwarded_signals) / sizeof (forwarded_signals[0]); i++)
    if (master < 0 || forwarded_signals[i] != SIGWINCH)
      sigaddset (&mask, forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &mask, &old);
  sfd = signalfd (-1, &mask, SFD_CLOEXEC);
  if (sfd < 0)
    return mr_fail (err, errno, "signalfd");

  if (master >= 0)
    {
      int ret = mr_terminal_bridge (master, sfd, pid, err);
      if (ret < 0)
        mr_log (MODRUN_LOG_WARNING, "terminal: %s", (*err)->msg);
      mr_error_free (*err);
      *err = NULL;
    }

  for (;;)
    {
      struct signalfd_siginfo si;
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        return mr_fail (err, errno, "wait for the container process");
      if (read (sfd, &si, sizeof (si)) != (ssize_t)sizeof (si))
        continue;
      if (si.ssi_signo != SIGCHLD
          && !(si.ssi_signo == SIGPIPE && si.ssi_pid == (uint32_t)getpid ()))
        kill (pid, (int)si.ssi_signo);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  return mr_exit_code_of (status);
}
