/* The commands that act on an existing container: start, state, kill,
 * delete, pause, resume and list. Each loads the state saved at create,
 * and the plugins recorded there when it needs a backend. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks.h"
#include "json.h"
#include "lifecycle.h"
#include "log.h"
#include "plugins.h"
#include "state.h"

/* How long delete --force waits for the init to die after SIGKILL. */
#define KILL_WAIT_MS 10000

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

void
mr_ctr_release (struct mr_ctr *ct)
{
  mr_plugins_unload (&ct->plugins);
  mr_json_free (ct->config);
  mr_state_free (ct->st);
  mr_error_free (ct->core.err);
  mr_error_free (ct->load_err);
  if (ct->lock_fd >= 0)
    close (ct->lock_fd);
  free (ct->dir);
  memset (ct, 0, sizeof (*ct));
  ct->lock_fd = -1;
}

/* Loads ID's state; with LOCK, under the container's lock, which is held
 * until mr_ctr_release. */
int
mr_ctr_open (struct mr_runtime *rt, const char *id, bool lock, struct mr_ctr *ct, mr_error **err)
{
  int ret;

  memset (ct, 0, sizeof (*ct));
  ct->lock_fd = -1;
  ret = mr_state_check_id (id, err);
  if (ret < 0)
    return ret;
  ct->dir = mr_state_dir (rt->root, id);
  if (lock)
    {
      cleanup_error mr_error *lerr = NULL;

      ct->lock_fd = mr_state_lock (ct->dir, &lerr);
      if (ct->lock_fd < 0)
        {
          if (lerr->errnum == ENOENT || lerr->errnum == ENOTDIR)
            return fail_plain (err, ENOENT, "%s: container does not exist", id);
          *err = mr_steal_ptr (lerr);
          return -(*err)->errnum;
        }
    }
  return mr_state_load (rt->root, id, &ct->st, err);
}

/* Reads the config.json copy taken at create. */
int
mr_ctr_load_config (struct mr_ctr *ct, mr_error **err)
{
  cleanup_free char *path = mr_xasprintf ("%s/config.json", ct->dir);

  if (ct->config != NULL)
    return 0;
  return mr_json_parse_file (path, path, &ct->config, err);
}

static void
ctr_init_context (struct mr_ctr *ct, unsigned int command)
{
  mr_container_init (&ct->c, &ct->core);
  ct->c.command = command;
  ct->c.id = ct->st->id;
  ct->c.bundle = ct->st->bundle;
  ct->c.state_dir = ct->dir;
  ct->c.rootfs = ct->st->rootfs;
  ct->c.config = ct->config;
  ct->c.pid = ct->st->pid;
  ct->c.options = ct->st->options;
}

static int
plugin_cmp (const void *a, const void *b)
{
  const struct mr_plugin *pa = a, *pb = b;

  if (pa->desc->concern != pb->desc->concern)
    return pa->desc->concern < pb->desc->concern ? -1 : 1;
  return 0;
}

/* Loads what can be loaded of LIST one plugin at a time, so that one
 * missing plugin does not keep the others from cleaning up. Returns the
 * first error. */
static int
load_plugins_each (const char *list, struct mr_plugin_set *set, mr_error **err)
{
  cleanup_free char *copy = mr_xstrdup (list);
  char *save = NULL, *name;
  int first = 0;

  for (name = strtok_r (copy, ",", &save); name; name = strtok_r (NULL, ",", &save))
    {
      struct mr_plugin p;
      int ret;

      memset (&p, 0, sizeof (p));
      ret = mr_plugin_load (name, &p, err);
      if (ret < 0)
        {
          if (first == 0)
            first = ret;
          continue;
        }
      set->items = mr_xrealloc (set->items, (set->n + 1) * sizeof (*set->items));
      set->items[set->n++] = p;
    }
  if (set->n > 1)
    qsort (set->items, set->n, sizeof (*set->items), plugin_cmp);
  return first;
}

/* Loads the plugins recorded at create and sets up the context they see.
 * With PARTIAL, a plugin that fails to load is left out and its error
 * returned while the others stay loaded. */
