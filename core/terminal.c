#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"

#define BRIDGE_BUF 8192

/* The slave of MASTER, opened through the master itself where the kernel
 * can (4.13 and later), so nothing is looked up by name in the container. */
static int
open_slave (int master, mr_error **err)
{
  char path[64];
  unsigned int n;
  int fd;

#ifdef TIOCGPTPEER
  fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  if (errno != EINVAL && errno != ENOTTY)
    return mr_fail (err, errno, "terminal: open the pty slave of `/dev/ptmx`");
#endif
  if (ioctl (master, TIOCGPTN, &n) < 0)
    return mr_fail (err, errno, "terminal: get the pty number of `/dev/ptmx`");
  snprintf (path, sizeof (path), "/dev/pts/%u", n);
  fd = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return mr_fail (err, errno, "terminal: open `%s`", path);
  return fd;
}

static int
move_above_stdio (int *fd, mr_error **err)
{
  int moved = fcntl (*fd, F_DUPFD_CLOEXEC, 3);

  if (moved < 0)
    return mr_fail (err, errno, "terminal: move a pty fd above stdio");
  close (*fd);
  *fd = moved;
  return 0;
}

int
mr_terminal_setup_child (unsigned int rows, unsigned int cols, int *master, mr_error **err)
{
  cleanup_close int mfd = -1;
  cleanup_close int sfd = -1;
  int unlock = 0;
  int fd, ret;

  /* /dev/ptmx is often a symlink to pts/ptmx; either reaches the devpts
   * instance mounted in the container. */
  mfd = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (mfd < 0 && errno == ENOENT)
    mfd = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (mfd < 0)
    return mr_fail (err, errno, "terminal: open `/dev/ptmx` in the container");
  if (ioctl (mfd, TIOCSPTLCK, &unlock) < 0)
    return mr_fail (err, errno, "terminal: unlock the pty of `/dev/ptmx`");

  sfd = open_slave (mfd, err);
  if (sfd < 0)
    return sfd;

  /* With stdio closed either could have landed on 0, 1 or 2, which the
   * slave is about to replace. */
  ret = mfd <= 2 ? move_above_stdio (&mfd, err) : 0;
  if (ret == 0 && sfd <= 2)
    ret = move_above_stdio (&sfd, err);
  if (ret < 0)
    return ret;

  if (getsid (0) != getpid () && setsid () < 0)
    return mr_fail (err, errno, "terminal: start a new session");
  if (ioctl (sfd, TIOCSCTTY, 0) < 0)
    return mr_fail (err, errno, "terminal: make the pty the controlling terminal");

  if (rows != 0 && cols != 0)
    {
      struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

      if (ioctl (sfd, TIOCSWINSZ, &ws) < 0)
        return mr_fail (err, errno, "terminal: set process.consoleSize %ux%u", rows, cols);
    }

  for (fd = 0; fd <= 2; fd++)
    if (dup2 (sfd, fd) < 0)
      return mr_fail (err, errno, "terminal: make the pty fd %d", fd);

  *master = mr_steal_fd (mfd);
  return 0;
}

void
mr_terminal_size_of_stdin (unsigned int *rows, unsigned int *cols)
{
  struct winsize ws;

  if (isatty (STDIN_FILENO) && ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row != 0
      && ws.ws_col != 0)
    {
      *rows = ws.ws_row;
      *cols = ws.ws_col;
    }
}

int
mr_console_socket_open (const char *path, mr_error **err)
{
  return mr_unix_socket_connect ("console socket", path, err);
}

int
mr_unix_socket_connect (const char *what, const char *path, mr_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  cleanup_close int dirfd = -1;
  cleanup_free char *dir = NULL;
  const char *name;
  char *slash;

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mr_fail (err, errno, "%s `%s`: create a unix socket", what, path);

  if (strlen (path) < sizeof (addr.sun_path))
    strcpy (addr.sun_path, path);
  else
    {
      /* Too long for sun_path: reach it through an fd of its directory. */
      dir = mr_xstrdup (path);
      slash = strrchr (dir, '/');
      if (slash == NULL)
        return mr_fail (err, ENAMETOOLONG, "%s `%s`", what, path);
      *slash = '\0';
      name = slash + 1;
      dirfd = open (dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return mr_fail (err, errno, "%s `%s`: open its directory", what, path);
      if (snprintf (addr.sun_path, sizeof (addr.sun_path), "/proc/self/fd/%d/%s", dirfd, name)
          >= (int)sizeof (addr.sun_path))
        return mr_fail (err, ENAMETOOLONG, "%s `%s`: file name", what, path);
    }

  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return mr_fail (err, errno, "%s `%s`: connect", what, path);
  return mr_steal_fd (fd);
}

/* What the receiver reads next to the fd: the pty name for a pty master,
 * else what /proc says the fd is. */
static void
fd_description (int fd, char *buf, size_t len)
{
  char link[64];
  unsigned int n;
  ssize_t r;

  if (ioctl (fd, TIOCGPTN, &n) == 0)
    {
      snprintf (buf, len, "/dev/pts/%u", n);
      return;
    }
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  r = readlink (link, buf, len - 1);
  if (r <= 0)
    r = snprintf (buf, len, "fd");
  buf[r] = '\0';
}

int
mr_send_fd (int sock, int fd, mr_error **err)
{
  char name[PATH_MAX];
  struct iovec iov;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { 0 };
  struct cmsghdr *cm;
  ssize_t n;

  fd_description (fd, name, sizeof (name));
  iov.iov_base = name;
  iov.iov_len = strlen (name);
  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));

  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mr_fail (err, errno, "send the terminal (%s) over the console socket", name);
  return 0;
}

