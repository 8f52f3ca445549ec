/* fdsock: see fdsock.h.  */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdsock.h"

int
fdsock_listen (const char *prog, const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char tmp[sizeof addr.sun_path];
  int fd;

  if (snprintf (tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    {
      fprintf (stderr, "%s: %s: socket path too long\n", prog, path);
      return -1;
    }
  memcpy (addr.sun_path, tmp, sizeof tmp);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      fprintf (stderr, "%s: socket: %s\n", prog, strerror (errno));
      return -1;
    }
  unlink (tmp);
  if (bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (fd, 1) < 0
      || rename (tmp, path) < 0)
    {
      fprintf (stderr, "%s: %s: %s\n", prog, path, strerror (errno));
      close (fd);
      return -1;
    }
  return fd;
}

int
fdsock_receive (const char *prog, int conn)
{
  char data[256];
  char control[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control,
    .msg_controllen = sizeof control,
  };
  struct cmsghdr *cmsg;
  int fd;

  if (recvmsg (conn, &msg, MSG_CMSG_CLOEXEC) < 0)
    {
      fprintf (stderr, "%s: recvmsg: %s\n", prog, strerror (errno));
      return -1;
    }
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
      || cmsg->cmsg_len != CMSG_LEN (sizeof (int)))
    {
      fprintf (stderr, "%s: the message on the socket carries no fd\n", prog);
      return -1;
    }
  memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  return fd;
}
