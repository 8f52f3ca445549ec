/* Unit tests of the state directory: ids, state.json, status detection,
 * the exec fifo handshake, the state document and signal names. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <modrun/plugin.h>

#include "json.h"
#include "lifecycle.h"
#include "state.h"
#include "tap.h"

static char root[] = "/tmp/modrun-test-state.XXXXXX";

static int
check_id (const char *id)
{
  cleanup_error mr_error *err = NULL;

  return mr_state_check_id (id, &err);
}

static void
test_ids (void)
{
  char long_id[1026];

  ok (check_id ("abc") == 0, "plain id is valid");
  ok (check_id ("a.b_c+d-E9") == 0, "id with . _ + - and digits is valid");
  ok (check_id ("") < 0, "empty id is refused");
  ok (check_id (".") < 0, "\".\" is refused");
  ok (check_id ("..") < 0, "\"..\" is refused");
  ok (check_id ("a/b") < 0, "id with a slash is refused");
  ok (check_id ("a b") < 0, "id with a space is refused");
  ok (check_id ("caf\xc3\xa9") < 0, "id with non-ASCII bytes is refused");
  memset (long_id, 'x', 1024);
  long_id[1024] = '\0';
  ok (check_id (long_id) == 0, "id of 1024 characters is valid");
  long_id[1024] = 'x';
  long_id[1025] = '\0';
  ok (check_id (long_id) < 0, "id of 1025 characters is refused");
}

static modrun_json *
make_annotations (void)
{
  modrun_json *a = mr_json_new (MODRUN_JSON_OBJECT);

  mr_json_add_string (a, "org.example.key", "value");
  return a;
}

static void
fill_state (struct mr_state *st, const char *id, pid_t pid, unsigned long long start)
{
  memset (st, 0, sizeof (*st));
  st->id = (char *)id;
  st->pid = pid;
  st->start_time = start;
  st->bundle = (char *)"/bundles/b1";
  st->rootfs = (char *)"/bundles/b1/rootfs";
  st->created = (char *)"2026-12-04T13:40:00.123456789Z";
  st->owner = (char *)"";
  st->plugins = (char *)"namespaces,cgroups-v1,mounts";
  st->oci_version = (char *)"1.3.0";
  st->options = MODRUN_OPT_NO_PIVOT | MODRUN_OPT_SYSTEMD_CGROUP;
}

/* Creates ROOT/ID and saves a state for PID there; returns the dir. */
static char *
make_container (const char *id, pid_t pid, unsigned long long start)
{
  cleanup_error mr_error *err = NULL;
  struct mr_state st;
  char *dir = NULL;

  fill_state (&st, id, pid, start);
  if (mr_state_create_dir (root, id, &dir, &err) < 0 || mr_state_save (dir, &st, &err) < 0)
    {
      printf ("# make_container %s: %s\n", id, err ? err->msg : "?");
      free (dir);
      return NULL;
    }
  return dir;
}

