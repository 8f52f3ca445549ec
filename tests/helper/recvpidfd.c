/* recvpidfd: the receiving end of a runtime's --pidfd-socket, for tests.

   recvpidfd SOCKET [kill]

   Listens on the unix socket SOCKET (made under a temporary name and
   renamed into place once listening, so a test can wait for the path to
   appear), accepts one connection and receives one file descriptor.  Prints
   "pid: N", the pid that /proc/self/fdinfo gives for it (which only a pidfd
   has).  With "kill", sends SIGKILL through the pidfd and waits, through
   the pidfd too, until the process has exited; then prints "exited: yes".
   Gives up after 60 seconds.  Exits 0 on success, 1 with a message.  */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdsock.h"

static int
fail (const char *what)
{
  fprintf (stderr, "recvpidfd: %s: %s\n", what, strerror (errno));
  return 1;
}

/* The "Pid:" line of the fd's fdinfo: present for pidfds only. */
static long
pidfd_pid (int fd)
{
  char path[64], line[256];
  long pid = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/self/fdinfo/%d", fd);
  f = fopen (path, "re");
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, "Pid:", 4) == 0)
      pid = strtol (line + 4, NULL, 10);
  fclose (f);
  return pid;
}

int
main (int argc, char **argv)
{
  struct pollfd pfd;
  int lfd, conn, fd;
  long pid;

  if (argc != 2 && !(argc == 3 && strcmp (argv[2], "kill") == 0))
    {
      fputs ("usage: recvpidfd SOCKET [kill]\n", stderr);
      return 2;
    }
  alarm (60);
  lfd = fdsock_listen ("recvpidfd", argv[1]);
  if (lfd < 0)
    return 1;
  conn = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return fail ("accept");
  fd = fdsock_receive ("recvpidfd", conn);
  if (fd < 0)
    return 1;
  close (conn);
  close (lfd);
  pid = pidfd_pid (fd);
  if (pid < 0)
    {
      fprintf (stderr, "recvpidfd: the fd received is not a pidfd\n");
      return 1;
    }
  printf ("pid: %ld\n", pid);
  fflush (stdout);
  if (argc == 2)
    return 0;
  if (syscall (SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
    return fail ("pidfd_send_signal");
  pfd.fd = fd;
  pfd.events = POLLIN;
  while (poll (&pfd, 1, -1) < 0)
    if (errno != EINTR)
      return fail ("poll the pidfd");
  printf ("exited: yes\n");
  return 0;
}
