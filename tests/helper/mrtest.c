/* mrtest: a static helper run inside test containers.  It prints what a
   process in the container observes as `key: value` lines, so shell tests
   can check them with grep and awk.  Failures print `error: ENAME` (or a
   short reason) on stdout and exit 1; a usage error exits 2.  */

#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *
errname (int errnum)
{
  const char *name = strerrorname_np (errnum);

  return name != NULL ? name : "EUNKNOWN";
}

static int
fail_errno (const char *what, int errnum)
{
  printf ("error: %s\n", errname (errnum));
  fprintf (stderr, "mrtest: %s: %s\n", what, strerror (errnum));
  return 1;
}

/* The session keyring as keyctl(KEYCTL_DESCRIBE) gives it:
 * "type;uid;gid;perm;description". */
static int
cmd_keyring (void)
{
  char buf[512];
  long n = syscall (SYS_keyctl, 6 /* KEYCTL_DESCRIBE */, -3 /* KEY_SPEC_SESSION_KEYRING */, buf,
                    sizeof (buf) - 1, 0);

  if (n < 0)
    return fail_errno ("keyctl describe session keyring", errno);
  buf[n < (long) sizeof (buf) ? n : (long) sizeof (buf) - 1] = '\0';
  printf ("keyring: %s\n", buf);
  return 0;
}

/* Syscalls that `syscall` makes with the arguments given.  The first ones
   ignore their arguments, so a seccomp condition on any argument can be
   tested with them and nothing else changes.  */
static const struct
{
  const char *name;
  long nr;
} calls[] = {
  { "getppid", SYS_getppid },         { "gettid", SYS_gettid },
  { "sched_yield", SYS_sched_yield }, { "getpgrp", SYS_getpgrp },
  { "getpriority", SYS_getpriority }, { "personality", SYS_personality },
};

/* What the SIGSYS handler saw: the syscall number and the filter's data.  */
static volatile sig_atomic_t sigsys_seen;
static volatile int sigsys_nr, sigsys_data, sigsys_code;

static void
on_sigsys (int sig, siginfo_t *info, void *ctx)
{
  (void) sig;
  (void) ctx;
  sigsys_seen = 1;
  sigsys_nr = info->si_syscall;
  sigsys_data = info->si_errno;
  sigsys_code = info->si_code;
}

/* "getppid:1:0x10" -> number and arguments; -1 on a bad CALL.  */
static int
parse_call (const char *spec, long *nr, unsigned long long args[6])
{
  char buf[256], *save = NULL, *tok, *end;
  size_t i;
  int n = 0;

  if (snprintf (buf, sizeof buf, "%s", spec) >= (int) sizeof buf)
    return -1;
  tok = strtok_r (buf, ":", &save);
  for (i = 0; tok != NULL && i < sizeof calls / sizeof calls[0]; i++)
    if (strcmp (calls[i].name, tok) == 0)
      break;
  if (tok == NULL || i == sizeof calls / sizeof calls[0])
    {
      fprintf (stderr, "mrtest: syscall: \"%s\": unknown call\n", spec);
      return -1;
    }
  *nr = calls[i].nr;
  memset (args, 0, 6 * sizeof args[0]);
  while ((tok = strtok_r (NULL, ":", &save)) != NULL)
    {
      if (n == 6)
        {
          fprintf (stderr, "mrtest: syscall: \"%s\": more than 6 arguments\n", spec);
          return -1;
        }
      errno = 0;
      args[n++] = strtoull (tok, &end, 0);
      if (errno != 0 || end == tok || *end != '\0')
        {
          fprintf (stderr, "mrtest: syscall: \"%s\": bad argument \"%s\"\n", spec, tok);
          return -1;
        }
    }
  return 0;
}

/* Makes CALL and prints `CALL: ok`, `CALL: error ENAME` or, when a seccomp
   trap interrupted it, `CALL: SIGSYS syscall=NR data=N code=N`.  */
static int
do_call (const char *spec)
{
  unsigned long long a[6];
  long nr, ret;

  if (parse_call (spec, &nr, a) < 0)
    return -1;
  sigsys_seen = 0;
  errno = 0;
  ret = syscall (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (sigsys_seen)
    printf ("%s: SIGSYS syscall=%d data=%d code=%d\n", spec, (int) sigsys_nr, (int) sigsys_data,
            (int) sigsys_code);
  else if (ret == -1 && errno != 0)
    printf ("%s: error %s\n", spec, errname (errno));
  else
    printf ("%s: ok\n", spec);
  return 0;
}

static int
catch_sigsys (void)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

  sigemptyset (&sa.sa_mask);
  return sigaction (SIGSYS, &sa, NULL);
}

