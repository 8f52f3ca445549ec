/* Unit tests of process setup and terminals that need no container:
 * executable lookup, fds across exec, credentials and capabilities,
 * rlimits, oom_score_adj and the keyring in forked children, pty passing
 * over unix sockets, the pty of the init and the foreground bridge, and
 * what create and exec share: fd hand-over, socket activation, env. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "launch.h"
#include "process.h"
#include "tap.h"
#include "terminal.h"

static char tmp[] = "/tmp/modrun-test-process.XXXXXX";

static void
make_file (const char *path, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0 || write (fd, "#!/bin/sh\n", 10) != 10)
    {
      printf ("Bail out! cannot create %s: %s\n", path, strerror (errno));
      exit (1);
    }
  close (fd);
  chmod (path, mode);
}

/* Runs FN in a forked child whose stdout is a pipe; returns what the child
 * wrote (malloc'ed) and its exit status in *STATUS. */
static char *
in_child (void (*fn) (void *), void *arg, int *status)
{
  char *buf = mr_xzalloc (65536);
  size_t len = 0;
  int p[2];
  pid_t pid;
  ssize_t n;

  fflush (stdout);
  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  pid = fork ();
  if (pid < 0)
    abort ();
  if (pid == 0)
    {
      dup2 (p[1], STDOUT_FILENO);
      fn (arg);
      fflush (stdout);
      _exit (0);
    }
  close (p[1]);
  while (len < 65535 && (n = read (p[0], buf + len, 65535 - len)) > 0)
    len += (size_t)n;
  close (p[0]);
  waitpid (pid, status, 0);
  return buf;
}

/* The value of "KEY:" in TEXT, tabs turned into spaces, trailing blanks
 * removed; "" when missing. */
static const char *
field (const char *text, const char *key)
{
  static char value[512];
  size_t klen = strlen (key);
  const char *line = text;

  value[0] = '\0';
  while (line && *line)
    {
      if (strncmp (line, key, klen) == 0 && line[klen] == ':')
        {
          const char *v = line + klen + 1;
          size_t i = 0;

          while (*v == ' ' || *v == '\t')
            v++;
          while (v[i] && v[i] != '\n' && i + 1 < sizeof (value))
            {
              value[i] = v[i] == '\t' ? ' ' : v[i];
              i++;
            }
          while (i > 0 && value[i - 1] == ' ')
            i--;
          value[i] = '\0';
          return value;
        }
      line = strchr (line, '\n');
      if (line)
        line++;
    }
  return value;
}

/* Executable lookup. */

