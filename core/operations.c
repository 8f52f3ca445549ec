/* The operations on a container that runs, and on the runtime itself:
 * features, ps, update and events. They act through the plugins recorded
 * in the container's state, chiefly its cgroups plugin. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "lifecycle.h"
#include "log.h"
#include "plugins.h"
#include "state.h"

/* The spec versions whose config.json this runtime accepts. */
#define OCI_VERSION_MIN "1.0.0"
#define OCI_VERSION_MAX "1.3.0"

#define ANNOTATION_PLUGINS "run.modrun.plugins"
#define ANNOTATION_LANDLOCK "run.modrun.landlock"
#define ANNOTATION_VERSION "run.modrun.version"

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

/* Whether descriptor D declares the member at OFFSET of SIZE bytes. */
static bool
desc_has (const struct modrun_plugin *d, size_t offset, size_t size)
{
  return d->size >= offset + size;
}

#define DESC_HAS(d, field)                                                                         \
  desc_has ((d), offsetof (struct modrun_plugin, field), sizeof ((d)->field))

/* Writes TEXT and a newline to stdout. */
static int
print_line (const char *text, size_t len, const char *what, mr_error **err)
{
  if (fwrite (text, 1, len, stdout) != len || fputc ('\n', stdout) == EOF || fflush (stdout) != 0)
    return mr_fail (err, errno, "%s: write to stdout", what);
  return 0;
}

/* Opens ID with what the cgroups plugin needs; the container must have a
 * process (created, running or paused). */
static int
open_live (struct mr_runtime *rt, const char *id, bool lock, unsigned int command,
           struct mr_ctr *ct, mr_error **err)
{
  enum mr_status status;
  int ret;

  ret = mr_ctr_open (rt, id, lock, ct, err);
  if (ret < 0)
    return ret;
  status = mr_state_status (ct->dir, ct->st);
  if (status != MR_STATUS_CREATED && status != MR_STATUS_RUNNING && status != MR_STATUS_PAUSED)
    return fail_plain (err, ESRCH, "%s: container not running", id);
  return mr_ctr_load_plugins (ct, command, false, err);
}

/* The container's cgroups plugin when it has the member at OFFSET (a
 * function pointer); an error naming OP otherwise. */
static struct mr_plugin *
cgroups_with (struct mr_ctr *ct, size_t offset, const char *op, mr_error **err)
{
  struct mr_plugin *p = mr_plugins_find (&ct->plugins, MODRUN_CONCERN_CGROUPS);
  void (*fn) (void) = NULL;

  if (p != NULL && desc_has (p->desc, offset, sizeof (fn)))
    memcpy (&fn, (const char *)p->desc + offset, sizeof (fn));
  if (fn == NULL)
    {
      if (p == NULL)
        mr_fail (err, 0, "%s: %s: the container has no cgroups plugin (plugins: %s)", ct->st->id,
                 op, ct->st->plugins ? ct->st->plugins : "none");
      else
        mr_fail (err, 0, "%s: %s: not supported by the container's cgroups plugin %s", ct->st->id,
                 op, p->name);
      return NULL;
    }
  ct->core.plugin = p->name;
  ct->core.stage = op;
  return p;
}

/* features */