static int
cmd_syscall (int n, char **specs)
{
  int i;

  if (catch_sigsys () < 0)
    return fail_errno ("sigaction SIGSYS", errno);
  for (i = 0; i < n; i++)
    if (do_call (specs[i]) < 0)
      return 2;
  return 0;
}

static void *
call_thread (void *spec)
{
  do_call (spec);
  return NULL;
}

/* Makes CALL in a second thread, then says whether the process outlived
   it: what tells a thread killed from a process killed.  */
static int
cmd_thread_syscall (char *spec)
{
  unsigned long long a[6];
  pthread_t t;
  long nr;
  int err;

  if (parse_call (spec, &nr, a) < 0)
    return 2;
  if (catch_sigsys () < 0)
    return fail_errno ("sigaction SIGSYS", errno);
  err = pthread_create (&t, NULL, call_thread, spec);
  if (err != 0)
    return fail_errno ("pthread_create", err);
  err = pthread_join (t, NULL);
  if (err != 0)
    return fail_errno ("pthread_join", err);
  puts ("process: alive");
  return 0;
}

static int
usage (void)
{
  fputs ("usage: mrtest COMMAND [-- COMMAND...], COMMAND one of\n"
         "       report | mounts | cat FILE | write FILE TEXT | open FILE [r|w]\n"
         "       | stat PATH | ls DIR | sleep SECONDS | exit N | kill-self SIGNAL\n"
         "       | alloc MB | forks N | tty | sysctl NAME | clock | wait-signal SIGNAL\n"
         "       | keyring | winch | exec PATH [ARG...] | syscall CALL... | thread-syscall CALL\n"
         "CALL is NAME[:ARG...], NAME one of getppid, gettid, sched_yield, getpgrp,\n"
         "getpriority, personality; ARGs are 64-bit integers (0x... for hex)\n",
         stderr);
  return 2;
}

static int
parse_long (const char *s, long min, long max, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    {
      fprintf (stderr, "mrtest: \"%s\": expected an integer in [%ld, %ld]\n", s, min, max);
      return -1;
    }
  *out = v;
  return 0;
}

/* A signal given as a number, "TERM" or "SIGTERM".  */
static int
parse_signal (const char *s)
{
  const char *name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  long n;
  int i;

  if (isdigit ((unsigned char) *s))
    return parse_long (s, 1, _NSIG - 1, &n) < 0 ? -1 : (int) n;
  for (i = 1; i < _NSIG; i++)
    {
      const char *abbrev = sigabbrev_np (i);

      if (abbrev != NULL && strcasecmp (abbrev, name) == 0)
        return i;
    }
  fprintf (stderr, "mrtest: \"%s\": not a signal name or number\n", s);
  return -1;
}

static const char *
signame (int sig)
{
  const char *abbrev = sigabbrev_np (sig);

  return abbrev != NULL ? abbrev : "UNKNOWN";
}

/* Prints the whole file to stdout; returns 0 or a positive errno.  */
static int
copy_file (const char *path, const char *prefix)
{
  char line[8192];
  FILE *f = fopen (path, "re");

  if (f == NULL)
    return errno;
  while (fgets (line, sizeof line, f) != NULL)
    {
      size_t len = strlen (line);

      fputs (prefix, stdout);
      fputs (line, stdout);
      if (len > 0 && line[len - 1] != '\n')
        putchar ('\n');
    }
  fclose (f);
  return 0;
}

static void
print_status_fields (void)
{
  static const char *const keys[] = { "CapInh:", "CapPrm:",     "CapEff:",  "CapBnd:",
                                      "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:",
                                      NULL };
  char line[1024];
  FILE *f = fopen ("/proc/self/status", "re");
  int i;

  if (f == NULL)
    {
      printf ("status: error %s\n", errname (errno));
      return;
    }
  while (fgets (line, sizeof line, f) != NULL)
    for (i = 0; keys[i] != NULL; i++)
      if (strncmp (line, keys[i], strlen (keys[i])) == 0)
        {
          char *v = line + strlen (keys[i]);

          v += strspn (v, " \t");
          printf ("%s %s", keys[i], v);
        }
  fclose (f);
}

