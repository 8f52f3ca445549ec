/* The state directory of each container: ROOT/ID/state.json written
 * atomically, a flock on the directory around changes, and the status read
 * back from the live system. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "json.h"
#include "state.h"

#define MAX_ID_LENGTH 1024

/* An error whose message says it all: ERRNUM is kept for callers that test
 * it but not spelled out after the message. */
static int __attribute__ ((format (printf, 3, 4)))
fail_plain (mr_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  mr_vfail (err, 0, fmt, ap);
  va_end (ap);
  if (err != NULL && *err != NULL && (*err)->errnum == 0)
    (*err)->errnum = errnum;
  return -errnum;
}

int
mr_state_check_id (const char *id, mr_error **err)
{
  size_t len, i;

  if (id == NULL || *id == '\0')
    return mr_fail (err, 0, "invalid container ID format: the ID is empty");
  len = strlen (id);
  if (len > MAX_ID_LENGTH)
    return mr_fail (err, 0, "invalid container ID format: expected at most %d characters, got %zu",
                    MAX_ID_LENGTH, len);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return mr_fail (err, 0, "invalid container ID format: `%s` is not a valid ID", id);
  for (i = 0; i < len; i++)
    {
      char ch = id[i];

      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
          || ch == '_' || ch == '+' || ch == '-' || ch == '.')
        continue;
      return mr_fail (err, 0,
                      "invalid container ID format: `%s`: expected only letters, digits, "
                      "'_', '+', '-' and '.'",
                      id);
    }
  return 0;
}

char *
mr_state_dir (const char *root, const char *id)
{
  return mr_xasprintf ("%s/%s", root, id);
}

int
mr_state_create_dir (const char *root, const char *id, char **dir, mr_error **err)
{
  cleanup_free char *path = NULL;
  int ret;

  ret = mr_state_check_id (id, err);
  if (ret < 0)
    return ret;
  ret = mr_mkdir_p (root, 0700, err);
  if (ret < 0)
    return ret;
  path = mr_state_dir (root, id);
  if (mkdir (path, 0700) < 0)
    {
      if (errno == EEXIST)
        return fail_plain (err, EEXIST, "%s: container with given ID already exists", id);
      return mr_fail (err, errno, "mkdir `%s`", path);
    }
  *dir = mr_steal_ptr (path);
  return 0;
}

int
mr_state_lock (const char *dir, mr_error **err)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return mr_fail (err, errno, "open state directory `%s`", dir);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return mr_fail (err, errno, "lock state directory `%s`", dir);
  return mr_steal_fd (fd);
}

void
mr_state_free (struct mr_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->plugins);
  free (st->oci_version);
  mr_json_free (st->annotations);
  free (st);
}

/* On-disk format. */

static modrun_json *
state_to_file_json (const struct mr_state *st)
{
  modrun_json *j = mr_json_new (MODRUN_JSON_OBJECT);

  mr_json_add_string (j, "id", st->id ? st->id : "");
  mr_json_add_int (j, "pid", st->pid);
  mr_json_add_int (j, "startTime", (int64_t)st->start_time);
  mr_json_add_string (j, "bundle", st->bundle ? st->bundle : "");
  mr_json_add_string (j, "rootfs", st->rootfs ? st->rootfs : "");
  mr_json_add_string (j, "created", st->created ? st->created : "");
  mr_json_add_string (j, "owner", st->owner ? st->owner : "");
  mr_json_add_string (j, "plugins", st->plugins ? st->plugins : "");
  mr_json_add_string (j, "ociVersion", st->oci_version ? st->oci_version : "");
  mr_json_add_int (j, "options", st->options);
  if (st->annotations != NULL)
    mr_json_add_copy (j, "annotations", st->annotations);
  return j;
}

int
mr_state_save (const char *dir, const struct mr_state *st, mr_error **err)
{
  cleanup_json modrun_json *j = state_to_file_json (st);
  cleanup_free char *path = mr_xasprintf ("%s/state.json", dir);
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret;

  ret = mr_json_serialize (j, 0, &text, &len, err);
  if (ret < 0)
    return ret;
  return mr_write_file_atomic (path, text, len, 0600, err);
}

static int
get_string (const modrun_json *j, const char *path, const char *key, bool required, char **out,
            mr_error **err)
{
  const modrun_json *v = modrun_json_get (j, key);

  if (v == NULL && !required)
    {
      *out = mr_xstrdup ("");
      return 0;
    }
  if (v == NULL || v->type != MODRUN_JSON_STRING)
    return mr_fail (err, 0, "%s: %s: expected string, got %s", path, key,
                    v ? modrun_json_type_name (v->type) : "nothing");
  *out = mr_xstrdup (v->string);
  return 0;
}