static const char *const hook_names[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/* The members of the document, and of its "linux" object, in the order
 * runc prints them; members not named here follow in the order added. */
static const char *const top_order[] = {
  "ociVersionMin",
  "ociVersionMax",
  "hooks",
  "mountOptions",
  "linux",
  "annotations",
  "potentiallyUnsafeConfigAnnotations",
  NULL,
};
static const char *const linux_order[] = {
  "namespaces", "capabilities", "cgroup",     "seccomp",         "apparmor",
  "selinux",    "intelRdt",     "netDevices", "mountExtensions", NULL,
};

static void
reorder (modrun_json *obj, const char *const *order)
{
  uint32_t next = 0, i;
  size_t k;

  if (obj == NULL || obj->type != MODRUN_JSON_OBJECT)
    return;
  for (k = 0; order[k] != NULL; k++)
    for (i = next; i < obj->count; i++)
      if (strcmp (obj->keys[i], order[k]) == 0)
        {
          const char *key = obj->keys[i];
          modrun_json *item = obj->items[i];

          memmove (&obj->keys[next + 1], &obj->keys[next], (i - next) * sizeof (*obj->keys));
          memmove (&obj->items[next + 1], &obj->items[next], (i - next) * sizeof (*obj->items));
          obj->keys[next] = key;
          obj->items[next] = item;
          next++;
          break;
        }
}

static modrun_json *
add_or_die (modrun_json *parent, const char *key, modrun_json_type type)
{
  modrun_json *j = mr_json_add (parent, key, type);

  if (j == NULL)
    abort ();
  return j;
}

static void
add_disabled (modrun_json *parent, const char *key)
{
  mr_json_add_bool (add_or_die (parent, key, MODRUN_JSON_OBJECT), "enabled", 0);
}

/* Every capability libcap can name, up to the last one this kernel has. */
static void
add_capabilities (modrun_json *linux_obj)
{
  modrun_json *arr = add_or_die (linux_obj, "capabilities", MODRUN_JSON_ARRAY);
  int last = (int)cap_max_bits () - 1;
  int v;

  if (last < CAP_LAST_CAP)
    last = CAP_LAST_CAP;
  for (v = 0; v <= last; v++)
    {
      char *name = cap_to_name ((cap_value_t)v);
      char *upper, *s;

      if (name == NULL)
        continue;
      /* A capability libcap has no name for comes back as its number. */
      if (!isdigit ((unsigned char)name[0]))
        {
          upper = mr_xstrdup (name);
          for (s = upper; *s; s++)
            *s = (char)toupper ((unsigned char)*s);
          mr_json_add_string (arr, NULL, upper);
          free (upper);
        }
      cap_free (name);
    }
}

/* What the core itself decides: the spec versions, hooks, capabilities
 * (process setup is the core's), and "not supported" for the concerns no
 * plugin has spoken for, which a plugin's features op replaces. */
static modrun_json *
features_base (void)
{
  modrun_json *doc = mr_json_new (MODRUN_JSON_OBJECT);
  modrun_json *hooks, *linux_obj, *ext;
  size_t i;

  if (doc == NULL)
    abort ();
  mr_json_add_string (doc, "ociVersionMin", OCI_VERSION_MIN);
  mr_json_add_string (doc, "ociVersionMax", OCI_VERSION_MAX);
  hooks = add_or_die (doc, "hooks", MODRUN_JSON_ARRAY);
  for (i = 0; i < sizeof (hook_names) / sizeof (hook_names[0]); i++)
    mr_json_add_string (hooks, NULL, hook_names[i]);
  linux_obj = add_or_die (doc, "linux", MODRUN_JSON_OBJECT);
  add_capabilities (linux_obj);
  add_disabled (linux_obj, "seccomp");
  add_disabled (linux_obj, "apparmor");
  add_disabled (linux_obj, "selinux");
  add_disabled (linux_obj, "intelRdt");
  ext = add_or_die (linux_obj, "mountExtensions", MODRUN_JSON_OBJECT);
  add_disabled (ext, "idmap");
  return doc;
}

/* A config that asks for seccomp and, with LANDLOCK, for Landlock rules:
 * the selection adds the plugins that serve them only for such a config. */
static modrun_json *
features_wants (bool landlock)
{
  modrun_json *wants = mr_json_new (MODRUN_JSON_OBJECT);

  add_or_die (add_or_die (wants, "linux", MODRUN_JSON_OBJECT), "seccomp", MODRUN_JSON_OBJECT);
  if (landlock)
    mr_json_add_string (add_or_die (wants, "annotations", MODRUN_JSON_OBJECT), ANNOTATION_LANDLOCK,
                        "{}");
  return wants;
}

/* The plugins features are gathered from: the default selection (with
 * --plugins, MODRUN_PLUGINS and the configuration file), with the seccomp
 * and landlock plugins when they are usable. */
static int
features_plugins (struct mr_runtime *rt, struct mr_plugin_set *set, mr_error **err)
{
  cleanup_json modrun_json *wants_all = features_wants (true);
  cleanup_json modrun_json *wants = features_wants (false);
  cleanup_error mr_error *lerr = NULL;
  cleanup_error mr_error *serr = NULL;

  if (mr_plugins_select (rt->plugins, wants_all, set, &lerr) == 0)
    return 0;
  mr_log (MODRUN_LOG_DEBUG, "features: no usable landlock plugin in the selection: %s", lerr->msg);
  if (mr_plugins_select (rt->plugins, wants, set, &serr) == 0)
    return 0;
  mr_log (MODRUN_LOG_DEBUG, "features: no seccomp plugin in the selection: %s", serr->msg);
  return mr_plugins_select (rt->plugins, NULL, set, err);
}

/* Prints J with four-space indents, as runc prints its features. */
static void
print_pretty (FILE *f, const modrun_json *j, int level)
{
  uint32_t i;

  switch (j->type)
    {
    case MODRUN_JSON_NULL:
      fputs ("null", f);
      break;
    case MODRUN_JSON_BOOL:
      fputs (j->boolean ? "true" : "false", f);
      break;
    case MODRUN_JSON_INTEGER:
      fprintf (f, "%lld", (long long)j->integer);
      break;
    case MODRUN_JSON_DOUBLE:
      if (j->string != NULL)
        fputs (j->string, f);
      else
        fprintf (f, "%.17g", j->number);
      break;
    case MODRUN_JSON_STRING:
      {
        char *q = mr_json_quote (j->string);

        fputs (q, f);
        free (q);
        break;
      }
    case MODRUN_JSON_ARRAY:
    case MODRUN_JSON_OBJECT:
      {
        bool obj = j->type == MODRUN_JSON_OBJECT;

        if (j->count == 0)
          {
            fputs (obj ? "{}" : "[]", f);
            break;
          }
        fputc (obj ? '{' : '[', f);
        for (i = 0; i < j->count; i++)
          {
            fprintf (f, "%s\n%*s", i ? "," : "", (level + 1) * 4, "");
            if (obj)
              {
                char *q = mr_json_quote (j->keys[i]);

                fprintf (f, "%s: ", q);
                free (q);
              }
            print_pretty (f, j->items[i], level + 1);
          }
        fprintf (f, "\n%*s%c", level * 4, "", obj ? '}' : ']');
        break;
      }
    default:
      fputs ("null", f);
      break;
    }
}

/* Adds the features of every plugin of SET to DOC, and "name@version" of
 * each to the comma-separated list *USED. */
static int
add_plugin_features (struct mr_plugin_set *set, modrun_json *doc, char **used, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < set->n; i++)
    {
      struct mr_plugin *p = &set->items[i];
      struct mr_container_core core;
      struct modrun_container c;
      char *more;

      if (!DESC_HAS (p->desc, features) || p->desc->features == NULL)
        continue;
      mr_container_init (&c, &core);
      c.command = MODRUN_CMD_FEATURES;
      core.plugin = p->name;
      core.stage = "features";
      ret = p->desc->features (&c, doc);
      if (ret < 0)
        {
          if (core.err != NULL)
            mr_fail (err, 0, "%s: features: %s", p->name, core.err->msg);
          else
            mr_fail (err, -ret, "%s: features", p->name);
          mr_error_free (core.err);
          return ret;
        }
      mr_error_free (core.err);
      more = mr_xasprintf ("%s%s%s@%s", *used, **used ? "," : "", p->name,
                           p->desc->version ? p->desc->version : "unknown");
      free (*used);
      *used = more;
    }
  return 0;
}