int
mr_ctr_load_plugins (struct mr_ctr *ct, unsigned int command, bool partial, mr_error **err)
{
  int ret;

  if (ct->plugins_loaded)
    return 0;
  ret = mr_ctr_load_config (ct, err);
  if (ret < 0)
    return ret;
  ctr_init_context (ct, command);
  if (ct->st->plugins != NULL && *ct->st->plugins != '\0')
    {
      ret = mr_plugins_load_list (ct->st->plugins, &ct->plugins, partial ? NULL : err);
      if (ret < 0)
        {
          mr_plugins_unload (&ct->plugins);
          memset (&ct->plugins, 0, sizeof (ct->plugins));
          if (!partial)
            return ret;
          ret = load_plugins_each (ct->st->plugins, &ct->plugins, err);
        }
    }
  ct->plugins_loaded = true;
  return ret;
}

/* The init's pidfd, or -ESRCH when the process recorded is gone (or its
 * pid now belongs to another process). */
int
mr_ctr_init_pidfd (const struct mr_state *st, mr_error **err)
{
  cleanup_close int fd = -1;
  unsigned long long start;
  int zombie = 0;

  if (st->pid <= 0)
    return -ESRCH;
  fd = (int)syscall (SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    {
      if (errno == ESRCH)
        return -ESRCH;
      return mr_fail (err, errno, "%s: pidfd_open of the container init (pid %d)", st->id,
                      (int)st->pid);
    }
  /* Compared once the pidfd pins the process: a match proves the fd is
   * the init's and not a newcomer's with a reused pid. */
  start = mr_proc_start_time (st->pid, &zombie);
  if (start == 0 || zombie || (st->start_time != 0 && start != st->start_time))
    return -ESRCH;
  return mr_steal_fd (fd);
}

static int
pidfd_signal (int pidfd, int signo)
{
  if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
    return -errno;
  return 0;
}

static int
signal_init (const struct mr_state *st, int signo, mr_error **err)
{
  cleanup_close int pidfd = mr_ctr_init_pidfd (st, err);
  int ret;

  if (pidfd == -ESRCH)
    return fail_plain (err, ESRCH, "%s: container not running", st->id);
  if (pidfd < 0)
    return pidfd;
  ret = pidfd_signal (pidfd, signo);
  if (ret == -ESRCH)
    return fail_plain (err, ESRCH, "%s: container not running", st->id);
  if (ret < 0)
    return mr_fail (err, -ret, "%s: send signal %d to the container init (pid %d)", st->id, signo,
                    (int)st->pid);
  return 0;
}

/* A plugin's error, recorded through services->error, as the core's. */
int
mr_ctr_plugin_failure (struct mr_ctr *ct, struct mr_plugin *p, const char *what, int ret,
                       mr_error **err)
{
  int errnum = ret < 0 ? -ret : EINVAL;

  if (ct->core.err != NULL)
    {
      errnum = ct->core.err->errnum;
      mr_fail (err, 0, "%s: %s: %s", p->name, what, ct->core.err->msg);
      mr_error_free (ct->core.err);
      ct->core.err = NULL;
    }
  else
    mr_fail (err, 0, "%s: %s: failed: %s", p->name, what, strerror (errnum));
  if (err != NULL && *err != NULL)
    (*err)->errnum = errnum;
  return ret < 0 ? ret : -errnum;
}

/* The cgroups plugin's kill_all, if the container has one that offers it.
 * Returns 1 when it signalled, 0 when there is none, or an error. */
static int
kill_all_by_plugin (struct mr_ctr *ct, int signo, mr_error **err)
{
  struct mr_plugin *p = mr_plugins_find (&ct->plugins, MODRUN_CONCERN_CGROUPS);
  const struct modrun_plugin *d;
  int ret;

  if (p == NULL)
    return 0;
  d = p->desc;
  if (d->size < offsetof (struct modrun_plugin, kill_all) + sizeof (d->kill_all)
      || d->kill_all == NULL)
    return 0;
  ct->core.plugin = p->name;
  ct->core.stage = "kill_all";
  ret = d->kill_all (&ct->c, &p->data, signo);
  if (ret < 0)
    return mr_ctr_plugin_failure (ct, p, "kill_all", ret, err);
  return 1;
}

static void
warn_and_clear (mr_error **err, const char *context)
{
  if (*err == NULL)
    return;
  mr_log (MODRUN_LOG_WARNING, "%s: %s", context, (*err)->msg);
  mr_error_free (*err);
  *err = NULL;
}

/* Runs the destroy stages and removes the state directory, even when a
 * plugin is missing or fails: the first error is returned. */
static int
destroy_locked (struct mr_ctr *ct, mr_error **err)
{
  cleanup_error mr_error *rmerr = NULL;
  cleanup_free char *poststop = NULL;
  int ret, rmret;

  if (ct->load_err != NULL)
    {
      /* Loaded already, partly, by delete --force. */
      ret = ct->load_err->errnum > 0 ? -ct->load_err->errnum : -EINVAL;
      if (err != NULL && *err == NULL)
        *err = mr_steal_ptr (ct->load_err);
    }
  else
    ret = mr_ctr_load_plugins (ct, MODRUN_CMD_DELETE, true, err);
  if (ct->config != NULL)
    {
      int dret = mr_plugins_destroy (&ct->plugins, &ct->c, err);

      if (ret == 0)
        ret = dret;
    }

  if (ct->config != NULL && mr_hooks_have (modrun_json_get (ct->config, "hooks"), "poststop"))
    poststop = mr_state_text (ct->st, MR_STATUS_STOPPED);

  rmret = mr_rm_rf (ct->dir, &rmerr);
  if (rmret < 0)
    {
      if (ret == 0)
        {
          *err = mr_steal_ptr (rmerr);
          return rmret;
        }
      mr_log (MODRUN_LOG_WARNING, "%s: %s", ct->st->id, rmerr->msg);
    }

  /* After the container is gone; a failing poststop hook only warns. */
  if (poststop != NULL)
    mr_hooks_run_warn (modrun_json_get (ct->config, "hooks"), "poststop", poststop);
  return ret;
}

int
mr_destroy_container (struct mr_runtime *rt, const char *id, mr_error **err)
{
  struct mr_ctr ct;
  int ret;

  ret = mr_ctr_open (rt, id, true, &ct, err);
  if (ret == 0)
    ret = destroy_locked (&ct, err);
  mr_ctr_release (&ct);
  return ret;
}

int
mr_start (struct mr_runtime *rt, const char *id, mr_error **err)
{
  cleanup_error mr_error *perr = NULL;
  struct mr_ctr ct;
  const modrun_json *process, *hooks;
  int ret;

  ret = mr_ctr_open (rt, id, true, &ct, err);
  if (ret < 0)
    goto out;
  switch (mr_state_status (ct.dir, ct.st))
    {
    case MR_STATUS_CREATED:
      break;
    case MR_STATUS_STOPPED:
      ret = mr_fail (err, 0, "%s: cannot start a container that has stopped", id);
      goto out;
    case MR_STATUS_RUNNING:
      ret = mr_fail (err, 0, "%s: cannot start an already running container", id);
      goto out;
    default:
      /* Paused, which a created container may be too: resume first. */
      ret = mr_fail (err, 0, "%s: cannot start a container in the %s state", id,
                     mr_status_name (mr_state_status (ct.dir, ct.st)));
      goto out;
    }

  ret = mr_ctr_load_config (&ct, err);
  if (ret < 0)
    goto out;
  process = modrun_json_get (ct.config, "process");
  if (process == NULL || process->type != MODRUN_JSON_OBJECT)
    {
      /* Such a container can never run: its init is let go, and it exits
       * (stopped) rather than waiting for ever. */
      mr_state_release_fifo (ct.dir, ct.st, NULL);
      ret = mr_fail (err, 0, "%s: config.json: process is required to start the container", id);
      goto out;
    }

  ret = mr_state_release_fifo (ct.dir, ct.st, err);
  if (ret < 0)
    goto out;

  hooks = modrun_json_get (ct.config, "hooks");
  if (mr_hooks_have (hooks, "poststart"))
    {
      cleanup_free char *text = mr_state_text (ct.st, MR_STATUS_RUNNING);

      mr_hooks_run_warn (hooks, "poststart", text);
    }

  /* The process runs now: what the plugins still have to do is
   * bookkeeping, and its failure cannot undo the start. */
  if (mr_ctr_load_plugins (&ct, MODRUN_CMD_START, false, &perr) == 0)
    mr_plugins_run (&ct.plugins, &ct.c, MR_STAGE (poststart), &perr);
  warn_and_clear (&perr, "poststart");
  ret = 0;

out:
  mr_ctr_release (&ct);
  return ret;
}

/* runc prints times as RFC 3339 with the fraction's trailing zeros cut. */
static char *
created_for_display (const char *created)
{
  char *out = mr_xstrdup (created ? created : "");
  char *dot = strchr (out, '.');
  char *z, *end;

  if (dot == NULL || (z = strchr (dot, 'Z')) == NULL)
    return out;
  end = z;
  while (end > dot + 1 && end[-1] == '0')
    end--;
  if (end == dot + 1)
    end = dot;
  memmove (end, z, strlen (z) + 1);
  return out;
}

static modrun_json *
state_document (const struct mr_state *st, enum mr_status status, const char *owner)
{
  struct mr_state view = *st;
  cleanup_free char *created = created_for_display (st->created);

  view.created = created;
  if (owner != NULL)
    view.owner = (char *)owner;
  return mr_state_to_json (&view, status);
}

int
mr_state_cmd (struct mr_runtime *rt, const char *id, mr_error **err)
{
  cleanup_json modrun_json *doc = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *text = NULL;
  struct mr_state *st = NULL;
  size_t len = 0;
  int ret;

  ret = mr_state_load (rt->root, id, &st, err);
  if (ret < 0)
    return ret;
  dir = mr_state_dir (rt->root, id);
  doc = state_document (st, mr_state_status (dir, st), NULL);
  mr_state_free (st);
  ret = mr_json_serialize (doc, 1, &text, &len, err);
  if (ret < 0)
    return ret;
  /* No newline after the document, as runc prints it. */
  while (len > 0 && text[len - 1] == '\n')
    len--;
  if (fwrite (text, 1, len, stdout) != len || fflush (stdout) != 0)
    return mr_fail (err, errno, "state: write to stdout");
  return 0;
}

int
mr_kill (struct mr_runtime *rt, const char *id, int signo, bool all, mr_error **err)
{
  struct mr_ctr ct;
  enum mr_status status;
  int ret;

  ret = mr_ctr_open (rt, id, false, &ct, err);
  if (ret < 0)
    goto out;
  status = mr_state_status (ct.dir, ct.st);
  if (status != MR_STATUS_CREATED && status != MR_STATUS_RUNNING && status != MR_STATUS_PAUSED)
    {
      ret = fail_plain (err, ESRCH, "%s: container not running", id);
      goto out;
    }
  if (all)
    {
      ret = mr_ctr_load_plugins (&ct, MODRUN_CMD_KILL, false, err);
      if (ret < 0)
        goto out;
      ret = kill_all_by_plugin (&ct, signo, err);
      if (ret != 0)
        goto out;
    }
  ret = signal_init (ct.st, signo, err);

out:
  mr_ctr_release (&ct);
  return ret < 0 ? ret : 0;
}

/* Calls the pause or resume stage of the container's cgroups plugin. */
static int
freeze_by_plugin (struct mr_ctr *ct, bool freeze, mr_error **err)
{
  struct mr_plugin *p = mr_plugins_find (&ct->plugins, MODRUN_CONCERN_CGROUPS);
  const char *what = freeze ? "pause" : "resume";
  size_t offset
      = freeze ? offsetof (struct modrun_plugin, pause) : offsetof (struct modrun_plugin, resume);
  modrun_stage_fn fn = NULL;
  int ret;

  if (p != NULL && p->desc->size >= offset + sizeof (fn))
    fn = freeze ? p->desc->pause : p->desc->resume;
  if (fn == NULL)
    return mr_fail (err, 0, "%s: %s: not supported by the container's cgroups plugin%s%s",
                    ct->st->id, what, p ? " " : "", p ? p->name : "");
  ct->core.plugin = p->name;
  ct->core.stage = what;
  ret = fn (&ct->c, &p->data);
  if (ret < 0)
    return mr_ctr_plugin_failure (ct, p, what, ret, err);
  return 0;
}

static int
set_freeze (struct mr_runtime *rt, const char *id, bool freeze, mr_error **err)
{
  cleanup_free char *mark = NULL;
  struct mr_ctr ct;
  enum mr_status status;
  int ret;

  ret = mr_ctr_open (rt, id, true, &ct, err);
  if (ret < 0)
    goto out;
  status = mr_state_status (ct.dir, ct.st);
  /* A created container freezes too: its init waits on the exec fifo,
   * and start is refused until resume. */
  if (freeze && status != MR_STATUS_RUNNING && status != MR_STATUS_CREATED)
    {
      ret = fail_plain (err, EINVAL, "%s: container not running", id);
      goto out;
    }
  if (!freeze && status != MR_STATUS_PAUSED)
    {
      ret = fail_plain (err, EINVAL, "%s: container not paused", id);
      goto out;
    }
  ret = mr_ctr_load_plugins (&ct, freeze ? MODRUN_CMD_PAUSE : MODRUN_CMD_RESUME, false, err);
  if (ret < 0)
    goto out;
  ret = freeze_by_plugin (&ct, freeze, err);
  if (ret < 0)
    goto out;
  mark = mr_xasprintf ("%s/paused", ct.dir);
  if (freeze)
    ret = mr_write_file (mark, "", 0, 0600, err);
  else if (unlink (mark) < 0 && errno != ENOENT)
    ret = mr_fail (err, errno, "unlink `%s`", mark);

out:
  mr_ctr_release (&ct);
  return ret;
}

int
mr_pause (struct mr_runtime *rt, const char *id, mr_error **err)
{
  return set_freeze (rt, id, true, err);
}

int
mr_resume (struct mr_runtime *rt, const char *id, mr_error **err)
{
  return set_freeze (rt, id, false, err);
}

/* Waits until the process behind PIDFD has exited. */
static int
wait_pidfd (int pidfd, int timeout_ms)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  int r;

  do
    r = poll (&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  return r == 0 ? -ETIMEDOUT : 0;
}

static int
kill_for_delete (struct mr_ctr *ct, mr_error **err)
{
  cleanup_error mr_error *kerr = NULL;
  cleanup_close int pidfd = -1;
  int ret;

  pidfd = mr_ctr_init_pidfd (ct->st, err);
  if (pidfd == -ESRCH)
    pidfd = -1;
  else if (pidfd < 0)
    return pidfd;

  /* Every process of the container, not only the init: without a pid
   * namespace they would survive it. */
  if (mr_ctr_load_plugins (ct, MODRUN_CMD_DELETE, true, &ct->load_err) < 0 && ct->config == NULL)
    {
      /* Without the config no plugin can act, destroy included: the
       * error is reported once, by destroy. */
      mr_error_free (ct->load_err);
      ct->load_err = NULL;
    }
  else
    {
      /* Frozen processes would not die before they are thawed. */
      if (mr_state_status (ct->dir, ct->st) == MR_STATUS_PAUSED)
        freeze_by_plugin (ct, false, &kerr);
      warn_and_clear (&kerr, "delete --force");
      kill_all_by_plugin (ct, SIGKILL, &kerr);
    }
  warn_and_clear (&kerr, "delete --force");

  if (pidfd < 0)
    return 0;
  ret = pidfd_signal (pidfd, SIGKILL);
  if (ret < 0 && ret != -ESRCH)
    return mr_fail (err, -ret, "%s: send SIGKILL to the container init (pid %d)", ct->st->id,
                    (int)ct->st->pid);
  ret = wait_pidfd (pidfd, KILL_WAIT_MS);
  if (ret == -ETIMEDOUT)
    return fail_plain (err, ETIMEDOUT, "%s: container init (pid %d) still runs %d s after SIGKILL",
                       ct->st->id, (int)ct->st->pid, KILL_WAIT_MS / 1000);
  if (ret < 0)
    return mr_fail (err, -ret, "%s: wait for the container init (pid %d)", ct->st->id,
                    (int)ct->st->pid);
  return 0;
}

int
mr_delete (struct mr_runtime *rt, const char *id, bool force, mr_error **err)
{
  struct mr_ctr ct;
  enum mr_status status;
  int ret;

  ret = mr_ctr_open (rt, id, true, &ct, err);
  if (ret < 0)
    goto out;
  status = mr_state_status (ct.dir, ct.st);
  if (status != MR_STATUS_STOPPED)
    {
      if (!force)
        {
          ret = fail_plain (err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                            mr_status_name (status));
          goto out;
        }
      ret = kill_for_delete (&ct, err);
      if (ret < 0)
        goto out;
      /* The plugins stay loaded with their per-container data for the
       * destroy stages that follow. */
    }
  ret = destroy_locked (&ct, err);

out:
  mr_ctr_release (&ct);
  return ret;
}

/* list */

struct list_entry
{
  struct mr_state *st;
  enum mr_status status;
  char *owner;
  char *created;
  char pid[16];
};

static int
name_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Container ids under ROOT, sorted. */
static int
list_ids (const char *root, char ***out, size_t *n, mr_error **err)
{
  DIR *d = opendir (root);
  struct dirent *de;
  char **ids = NULL;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : mr_fail (err, errno, "open root directory `%s`", root);
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      if (mr_state_check_id (de->d_name, NULL) < 0)
        continue;
      ids = mr_xrealloc (ids, (count + 1) * sizeof (*ids));
      ids[count++] = mr_xstrdup (de->d_name);
    }
  closedir (d);
  if (count > 1)
    qsort (ids, count, sizeof (*ids), name_cmp);
  *out = ids;
  *n = count;
  return 0;
}