static void
test_find_executable (void)
{
  cleanup_free char *d1 = mr_xasprintf ("%s/d1", tmp);
  cleanup_free char *d2 = mr_xasprintf ("%s/d2", tmp);
  cleanup_free char *path_var = mr_xasprintf ("PATH=%s:%s", d1, d2);
  cleanup_free char *f1 = mr_xasprintf ("%s/tool", d1);
  cleanup_free char *f2 = mr_xasprintf ("%s/tool", d2);
  cleanup_free char *dirtool = mr_xasprintf ("%s/dirtool", d2);
  cleanup_free char *want = NULL;
  cleanup_free char *missing = mr_xasprintf ("%s/nosuch", d1);
  char *args[] = { (char *)"tool", NULL };
  char *env[] = { (char *)"A=1", path_var, NULL };
  char *no_path_env[] = { (char *)"A=1", NULL };
  struct mr_process p = { .present = 1, .args = args, .env = env };
  mr_error *err = NULL;
  char *found = NULL;
  int ret;

  mkdir (d1, 0755);
  mkdir (d2, 0755);
  mkdir (dirtool, 0755);
  make_file (f1, 0644);
  make_file (f2, 0755);

  ret = mr_process_find_executable (&p, &found, &err);
  is_str (ret == 0 ? found : err->msg, f2,
          "PATH from process.env: a file without x bits is skipped for the next one");
  free (found);
  found = NULL;
  mr_error_free (err);
  err = NULL;

  args[0] = (char *)"nosuch";
  ret = mr_process_find_executable (&p, &found, &err);
  ok (ret == -ENOENT, "a program in no PATH directory: -ENOENT");
  is_str (err ? err->msg : NULL, "exec: \"nosuch\": executable file not found in $PATH",
          "a program in no PATH directory: runc's message");
  mr_error_free (err);
  err = NULL;

  args[0] = (char *)"dirtool";
  ret = mr_process_find_executable (&p, &found, &err);
  ok (ret == -ENOENT && found == NULL, "a directory in PATH is not an executable");
  mr_error_free (err);
  err = NULL;

  args[0] = f1;
  ret = mr_process_find_executable (&p, &found, &err);
  want = mr_xasprintf ("exec: \"%s\": permission denied", f1);
  ok (ret == -EACCES, "args[0] with a slash, not executable: -EACCES");
  is_str (err ? err->msg : NULL, want, "args[0] with a slash, not executable: the message");
  mr_error_free (err);
  err = NULL;
  free (want);

  args[0] = missing;
  ret = mr_process_find_executable (&p, &found, &err);
  want = mr_xasprintf ("exec: \"%s\": stat %s: %s", missing, missing, strerror (ENOENT));
  ok (ret == -ENOENT, "args[0] with a slash, missing: -ENOENT");
  is_str (err ? err->msg : NULL, want, "args[0] with a slash, missing: the message");
  mr_error_free (err);
  err = NULL;

  args[0] = f2;
  ret = mr_process_find_executable (&p, &found, &err);
  is_str (ret == 0 ? found : err->msg, f2, "args[0] with a slash is used as is");
  free (found);
  found = NULL;
  mr_error_free (err);
  err = NULL;

  args[0] = (char *)"sh";
  p.env = no_path_env;
  ret = mr_process_find_executable (&p, &found, &err);
  ok (ret == 0 && found != NULL && access (found, X_OK) == 0
          && (strcmp (found, "/usr/bin/sh") == 0 || strcmp (found, "/bin/sh") == 0
              || strcmp (found, "/usr/local/bin/sh") == 0),
      "without PATH in process.env the default PATH finds sh (%s)", found ? found : err->msg);
  free (found);
  found = NULL;
  mr_error_free (err);
  err = NULL;

  args[0] = (char *)"tool";
  ret = mr_process_find_executable (&p, &found, &err);
  ok (ret == -ENOENT, "without PATH in process.env our own PATH is not used");
  mr_error_free (err);
}

/* File descriptors. */

static int
cloexec_of (int fd)
{
  int flags = fcntl (fd, F_GETFD);

  return flags < 0 ? -1 : (flags & FD_CLOEXEC) != 0;
}

static void
child_close_fds (void *arg)
{
  int null = open ("/dev/null", O_RDONLY);
  int fds[] = { 3, 4, 5, 9, 12 };
  size_t i;

  (void)arg;
  for (i = 0; i < sizeof (fds) / sizeof (fds[0]); i++)
    if (fds[i] != null)
      dup2 (null, fds[i]);
  fcntl (3, F_SETFD, FD_CLOEXEC);
  mr_process_close_fds (2, 9);
  printf ("flags: %d %d %d %d %d\n", cloexec_of (3), cloexec_of (4), cloexec_of (5), cloexec_of (9),
          cloexec_of (12));
  fflush (stdout);
  /* test -e is a builtin that opens nothing, unlike a glob. */
  execl ("/bin/sh", "sh", "-c",
         "printf fds:; for f in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do "
         "test -e /proc/$$/fd/$f && printf ' %s' $f; done; echo",
         (char *)NULL);
  printf ("exec failed\n");
}

static void
test_close_fds (void)
{
  int status;
  cleanup_free char *out = in_child (child_close_fds, NULL, &status);

  is_str (field (out, "flags"), "0 0 1 0 1",
          "close_fds(2, 9): 3 and 4 kept open across exec, 5 and 12 close-on-exec, 9 untouched");
  is_str (field (out, "fds"), "0 1 2 3 4 9",
          "after exec only stdio, the preserved fds and the kept one are open");
}

/* Credentials and capabilities. */