static void
test_round_trip (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *dir2 = NULL;
  struct mr_state st, *back = NULL;
  const modrun_json *v;
  struct stat sb;
  int ret;

  fill_state (&st, "rt1", 4242, 987654321ULL);
  st.annotations = make_annotations ();
  ret = mr_state_create_dir (root, "rt1", &dir, &err);
  ok (ret == 0 && dir != NULL, "create the state directory");
  ok (dir && stat (dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "state directory is 0700");
  ret = mr_state_create_dir (root, "rt1", &dir2, &err);
  ok (ret == -EEXIST && err && strstr (err->msg, "container with given ID already exists"),
      "a second create of the same id fails");
  mr_error_free (err);
  err = NULL;

  ret = mr_state_save (dir, &st, &err);
  ok (ret == 0, "save state.json");
  mr_json_free (st.annotations);
  ret = mr_state_load (root, "rt1", &back, &err);
  ok (ret == 0 && back != NULL, "load state.json");
  if (back == NULL)
    return;
  is_str (back->id, "rt1", "id survives");
  ok (back->pid == 4242, "pid survives");
  ok (back->start_time == 987654321ULL, "start time survives");
  is_str (back->bundle, "/bundles/b1", "bundle survives");
  is_str (back->rootfs, "/bundles/b1/rootfs", "rootfs survives");
  is_str (back->created, "2026-12-04T13:40:00.123456789Z", "created survives");
  is_str (back->owner, "", "owner survives");
  is_str (back->plugins, "namespaces,cgroups-v1,mounts", "plugins survive");
  is_str (back->oci_version, "1.3.0", "ociVersion survives");
  ok (back->options == (MODRUN_OPT_NO_PIVOT | MODRUN_OPT_SYSTEMD_CGROUP), "options survive");
  v = modrun_json_get (back->annotations, "org.example.key");
  ok (v && v->type == MODRUN_JSON_STRING && strcmp (v->string, "value") == 0,
      "annotations survive");
  mr_state_free (back);
  back = NULL;

  ret = mr_state_load (root, "absent", &back, &err);
  ok (ret == -ENOENT && err && strstr (err->msg, "container does not exist")
          && strstr (err->msg, "absent"),
      "loading a missing container says it does not exist, naming it");
  mr_error_free (err);
  err = NULL;
  ret = mr_state_load (root, "../etc", &back, &err);
  ok (ret < 0 && back == NULL, "loading an invalid id fails");
}

static void
test_lock (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *dir = make_container ("lk1", 1, 0);
  int fd, fd2;

  fd = mr_state_lock (dir, &err);
  ok (fd >= 0 && (fcntl (fd, F_GETFD) & FD_CLOEXEC), "lock returns a close-on-exec fd");
  fd2 = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ok (fd2 >= 0 && flock (fd2, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
      "the lock is exclusive");
  if (fd2 >= 0)
    close (fd2);
  if (fd >= 0)
    close (fd);
}

static pid_t
spawn_sleeper (void)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      for (;;)
        pause ();
    }
  return pid;
}

static enum mr_status
status_of (const char *dir, pid_t pid, unsigned long long start)
{
  struct mr_state st;

  fill_state (&st, "x", pid, start);
  return mr_state_status (dir, &st);
}

static void
test_status (void)
{
  cleanup_free char *dir = make_container ("st1", 1, 0);
  cleanup_free char *fifo = NULL;
  cleanup_free char *paused = NULL;
  unsigned long long start;
  pid_t child;

  child = spawn_sleeper ();
  start = mr_proc_start_time (child, NULL);
  ok (start != 0, "start time of a live child is known");
  ok (status_of (dir, child, start) == MR_STATUS_RUNNING, "live child without fifo: running");

  fifo = mr_xasprintf ("%s/exec.fifo", dir);
  ok (mkfifo (fifo, 0600) == 0, "make exec.fifo");
  ok (status_of (dir, child, start) == MR_STATUS_CREATED, "live child with fifo: created");
  unlink (fifo);
  paused = mr_xasprintf ("%s/paused", dir);
  ok (mr_write_file (paused, "", 0, 0600, NULL) == 0
          && status_of (dir, child, start) == MR_STATUS_PAUSED,
      "live child with the pause mark: paused");
  mkfifo (fifo, 0600);
  ok (status_of (dir, child, start) == MR_STATUS_PAUSED,
      "live child with the pause mark and the fifo (a paused created container): paused");
  unlink (paused);
  ok (status_of (dir, child, start) == MR_STATUS_CREATED,
      "live child with the fifo once the pause mark is gone: created again");
  ok (status_of (dir, child, start + 1) == MR_STATUS_STOPPED,
      "start time mismatch (reused pid): stopped");
  ok (status_of (dir, 0, 0) == MR_STATUS_STOPPED, "pid 0: stopped");

  kill (child, SIGKILL);
  /* Not reaped yet: a zombie counts as stopped. */
  while (1)
    {
      int zombie = 0;

      mr_proc_start_time (child, &zombie);
      if (zombie)
        break;
      usleep (1000);
    }
  ok (status_of (dir, child, start) == MR_STATUS_STOPPED, "zombie child: stopped");
  waitpid (child, NULL, 0);
  ok (status_of (dir, child, start) == MR_STATUS_STOPPED, "reaped child: stopped");
  unlink (fifo);

  is_str (mr_status_name (MR_STATUS_CREATED), "created", "status name created");
  is_str (mr_status_name (MR_STATUS_RUNNING), "running", "status name running");
  is_str (mr_status_name (MR_STATUS_STOPPED), "stopped", "status name stopped");
  is_str (mr_status_name (MR_STATUS_PAUSED), "paused", "status name paused");
}

