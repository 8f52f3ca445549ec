/* seccomp-listener: a seccomp agent for the tests.  It listens on the unix
   socket SOCKET, takes one connection from the runtime, writes the
   container process state it receives to STATE-FILE, then answers every
   notification on the received fd: with ERRNO as the error, or with
   success (return value 0, the syscall not run) when ERRNO is 0.  ERRNO
   `continue:MS` lets the syscall run after holding it MS milliseconds.  Each
   notification is logged on stdout as `notified: NR`; the program exits 0
   once the container's processes are gone, 1 on failure.  */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int
fail (const char *what)
{
  fprintf (stderr, "seccomp-listener: %s: %s\n", what, strerror (errno));
  return -1;
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof (addr.sun_path))
    {
      errno = ENAMETOOLONG;
      return fail (path);
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail ("socket");
  unlink (path);
  if (bind (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0 || listen (fd, 1) < 0)
    {
      close (fd);
      return fail (path);
    }
  return fd;
}

/* Reads the state up to EOF into STATE-FILE; returns the fd that came with
   it, which must be the only one.  */
static int
receive (int conn, const char *state_file)
{
  char buf[65536];
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof (buf) };
  struct msghdr mh = { 0 };
  struct cmsghdr *cm;
  size_t len;
  ssize_t n;
  FILE *out;
  int fd = -1, nfds = 0;

  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof (u.buf);
  n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0)
    return fail ("recvmsg");
  for (cm = CMSG_FIRSTHDR (&mh); cm != NULL; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        nfds += (int)((cm->cmsg_len - CMSG_LEN (0)) / sizeof (int));
        memcpy (&fd, CMSG_DATA (cm), sizeof (int));
      }
  if (nfds != 1)
    {
      fprintf (stderr, "seccomp-listener: expected 1 fd with the state, got %d\n", nfds);
      return -1;
    }
  len = (size_t)n;
  while (len < sizeof (buf) - 1 && (n = read (conn, buf + len, sizeof (buf) - 1 - len)) > 0)
    len += (size_t)n;
  if (n < 0)
    return fail ("read the state");

  out = fopen (state_file, "we");
  if (out == NULL)
    return fail (state_file);
  fwrite (buf, 1, len, out);
  if (fclose (out) != 0)
    return fail (state_file);
  return fd;
}

/* How to answer: an errno (0: success without running the syscall), or
   letting the syscall run after DELAY_MS. */
struct reply
{
  int errnum;
  bool run;
  long delay_ms;
};

static int
answer (int fd, const struct reply *r)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;

  memset (&req, 0, sizeof (req));
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return errno == ENOENT || errno == EINTR ? 0 : fail ("SECCOMP_IOCTL_NOTIF_RECV");
  printf ("notified: %d\n", req.data.nr);
  fflush (stdout);

  memset (&resp, 0, sizeof (resp));
  resp.id = req.id;
  if (r->run)
    {
      struct timespec ts = { r->delay_ms / 1000, (r->delay_ms % 1000) * 1000000 };

      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
      resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
  else
    resp.error = r->errnum ? -r->errnum : 0;
  resp.val = 0;
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
    return fail ("SECCOMP_IOCTL_NOTIF_SEND");
  return 0;
}

int
main (int argc, char **argv)
{
  struct reply reply = { 0 };
  struct pollfd pfd;
  int sock, conn, fd;

  if (argc != 4)
    {
      fputs ("usage: seccomp-listener SOCKET STATE-FILE ERRNO|continue:MS\n", stderr);
      return 2;
    }
  if (strncmp (argv[3], "continue:", 9) == 0)
    {
      reply.run = true;
      reply.delay_ms = atol (argv[3] + 9);
    }
  else
    reply.errnum = atoi (argv[3]);
  sock = listen_on (argv[1]);
  if (sock < 0)
    return 1;
  conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    {
      fail ("accept");
      return 1;
    }
  close (sock);
  fd = receive (conn, argv[2]);
  close (conn);
  if (fd < 0)
    return 1;

  pfd.fd = fd;
  pfd.events = POLLIN;
  for (;;)
    {
      pfd.revents = 0;
      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          fail ("poll");
          return 1;
        }
      if (pfd.revents & POLLIN)
        {
          if (answer (fd, &reply) < 0)
            return 1;
          continue;
        }
      if (pfd.revents & (POLLHUP | POLLERR))
        break;
    }
  close (fd);
  return 0;
}