static void
child_credentials (void *arg)
{
  const struct mr_process *p = arg;
  cleanup_error mr_error *err = NULL;
  cleanup_free char *status = NULL;
  char cwd[4096];
  mode_t mask;

  if (mr_process_set_credentials (p, &err) < 0)
    {
      printf ("error: %s\n", err->msg);
      return;
    }
  mask = umask (0);
  if (mr_read_file ("/proc/self/status", &status, NULL, NULL) < 0)
    return;
  printf ("%sumask: %04o\ncwd: %s\n", status, (unsigned)mask,
          getcwd (cwd, sizeof (cwd)) ? cwd : "?");
}

static void
test_credentials (void)
{
  cap_value_t bounding[] = { CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, 45 };
  cap_value_t kill_only[] = { CAP_KILL };
  gid_t gids[] = { 100, 5 };
  cleanup_free char *dir = mr_xasprintf ("%s/home", tmp);
  cleanup_free char *closed = mr_xasprintf ("%s/closed", tmp);
  cleanup_free char *want = NULL;
  struct mr_process p = { .present = 1 };
  cleanup_free char *out = NULL;
  int status;

  if (geteuid () != 0)
    {
      printf ("ok %d # SKIP credentials need root\n", ++tap_n);
      return;
    }
  mkdir (dir, 0755);
  mkdir (closed, 0700);

  p.uid = 1000;
  p.gid = 1000;
  p.additional_gids = gids;
  p.n_additional_gids = 2;
  p.has_umask = 1;
  p.umask = 027;
  p.cwd = dir;
  p.no_new_privileges = 1;
  p.has_caps = 1;
  p.caps[MR_CAP_BOUNDING] = bounding;
  p.ncaps[MR_CAP_BOUNDING] = 4;
  p.caps[MR_CAP_EFFECTIVE] = p.caps[MR_CAP_PERMITTED] = kill_only;
  p.caps[MR_CAP_INHERITABLE] = p.caps[MR_CAP_AMBIENT] = kill_only;
  p.ncaps[MR_CAP_EFFECTIVE] = p.ncaps[MR_CAP_PERMITTED] = 1;
  p.ncaps[MR_CAP_INHERITABLE] = p.ncaps[MR_CAP_AMBIENT] = 1;
  out = in_child (child_credentials, &p, &status);
  ok (strstr (out, "error:") == NULL, "set_credentials as uid 1000 with capabilities%s%s",
      strstr (out, "error:") ? ": " : "", strstr (out, "error:") ? field (out, "error") : "");
  is_str (field (out, "Uid"), "1000 1000 1000 1000", "real, effective, saved and fs uid");
  is_str (field (out, "Gid"), "1000 1000 1000 1000", "real, effective, saved and fs gid");
  is_str (field (out, "Groups"), "5 100", "supplementary groups are additionalGids");
  is_str (field (out, "CapBnd"), "0000000000000421",
          "bounding set: CHOWN, KILL, NET_BIND_SERVICE (capability 45 skipped)");
  is_str (field (out, "CapEff"), "0000000000000020", "effective set: KILL");
  is_str (field (out, "CapPrm"), "0000000000000020", "permitted set: KILL");
  is_str (field (out, "CapInh"), "0000000000000020", "inheritable set: KILL");
  is_str (field (out, "CapAmb"), "0000000000000020", "ambient set: KILL");
  is_str (field (out, "NoNewPrivs"), "1", "no_new_privs is set");
  is_str (field (out, "umask"), "0027", "umask is process.user.umask");
  is_str (field (out, "cwd"), dir, "cwd is process.cwd");
  free (out);

  memset (&p, 0, sizeof (p));
  p.present = 1;
  p.cwd = (char *)"/";
  out = in_child (child_credentials, &p, &status);
  is_str (field (out, "Uid"), "0 0 0 0", "uid 0 stays 0");
  is_str (field (out, "Groups"), "", "no additionalGids: no supplementary group");
  is_str (field (out, "CapBnd"), "0000000000000000", "no capabilities object: empty bounding set");
  is_str (field (out, "CapEff"), "0000000000000000", "no capabilities object: empty effective set");
  is_str (field (out, "CapPrm"), "0000000000000000", "no capabilities object: empty permitted set");
  is_str (field (out, "NoNewPrivs"), "0", "no_new_privs is not set unless asked");
  is_str (field (out, "umask"), "0022", "umask defaults to 0022");
  free (out);

  p.cwd = (char *)"/nonexistent-modrun-dir";
  out = in_child (child_credentials, &p, &status);
  want = mr_xasprintf ("chdir to cwd (\"/nonexistent-modrun-dir\") set in config.json failed: %s",
                       strerror (ENOENT));
  is_str (field (out, "error"), want, "a missing cwd: the error names it");
  free (out);
  free (want);

  /* The directory is root's, mode 0700: uid 1000 without capabilities must
   * not get in, which shows the chdir happens as the target user. */
  p.uid = 1000;
  p.gid = 1000;
  p.cwd = closed;
  out = in_child (child_credentials, &p, &status);
  want = mr_xasprintf ("chdir to cwd (\"%s\") set in config.json failed: %s", closed,
                       strerror (EACCES));
  is_str (field (out, "error"), want, "chdir is done as the target user");
}

