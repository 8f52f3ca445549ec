/* Unit tests of the hooks runner: small shell-script hooks in a temporary
 * directory check what a hook receives (stdin, argv, env, fds) and how its
 * failures are reported. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "json.h"
#include "tap.h"

static char dir[] = "/tmp/modrun-test-hooks.XXXXXX";
static int forks;

static void
count_fork (void)
{
  forks++;
}

/* Writes DIR/NAME as an executable shell script with BODY; returns its path. */
static char *
script (const char *name, const char *body)
{
  char *path = mr_xasprintf ("%s/%s", dir, name);
  cleanup_free char *text = mr_xasprintf ("#!/bin/sh\n%s\n", body);
  cleanup_error mr_error *err = NULL;

  if (mr_write_file (path, text, strlen (text), 0755, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
  return path;
}

/* Runs the hooks of KIND in HOOKS_TEXT (a JSON object); *MSG gets the error
 * message or NULL. */
static int
run (const char *hooks_text, const char *kind, const char *state, char **msg)
{
  cleanup_json modrun_json *hooks = NULL;
  cleanup_error mr_error *err = NULL;
  int ret;

  *msg = NULL;
  if (hooks_text != NULL
      && mr_json_parse (hooks_text, strlen (hooks_text), "hooks", &hooks, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
  ret = mr_hooks_run (hooks, kind, state, &err);
  if (err != NULL)
    *msg = mr_xstrdup (err->msg);
  return ret;
}

static char *
slurp (const char *name, size_t *len)
{
  cleanup_free char *path = mr_xasprintf ("%s/%s", dir, name);
  cleanup_error mr_error *err = NULL;
  char *data = NULL;
  size_t n = 0;

  if (mr_read_file (path, &data, &n, &err) < 0)
    return NULL;
  if (len != NULL)
    *len = n;
  return data;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_no_hooks (void)
{
  cleanup_free char *p = script ("never", "exit 1");
  cleanup_free char *list = mr_xasprintf ("{\"poststop\": [{\"path\": \"%s\"}]}", p);
  char *msg = NULL;
  int before = forks;

  ok (run (NULL, "prestart", NULL, &msg) == 0 && msg == NULL, "no hooks object: returns 0");
  ok (run ("{}", "createRuntime", "{}", &msg) == 0 && msg == NULL, "empty hooks object: 0");
  ok (run ("{\"poststart\": []}", "poststart", "{}", &msg) == 0 && msg == NULL,
      "empty list of the kind: 0");
  ok (run (list, "prestart", "{}", &msg) == 0 && msg == NULL,
      "hooks of another kind only: 0");
  ok (forks == before, "no hooks: nothing forked (%d forks)", forks - before);
  ok (!mr_hooks_have (NULL, "poststop"), "mr_hooks_have: none without a hooks object");
  free (msg);
}

static void
test_stdin (void)
{
  const char *state = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\"}";
  cleanup_free char *body = mr_xasprintf ("cat > %s/stdin.out", dir);
  cleanup_free char *p = script ("stdin", body);
  cleanup_free char *list = mr_xasprintf ("{\"createRuntime\": [{\"path\": \"%s\"}]}", p);
  cleanup_free char *got = NULL;
  cleanup_free char *msg = NULL;

  ok (run (list, "createRuntime", state, &msg) == 0, "a hook reading its stdin exits 0");
  got = slurp ("stdin.out", NULL);
  is_str (got, state, "the hook read the state JSON on its stdin");
}

static void
test_argv (void)
{
  cleanup_free char *cmd = mr_xasprintf ("cp /proc/$$/cmdline %s/argv.out; true", dir);
  cleanup_free char *qcmd = mr_json_quote (cmd);
  cleanup_free char *list
      = mr_xasprintf ("{\"prestart\": [{\"path\": \"/bin/sh\", \"args\": [\"custom-zero\", "
                      "\"-c\", %s, \"x y\"]}]}",
                      qcmd);
  cleanup_free char *want = mr_xasprintf ("custom-zero%c-c%c%s%cx y", 0, 0, cmd, 0);
  size_t want_len = strlen ("custom-zero") + 1 + 3 + strlen (cmd) + 1 + strlen ("x y") + 1;
  cleanup_free char *got = NULL;
  cleanup_free char *msg = NULL;
  size_t len = 0;

  ok (run (list, "prestart", "{}", &msg) == 0, "hook with args exits 0");
  got = slurp ("argv.out", &len);
  ok (got != NULL && len == want_len && memcmp (got, want, len) == 0,
      "argv is exactly args, args[0] differing from path");
}

static void
test_no_args (void)
{
  cleanup_free char *state = mr_xasprintf ("cp /proc/$$/cmdline %s/noargs.out; exit 0\n", dir);
  const char *list = "{\"prestart\": [{\"path\": \"/bin/sh\"}]}";
  cleanup_free char *got = NULL;
  cleanup_free char *msg = NULL;
  size_t len = 0;

  ok (run (list, "prestart", state, &msg) == 0, "hook without args exits 0");
  got = slurp ("noargs.out", &len);
  ok (got != NULL && len == sizeof ("/bin/sh") && memcmp (got, "/bin/sh", len) == 0,
      "without args, argv is just [path]");
}

/* Runs LIST with stdout in DIR/NAME and returns what the hook printed. */
static char *
run_capture (const char *list, const char *kind, const char *name, int *ret)
{
  cleanup_free char *path = mr_xasprintf ("%s/%s", dir, name);
  cleanup_free char *msg = NULL;
  int saved;
  int fd;

  fflush (stdout);
  saved = fcntl (1, F_DUPFD_CLOEXEC, 3);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (saved < 0 || fd < 0 || dup2 (fd, 1) < 0)
    {
      printf ("Bail out! cannot redirect stdout to %s\n", path);
      exit (1);
    }
  close (fd);
  *ret = run (list, kind, "{}", &msg);
  dup2 (saved, 1);
  close (saved);
  return slurp (name, NULL);
}

static void
test_env (void)
{
  const char *with = "{\"poststart\": [{\"path\": \"/usr/bin/env\", \"args\": [\"env\"], "
                     "\"env\": [\"A=1\", \"B=two words\"]}]}";
  const char *without = "{\"poststart\": [{\"path\": \"/usr/bin/env\"}]}";
  cleanup_free char *got = NULL;
  cleanup_free char *none = NULL;
  int ret = -1;
  int ret2 = -1;

  setenv ("MODRUN_TEST_HOOKS_LEAK", "1", 1);
  got = run_capture (with, "poststart", "env.out", &ret);
  ok (ret == 0, "env hook exits 0");
  is_str (got, "A=1\nB=two words\n", "the environment is exactly the hook's env");
  none = run_capture (without, "poststart", "noenv.out", &ret2);
  ok (ret2 == 0, "hook without env exits 0");
  is_str (none, "", "without env, the environment is empty");
  unsetenv ("MODRUN_TEST_HOOKS_LEAK");
}

static void
test_order_and_failure (void)
{
  cleanup_free char *b1 = mr_xasprintf ("echo 1 >> %s/order.out", dir);
  cleanup_free char *b2 = mr_xasprintf ("echo 2 >> %s/order.out", dir);
  cleanup_free char *b3 = mr_xasprintf ("echo 3 >> %s/order.out; exit 3", dir);
  cleanup_free char *p1 = script ("one", b1);
  cleanup_free char *p2 = script ("two", b2);
  cleanup_free char *p3 = script ("three", b3);
  cleanup_free char *ordered = mr_xasprintf (
      "{\"createContainer\": [{\"path\": \"%s\"}, {\"path\": \"%s\"}, {\"path\": \"%s\"}]}", p2,
      p1, p2);
  cleanup_free char *failing = mr_xasprintf (
      "{\"createRuntime\": [{\"path\": \"%s\"}, {\"path\": \"%s\"}, {\"path\": \"%s\"}]}", p1,
      p3, p2);
  cleanup_free char *want = mr_xasprintf ("hook createRuntime[1] (%s): exited with status 3", p3);
  cleanup_free char *path = mr_xasprintf ("%s/order.out", dir);
  cleanup_free char *got = NULL;
  cleanup_free char *got2 = NULL;
  cleanup_free char *msg = NULL;
  char *msg2 = NULL;
  int ret;

  ok (run (ordered, "createContainer", "{}", &msg) == 0, "three hooks exit 0");
  got = slurp ("order.out", NULL);
  is_str (got, "2\n1\n2\n", "hooks run in the order listed");

  unlink (path);
  ret = run (failing, "createRuntime", "{}", &msg2);
  ok (ret < 0, "a hook exiting 3 fails the run (%d)", ret);
  is_str (msg2, want, "the error names the kind, index, path and status");
  got2 = slurp ("order.out", NULL);
  is_str (got2, "1\n3\n", "the hooks after a failing one do not run");
  free (msg2);
}

static int
process_gone (pid_t pid)
{
  int i;

  for (i = 0; i < 200; i++)
    {
      if (kill (pid, 0) < 0 && errno == ESRCH)
        return 1;
      usleep (10000);
    }
  return 0;
}

static void
test_timeout (void)
{
  cleanup_free char *body = mr_xasprintf ("sleep 100 &\necho $! > %s/sleep.pid\nwait", dir);
  cleanup_free char *p = script ("slow", body);
  cleanup_free char *list
      = mr_xasprintf ("{\"poststart\": [{\"path\": \"%s\", \"timeout\": 1}]}", p);
  cleanup_free char *want = mr_xasprintf ("hook poststart[0] (%s): timed out after 1 s", p);
  cleanup_free char *pidtext = NULL;
  char *msg = NULL;
  double t0 = now ();
  double elapsed;
  int ret;

  ret = run (list, "poststart", "{}", &msg);
  elapsed = now () - t0;
  ok (ret == -ETIMEDOUT, "a hook running past its timeout fails with -ETIMEDOUT (%d)", ret);
  ok (elapsed >= 0.95 && elapsed < 2.0, "it is killed within a second of the timeout (%.2f s)",
      elapsed);
  is_str (msg, want, "the error says it timed out");
  pidtext = slurp ("sleep.pid", NULL);
  ok (pidtext != NULL && atoi (pidtext) > 0 && process_gone (atoi (pidtext)),
      "the process the hook started is killed too");
  free (msg);
}

static void
test_signal_and_exec (void)
{
  cleanup_free char *p = script ("suicide", "kill -9 $$");
  cleanup_free char *noexec = script ("noexec", "exit 0");
  cleanup_free char *l1 = mr_xasprintf ("{\"poststop\": [{\"path\": \"%s\"}]}", p);
  cleanup_free char *l2 = mr_xasprintf ("{\"poststop\": [{\"path\": \"%s\"}]}", noexec);
  cleanup_free char *w1 = mr_xasprintf ("hook poststop[0] (%s): killed by signal 9", p);
  cleanup_free char *w2 = mr_xasprintf ("hook poststop[0] (%s): cannot execute: Permission denied",
                                        noexec);
  const char *missing
      = "hook poststop[0] (/nonexistent/modrun-hook): cannot execute: No such file or directory";
  char *msg = NULL;
  int ret;

  ret = run (l1, "poststop", "{}", &msg);
  ok (ret < 0, "a hook killed by a signal fails the run");
  is_str (msg, w1, "the error names the signal");
  free (msg);

  ret = run ("{\"poststop\": [{\"path\": \"/nonexistent/modrun-hook\"}]}", "poststop", "{}", &msg);
  ok (ret == -ENOENT, "a missing hook fails with -ENOENT (%d)", ret);
  is_str (msg, missing, "the error names the missing path");
  free (msg);

  chmod (noexec, 0644);
  ret = run (l2, "poststop", "{}", &msg);
  ok (ret == -EACCES, "a hook that is not executable fails with -EACCES (%d)", ret);
  is_str (msg, w2, "the error says it cannot be executed");
  free (msg);

  ret = run ("{\"prestart\": [{\"path\": \"relative\"}]}", "prestart", "{}", &msg);
  ok (ret < 0, "a relative path is refused");
  is_str (msg, "hooks.prestart[0].path: expected an absolute path, got string",
          "the error names the field");
  free (msg);
}

static void
test_fds (void)
{
  cleanup_free char *body = mr_xasprintf (
      "r=\nfor n in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && r=\"$r $n\"; done\n"
      "echo \"fds:$r\" > %s/fds.out",
      dir);
  cleanup_free char *p = script ("fds", body);
  cleanup_free char *list = mr_xasprintf ("{\"startContainer\": [{\"path\": \"%s\"}]}", p);
  cleanup_free char *got = NULL;
  cleanup_free char *msg = NULL;
  int fd = open ("/dev/null", O_RDONLY);

  dup2 (fd, 5);
  dup2 (fd, 7);
  ok (run (list, "startContainer", "{}", &msg) == 0, "fd-listing hook exits 0");
  got = slurp ("fds.out", NULL);
  is_str (got, "fds:\n", "no fd of the runtime above 2 reaches the hook, close-on-exec or not");
  close (5);
  close (7);
  close (fd);
}

static void
test_unread_stdin (void)
{
  size_t big = 1 << 20;
  char *state = mr_xmalloc (big + 1);
  const char *list = "{\"poststop\": [{\"path\": \"/bin/true\"}, {\"path\": \"/bin/true\"}]}";
  char *msg = NULL;
  sigset_t pending;
  double t0 = now ();
  int ret;

  memset (state, ' ', big);
  state[big] = '\0';
  ret = run (list, "poststop", state, &msg);
  ok (ret == 0 && msg == NULL, "hooks not reading 1 MiB of state exit 0, no SIGPIPE");
  ok (now () - t0 < 2.0, "and the runtime does not wait for them to read");
  sigpending (&pending);
  ok (!sigismember (&pending, SIGPIPE), "no SIGPIPE left pending");
  free (state);
  free (msg);
}

static void
test_sigchld_ignored (void)
{
  cleanup_free char *p = script ("exit4", "exit 4");
  cleanup_free char *list = mr_xasprintf ("{\"poststop\": [{\"path\": \"%s\"}]}", p);
  cleanup_free char *want = mr_xasprintf ("hook poststop[0] (%s): exited with status 4", p);
  struct sigaction sa;
  char *msg = NULL;

  signal (SIGCHLD, SIG_IGN);
  run (list, "poststop", "{}", &msg);
  is_str (msg, want, "with SIGCHLD ignored, the status is still seen");
  sigaction (SIGCHLD, NULL, &sa);
  ok (sa.sa_handler == SIG_IGN, "and SIGCHLD is ignored again afterwards");
  signal (SIGCHLD, SIG_DFL);
  free (msg);
}

static void
test_warn_only (void)
{
  cleanup_free char *b = mr_xasprintf ("echo ran >> %s/warn.out", dir);
  cleanup_free char *p1 = script ("exit2", "exit 2");
  cleanup_free char *p2 = script ("warn", b);
  cleanup_free char *list = mr_xasprintf (
      "{\"poststop\": [{\"path\": \"%s\"}, {\"path\": \"%s\"}, "
      "{\"path\": \"/nonexistent/modrun-hook\"}]}",
      p1, p2);
  cleanup_json modrun_json *hooks = NULL;
  cleanup_error mr_error *err = NULL;
  cleanup_free char *errpath = mr_xasprintf ("%s/warn.err", dir);
  cleanup_free char *ran = NULL;
  cleanup_free char *logged = NULL;
  cleanup_free char *w1 = mr_xasprintf ("hook poststop[0] (%s): exited with status 2", p1);
  const char *w2 = "hook poststop[2] (/nonexistent/modrun-hook): cannot execute";
  int saved = fcntl (2, F_DUPFD_CLOEXEC, 3);
  int fd = open (errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int ret;

  mr_json_parse (list, strlen (list), "hooks", &hooks, &err);
  dup2 (fd, 2);
  close (fd);
  ret = mr_hooks_run_warn (hooks, "poststop", "{}");
  dup2 (saved, 2);
  close (saved);
  ok (ret == 2, "warn-only: two of three hooks failed (%d)", ret);
  ran = slurp ("warn.out", NULL);
  is_str (ran, "ran\n", "warn-only: the hook after a failing one still runs");
  logged = slurp ("warn.err", NULL);
  ok (logged != NULL && strstr (logged, w1) != NULL && strstr (logged, w2) != NULL,
      "warn-only: each failure is logged as a warning");
}

int
main (void)
{
  cleanup_error mr_error *err = NULL;

  if (mkdtemp (dir) == NULL)
    {
      printf ("Bail out! mkdtemp %s: %s\n", dir, strerror (errno));
      return 1;
    }
  pthread_atfork (NULL, count_fork, NULL);

  test_no_hooks ();
  test_stdin ();
  test_argv ();
  test_no_args ();
  test_env ();
  test_order_and_failure ();
  test_timeout ();
  test_signal_and_exec ();
  test_fds ();
  test_unread_stdin ();
  test_sigchld_ignored ();
  test_warn_only ();

  mr_rm_rf (dir, &err);
  return tap_done ();
}