static void
print_ids (void)
{
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  gid_t groups[NGROUPS_MAX];
  int n, i;

  getresuid (&ru, &eu, &su);
  getresgid (&rg, &eg, &sg);
  printf ("uid: %u\neuid: %u\nsuid: %u\nfsuid: %d\n", ru, eu, su, setfsuid ((uid_t) -1));
  printf ("gid: %u\negid: %u\nsgid: %u\nfsgid: %d\n", rg, eg, sg, setfsgid ((gid_t) -1));
  n = getgroups (NGROUPS_MAX, groups);
  fputs ("groups:", stdout);
  for (i = 0; i < n; i++)
    printf (" %u", groups[i]);
  putchar ('\n');
}

static void
print_rlimits (void)
{
  static const struct
  {
    const char *name;
    int resource;
  } limits[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
  };
  size_t i;

  for (i = 0; i < sizeof limits / sizeof limits[0]; i++)
    {
      struct rlimit rl;

      if (getrlimit (limits[i].resource, &rl) < 0)
        {
          printf ("rlimit.%s: error %s\n", limits[i].name, errname (errno));
          continue;
        }
      printf ("rlimit.%s: ", limits[i].name);
      if (rl.rlim_cur == RLIM_INFINITY)
        fputs ("unlimited ", stdout);
      else
        printf ("%llu ", (unsigned long long) rl.rlim_cur);
      if (rl.rlim_max == RLIM_INFINITY)
        puts ("unlimited");
      else
        printf ("%llu\n", (unsigned long long) rl.rlim_max);
    }
}

/* Each entry of DIR, which holds symbolic links, as `PREFIX.NAME: TARGET`;
   with INODE, the number between brackets of "type:[inode]" targets.  */
static void
print_links (const char *dir, const char *prefix, int inode)
{
  struct dirent **names = NULL;
  int n, i;

  n = scandir (dir, &names, NULL, versionsort);
  if (n < 0)
    {
      printf ("%s: error %s\n", prefix, errname (errno));
      return;
    }
  for (i = 0; i < n; i++)
    {
      char path[PATH_MAX], target[PATH_MAX];
      ssize_t len;

      if (names[i]->d_name[0] != '.')
        {
          snprintf (path, sizeof path, "%s/%s", dir, names[i]->d_name);
          len = readlink (path, target, sizeof target - 1);
          if (len < 0)
            {
              /* The fd scandir used is closed by now.  */
              if (errno != ENOENT)
                printf ("%s.%s: error %s\n", prefix, names[i]->d_name, errname (errno));
            }
          else
            {
              char *start = target, *end;

              target[len] = '\0';
              if (inode && (start = strchr (target, '[')) != NULL
                  && (end = strchr (start, ']')) != NULL)
                {
                  *end = '\0';
                  start++;
                }
              else
                start = target;
              printf ("%s.%s: %s\n", prefix, names[i]->d_name, start);
            }
        }
      free (names[i]);
    }
  free (names);
}

/* The LSM label of the process; reading it fails with EINVAL when no LSM
   gives one.  */
static void
print_lsm_label (void)
{
  char label[4096];
  ssize_t n = -1;
  int fd = open ("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  int errnum = errno;

  if (fd >= 0)
    {
      n = read (fd, label, sizeof label - 1);
      errnum = errno;
      close (fd);
    }
  if (n < 0)
    {
      printf ("lsm.current: error %s\n", errname (errnum));
      return;
    }
  while (n > 0 && (label[n - 1] == '\n' || label[n - 1] == '\0'))
    n--;
  printf ("lsm.current: %.*s\n", (int) n, label);
}

static int
cmd_report (void)
{
  struct utsname u;
  char cwd[PATH_MAX];
  mode_t mask;
  char **e;

  if (uname (&u) == 0)
    printf ("hostname: %s\ndomainname: %s\n", u.nodename, u.domainname);
  printf ("pid: %d\nppid: %d\n", (int) getpid (), (int) getppid ());
  print_ids ();
  print_status_fields ();
  mask = umask (0);
  umask (mask);
  printf ("umask: %04o\n", (unsigned) mask);
  if (getcwd (cwd, sizeof cwd) != NULL)
    printf ("cwd: %s\n", cwd);
  else
    printf ("cwd: error %s\n", errname (errno));
  copy_file ("/proc/self/oom_score_adj", "oom_score_adj: ");
  print_lsm_label ();
  print_rlimits ();
  for (e = environ; *e != NULL; e++)
    printf ("env: %s\n", *e);
  fflush (stdout);
  print_links ("/proc/self/fd", "fd", 0);
  print_links ("/proc/self/ns", "ns", 1);
  copy_file ("/proc/self/cgroup", "cgroup: ");
  return 0;
}

static int
cmd_cat (const char *path)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return fail_errno (path, errno);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    fwrite (buf, 1, (size_t) n, stdout);
  if (n < 0)
    {
      int errnum = errno;

      close (fd);
      return fail_errno (path, errnum);
    }
  close (fd);
  return 0;
}