/* rlimits, oom_score_adj and the session keyring. */

struct prepare_arg
{
  struct mr_process *p;
  const char *id;
  int no_new_keyring;
};

static void
child_prepare (void *arg)
{
  struct prepare_arg *a = arg;
  cleanup_error mr_error *err = NULL;
  cleanup_free char *oom = NULL;
  struct rlimit nofile, core;
  char desc[512];
  long n;

  if (mr_process_prepare (a->p, a->id, a->no_new_keyring, &err) < 0)
    {
      printf ("error: %s\n", err->msg);
      return;
    }
  getrlimit (RLIMIT_NOFILE, &nofile);
  getrlimit (RLIMIT_CORE, &core);
  printf ("nofile: %llu %llu\n", (unsigned long long)nofile.rlim_cur,
          (unsigned long long)nofile.rlim_max);
  printf ("core: %llu %llu\n", (unsigned long long)core.rlim_cur,
          (unsigned long long)core.rlim_max);
  if (mr_read_file ("/proc/self/oom_score_adj", &oom, NULL, NULL) == 0)
    printf ("oom: %s", oom);
  /* KEYCTL_DESCRIBE (6) of the session keyring (-3). */
  n = syscall (SYS_keyctl, 6, -3, desc, sizeof (desc) - 1);
  if (n > 0)
    {
      desc[n] = '\0';
      printf ("keyring: %s\n", desc);
    }
  else
    printf ("keyring: unavailable (%s)\n", strerror (errno));
}

static void
test_prepare (void)
{
  struct mr_rlimit limits[] = {
    { .resource = RLIMIT_NOFILE, .soft = 100, .hard = 200 },
    { .resource = RLIMIT_CORE, .soft = 1024, .hard = 2048 },
  };
  struct mr_rlimit bad[] = { { .resource = RLIMIT_NOFILE, .soft = 10, .hard = 5 } };
  struct mr_process p = { .present = 1, .rlimits = limits, .n_rlimits = 2 };
  struct prepare_arg a = { .p = &p, .id = "modrun-test-keyring", .no_new_keyring = 0 };
  cleanup_free char *out = NULL;
  const char *keyring;
  int status;

  /* Only lowered limits and a raised oom_score_adj: both need no
   * CAP_SYS_RESOURCE, which the test host may lack. */
  p.has_oom_score_adj = 1;
  p.oom_score_adj = 1000;
  out = in_child (child_prepare, &a, &status);
  is_str (field (out, "nofile"), "100 200", "RLIMIT_NOFILE soft and hard are set");
  is_str (field (out, "core"), "1024 2048", "RLIMIT_CORE soft and hard are set");
  is_str (field (out, "oom"), "1000", "oom_score_adj is written");
  keyring = field (out, "keyring");
  if (strncmp (keyring, "unavailable", 11) == 0)
    printf ("ok %d # SKIP no session keyring here: %s\n", ++tap_n, keyring);
  else
    {
      const char *name = strrchr (keyring, ';');
      is_str (name ? name + 1 : keyring, "modrun-test-keyring",
              "a new session keyring named after the container id is joined");
    }
  free (out);

  a.no_new_keyring = 1;
  a.id = "modrun-test-nokeyring";
  p.has_oom_score_adj = 0;
  out = in_child (child_prepare, &a, &status);
  ok (strstr (out, "modrun-test-nokeyring") == NULL, "no_new_keyring: no keyring is joined");
  free (out);

  p.rlimits = bad;
  p.n_rlimits = 1;
  out = in_child (child_prepare, &a, &status);
  is_str (field (out, "error"),
          "process.rlimits: RLIMIT_NOFILE: soft limit 10 is above hard limit 5: Invalid argument",
          "an rlimit that cannot be set: the error names the type and the values");
}