/* A child playing the init's part: it opens the fifo for writing (which
 * blocks until start opens it) and, per MODE, writes the byte or not. */
static pid_t
spawn_fifo_writer (const char *fifo, int mode)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      int fd;

      if (mode == 2)
        _exit (3);
      fd = open (fifo, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        _exit (1);
      if (mode == 0 && write (fd, "0", 1) != 1)
        _exit (2);
      close (fd);
      if (mode == 0)
        for (;;)
          pause ();
      _exit (0);
    }
  return pid;
}

static int
release_with_writer (const char *id, int mode, mr_error **err, int *fifo_left)
{
  cleanup_free char *dir = make_container (id, 1, 0);
  cleanup_free char *fifo = mr_xasprintf ("%s/exec.fifo", dir);
  struct mr_state st;
  pid_t child;
  int ret;

  mkfifo (fifo, 0622);
  child = spawn_fifo_writer (fifo, mode);
  if (mode == 2)
    usleep (50000);
  fill_state (&st, id, child, mr_proc_start_time (child, NULL));
  ret = mr_state_release_fifo (dir, &st, err);
  *fifo_left = access (fifo, F_OK) == 0;
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  return ret;
}

static void
test_release_fifo (void)
{
  cleanup_error mr_error *err = NULL;
  int left = 0, ret;

  ret = release_with_writer ("ff1", 0, &err, &left);
  ok (ret == 0, "release_fifo reads the init's byte%s%s", err ? ": " : "", err ? err->msg : "");
  ok (!left, "release_fifo removes the fifo");
  mr_error_free (err);
  err = NULL;

  ret = release_with_writer ("ff2", 1, &err, &left);
  ok (ret < 0 && err != NULL, "an init that closes the fifo without writing is an error");
  if (err)
    printf ("# %s\n", err->msg);
  mr_error_free (err);
  err = NULL;

  ret = release_with_writer ("ff3", 2, &err, &left);
  ok (ret < 0 && err != NULL, "a dead init ends the wait with an error");
  ok (left, "the fifo stays when the init is dead");
  if (err)
    printf ("# %s\n", err->msg);
}

/* A dying init noticed through the pidfd while start waits on the fifo. */
static void
test_release_fifo_init_dies (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *dir = make_container ("ff4", 1, 0);
  cleanup_free char *fifo = mr_xasprintf ("%s/exec.fifo", dir);
  struct mr_state st;
  pid_t child;
  int ret;

  mkfifo (fifo, 0622);
  child = fork ();
  if (child == 0)
    {
      usleep (100000);
      _exit (0);
    }
  fill_state (&st, "ff4", child, mr_proc_start_time (child, NULL));
  ret = mr_state_release_fifo (dir, &st, &err);
  ok (ret < 0 && err && strstr (err->msg, "ff4"),
      "an init exiting while start waits ends the wait, naming the container");
  if (err)
    printf ("# %s\n", err->msg);
  waitpid (child, NULL, 0);
}