static int
cmd_write (const char *path, const char *text)
{
  size_t len = strlen (text);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    return fail_errno (path, errno);
  if (write (fd, text, len) != (ssize_t) len)
    {
      int errnum = errno != 0 ? errno : EIO;

      close (fd);
      return fail_errno (path, errnum);
    }
  if (close (fd) < 0)
    return fail_errno (path, errno);
  puts ("ok");
  return 0;
}

static int
cmd_open (const char *path, const char *how)
{
  int flags;
  int fd;

  if (how == NULL || strcmp (how, "r") == 0)
    flags = O_RDONLY;
  else if (strcmp (how, "w") == 0)
    flags = O_WRONLY;
  else
    return usage ();
  fd = open (path, flags | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return fail_errno (path, errno);
  close (fd);
  puts ("ok");
  return 0;
}

/* Replaces mrtest with PATH ARGV...; prints the errno when that fails. */
static int
cmd_exec (const char *path, char **argv)
{
  execv (path, argv);
  return fail_errno (path, errno);
}

static const char *
file_type (mode_t mode)
{
  switch (mode & S_IFMT)
    {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "symlink";
    case S_IFCHR:
      return "char";
    case S_IFBLK:
      return "block";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return "unknown";
    }
}

static int
cmd_stat (const char *path)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    return fail_errno (path, errno);
  printf ("type: %s\nmode: %04o\nuid: %u\ngid: %u\nrdev: %u:%u\nsize: %lld\n",
          file_type (st.st_mode), (unsigned) (st.st_mode & 07777), st.st_uid, st.st_gid,
          major (st.st_rdev), minor (st.st_rdev), (long long) st.st_size);
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t len = readlink (path, target, sizeof target - 1);

      if (len >= 0)
        printf ("target: %.*s\n", (int) len, target);
    }
  return 0;
}

static int
cmd_ls (const char *dir)
{
  struct dirent **names = NULL;
  int n, i;

  n = scandir (dir, &names, NULL, alphasort);
  if (n < 0)
    return fail_errno (dir, errno);
  for (i = 0; i < n; i++)
    {
      if (strcmp (names[i]->d_name, ".") != 0 && strcmp (names[i]->d_name, "..") != 0)
        puts (names[i]->d_name);
      free (names[i]);
    }
  free (names);
  return 0;
}

static int
cmd_sleep (const char *arg)
{
  char *end;
  double secs;
  struct timespec ts;

  errno = 0;
  secs = strtod (arg, &end);
  if (errno != 0 || end == arg || *end != '\0' || secs < 0 || secs > 1e9)
    {
      fprintf (stderr, "mrtest: sleep: \"%s\": expected a number of seconds\n", arg);
      return 2;
    }
  ts.tv_sec = (time_t) secs;
  ts.tv_nsec = (long) ((secs - (double) ts.tv_sec) * 1e9);
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
  return 0;
}

static int
cmd_kill_self (const char *arg)
{
  int sig = parse_signal (arg);
  sigset_t set;

  if (sig < 0)
    return 2;
  fflush (stdout);
  signal (sig, SIG_DFL);
  sigemptyset (&set);
  sigaddset (&set, sig);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  /* As pid 1 of a pid namespace, only signals sent by an ancestor
     namespace can kill: the kernel drops ours.  Report that.  */
  if (kill (getpid (), sig) < 0)
    return fail_errno ("kill", errno);
  sleep (1);
  printf ("error: still alive after SIG%s\n", signame (sig));
  return 1;
}

static int
cmd_alloc (const char *arg)
{
  long mb, page = sysconf (_SC_PAGESIZE);
  size_t size, off;
  char *mem;

  if (parse_long (arg, 0, 1L << 20, &mb) < 0)
    return 2;
  size = (size_t) mb << 20;
  if (size == 0)
    {
      puts ("allocated: 0");
      return 0;
    }
  mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return fail_errno ("mmap", errno);
  for (off = 0; off < size; off += (size_t) page)
    mem[off] = 1;
  printf ("allocated: %ld\n", mb);
  munmap (mem, size);
  return 0;
}