/* The keyring as the container's user: still usable after the change of
 * credentials. */
static void
child_keyring_user (void *arg)
{
  struct mr_process *p = arg;
  cleanup_error mr_error *err = NULL;
  long key;

  if (mr_process_prepare (p, "modrun-test-keyring-user", 0, &err) < 0
      || mr_process_set_credentials (p, &err) < 0)
    {
      printf ("error: %s\n", err->msg);
      return;
    }
  /* add_key ("user", ...) into the session keyring (-3). */
  key = syscall (SYS_add_key, "user", "modrun-test-key", "v", (size_t)1, -3);
  printf ("add_key: %s\n", key >= 0 ? "ok" : strerror (errno));
}

/* A user namespace whose setgroups is "deny": additionalGids cannot be
 * set there, and that is not an error. */
static void
child_setgroups_denied (void *arg)
{
  struct mr_process *p = arg;
  cleanup_error mr_error *err = NULL;
  unsigned int uid = (unsigned)getuid (), gid = (unsigned)getgid ();
  char map[64];

  snprintf (map, sizeof (map), "0 %u 1", uid);
  if (unshare (CLONE_NEWUSER) < 0 || mr_write_value ("/proc/self/setgroups", "deny", &err) < 0
      || mr_write_value ("/proc/self/uid_map", map, &err) < 0)
    {
      printf ("skip: %s\n", err ? err->msg : strerror (errno));
      return;
    }
  snprintf (map, sizeof (map), "0 %u 1", gid);
  if (mr_write_value ("/proc/self/gid_map", map, &err) < 0)
    {
      printf ("skip: %s\n", err->msg);
      return;
    }
  if (mr_process_set_credentials (p, &err) < 0)
    printf ("error: %s\n", err->msg);
  else
    printf ("done: yes\n");
}

static void
test_keyring_user_and_userns (void)
{
  gid_t gids[] = { 0 };
  struct mr_process p = { .present = 1, .uid = 1000, .gid = 1000, .cwd = (char *)"/" };
  cleanup_free char *out = NULL;
  int status;

  if (geteuid () != 0)
    {
      printf ("ok %d # SKIP needs root\n", ++tap_n);
      return;
    }
  out = in_child (child_keyring_user, &p, &status);
  if (strstr (out, "add_key: ") == NULL || strcmp (field (out, "add_key"), "ok") == 0)
    is_str (field (out, "add_key"), "ok",
            "uid 1000 without capabilities can add a key to the container's keyring");
  else
    printf ("ok %d # SKIP keyrings unavailable here: %s\n", ++tap_n, field (out, "add_key"));
  free (out);

  p.uid = 0;
  p.gid = 0;
  p.additional_gids = gids;
  p.n_additional_gids = 1;
  out = in_child (child_setgroups_denied, &p, &status);
  if (strstr (out, "skip:") != NULL)
    printf ("ok %d # SKIP no user namespace: %s\n", ++tap_n, field (out, "skip"));
  else
    is_str (strstr (out, "error:") ? field (out, "error") : field (out, "done"), "yes",
            "setgroups denied in a user namespace: additionalGids are skipped");
}

/* Passing a pty over unix sockets. */

static int
open_pty (int *slave)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);

  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0)
    return -1;
  *slave = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  return *slave < 0 ? -1 : master;
}