static void
test_state_json (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *text2 = NULL;
  modrun_json *j;
  struct mr_state st;
  size_t len = 0;
  static const char *const keys[]
      = { "ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner" };
  size_t i;
  int order_ok;

  fill_state (&st, "js1", 77, 1);
  j = mr_state_to_json (&st, MR_STATUS_RUNNING);
  order_ok = j->count == 8;
  for (i = 0; order_ok && i < 8; i++)
    order_ok = strcmp (j->keys[i], keys[i]) == 0;
  ok (order_ok, "state document keys in runc's order, annotations omitted when absent");
  ok (modrun_json_get (j, "pid")->integer == 77, "pid of a running container");
  is_str (modrun_json_get (j, "status")->string, "running", "status member");
  mr_json_serialize (j, 0, &text, &len, &err);
  is_str (text,
          "{\"ociVersion\":\"1.3.0\",\"id\":\"js1\",\"pid\":77,\"status\":\"running\","
          "\"bundle\":\"/bundles/b1\",\"rootfs\":\"/bundles/b1/rootfs\","
          "\"created\":\"2026-12-04T13:40:00.123456789Z\",\"owner\":\"\"}",
          "serialized state document");
  mr_json_free (j);

  j = mr_state_to_json (&st, MR_STATUS_STOPPED);
  ok (modrun_json_get (j, "pid")->integer == 0, "pid is 0 when stopped");
  mr_json_free (j);

  st.annotations = mr_json_new (MODRUN_JSON_OBJECT);
  j = mr_state_to_json (&st, MR_STATUS_CREATED);
  ok (modrun_json_get (j, "annotations") == NULL, "empty annotations are omitted");
  mr_json_free (j);
  mr_json_free (st.annotations);

  st.annotations = make_annotations ();
  j = mr_state_to_json (&st, MR_STATUS_CREATED);
  ok (j->count == 9 && strcmp (j->keys[7], "annotations") == 0 && strcmp (j->keys[8], "owner") == 0,
      "annotations come before owner, as runc encodes them");
  mr_json_serialize (j, 0, &text2, &len, &err);
  ok (text2 && strstr (text2, "\"annotations\":{\"org.example.key\":\"value\"}"),
      "annotations serialized");
  mr_json_free (j);
  mr_json_free (st.annotations);
}

static void
test_signals (void)
{
  ok (mr_parse_signal ("TERM") == SIGTERM, "TERM");
  ok (mr_parse_signal ("SIGTERM") == SIGTERM, "SIGTERM");
  ok (mr_parse_signal ("sigkill") == SIGKILL, "sigkill");
  ok (mr_parse_signal ("Kill") == SIGKILL, "Kill");
  ok (mr_parse_signal ("usr1") == SIGUSR1, "usr1");
  ok (mr_parse_signal ("SIGWINCH") == SIGWINCH, "SIGWINCH");
  ok (mr_parse_signal ("9") == 9, "9");
  ok (mr_parse_signal ("15") == 15, "15");
  ok (mr_parse_signal ("64") == 64, "64");
  ok (mr_parse_signal ("RTMIN+2") == SIGRTMIN + 2, "RTMIN+2");
  ok (mr_parse_signal ("0") == -1, "0 is refused");
  ok (mr_parse_signal ("65") == -1, "65 is refused");
  ok (mr_parse_signal ("9x") == -1, "9x is refused");
  ok (mr_parse_signal ("FOO") == -1, "FOO is refused");
  ok (mr_parse_signal ("SIG") == -1, "SIG alone is refused");
  ok (mr_parse_signal ("") == -1, "empty is refused");
}

int
main (void)
{
  cleanup_error mr_error *err = NULL;

  if (mkdtemp (root) == NULL)
    {
      printf ("Bail out! mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  test_ids ();
  test_round_trip ();
  test_lock ();
  test_status ();
  test_release_fifo ();
  test_release_fifo_init_dies ();
  test_state_json ();
  test_signals ();
  mr_rm_rf (root, &err);
  return tap_done ();
}