static int
cmd_forks (const char *arg)
{
  long n, i, made = 0;
  pid_t parent = getpid ();
  pid_t *pids;
  int errnum = 0;

  if (parse_long (arg, 0, 100000, &n) < 0)
    return 2;
  pids = calloc ((size_t) n + 1, sizeof *pids);
  if (pids == NULL)
    return fail_errno ("calloc", errno);
  fflush (stdout);
  for (i = 0; i < n; i++)
    {
      pid_t pid = fork ();

      if (pid < 0)
        {
          errnum = errno;
          break;
        }
      if (pid == 0)
        {
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          if (getppid () != parent)
            _exit (0);
          for (;;)
            pause ();
        }
      pids[made++] = pid;
    }
  printf ("forks: %ld\n", made);
  if (errnum != 0)
    printf ("fork-error: %s\n", errname (errnum));
  for (i = 0; i < made; i++)
    kill (pids[i], SIGKILL);
  for (i = 0; i < made; i++)
    waitpid (pids[i], NULL, 0);
  free (pids);
  return 0;
}

static void
print_tty (const char *name, int fd)
{
  struct winsize ws;
  char path[PATH_MAX];

  if (!isatty (fd))
    {
      printf ("%s-tty: no\n", name);
      return;
    }
  printf ("%s-tty: yes\n", name);
  if (ttyname_r (fd, path, sizeof path) == 0)
    printf ("%s-ttyname: %s\n", name, path);
  if (ioctl (fd, TIOCGWINSZ, &ws) == 0)
    printf ("%s-rows: %u\n%s-cols: %u\n", name, ws.ws_row, name, ws.ws_col);
}

static int
cmd_tty (void)
{
  pid_t sid = getsid (0), fg = tcgetpgrp (STDIN_FILENO);

  print_tty ("stdin", STDIN_FILENO);
  print_tty ("stdout", STDOUT_FILENO);
  print_tty ("stderr", STDERR_FILENO);
  printf ("sid: %d\npgrp: %d\nforeground-pgrp: %d\n", (int) sid, (int) getpgrp (), (int) fg);
  return 0;
}

/* Prints the size of the terminal on stdin, waits for SIGWINCH (blocked
 * before "waiting-winch" is printed, so none is lost), prints it again. */
static int
cmd_winch (void)
{
  struct winsize ws;
  sigset_t set;
  siginfo_t info;

  sigemptyset (&set);
  sigaddset (&set, SIGWINCH);
  sigprocmask (SIG_BLOCK, &set, NULL);
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
    return fail_errno ("TIOCGWINSZ", errno);
  printf ("size: %u %u\nwaiting-winch\n", ws.ws_row, ws.ws_col);
  fflush (stdout);
  while (sigwaitinfo (&set, &info) < 0)
    if (errno != EINTR)
      return fail_errno ("sigwaitinfo", errno);
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
    return fail_errno ("TIOCGWINSZ", errno);
  printf ("resized: %u %u\n", ws.ws_row, ws.ws_col);
  return 0;
}

static int
cmd_sysctl (const char *name)
{
  char path[PATH_MAX], value[4096];
  size_t len;
  char *p;
  FILE *f;

  if (snprintf (path, sizeof path, "/proc/sys/%s", name) >= (int) sizeof path)
    return usage ();
  for (p = path + strlen ("/proc/sys/"); *p != '\0'; p++)
    if (*p == '.')
      *p = '/';
  f = fopen (path, "re");
  if (f == NULL)
    return fail_errno (path, errno);
  len = fread (value, 1, sizeof value - 1, f);
  fclose (f);
  value[len] = '\0';
  while (len > 0 && isspace ((unsigned char) value[len - 1]))
    value[--len] = '\0';
  printf ("%s: %s\n", name, value);
  return 0;
}

static int
cmd_clock (void)
{
  struct timespec mono, boot;

  if (clock_gettime (CLOCK_MONOTONIC, &mono) < 0 || clock_gettime (CLOCK_BOOTTIME, &boot) < 0)
    return fail_errno ("clock_gettime", errno);
  printf ("monotonic: %lld.%09ld\nboottime: %lld.%09ld\n", (long long) mono.tv_sec, mono.tv_nsec,
          (long long) boot.tv_sec, boot.tv_nsec);
  return 0;
}