static void
test_send_recv (void)
{
  mr_error *err = NULL;
  struct stat a, b;
  char buf[16] = "";
  int sp[2], master, slave = -1, got = -1;
  ssize_t n;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0
      || (master = open_pty (&slave)) < 0)
    {
      printf ("Bail out! cannot make a socketpair and a pty: %s\n", strerror (errno));
      exit (1);
    }

  ok (mr_send_fd (sp[0], master, &err) == 0, "send_fd of a pty master");
  ok (mr_recv_fd (sp[1], &got, &err) == 0 && got >= 0, "recv_fd gets an fd");
  ok (got >= 0 && fstat (got, &a) == 0 && fstat (master, &b) == 0 && a.st_rdev == b.st_rdev,
      "the fd received is the pty master");
  ok (got >= 0 && cloexec_of (got) == 1, "the fd received is close-on-exec");
  if (write (slave, "ping", 4) != 4)
    abort ();
  n = got >= 0 ? read (got, buf, sizeof (buf) - 1) : -1;
  ok (n == 4 && memcmp (buf, "ping", 4) == 0, "what the slave writes is read on it");
  mr_error_free (err);
  err = NULL;
  if (got >= 0)
    close (got);

  close (sp[0]);
  ok (mr_recv_fd (sp[1], &got, &err) < 0 && err != NULL,
      "recv_fd when the peer closed: an error (%s)", err ? err->msg : "none");
  mr_error_free (err);
  close (sp[1]);
  close (master);
  close (slave);
}

static void
test_console_socket (void)
{
  cleanup_free char *dir = mr_xasprintf (
      "%s/a-directory-name-long-enough-to-push-the-socket-path/beyond-the-108-bytes-of-sun_path",
      tmp);
  cleanup_free char *sock = mr_xasprintf ("%s/console.sock", dir);
  cleanup_free char *missing = mr_xasprintf ("%s/nosuch.sock", tmp);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  mr_error *err = NULL;
  int lfd, cfd, afd = -1, master, slave = -1, got = -1;
  char cwd[4096];

  mr_mkdir_p (dir, 0755, NULL);
  lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  strcpy (addr.sun_path, "console.sock");
  if (lfd < 0 || getcwd (cwd, sizeof (cwd)) == NULL || chdir (dir) < 0
      || bind (lfd, (struct sockaddr *)&addr, sizeof (addr)) < 0 || chdir (cwd) < 0
      || listen (lfd, 1) < 0)
    {
      printf ("Bail out! cannot listen on %s: %s\n", sock, strerror (errno));
      exit (1);
    }

  ok (strlen (sock) >= sizeof (addr.sun_path), "the socket path is %zu bytes", strlen (sock));
  cfd = mr_console_socket_open (sock, &err);
  ok (cfd >= 0, "console_socket_open connects to a path longer than sun_path%s%s", err ? ": " : "",
      err ? err->msg : "");
  ok (cfd >= 0 && cloexec_of (cfd) == 1, "the console socket is close-on-exec");
  if (cfd >= 0)
    afd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  master = open_pty (&slave);
  ok (afd >= 0 && master >= 0 && mr_send_fd (cfd, master, &err) == 0
          && mr_recv_fd (afd, &got, &err) == 0,
      "a pty master goes through the console socket");
  mr_error_free (err);
  err = NULL;

  ok (mr_console_socket_open (missing, &err) < 0 && err != NULL && strstr (err->msg, missing),
      "a missing console socket: the error names it (%s)", err ? err->msg : "none");
  mr_error_free (err);

  if (got >= 0)
    close (got);
  if (afd >= 0)
    close (afd);
  if (cfd >= 0)
    close (cfd);
  close (lfd);
  close (master);
  close (slave);
}

/* The pty of the container's init, in a forked child. */