int
mr_features (struct mr_runtime *rt, mr_error **err)
{
  cleanup_json modrun_json *doc = features_base ();
  cleanup_free char *used = NULL;
  struct mr_plugin_set set = { NULL, 0 };
  modrun_json *ann, *unsafe;
  int ret;

  ret = features_plugins (rt, &set, err);
  if (ret < 0)
    return ret;
  used = mr_xstrdup ("");
  ret = add_plugin_features (&set, doc, &used, err);
  mr_plugins_unload (&set);
  if (ret < 0)
    return ret;

  /* The LSM plugins serve only configs that ask for a label: they are
   * chosen apart. */
  ret = mr_plugins_select_lsm (rt->plugins, &set, err);
  if (ret == 0)
    ret = add_plugin_features (&set, doc, &used, err);
  mr_plugins_unload (&set);
  if (ret < 0)
    return ret;

  /* Plugins may have added annotations of their own. */
  ann = (modrun_json *)modrun_json_get (doc, "annotations");
  if (ann == NULL)
    ann = add_or_die (doc, "annotations", MODRUN_JSON_OBJECT);
  mr_json_add_string (ann, ANNOTATION_PLUGINS, used);
  mr_json_add_string (ann, ANNOTATION_VERSION, PACKAGE_VERSION);
  /* The annotation that chooses plugins changes what the runtime runs. */
  unsafe = add_or_die (doc, "potentiallyUnsafeConfigAnnotations", MODRUN_JSON_ARRAY);
  mr_json_add_string (unsafe, NULL, ANNOTATION_PLUGINS);

  reorder (doc, top_order);
  reorder ((modrun_json *)modrun_json_get (doc, "linux"), linux_order);
  print_pretty (stdout, doc, 0);
  fputc ('\n', stdout);
  if (fflush (stdout) != 0)
    return mr_fail (err, errno, "features: write to stdout");
  return 0;
}