static int
get_integer (const modrun_json *j, const char *path, const char *key, int64_t min, int64_t max,
             int64_t *out, mr_error **err)
{
  const modrun_json *v = modrun_json_get (j, key);

  if (v == NULL || v->type != MODRUN_JSON_INTEGER)
    return mr_fail (err, 0, "%s: %s: expected integer, got %s", path, key,
                    v ? modrun_json_type_name (v->type) : "nothing");
  if (v->integer < min || v->integer > max)
    return mr_fail (err, 0, "%s: %s: expected %lld to %lld, got %lld", path, key, (long long)min,
                    (long long)max, (long long)v->integer);
  *out = v->integer;
  return 0;
}

static int
state_from_file_json (const modrun_json *j, const char *path, struct mr_state *st, mr_error **err)
{
  const modrun_json *ann;
  int64_t n;
  int ret;

  if (j->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "%s: expected object, got %s", path, modrun_json_type_name (j->type));
  if ((ret = get_string (j, path, "id", true, &st->id, err)) < 0
      || (ret = get_string (j, path, "bundle", true, &st->bundle, err)) < 0
      || (ret = get_string (j, path, "rootfs", true, &st->rootfs, err)) < 0
      || (ret = get_string (j, path, "created", true, &st->created, err)) < 0
      || (ret = get_string (j, path, "owner", false, &st->owner, err)) < 0
      || (ret = get_string (j, path, "plugins", false, &st->plugins, err)) < 0
      || (ret = get_string (j, path, "ociVersion", false, &st->oci_version, err)) < 0)
    return ret;
  ret = get_integer (j, path, "pid", 0, INT32_MAX, &n, err);
  if (ret < 0)
    return ret;
  st->pid = (pid_t)n;
  ret = get_integer (j, path, "startTime", 0, INT64_MAX, &n, err);
  if (ret < 0)
    return ret;
  st->start_time = (unsigned long long)n;
  ret = get_integer (j, path, "options", 0, UINT32_MAX, &n, err);
  if (ret < 0)
    return ret;
  st->options = (unsigned int)n;
  ann = modrun_json_get (j, "annotations");
  if (ann != NULL && ann->type != MODRUN_JSON_NULL)
    {
      if (ann->type != MODRUN_JSON_OBJECT)
        return mr_fail (err, 0, "%s: annotations: expected object, got %s", path,
                        modrun_json_type_name (ann->type));
      st->annotations = mr_json_copy (ann);
    }
  return 0;
}

int
mr_state_load (const char *root, const char *id, struct mr_state **out, mr_error **err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_json modrun_json *j = NULL;
  struct mr_state *st;
  size_t len = 0;
  int ret;

  ret = mr_state_check_id (id, err);
  if (ret < 0)
    return ret;
  path = mr_xasprintf ("%s/%s/state.json", root, id);
  ret = mr_read_file (path, &text, &len, NULL);
  if (ret == -ENOENT || ret == -ENOTDIR)
    return fail_plain (err, ENOENT, "%s: container does not exist", id);
  if (ret < 0)
    return mr_fail (err, -ret, "read `%s`", path);
  ret = mr_json_parse (text, len, path, &j, err);
  if (ret < 0)
    return ret;

  st = mr_xzalloc (sizeof (*st));
  ret = state_from_file_json (j, path, st, err);
  if (ret < 0)
    {
      mr_state_free (st);
      return ret;
    }
  *out = st;
  return 0;
}

/* Status. */

enum mr_status
mr_state_status (const char *dir, const struct mr_state *st)
{
  cleanup_free char *mark = NULL;
  cleanup_free char *fifo = NULL;
  unsigned long long start;
  int zombie = 0;

  if (st->pid <= 0)
    return MR_STATUS_STOPPED;
  start = mr_proc_start_time (st->pid, &zombie);
  if (start == 0 || zombie || (st->start_time != 0 && start != st->start_time))
    return MR_STATUS_STOPPED;
  /* Only pause freezes a container, and it leaves this mark until resume
   * thaws it: the core itself knows no cgroup path to look at. A created
   * container may be paused too; resume makes it created again, as its
   * exec fifo is still there. */
  mark = mr_xasprintf ("%s/paused", dir);
  if (access (mark, F_OK) == 0)
    return MR_STATUS_PAUSED;
  fifo = mr_xasprintf ("%s/exec.fifo", dir);
  if (access (fifo, F_OK) == 0)
    return MR_STATUS_CREATED;
  return MR_STATUS_RUNNING;
}