static int
cmd_wait_signal (const char *arg)
{
  int sig = parse_signal (arg);
  sigset_t set;
  siginfo_t info;

  if (sig < 0)
    return 2;
  sigemptyset (&set);
  sigaddset (&set, sig);
  sigprocmask (SIG_BLOCK, &set, NULL);
  printf ("waiting: SIG%s\n", signame (sig));
  fflush (stdout);
  while (sigwaitinfo (&set, &info) < 0)
    if (errno != EINTR)
      return fail_errno ("sigwaitinfo", errno);
  printf ("signal: SIG%s\nsender-pid: %d\n", signame (info.si_signo), (int) info.si_pid);
  return 0;
}

/* One command: ARGV[1] with its ARGC - 2 arguments.  */
static int
run_command (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "report";
  int nargs = argc > 1 ? argc - 2 : 0;
  long n;

  if (strcmp (cmd, "report") == 0 && nargs == 0)
    return cmd_report ();
  if (strcmp (cmd, "mounts") == 0 && nargs == 0)
    return cmd_cat ("/proc/self/mountinfo");
  if (strcmp (cmd, "cat") == 0 && nargs == 1)
    return cmd_cat (argv[2]);
  if (strcmp (cmd, "write") == 0 && nargs == 2)
    return cmd_write (argv[2], argv[3]);
  if (strcmp (cmd, "open") == 0 && (nargs == 1 || nargs == 2))
    return cmd_open (argv[2], nargs == 2 ? argv[3] : NULL);
  if (strcmp (cmd, "stat") == 0 && nargs == 1)
    return cmd_stat (argv[2]);
  if (strcmp (cmd, "ls") == 0 && nargs == 1)
    return cmd_ls (argv[2]);
  if (strcmp (cmd, "sleep") == 0 && nargs == 1)
    return cmd_sleep (argv[2]);
  if (strcmp (cmd, "exit") == 0 && nargs == 1)
    return parse_long (argv[2], 0, 255, &n) < 0 ? 2 : (int) n;
  if (strcmp (cmd, "kill-self") == 0 && nargs == 1)
    return cmd_kill_self (argv[2]);
  if (strcmp (cmd, "alloc") == 0 && nargs == 1)
    return cmd_alloc (argv[2]);
  if (strcmp (cmd, "forks") == 0 && nargs == 1)
    return cmd_forks (argv[2]);
  if (strcmp (cmd, "tty") == 0 && nargs == 0)
    return cmd_tty ();
  if (strcmp (cmd, "winch") == 0 && nargs == 0)
    return cmd_winch ();
  if (strcmp (cmd, "sysctl") == 0 && nargs == 1)
    return cmd_sysctl (argv[2]);
  if (strcmp (cmd, "clock") == 0 && nargs == 0)
    return cmd_clock ();
  if (strcmp (cmd, "wait-signal") == 0 && nargs == 1)
    return cmd_wait_signal (argv[2]);
  if (strcmp (cmd, "keyring") == 0 && nargs == 0)
    return cmd_keyring ();
  if (strcmp (cmd, "exec") == 0 && nargs >= 1)
    return cmd_exec (argv[2], argv + 2);
  if (strcmp (cmd, "syscall") == 0 && nargs >= 1)
    return cmd_syscall (nargs, argv + 2);
  if (strcmp (cmd, "thread-syscall") == 0 && nargs == 1)
    return cmd_thread_syscall (argv[2]);
  return usage ();
}

/* Commands separated by "--" run one after the other in this process, so
   that what one shows (a report) and what the next does (syscalls) come
   from the same process; the status is the first that is not 0.  */
int
main (int argc, char **argv)
{
  int start = 1, status = 0, ret, i;

  setvbuf (stdout, NULL, _IOLBF, 0);
  for (i = 1; i <= argc; i++)
    if (i == argc || strcmp (argv[i], "--") == 0)
      {
        char *saved = argv[start - 1];

        if (i == start && argc > 1)
          return usage ();
        argv[start - 1] = argv[0];
        argv[i < argc ? i : argc] = NULL;
        ret = run_command (i - start + 1, argv + start - 1);
        argv[start - 1] = saved;
        if (status == 0)
          status = ret;
        start = i + 1;
      }
  return status;
}