/* ps */

static int
list_pids (struct mr_ctr *ct, pid_t **pids, size_t *n, mr_error **err)
{
  struct mr_plugin *p = cgroups_with (ct, offsetof (struct modrun_plugin, list_pids), "ps", err);
  int ret;

  *pids = NULL;
  *n = 0;
  if (p == NULL)
    return -ENOTSUP;
  ret = p->desc->list_pids (&ct->c, &p->data, pids, n);
  if (ret < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return mr_ctr_plugin_failure (ct, p, "list_pids", ret, err);
    }
  return 0;
}

static int
print_pids_json (const pid_t *pids, size_t n, mr_error **err)
{
  size_t i;

  fputc ('[', stdout);
  for (i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int)pids[i]);
  return print_line ("]", 1, "ps", err);
}

/* All that was written to the memfd FD, from its start. */
static int
read_back (int fd, char **out, mr_error **err)
{
  size_t len = 0, cap = 4096;
  char *buf = mr_xmalloc (cap + 1);
  ssize_t r;

  if (lseek (fd, 0, SEEK_SET) < 0)
    {
      free (buf);
      return mr_fail (err, errno, "ps: rewind its output");
    }
  for (;;)
    {
      if (len == cap)
        buf = mr_xrealloc (buf, (cap *= 2) + 1);
      r = read (fd, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          free (buf);
          return mr_fail (err, errno, "ps: read its output");
        }
      if (r == 0)
        break;
      len += (size_t)r;
    }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

/* Runs ps with ARGV; its output and errors in *OUT and *ERRTEXT. */
static int
run_ps (char *const *argv, char **out, char **errtext, mr_error **err)
{
  cleanup_close int ofd = memfd_create ("modrun-ps-out", MFD_CLOEXEC);
  cleanup_close int efd = memfd_create ("modrun-ps-err", MFD_CLOEXEC);
  int status = 0;
  pid_t pid;
  int ret;

  if (ofd < 0 || efd < 0)
    return mr_fail (err, errno, "ps: memfd_create");
  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    return mr_fail (err, errno, "ps: fork");
  if (pid == 0)
    {
      if (dup2 (ofd, STDOUT_FILENO) < 0 || dup2 (efd, STDERR_FILENO) < 0)
        _exit (127);
      execvp (argv[0], argv);
      dprintf (STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return mr_fail (err, errno, "ps: wait for %s (pid %d)", argv[0], (int)pid);

  ret = read_back (ofd, out, err);
  if (ret == 0 && read_back (efd, errtext, NULL) < 0)
    *errtext = mr_xstrdup ("");
  if (ret < 0)
    return ret;
  return status;
}

static bool
pid_listed (const pid_t *pids, size_t n, long v)
{
  size_t i;

  for (i = 0; i < n; i++)
    if ((long)pids[i] == v)
      return true;
  return false;
}

/* The index of the "PID" column of HEADER, or -1. */
static int
pid_column (const char *header)
{
  cleanup_free char *copy = mr_xstrdup (header);
  char *save = NULL, *tok;
  int k = 0;

  for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), k++)
    if (strcmp (tok, "PID") == 0)
      return k;
  return -1;
}

/* Field K of LINE as a number, or -1. */
static long
field_number (const char *line, int k)
{
  const char *s = line;
  char *end;
  long v;

  for (;;)
    {
      while (*s == ' ' || *s == '\t')
        s++;
      if (*s == '\0')
        return -1;
      if (k-- == 0)
        break;
      while (*s != '\0' && *s != ' ' && *s != '\t')
        s++;
    }
  v = strtol (s, &end, 10);
  if (end == s || (*end != '\0' && *end != ' ' && *end != '\t'))
    return -1;
  return v;
}

static int
print_ps_table (const pid_t *pids, size_t n, char *const *ps_args, mr_error **err)
{
  cleanup_free char *out = NULL;
  cleanup_free char *errtext = NULL;
  cleanup_free char *cmdline = NULL;
  char **argv;
  char *line, *next;
  size_t nargs = 0, i;
  int status, col;

  while (ps_args != NULL && ps_args[nargs] != NULL)
    nargs++;
  argv = mr_xzalloc ((nargs + 3) * sizeof (*argv));
  argv[0] = (char *)"ps";
  if (nargs == 0)
    argv[1] = (char *)"-ef";
  for (i = 0; i < nargs; i++)
    argv[i + 1] = ps_args[i];
  cmdline = mr_xstrdup ("ps");
  for (i = 1; argv[i] != NULL; i++)
    {
      char *more = mr_xasprintf ("%s %s", cmdline, argv[i]);

      free (cmdline);
      cmdline = more;
    }

  status = run_ps (argv, &out, &errtext, err);
  free (argv);
  if (status < 0)
    return status;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      errtext[strcspn (errtext, "\n")] = '\0';
      if (WIFEXITED (status))
        return mr_fail (err, 0, "ps: `%s` exited with status %d%s%s", cmdline, WEXITSTATUS (status),
                        *errtext ? ": " : "", errtext);
      return mr_fail (err, 0, "ps: `%s` was killed by signal %d", cmdline, WTERMSIG (status));
    }

  next = strchr (out, '\n');
  if (next != NULL)
    *next++ = '\0';
  col = pid_column (out);
  if (col < 0)
    return mr_fail (err, 0, "ps: the output of `%s` has no PID column: its header is \"%s\"",
                    cmdline, out);
  printf ("%s\n", out);
  for (line = next; line != NULL && *line != '\0'; line = next)
    {
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (pid_listed (pids, n, field_number (line, col)))
        printf ("%s\n", line);
    }
  if (fflush (stdout) != 0)
    return mr_fail (err, errno, "ps: write to stdout");
  return 0;
}