const char *
mr_status_name (enum mr_status s)
{
  switch (s)
    {
    case MR_STATUS_CREATING:
      return "creating";
    case MR_STATUS_CREATED:
      return "created";
    case MR_STATUS_RUNNING:
      return "running";
    case MR_STATUS_PAUSED:
      return "paused";
    case MR_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

modrun_json *
mr_state_to_json (const struct mr_state *st, enum mr_status status)
{
  modrun_json *j = mr_json_new (MODRUN_JSON_OBJECT);

  mr_json_add_string (j, "ociVersion", st->oci_version ? st->oci_version : "");
  mr_json_add_string (j, "id", st->id ? st->id : "");
  mr_json_add_int (j, "pid", status == MR_STATUS_STOPPED ? 0 : st->pid);
  mr_json_add_string (j, "status", mr_status_name (status));
  mr_json_add_string (j, "bundle", st->bundle ? st->bundle : "");
  mr_json_add_string (j, "rootfs", st->rootfs ? st->rootfs : "");
  mr_json_add_string (j, "created", st->created ? st->created : "");
  /* runc's encoder puts annotations, when there are any, before owner. */
  if (st->annotations != NULL && st->annotations->type == MODRUN_JSON_OBJECT
      && st->annotations->count > 0)
    mr_json_add_copy (j, "annotations", st->annotations);
  mr_json_add_string (j, "owner", st->owner ? st->owner : "");
  return j;
}

/* The exec fifo. */

static int
open_init_pidfd (const struct mr_state *st, mr_error **err)
{
  cleanup_close int fd = -1;
  unsigned long long start;
  int zombie = 0;

  fd = (int)syscall (SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    {
      if (errno == ESRCH)
        return fail_plain (err, ESRCH, "%s: container init (pid %d) is gone", st->id, (int)st->pid);
      return mr_fail (err, errno, "%s: pidfd_open of the container init (pid %d)", st->id,
                      (int)st->pid);
    }
  /* Checked after the pidfd is open: from now on the pid cannot be reused
   * under us, so a matching start time means the fd is the init's. */
  start = mr_proc_start_time (st->pid, &zombie);
  if (start == 0 || zombie || (st->start_time != 0 && start != st->start_time))
    return fail_plain (err, ESRCH, "%s: container init (pid %d) is gone", st->id, (int)st->pid);
  return mr_steal_fd (fd);
}

/* The init keeps its end of the exec fifo open until its exec (or its
 * death) closes it: once the fifo hangs up, the process runs. */
static int
wait_fifo_closed (int fifo, const char *path, mr_error **err)
{
  struct pollfd pfd = { .fd = fifo, .events = POLLIN };
  char byte;

  for (;;)
    {
      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_fail (err, errno, "poll exec fifo `%s`", path);
        }
      if (pfd.revents & (POLLHUP | POLLERR))
        return 0;
      /* Nothing more is written; drain whatever would keep POLLIN up. */
      if (read (fifo, &byte, 1) == 0)
        return 0;
    }
}

int
mr_state_release_fifo (const char *dir, const struct mr_state *st, mr_error **err)
{
  cleanup_free char *path = mr_xasprintf ("%s/exec.fifo", dir);
  cleanup_close int pidfd = -1;
  cleanup_close int fifo = -1;
  struct pollfd fds[2];
  char buf[PIPE_BUF + 1];
  ssize_t n;

  pidfd = open_init_pidfd (st, err);
  if (pidfd < 0)
    return pidfd;
  fifo = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      if (errno == ENOENT)
        return fail_plain (err, ENOENT, "%s: exec fifo is gone: the container was started already",
                           st->id);
      return mr_fail (err, errno, "open exec fifo `%s`", path);
    }

  for (;;)
    {
      int r;

      fds[0].fd = fifo;
      fds[0].events = POLLIN;
      fds[0].revents = 0;
      fds[1].fd = pidfd;
      fds[1].events = POLLIN;
      fds[1].revents = 0;
      r = poll (fds, 2, -1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_fail (err, errno, "poll exec fifo `%s`", path);
        }
      /* Data in the fifo wins over an exit seen at the same time: the init
       * got as far as the exec. */
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        break;
      if (fds[1].revents)
        return fail_plain (err, ESRCH,
                           "%s: container init (pid %d) exited before it could be started", st->id,
                           (int)st->pid);
    }

  /* The init writes "0" when it goes on to exec, or "E" and a message (in
   * one write, under PIPE_BUF) when a startContainer hook failed. */
  do
    n = read (fifo, buf, sizeof (buf) - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mr_fail (err, errno, "read exec fifo `%s`", path);
  if (n == 0)
    return fail_plain (err, EPIPE, "%s: container init closed the exec fifo without writing to it",
                       st->id);
  if (unlink (path) < 0 && errno != ENOENT)
    return mr_fail (err, errno, "unlink exec fifo `%s`", path);
  if (buf[0] == 'E')
    {
      buf[n] = '\0';
      return fail_plain (err, EIO, "%s: %s", st->id, buf + 1);
    }
  return wait_fifo_closed (fifo, path, err);
}

char *
mr_state_text (const struct mr_state *st, enum mr_status status)
{
  cleanup_error mr_error *err = NULL;
  modrun_json *j = mr_state_to_json (st, status);
  char *text = NULL;
  size_t len = 0;

  if (mr_json_serialize (j, 0, &text, &len, &err) < 0)
    text = mr_xstrdup ("{}");
  mr_json_free (j);
  return text;
}
