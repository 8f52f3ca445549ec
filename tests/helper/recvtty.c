/* recvtty: the receiving end of a runtime's --console-socket, for tests.

   recvtty SOCKET [INPUT]

   Listens on the unix socket SOCKET (created under a temporary name and
   renamed into place once listening, so a test can wait for the path to
   appear), accepts one connection, receives one file descriptor (the pty
   master), writes INPUT to it if given, then copies everything read from
   it to stdout until the other side of the terminal is closed.  Gives up
   after 60 seconds.  Exits 0 on success, 1 with a message on stderr.  */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdsock.h"

static int
fail (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, strerror (errno));
  return 1;
}

int
main (int argc, char **argv)
{
  char buf[4096];
  struct stat st;
  ssize_t n;
  int lfd, conn, master;

  if (argc != 2 && argc != 3)
    {
      fputs ("usage: recvtty SOCKET [INPUT]\n", stderr);
      return 2;
    }
  alarm (60);
  lfd = fdsock_listen ("recvtty", argv[1]);
  if (lfd < 0)
    return 1;
  conn = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return fail ("accept");
  master = fdsock_receive ("recvtty", conn);
  if (master < 0)
    return 1;
  close (conn);
  close (lfd);
  if (fstat (master, &st) < 0)
    return fail ("fstat");
  if (!S_ISCHR (st.st_mode))
    {
      fprintf (stderr, "recvtty: the fd received is not a character device\n");
      return 1;
    }
  if (argc == 3 && write (master, argv[2], strlen (argv[2])) < 0)
    return fail ("write to the terminal");
  while ((n = read (master, buf, sizeof buf)) > 0)
    if (write (STDOUT_FILENO, buf, (size_t) n) != n)
      return fail ("write to stdout");
  /* EIO means every slave fd is closed: the normal end.  */
  if (n < 0 && errno != EIO)
    return fail ("read from the terminal");
  return 0;
}