int
mr_ps (struct mr_runtime *rt, const char *id, const char *format, char *const *ps_args,
       mr_error **err)
{
  cleanup_free pid_t *pids = NULL;
  struct mr_ctr ct;
  size_t n = 0;
  int ret;

  if (format == NULL)
    format = "table";
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return mr_fail (err, 0, "ps: --format: expected \"table\" or \"json\", got \"%s\"", format);
  ret = open_live (rt, id, false, MODRUN_CMD_PS, &ct, err);
  if (ret == 0)
    ret = list_pids (&ct, &pids, &n, err);
  mr_ctr_release (&ct);
  if (ret < 0)
    return ret;
  if (strcmp (format, "json") == 0)
    return print_pids_json (pids, n, err);
  return print_ps_table (pids, n, ps_args, err);
}

/* update */

/* Puts a copy of every member of FROM into INTO, merging objects member by
 * member; anything else (arrays included) replaces what INTO had. */
static void
merge_into (modrun_json *into, const modrun_json *from)
{
  uint32_t i;

  for (i = 0; i < from->count; i++)
    {
      const modrun_json *v = from->items[i];
      modrun_json *have = (modrun_json *)modrun_json_get (into, from->keys[i]);

      if (v->type == MODRUN_JSON_OBJECT && have != NULL && have->type == MODRUN_JSON_OBJECT)
        merge_into (have, v);
      else if (mr_json_add_copy (into, from->keys[i], v) < 0)
        abort ();
    }
}