int
mr_recv_fd (int sock, int *fd, mr_error **err)
{
  char name[PATH_MAX];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof (name) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { 0 };
  struct cmsghdr *cm;
  int got = -1;
  ssize_t n;

  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mr_fail (err, errno, "receive a file descriptor");

  for (cm = CMSG_FIRSTHDR (&msg); cm != NULL; cm = CMSG_NXTHDR (&msg, cm))
    {
      size_t i, count;

      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
        continue;
      count = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (i = 0; i < count; i++)
        {
          int one;

          memcpy (&one, CMSG_DATA (cm) + i * sizeof (int), sizeof (int));
          if (got < 0)
            got = one;
          else
            close (one);
        }
    }
  if (got < 0)
    {
      if (n == 0)
        return mr_fail (err, EPIPE, "receive a file descriptor: the peer closed the socket");
      return mr_fail (err, 0, "receive a file descriptor: the message carried none");
    }
  if (msg.msg_flags & MSG_CTRUNC)
    {
      close (got);
      return mr_fail (err, 0, "receive a file descriptor: control data was truncated");
    }
  *fd = got;
  return 0;
}

/* The bridge of a foreground `run` with a terminal. */

struct bridge
{
  int master;
  bool stdin_open;
  bool stdin_tty;
  char in[BRIDGE_BUF]; /* stdin to master */
  size_t in_len, in_off;
  char out[BRIDGE_BUF]; /* master to stdout */
  size_t out_len, out_off;
  bool stdout_gone; /* stdout is a broken pipe: output is dropped */
  int fwd_sfd;      /* signals to send on to pid, or -1 */
  pid_t pid;
};