static void
child_terminal (int sock, int close_stdio)
{
  cleanup_error mr_error *err = NULL;
  struct winsize ws = { 0 };
  int master = -1;

  if (close_stdio)
    {
      close (STDIN_FILENO);
      close (STDOUT_FILENO);
      close (STDERR_FILENO);
    }

  if (mr_terminal_setup_child (30, 100, &master, &err) < 0)
    {
      dprintf (sock, "error: %s", err->msg);
      _exit (1);
    }
  if (mr_send_fd (sock, master, &err) < 0)
    _exit (1);
  close (master);
  ioctl (STDIN_FILENO, TIOCGWINSZ, &ws);
  printf ("tty: %d %d %d\n", isatty (0), isatty (1), isatty (2));
  printf ("size: %u %u\n", ws.ws_row, ws.ws_col);
  printf ("foreground: %s\n", tcgetpgrp (0) == getsid (0) ? "session" : "other");
  fflush (stdout);
  _exit (0);
}

static void
test_terminal_setup (int close_stdio)
{
  cleanup_free char *out = mr_xzalloc (4096);
  mr_error *err = NULL;
  int sp[2], master = -1, status = 0;
  size_t len = 0;
  pid_t pid;
  ssize_t n;

  if (access ("/dev/ptmx", R_OK | W_OK) < 0)
    {
      printf ("ok %d # SKIP no /dev/ptmx\n", ++tap_n);
      return;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    abort ();
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      close (sp[0]);
      child_terminal (sp[1], close_stdio);
    }
  close (sp[1]);
  ok (mr_recv_fd (sp[0], &master, &err) == 0, "%ssetup_child hands over the pty master%s%s",
      close_stdio ? "stdio closed: " : "", err ? ": " : "", err ? err->msg : "");
  mr_error_free (err);
  close (sp[0]);
  /* Read until the child's side of the terminal is gone (EIO). */
  while (master >= 0 && len < 4095 && (n = read (master, out + len, 4095 - len)) > 0)
    len += (size_t)n;
  waitpid (pid, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%sthe child set up its terminal",
      close_stdio ? "stdio closed: " : "");
  is_str (field (out, "tty"), "1 1 1\r", "%sstdin, stdout and stderr are the pty",
          close_stdio ? "stdio closed: " : "");
  is_str (field (out, "size"), "30 100\r", "%sthe pty has the size asked for",
          close_stdio ? "stdio closed: " : "");
  is_str (field (out, "foreground"), "session\r",
          "%sthe pty is the controlling terminal of a new session",
          close_stdio ? "stdio closed: " : "");
  if (master >= 0)
    close (master);
}

/* The foreground bridge between our stdio and a pty master. */

static void
test_bridge (void)
{
  int in[2], out[2], master, slave = -1, status = 0;
  char buf[256] = "";
  size_t len = 0;
  ssize_t n;
  pid_t pid;

  master = open_pty (&slave);
  if (master < 0 || pipe2 (in, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0)
    abort ();
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      mr_error *err = NULL;

      dup2 (in[0], STDIN_FILENO);
      dup2 (out[1], STDOUT_FILENO);
      close (slave);
      _exit (mr_terminal_bridge (master, -1, 0, &err) == 0 ? 0 : 1);
    }
  close (in[0]);
  close (out[1]);
  close (master);

  if (write (in[1], "abc\n", 4) != 4)
    abort ();
  close (in[1]);
  n = read (slave, buf, sizeof (buf) - 1);
  ok (n == 4 && memcmp (buf, "abc\n", 4) == 0, "our stdin reaches the container's terminal");
  if (write (slave, "output-from-container", 21) != 21)
    abort ();
  close (slave);

  memset (buf, 0, sizeof (buf));
  while (len < sizeof (buf) - 1 && (n = read (out[0], buf + len, sizeof (buf) - 1 - len)) > 0)
    len += (size_t)n;
  close (out[0]);
  waitpid (pid, &status, 0);
  ok (strstr (buf, "output-from-container") != NULL,
      "what the container writes reaches our stdout");
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "the bridge returns 0 when the container's side hangs up");
}