/* Records RESOURCES in the config.json copy of the state directory, so
 * that later commands see the limits in force. */
static int
save_resources (struct mr_ctr *ct, const modrun_json *resources, mr_error **err)
{
  cleanup_free char *path = mr_xasprintf ("%s/config.json", ct->dir);
  cleanup_free char *text = NULL;
  modrun_json *linux_obj, *res;
  size_t len = 0;
  int ret;

  linux_obj = (modrun_json *)modrun_json_get (ct->config, "linux");
  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    linux_obj = add_or_die (ct->config, "linux", MODRUN_JSON_OBJECT);
  res = (modrun_json *)modrun_json_get (linux_obj, "resources");
  if (res == NULL || res->type != MODRUN_JSON_OBJECT)
    res = add_or_die (linux_obj, "resources", MODRUN_JSON_OBJECT);
  merge_into (res, resources);

  ret = mr_json_serialize (ct->config, 1, &text, &len, err);
  if (ret < 0)
    return ret;
  ret = mr_write_file_atomic (path, text, len, 0600, err);
  if (ret < 0)
    mr_error_prefix (err, "%s: update: record the new resources", ct->st->id);
  return ret;
}

int
mr_update (struct mr_runtime *rt, const char *id, const modrun_json *resources, const char *source,
           mr_error **err)
{
  struct mr_plugin *p;
  struct mr_ctr ct;
  int ret;

  if (resources == NULL || resources->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "update: resources: expected object, got %s",
                    modrun_json_type_name (resources ? resources->type : MODRUN_JSON_NULL));
  ret = open_live (rt, id, true, MODRUN_CMD_UPDATE, &ct, err);
  if (ret < 0)
    goto out;
  if (resources->count == 0)
    goto out;
  p = cgroups_with (&ct, offsetof (struct modrun_plugin, update), "update", err);
  if (p == NULL)
    {
      ret = -ENOTSUP;
      goto out;
    }
  ct.core.source = source;
  ret = p->desc->update (&ct.c, &p->data, resources);
  ct.core.source = NULL;
  if (ret < 0)
    {
      ret = mr_ctr_plugin_failure (&ct, p, "update", ret, err);
      goto out;
    }
  ret = save_resources (&ct, resources, err);

out:
  mr_ctr_release (&ct);
  return ret;
}

/* events */

/* {"type": "stats", "id": ID, "data": {...}} from the cgroups plugin. */
static int
stats_event (struct mr_ctr *ct, struct mr_plugin *p, modrun_json **out, mr_error **err)
{
  cleanup_json modrun_json *ev = mr_json_new (MODRUN_JSON_OBJECT);
  modrun_json *data;
  int ret;

  mr_json_add_string (ev, "type", "stats");
  mr_json_add_string (ev, "id", ct->st->id);
  data = add_or_die (ev, "data", MODRUN_JSON_OBJECT);
  ret = p->desc->stats (&ct->c, &p->data, data);
  if (ret < 0)
    return mr_ctr_plugin_failure (ct, p, "stats", ret, err);
  *out = mr_steal_ptr (ev);
  return 0;
}

static int
print_event (const modrun_json *ev, mr_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret;

  ret = mr_json_serialize (ev, 0, &text, &len, err);
  if (ret < 0)
    return ret;
  while (len > 0 && text[len - 1] == '\n')
    len--;
  return print_line (text, len, "events", err);
}

/* The OOM kills counted so far, when the plugin reports them as the
 * integer data.memory.oomKill; -1 when it does not. */