static void
copy_window_size (int master)
{
  struct winsize ws;

  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row != 0 && ws.ws_col != 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* Reads what the container wrote. Returns 1 at hang-up (EIO once the
 * last slave fd is closed), 0 otherwise. */
static int
bridge_read_master (struct bridge *b, mr_error **err)
{
  ssize_t n = read (b->master, b->out, sizeof (b->out));

  if (n < 0)
    {
      if (errno == EINTR || errno == EAGAIN)
        return 0;
      if (errno == EIO)
        return 1;
      return mr_fail (err, errno, "terminal: read from the container's terminal");
    }
  if (n == 0)
    return 1;
  if (b->stdout_gone)
    return 0;
  b->out_len = (size_t)n;
  b->out_off = 0;
  return 0;
}

static int
bridge_write_stdout (struct bridge *b, mr_error **err)
{
  ssize_t n = write (STDOUT_FILENO, b->out + b->out_off, b->out_len - b->out_off);

  if (n < 0)
    {
      if (errno == EINTR || errno == EAGAIN)
        return 0;
      /* Whoever read our output is gone; the container runs on, its
       * output is drained so that it never blocks on a full terminal. */
      if (errno == EPIPE)
        {
          b->stdout_gone = true;
          b->out_len = b->out_off = 0;
          return 0;
        }
      return mr_fail (err, errno, "terminal: write the container's output to stdout");
    }
  b->out_off += (size_t)n;
  if (b->out_off == b->out_len)
    b->out_len = b->out_off = 0;
  return 0;
}

static void
bridge_read_stdin (struct bridge *b)
{
  ssize_t n = read (STDIN_FILENO, b->in, sizeof (b->in));

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  /* Our stdin ending (or failing) ends only the input; the container's
   * output still flows until it hangs up. */
  if (n <= 0)
    {
      b->stdin_open = false;
      return;
    }
  b->in_len = (size_t)n;
  b->in_off = 0;
}

static int
bridge_write_master (struct bridge *b, mr_error **err)
{
  ssize_t n = write (b->master, b->in + b->in_off, b->in_len - b->in_off);

  if (n < 0)
    {
      if (errno == EINTR || errno == EAGAIN)
        return 0;
      if (errno == EIO)
        return 1;
      return mr_fail (err, errno, "terminal: write our stdin to the container's terminal");
    }
  b->in_off += (size_t)n;
  if (b->in_off == b->in_len)
    b->in_len = b->in_off = 0;
  return 0;
}

/* A signal for the container: sent on, but for SIGCHLD (the wait after
 * the bridge sees the exit) and the SIGPIPE our own write to a broken
 * stdout raised. */
static void
forward_signal (struct bridge *b)
{
  struct signalfd_siginfo si;

  if (read (b->fwd_sfd, &si, sizeof (si)) != (ssize_t)sizeof (si))
    return;
  if (si.ssi_signo == SIGCHLD || (si.ssi_signo == SIGPIPE && si.ssi_pid == (uint32_t)getpid ()))
    return;
  kill (b->pid, (int)si.ssi_signo);
}

static int
bridge_loop (struct bridge *b, int sigfd, mr_error **err)
{
  for (;;)
    {
      struct pollfd fds[5];
      int nfds = 0, i_stdin = -1, i_master, i_stdout = -1, i_sig = -1, i_fwd = -1;
      int ret;

      if (b->stdin_open && b->in_len == 0)
        {
          i_stdin = nfds;
          fds[nfds++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        }
      i_master = nfds;
      fds[nfds++] = (struct pollfd){
        .fd = b->master,
        .events = (short)((b->out_len == 0 ? POLLIN : 0) | (b->in_len > 0 ? POLLOUT : 0)),
      };
      if (b->out_len > 0)
        {
          i_stdout = nfds;
          fds[nfds++] = (struct pollfd){ .fd = STDOUT_FILENO, .events = POLLOUT };
        }
      if (sigfd >= 0)
        {
          i_sig = nfds;
          fds[nfds++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
        }
      if (b->fwd_sfd >= 0)
        {
          i_fwd = nfds;
          fds[nfds++] = (struct pollfd){ .fd = b->fwd_sfd, .events = POLLIN };
        }

      if (poll (fds, (nfds_t)nfds, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_fail (err, errno, "terminal: poll");
        }

      if (i_sig >= 0 && (fds[i_sig].revents & POLLIN))
        {
          struct signalfd_siginfo si;

          if (read (sigfd, &si, sizeof (si)) == (ssize_t)sizeof (si))
            copy_window_size (b->master);
        }
      if (i_fwd >= 0 && (fds[i_fwd].revents & POLLIN))
        forward_signal (b);
      if (i_stdin >= 0 && fds[i_stdin].revents)
        bridge_read_stdin (b);
      if (fds[i_master].revents & POLLOUT)
        {
          ret = bridge_write_master (b, err);
          if (ret != 0)
            return ret < 0 ? ret : 0;
        }
      if (i_stdout >= 0 && fds[i_stdout].revents)
        {
          ret = bridge_write_stdout (b, err);
          if (ret < 0)
            return ret;
        }
      /* A hang-up still leaves output to read: read until EIO. */
      if (b->out_len == 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          ret = bridge_read_master (b, err);
          if (ret != 0)
            return ret < 0 ? ret : 0;
        }
    }
}

/* Writes out what is left for stdout once the container hung up. */
static void
bridge_flush (struct bridge *b)
{
  if (b->out_len > b->out_off)
    mr_write_all (STDOUT_FILENO, b->out + b->out_off, b->out_len - b->out_off);
}

int
mr_terminal_bridge (int master, int fwd_sfd, pid_t pid, mr_error **err)
{
  struct bridge *b = mr_xzalloc (sizeof (*b));
  struct termios saved, raw;
  sigset_t winch, old;
  bool restore_tty = false;
  int sigfd = -1;
  int flags, ret;

  sigemptyset (&old);
  b->master = master;
  b->fwd_sfd = fwd_sfd;
  b->pid = pid;
  b->stdin_open = true;
  b->stdin_tty = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;

  flags = fcntl (master, F_GETFL);
  if (flags < 0 || fcntl (master, F_SETFL, flags | O_NONBLOCK) < 0)
    {
      free (b);
      return mr_fail (err, errno, "terminal: make the container's terminal non-blocking");
    }

  if (b->stdin_tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) < 0)
        {
          free (b);
          return mr_fail (err, errno, "terminal: put our terminal in raw mode");
        }
      restore_tty = true;

      sigemptyset (&winch);
      sigaddset (&winch, SIGWINCH);
      sigprocmask (SIG_BLOCK, &winch, &old);
      sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
      copy_window_size (master);
    }

  ret = bridge_loop (b, sigfd, err);
  bridge_flush (b);

  if (restore_tty)
    {
      tcsetattr (STDIN_FILENO, TCSADRAIN, &saved);
      if (sigfd >= 0)
        close (sigfd);
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
  free (b);
  return ret;
}