static void
test_setenv (void)
{
  struct mr_process p = { 0 };
  char **env = mr_xzalloc (3 * sizeof (char *));

  env[0] = mr_xstrdup ("A=1");
  env[1] = mr_xstrdup ("LISTEN_FDSX=9");
  p.env = env;
  mr_process_setenv (&p, "LISTEN_FDS", "2");
  mr_process_setenv (&p, "A", "3");
  is_str (p.env[0], "A=3", "setenv replaces a variable of that name");
  is_str (p.env[1], "LISTEN_FDSX=9", "and leaves one whose name only starts with it");
  is_str (p.env[2], "LISTEN_FDS=2", "a new variable is appended");
  ok (p.env[3] == NULL, "the environment stays NULL-terminated");
  mr_process_clear (&p);

  memset (&p, 0, sizeof (p));
  mr_process_setenv (&p, "X", "");
  is_str (p.env ? p.env[0] : NULL, "X=", "setenv on an empty environment");
  mr_process_clear (&p);
}

static void
test_listen_fds (void)
{
  char pid[16];

  snprintf (pid, sizeof (pid), "%d", (int)getpid ());
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_PID");
  ok (mr_listen_fds () == 0, "no LISTEN_FDS: no fd");
  setenv ("LISTEN_FDS", "3", 1);
  ok (mr_listen_fds () == 0, "LISTEN_FDS without LISTEN_PID: no fd");
  setenv ("LISTEN_PID", "1", 1);
  ok (mr_listen_fds () == 0, "LISTEN_PID of another process: no fd");
  setenv ("LISTEN_PID", pid, 1);
  ok (mr_listen_fds () == 3, "LISTEN_PID ours: LISTEN_FDS fds");
  setenv ("LISTEN_FDS", "3x", 1);
  ok (mr_listen_fds () == 0, "LISTEN_FDS not a number: no fd");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_PID");
}

/* In a child: fds 3 and 5 open, 4 closed, a runtime fd opened into the
 * gap and moved; after mr_fd_pass_apply, 3 and 5 survive exec-like
 * checks (not close-on-exec), 4 is closed, the runtime's fd is CLOEXEC. */
static void
test_fd_pass (void)
{
  pid_t pid = fork ();
  int status = 0;

  if (pid == 0)
    {
      struct mr_fd_pass fp;
      int ours, moved, bad = 0;

      for (int fd = 3; fd < 64; fd++)
        close (fd);
      if (open ("/dev/null", O_RDONLY) != 3 || dup2 (3, 5) != 5)
        _exit (10);
      mr_fd_pass_note (&fp, 3);
      ours = open ("/dev/null", O_RDONLY | O_CLOEXEC); /* lands on 4 */
      moved = mr_fd_pass_above (&fp, ours);
      if (ours != 4 || moved < 6 || fcntl (4, F_GETFD) >= 0)
        bad |= 1;
      ours = open ("/dev/null", O_RDONLY | O_CLOEXEC); /* 4 again: a gap fd */
      if (mr_fd_pass_apply (&fp) < 0)
        bad |= 2;
      if (fcntl (3, F_GETFD) != 0 || fcntl (5, F_GETFD) != 0)
        bad |= 4;
      if (fcntl (4, F_GETFD) >= 0)
        bad |= 8;
      if (!(fcntl (moved, F_GETFD) & FD_CLOEXEC))
        bad |= 16;
      mr_fd_pass_free (&fp);
      _exit (bad);
    }
  waitpid (pid, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "fd hand-over: the caller's fds pass, a gap stays a gap, ours are close-on-exec (%d)",
      WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

static void
test_exit_code (void)
{
  ok (mr_exit_code_of (7 << 8) == 7, "an exit status of 7 is 7");
  ok (mr_exit_code_of (SIGTERM) == 128 + SIGTERM, "killed by SIGTERM is 143");
}

int
main (void)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (mkdtemp (tmp) == NULL)
    {
      printf ("Bail out! mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  chmod (tmp, 0755);

  test_find_executable ();
  test_close_fds ();
  test_credentials ();
  test_prepare ();
  test_keyring_user_and_userns ();
  test_send_recv ();
  test_console_socket ();
  test_terminal_setup (0);
  test_terminal_setup (1);
  test_bridge ();
  test_setenv ();
  test_listen_fds ();
  test_fd_pass ();
  test_exit_code ();

  mr_rm_rf (tmp, NULL);
  return tap_done ();
}