static int64_t
oom_kills (const modrun_json *ev)
{
  const modrun_json *v = modrun_json_path (ev, "data.memory.oomKill");

  return v != NULL && v->type == MODRUN_JSON_INTEGER ? v->integer : -1;
}

/* Whether the init has exited, waiting up to TIMEOUT_MS for it. */
static int
init_exited (int pidfd, int timeout_ms, mr_error **err)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  int r;

  do
    r = poll (&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return mr_fail (err, errno, "events: wait for the container init");
  return r > 0;
}

/* How often events looks for a new OOM kill between two reports. */
#define EVENTS_OOM_POLL_MS 100

static long long
monotonic_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints {"type": "oom", "id": ID} when EV counts more OOM kills than
 * *OOMS, and keeps EV's count in *OOMS. */
static int
report_oom (struct mr_ctr *ct, const modrun_json *ev, int64_t *ooms, mr_error **err)
{
  int64_t now = oom_kills (ev);
  int ret = 0;

  if (*ooms >= 0 && now > *ooms)
    {
      cleanup_json modrun_json *oom = mr_json_new (MODRUN_JSON_OBJECT);

      mr_json_add_string (oom, "type", "oom");
      mr_json_add_string (oom, "id", ct->st->id);
      ret = print_event (oom, err);
    }
  *ooms = now;
  return ret;
}

/* The usage every INTERVAL_MS, and an OOM kill as soon as it is counted:
 * the plugin's counter is read every EVENTS_OOM_POLL_MS in between. Ends
 * when the init exits, after a last look for the kill that ended it. */
static int
events_loop (struct mr_ctr *ct, struct mr_plugin *p, long interval_ms, mr_error **err)
{
  cleanup_close int pidfd = mr_ctr_init_pidfd (ct->st, err);
  long long next_report = monotonic_ms ();
  int64_t ooms = -1;
  bool exited = false;
  int ret;

  if (pidfd == -ESRCH)
    return 0;
  if (pidfd < 0)
    return pidfd;
  for (;;)
    {
      cleanup_json modrun_json *ev = NULL;
      cleanup_error mr_error *serr = NULL;
      long long now, wait_ms;

      ret = stats_event (ct, p, &ev, &serr);
      if (ret < 0)
        {
          /* The cgroup goes with a container that stops meanwhile. */
          if (exited || init_exited (pidfd, 0, err) == 1)
            return 0;
          *err = mr_steal_ptr (serr);
          return ret;
        }
      ret = report_oom (ct, ev, &ooms, err);
      if (ret < 0 || exited)
        return ret;
      now = monotonic_ms ();
      if (now >= next_report)
        {
          ret = print_event (ev, err);
          if (ret < 0)
            return ret;
          next_report = now + interval_ms;
        }
      wait_ms = next_report - now;
      if (ooms >= 0 && wait_ms > EVENTS_OOM_POLL_MS)
        wait_ms = EVENTS_OOM_POLL_MS;
      ret = init_exited (pidfd, wait_ms > INT32_MAX ? INT32_MAX : (int)wait_ms, err);
      if (ret < 0)
        return ret;
      /* One more round, for an OOM kill that ended the init. */
      if (ret == 1)
        exited = true;
    }
}

int
mr_events (struct mr_runtime *rt, const char *id, bool stats, long interval_ms, mr_error **err)
{
  struct mr_plugin *p;
  struct mr_ctr ct;
  int ret;

  ret = open_live (rt, id, false, MODRUN_CMD_EVENTS, &ct, err);
  if (ret < 0)
    goto out;
  p = cgroups_with (&ct, offsetof (struct modrun_plugin, stats), "events", err);
  if (p == NULL)
    {
      ret = -ENOTSUP;
      goto out;
    }
  if (stats)
    {
      cleanup_json modrun_json *ev = NULL;

      ret = stats_event (&ct, p, &ev, err);
      if (ret == 0)
        ret = print_event (ev, err);
    }
  else
    ret = events_loop (&ct, p, interval_ms, err);

out:
  mr_ctr_release (&ct);
  return ret;
}