/* runc names the owner after the uid that owns the state directory. */
static char *
owner_of (const char *dir)
{
  struct stat sb;
  struct passwd pw, *res = NULL;
  char buf[4096];

  if (stat (dir, &sb) < 0)
    return mr_xstrdup ("");
  if (getpwuid_r (sb.st_uid, &pw, buf, sizeof (buf), &res) == 0 && res != NULL)
    return mr_xstrdup (res->pw_name);
  return mr_xasprintf ("#%u", (unsigned int)sb.st_uid);
}

static void
free_entries (struct list_entry *e, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      mr_state_free (e[i].st);
      free (e[i].owner);
      free (e[i].created);
    }
  free (e);
}

static void
print_row (const char *const *cells, const size_t *width, size_t ncols)
{
  size_t i;

  for (i = 0; i < ncols; i++)
    {
      if (i + 1 < ncols)
        printf ("%-*s", (int)width[i], cells[i]);
      else
        printf ("%s\n", cells[i]);
    }
}

/* Columns as Go's tabwriter lays them out for runc: each at least 12
 * wide, with 3 spaces after its widest cell; the last one is not padded. */
static void
print_table (struct list_entry *e, size_t n)
{
  static const char *const header[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  const size_t ncols = sizeof (header) / sizeof (header[0]);
  size_t width[6];
  size_t i, k;

  for (k = 0; k < ncols; k++)
    width[k] = strlen (header[k]);
  for (i = 0; i < n; i++)
    {
      const char *cells[6] = { e[i].st->id,     e[i].pid,     mr_status_name (e[i].status),
                               e[i].st->bundle, e[i].created, e[i].owner };

      for (k = 0; k < ncols; k++)
        if (strlen (cells[k]) > width[k])
          width[k] = strlen (cells[k]);
    }
  for (k = 0; k < ncols; k++)
    width[k] = width[k] + 3 < 12 ? 12 : width[k] + 3;

  print_row (header, width, ncols);
  for (i = 0; i < n; i++)
    {
      const char *cells[6] = { e[i].st->id,     e[i].pid,     mr_status_name (e[i].status),
                               e[i].st->bundle, e[i].created, e[i].owner };

      print_row (cells, width, ncols);
    }
}

static int
print_json_list (struct list_entry *e, size_t n, mr_error **err)
{
  cleanup_json modrun_json *arr = NULL;
  cleanup_free char *text = NULL;
  size_t i, len = 0;
  int ret;

  /* runc encodes an empty list as a nil slice. */
  if (n == 0)
    {
      fputs ("null\n", stdout);
      return 0;
    }
  arr = mr_json_new (MODRUN_JSON_ARRAY);
  for (i = 0; i < n; i++)
    {
      cleanup_json modrun_json *doc = state_document (e[i].st, e[i].status, e[i].owner);

      mr_json_add_copy (arr, NULL, doc);
    }
  ret = mr_json_serialize (arr, 0, &text, &len, err);
  if (ret < 0)
    return ret;
  while (len > 0 && text[len - 1] == '\n')
    len--;
  fwrite (text, 1, len, stdout);
  fputc ('\n', stdout);
  return 0;
}

int
mr_list (struct mr_runtime *rt, const char *format, bool quiet, mr_error **err)
{
  struct list_entry *entries = NULL;
  char **ids = NULL;
  size_t nids = 0, n = 0, i;
  int ret;

  if (format == NULL)
    format = "table";
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return mr_fail (err, 0, "list: --format: expected \"table\" or \"json\", got \"%s\"", format);
  ret = list_ids (rt->root, &ids, &nids, err);
  if (ret < 0)
    return ret;

  entries = mr_xzalloc ((nids ? nids : 1) * sizeof (*entries));
  for (i = 0; i < nids; i++)
    {
      cleanup_error mr_error *lerr = NULL;
      cleanup_free char *dir = mr_state_dir (rt->root, ids[i]);
      struct list_entry *e = &entries[n];

      /* A directory without state.json is a create in progress, or the
       * leftover of one: not a container yet. */
      if (mr_state_load (rt->root, ids[i], &e->st, &lerr) < 0)
        {
          if (lerr->errnum != ENOENT)
            mr_log (MODRUN_LOG_WARNING, "list: %s", lerr->msg);
          continue;
        }
      e->status = mr_state_status (dir, e->st);
      e->owner = owner_of (dir);
      e->created = created_for_display (e->st->created);
      snprintf (e->pid, sizeof (e->pid), "%d",
                e->status == MR_STATUS_STOPPED ? 0 : (int)e->st->pid);
      n++;
    }
  for (i = 0; i < nids; i++)
    free (ids[i]);
  free (ids);

  if (quiet)
    for (i = 0; i < n; i++)
      printf ("%s\n", entries[i].st->id);
  else if (strcmp (format, "json") == 0)
    ret = print_json_list (entries, n, err);
  else
    print_table (entries, n);
  free_entries (entries, n);
  if (ret == 0 && fflush (stdout) != 0)
    ret = mr_fail (err, errno, "list: write to stdout");
  return ret;
}

/* Signals. */

static const struct
{
  const char *name;
  int signo;
} signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },   { "IOT", SIGIOT },   { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

/* A decimal number made only of digits, within [MIN, MAX]; -1 otherwise. */
static int
parse_small_number (const char *s, int min, int max)
{
  long v = 0;

  if (*s == '\0')
    return -1;
  for (; *s; s++)
    {
      if (*s < '0' || *s > '9')
        return -1;
      v = v * 10 + (*s - '0');
      if (v > max)
        return -1;
    }
  return v < min ? -1 : (int)v;
}

int
mr_parse_signal (const char *s)
{
  size_t i;

  if (s == NULL || *s == '\0')
    return -1;
  if (*s >= '0' && *s <= '9')
    return parse_small_number (s, 1, SIGRTMAX);
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (i = 0; i < sizeof (signal_names) / sizeof (signal_names[0]); i++)
    if (strcasecmp (s, signal_names[i].name) == 0)
      return signal_names[i].signo;
  if (strncasecmp (s, "RTMIN", 5) == 0)
    {
      int off = s[5] == '\0' ? 0 : (s[5] == '+' ? parse_small_number (s + 6, 0, 64) : -1);

      return off < 0 || SIGRTMIN + off > SIGRTMAX ? -1 : SIGRTMIN + off;
    }
  if (strncasecmp (s, "RTMAX", 5) == 0)
    {
      int off = s[5] == '\0' ? 0 : (s[5] == '-' ? parse_small_number (s + 6, 0, 64) : -1);

      return off < 0 || SIGRTMAX - off < SIGRTMIN ? -1 : SIGRTMAX - off;
    }
  return -1;
}
