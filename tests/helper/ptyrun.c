/* ptyrun: runs a command on a new terminal, and resizes that terminal once
   the command prints a marker, for tests of window-size forwarding.

   ptyrun ROWS COLS MARKER NEWROWS NEWCOLS COMMAND [ARG...]

   Opens a pseudo-terminal of ROWS x COLS, runs COMMAND as the leader of a
   new session with the terminal as its controlling one and as its stdin,
   stdout and stderr, and copies what it writes there to stdout.  The first
   time that output holds MARKER, the terminal is resized to NEWROWS x
   NEWCOLS, which sends SIGWINCH to COMMAND.  Ends when the terminal hangs
   up, with COMMAND's exit status; gives up after 60 seconds.  */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int
fail (const char *what)
{
  fprintf (stderr, "ptyrun: %s: %s\n", what, strerror (errno));
  return 1;
}

static unsigned short
number (const char *s)
{
  long v = strtol (s, NULL, 10);

  return v > 0 && v < 10000 ? (unsigned short)v : 24;
}

int
main (int argc, char **argv)
{
  struct winsize ws = { 0 };
  char seen[8192];
  size_t seen_len = 0;
  int resized = 0, status = 0;
  char buf[4096];
  ssize_t n;
  pid_t pid;
  int master;

  if (argc < 7)
    {
      fputs ("usage: ptyrun ROWS COLS MARKER NEWROWS NEWCOLS COMMAND [ARG...]\n", stderr);
      return 2;
    }
  alarm (60);
  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0)
    return fail ("open a pseudo-terminal");
  ws.ws_row = number (argv[1]);
  ws.ws_col = number (argv[2]);
  if (ioctl (master, TIOCSWINSZ, &ws) < 0)
    return fail ("TIOCSWINSZ");

  pid = fork ();
  if (pid < 0)
    return fail ("fork");
  if (pid == 0)
    {
      int slave;

      if (setsid () < 0)
        _exit (fail ("setsid"));
      slave = open (ptsname (master), O_RDWR);
      if (slave < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
        _exit (fail ("open the terminal"));
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      if (slave > 2)
        close (slave);
      execvp (argv[6], argv + 6);
      _exit (fail (argv[6]));
    }

  while ((n = read (master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    {
      if (n <= 0)
        continue;
      if (write (STDOUT_FILENO, buf, (size_t)n) != n)
        return fail ("write to stdout");
      if (resized)
        continue;
      if (seen_len + (size_t)n >= sizeof seen)
        seen_len = 0;
      memcpy (seen + seen_len, buf, (size_t)n);
      seen_len += (size_t)n;
      seen[seen_len] = '\0';
      if (strstr (seen, argv[3]) != NULL)
        {
          ws.ws_row = number (argv[4]);
          ws.ws_col = number (argv[5]);
          if (ioctl (master, TIOCSWINSZ, &ws) < 0)
            return fail ("TIOCSWINSZ");
          resized = 1;
        }
    }
  /* EIO: every fd of the terminal's other side is closed. */
  if (n < 0 && errno != EIO)
    return fail ("read from the terminal");
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return fail ("waitpid");
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}
