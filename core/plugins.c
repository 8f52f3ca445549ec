/* Finding, checking and loading plugins, choosing the set a container uses,
 * and calling their stages. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ltdl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "plugins.h"
#include "trace.h"

#ifndef MODRUN_PLUGINDIR
#define MODRUN_PLUGINDIR "/usr/local/lib/modrun/plugins"
#endif
#ifndef MODRUN_SYSCONFDIR
#define MODRUN_SYSCONFDIR "/etc"
#endif

#define ANNOTATION_PLUGINS "run.modrun.plugins"
/* Landlock rules for the container; the landlock plugin applies them. */
#define ANNOTATION_LANDLOCK "run.modrun.landlock"

/* The head every descriptor of ABI 1.0 has: up to and including caps. */
#define MIN_DESC_SIZE (offsetof (struct modrun_plugin, caps) + sizeof (uint64_t))

/* An error whose message says it all: ERRNUM is returned and kept in the
 * error, but not spelled out after the message. */
static int __attribute__ ((format (printf, 3, 4)))
fail_as (mr_error **err, int errnum, const char *fmt, ...)
{
  bool fresh = err != NULL && *err == NULL;
  va_list ap;

  va_start (ap, fmt);
  mr_vfail (err, 0, fmt, ap);
  va_end (ap);
  if (fresh)
    (*err)->errnum = errnum;
  return -errnum;
}

/* Concerns. */

static const char *const concern_names[] = {
  NULL, "namespaces", "cgroups", "mounts", "lsm", "extra", "seccomp",
};
#define N_CONCERNS (sizeof (concern_names) / sizeof (concern_names[0]))

static const char *
concern_name (modrun_concern c)
{
  return c >= 1 && c < N_CONCERNS ? concern_names[c] : NULL;
}

static modrun_concern
concern_by_name (const char *s)
{
  modrun_concern c;

  for (c = 1; c < N_CONCERNS; c++)
    if (strcmp (concern_names[c], s) == 0)
      return c;
  return 0;
}

/* Tried in this order when nothing chooses the cgroups backend. */
static const char *const cgroups_candidates[] = { "cgroups-v2", "cgroups-v1", "cgroups-libcgroup" };
/* The same, in the order to try them on a host whose /sys/fs/cgroup is not
 * a cgroup2 mount (v1 or hybrid): only the probes decide, the order just
 * spares a load and a probe that would fail on every create. */
static const char *const cgroups_candidates_v1_host[]
    = { "cgroups-v1", "cgroups-v2", "cgroups-libcgroup" };
#define N_CGROUPS_CANDIDATES (sizeof (cgroups_candidates) / sizeof (cgroups_candidates[0]))

/* Names and paths. */

static bool
valid_name (const char *s)
{
  size_t n = 0;

  if (*s == '\0' || *s == '.' || *s == '-')
    return false;
  for (; *s; s++, n++)
    if (!isalnum ((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
      return false;
  return n <= 200;
}

/* "/usr/lib/modrun/plugins/cgroups-v1.so" -> "cgroups-v1" */
static char *
name_of_arg (const char *arg)
{
  const char *base = strrchr (arg, '/');
  size_t len;

  base = base ? base + 1 : arg;
  len = strlen (base);
  if (len > 3 && strcmp (base + len - 3, ".so") == 0)
    len -= 3;
  return mr_xasprintf ("%.*s", (int)len, base);
}

static char *
entry_symbol (const char *name)
{
  char *sym = mr_xasprintf ("%s%s", MODRUN_PLUGIN_ENTRY_PREFIX, name);
  char *p;

  for (p = sym + strlen (MODRUN_PLUGIN_ENTRY_PREFIX); *p; p++)
    if (*p == '-' || *p == '.')
      *p = '_';
  return sym;
}

static char *
trim (char *s)
{
  char *end;

  while (isspace ((unsigned char)*s))
    s++;
  end = s + strlen (s);
  while (end > s && isspace ((unsigned char)end[-1]))
    *--end = '\0';
  return s;
}

/* Whether the comma- or blank-separated LIST holds WORD. */
static bool
list_has (const char *list, const char *word)
{
  size_t len = strlen (word);
  const char *p = list;

  while (p != NULL && *p)
    {
      size_t n;

      p += strspn (p, ", \t");
      n = strcspn (p, ", \t");
      if (n == len && n > 0 && strncmp (p, word, n) == 0)
        return true;
      p += n;
    }
  return false;
}

/* The configuration file. */

struct conf
{
  char *path;
  char *plugins;
  char *plugin_path;
  char *annotation_plugins;
};

static void
conf_free (struct conf *cf)
{
  free (cf->path);
  free (cf->plugins);
  free (cf->plugin_path);
  free (cf->annotation_plugins);
  memset (cf, 0, sizeof (*cf));
}

/* Reads the configuration file; a missing default file is an empty one,
 * a missing file named by MODRUN_CONFIG an error. */
static int
conf_load (struct conf *cf, mr_error **err)
{
  const char *env = getenv ("MODRUN_CONFIG");
  bool explicit = env != NULL && *env != '\0';
  cleanup_error mr_error *rerr = NULL;
  cleanup_free char *text = NULL;
  char *line, *next;
  int lineno = 0;
  int ret;

  memset (cf, 0, sizeof (*cf));
  cf->path = mr_xstrdup (explicit ? env : MODRUN_SYSCONFDIR "/modrun/modrun.conf");
  ret = mr_read_file (cf->path, &text, NULL, &rerr);
  if (ret == -ENOENT && !explicit)
    return 0;
  if (ret < 0)
    return mr_fail (err, -ret, "modrun configuration %s: read", cf->path);

  for (line = text; line != NULL; line = next)
    {
      char *key, *value, *eq, *hash, **slot;

      lineno++;
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      /* A comment starts a line or follows a blank. */
      for (hash = strchr (line, '#'); hash != NULL; hash = strchr (hash + 1, '#'))
        if (hash == line || isspace ((unsigned char)hash[-1]))
          {
            *hash = '\0';
            break;
          }
      key = trim (line);
      if (*key == '\0')
        continue;
      eq = strchr (key, '=');
      if (eq == NULL)
        return fail_as (err, EINVAL, "%s:%d: expected `key = value`, got \"%s\"", cf->path, lineno,
                        key);
      *eq = '\0';
      value = trim (eq + 1);
      key = trim (key);
      if (strcmp (key, "plugins") == 0)
        slot = &cf->plugins;
      else if (strcmp (key, "plugin_path") == 0)
        slot = &cf->plugin_path;
      else if (strcmp (key, "annotation_plugins") == 0)
        slot = &cf->annotation_plugins;
      else
        return fail_as (err, EINVAL,
                        "%s:%d: unknown key \"%s\", expected plugins, plugin_path or "
                        "annotation_plugins",
                        cf->path, lineno, key);
      free (*slot);
      *slot = mr_xstrdup (value);
    }
  return 0;
}

/* MODRUN_PLUGIN_PATH, else plugin_path of CF (may be NULL), else the
 * compiled-in directory. */
static char *
search_path (const struct conf *cf)
{
  const char *env = getenv ("MODRUN_PLUGIN_PATH");

  if (env != NULL && *env != '\0')
    return mr_xstrdup (env);
  if (cf != NULL && cf->plugin_path != NULL && *cf->plugin_path != '\0')
    return mr_xstrdup (cf->plugin_path);
  return mr_xstrdup (MODRUN_PLUGINDIR);
}

/* The search path without reading the configuration file when the
 * environment already answers. */
static int
search_path_now (char **out, mr_error **err)
{
  const char *env = getenv ("MODRUN_PLUGIN_PATH");
  struct conf cf;
  int ret;

  if (env != NULL && *env != '\0')
    {
      *out = mr_xstrdup (env);
      return 0;
    }
  ret = conf_load (&cf, err);
  if (ret == 0)
    *out = search_path (&cf);
  conf_free (&cf);
  return ret;
}

/* Plugin files are dlopen'ed through "/proc/self/fd/N" of the descriptor
 * they were checked through. The dynamic linker and libltdl know a loaded
 * object by that name, and may keep it (and its name) after dlclose; were N
 * reused for another file, asking for it would return the old object. So
 * the descriptor of each distinct file loaded stays open for the life of
 * the process, and a file loaded again is asked for under its first name. */

struct kept_file
{
  dev_t dev;
  ino_t ino;
  int fd;
  struct kept_file *next;
};

static struct kept_file *kept_files;

/* The descriptor to load the file FD is through: a kept one for a file
 * seen before (FD is closed then), else FD itself, now kept. */
static int
keep_file (int fd, const struct stat *st)
{
  struct kept_file *k;

  for (k = kept_files; k != NULL; k = k->next)
    if (k->dev == st->st_dev && k->ino == st->st_ino)
      {
        close (fd);
        return k->fd;
      }
  k = mr_xzalloc (sizeof (*k));
  k->dev = st->st_dev;
  k->ino = st->st_ino;
  k->fd = fd;
  k->next = kept_files;
  kept_files = k;
  return fd;
}

/* Finding and checking files. */

/* Opens NAME.so in the first directory of SEARCH that has it. */
static int
find_file (const char *name, const char *search, char **path, mr_error **err)
{
  cleanup_free char *copy = mr_xstrdup (search);
  char *save = NULL, *dir;

  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = mr_xasprintf ("%s/%s.so", dir, name);
      int fd = open (p, O_PATH | O_CLOEXEC);

      if (fd >= 0)
        {
          *path = mr_steal_ptr (p);
          return fd;
        }
      if (errno != ENOENT && errno != ENOTDIR)
        return mr_fail (err, errno, "plugin \"%s\": open %s", name, p);
    }
  return fail_as (err, ENOENT, "plugin \"%s\": not found in %s", name, search);
}

static int
check_owner (const char *name, const char *path, const char *what, const struct stat *st,
             mr_error **err)
{
  if (st->st_uid != 0)
    return fail_as (err, EPERM, "plugin \"%s\" (%s): %s is owned by uid %u, not root", name, path,
                    what, (unsigned int)st->st_uid);
  if (st->st_mode & S_IWOTH)
    return fail_as (err, EPERM, "plugin \"%s\" (%s): %s is writable by others", name, path, what);
  if (st->st_mode & S_IWGRP)
    return fail_as (err, EPERM, "plugin \"%s\" (%s): %s is writable by its group", name, path,
                    what);
  return 0;
}

/* The file FD is, and the directory that holds it, must be root's and
 * closed to everyone else: whoever can change them can run code as the
 * runtime. */
static int
check_file (const char *name, const char *path, int fd, struct stat *file_st, mr_error **err)
{
  char proc[64], real[PATH_MAX];
  cleanup_close int dfd = -1;
  struct stat st;
  char *slash;
  ssize_t n;
  int ret;

  if (fstat (fd, &st) < 0)
    return mr_fail (err, errno, "plugin \"%s\" (%s): stat", name, path);
  if (!S_ISREG (st.st_mode))
    return fail_as (err, EINVAL, "plugin \"%s\" (%s): not a regular file", name, path);
  ret = check_owner (name, path, "file", &st, err);
  if (ret < 0)
    return ret;
  *file_st = st;

  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  n = readlink (proc, real, sizeof (real) - 1);
  if (n < 0)
    return mr_fail (err, errno, "plugin \"%s\" (%s): readlink %s", name, path, proc);
  real[n] = '\0';
  slash = strrchr (real, '/');
  if (slash == NULL)
    return fail_as (err, EINVAL, "plugin \"%s\" (%s): cannot tell its directory from \"%s\"", name,
                    path, real);
  if (slash == real)
    slash++;
  *slash = '\0';
  dfd = open (real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fstat (dfd, &st) < 0)
    return mr_fail (err, errno, "plugin \"%s\" (%s): open directory %s", name, path, real);
  {
    cleanup_free char *what = mr_xasprintf ("directory %s", real);

    return check_owner (name, path, what, &st, err);
  }
}

static int
check_desc (const char *name, const char *path, const char *sym, const struct modrun_plugin *d,
            mr_error **err)
{
  if (d->magic != MODRUN_PLUGIN_MAGIC)
    return fail_as (err, ENOEXEC,
                    "plugin \"%s\" (%s): %s is not a modrun plugin descriptor (magic 0x%08x)", name,
                    path, sym, (unsigned int)d->magic);
  if (d->abi_major != MODRUN_ABI_MAJOR || d->abi_minor > MODRUN_ABI_MINOR)
    return fail_as (err, ENOEXEC,
                    "plugin \"%s\" (%s): built for plugin ABI %u.%u, this modrun supports %d.%d",
                    name, path, (unsigned int)d->abi_major, (unsigned int)d->abi_minor,
                    MODRUN_ABI_MAJOR, MODRUN_ABI_MINOR);
  if (d->size < MIN_DESC_SIZE)
    return fail_as (err, ENOEXEC,
                    "plugin \"%s\" (%s): descriptor size %u is smaller than the %zu bytes of "
                    "plugin ABI %d.0",
                    name, path, (unsigned int)d->size, MIN_DESC_SIZE, MODRUN_ABI_MAJOR);
  if (concern_name (d->concern) == NULL)
    return fail_as (
        err, ENOEXEC, "plugin \"%s\" (%s): unknown concern %u, expected 1 (namespaces) to %zu (%s)",
        name, path, (unsigned int)d->concern, N_CONCERNS - 1, concern_names[N_CONCERNS - 1]);
  if (d->name == NULL || strcmp (d->name, name) != 0)
    return fail_as (err, ENOEXEC, "plugin \"%s\" (%s): its descriptor is named \"%s\"", name, path,
                    d->name ? d->name : "(null)");
  return 0;
}

/* Loading. */

/* libltdl reports the last of its loaders to fail, which says "file not
 * found" for a file that is there but broken; the dynamic linker says why. */
static const char *
dlopen_error (const char *proc)
{
  size_t len = strlen (proc);
  void *h = dlopen (proc, RTLD_NOW | RTLD_LOCAL);
  const char *e;

  if (h != NULL)
    {
      dlclose (h);
      return NULL;
    }
  e = dlerror ();
  if (e != NULL && strncmp (e, proc, len) == 0 && strncmp (e + len, ": ", 2) == 0)
    e += len + 2;
  return e;
}

static int
open_handle (const char *name, const char *path, int fd, lt_dlhandle *out, mr_error **err)
{
  char proc[64];
  lt_dladvise advise;
  lt_dlhandle h;

  if (lt_dladvise_init (&advise) != 0)
    return fail_as (err, ENOMEM, "plugin \"%s\" (%s): libltdl: %s", name, path, lt_dlerror ());
  lt_dladvise_local (&advise);
  /* The file checked is the file loaded: dlopen goes through our fd. */
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  h = lt_dlopenadvise (proc, advise);
  lt_dladvise_destroy (&advise);
  if (h == NULL)
    {
      const char *e = lt_dlerror ();
      const char *why = dlopen_error (proc);

      return fail_as (err, ENOEXEC, "plugin \"%s\" (%s): cannot load: %s", name, path,
                      why ? why
                      : e ? e
                          : "unknown error");
    }
  *out = h;
  return 0;
}

/* Loads the file FD (owned) opened from PATH (owned) as plugin NAME. */
static int
load_file (const char *name, char *path, int fd, bool by_path, struct mr_plugin *out,
           mr_error **err)
{
  cleanup_free char *sym = entry_symbol (name);
  uint64_t started = mr_trace_on () ? mr_trace_now () : 0;
  const struct modrun_plugin *d = NULL;
  lt_dlhandle h = NULL;
  struct stat st;
  int ret;

  ret = check_file (name, path, fd, &st, err);
  if (ret < 0)
    {
      close (fd);
      free (path);
      return ret;
    }
  fd = keep_file (fd, &st);

  if (lt_dlinit () != 0)
    {
      ret = fail_as (err, ENOMEM, "plugin \"%s\": libltdl: %s", name, lt_dlerror ());
      free (path);
      return ret;
    }
  ret = open_handle (name, path, fd, &h, err);
  if (ret == 0)
    {
      d = lt_dlsym (h, sym);
      if (d == NULL)
        ret = fail_as (err, ENOEXEC, "plugin \"%s\" (%s): no entry symbol %s", name, path, sym);
      else
        ret = check_desc (name, path, sym, d, err);
    }
  if (ret < 0)
    {
      if (h != NULL)
        lt_dlclose (h);
      lt_dlexit ();
      free (path);
      return ret;
    }

  memset (out, 0, sizeof (*out));
  out->desc = d;
  out->name = mr_xstrdup (name);
  out->path = path;
  out->handle = h;
  out->by_path = by_path;
  if (started != 0)
    mr_trace_add (name, "load", mr_trace_now () - started);
  mr_log (MODRUN_LOG_DEBUG, "plugin \"%s\": loaded %s (%s %s, ABI %u.%u)", name, path,
          concern_name (d->concern), d->version ? d->version : "without version",
          (unsigned int)d->abi_major, (unsigned int)d->abi_minor);
  return 0;
}

/* Built-in plugins. */

/* The plugin path shown for a plugin linked into the binary. */
#define BUILTIN_PATH "built-in"

/* Loads plugin NAME from the modules preloaded into this program, when it
 * is one: returns 1 then, 0 when it is not (the caller looks in the plugin
 * path), or a negative value for a built-in that fails its checks. Only
 * names configure linked in are asked for: libltdl knows a preloaded
 * module by a canonical form of its name, which other names could share.
 * A program without the preloaded table (the unit tests) has none. */
static int
load_builtin (const char *name, struct mr_plugin *out, mr_error **err)
{
#ifdef MODRUN_BUILTIN_PLUGINS
  cleanup_free char *sym = NULL;
  uint64_t started = mr_trace_on () ? mr_trace_now () : 0;
  const struct modrun_plugin *d;
  lt_dladvise advise;
  lt_dlhandle h;
  int ret;

  memset (out, 0, sizeof (*out));
  if (!list_has (MODRUN_BUILTIN_PLUGIN_NAMES, name))
    return 0;
  if (lt_dlinit () != 0)
    return fail_as (err, ENOMEM, "plugin \"%s\": libltdl: %s", name, lt_dlerror ());
  if (lt_dladvise_init (&advise) != 0)
    {
      ret = fail_as (err, ENOMEM, "plugin \"%s\": libltdl: %s", name, lt_dlerror ());
      lt_dlexit ();
      return ret;
    }
  lt_dladvise_preload (&advise);
  h = lt_dlopenadvise (name, advise);
  lt_dladvise_destroy (&advise);
  if (h == NULL)
    {
      lt_dlexit ();
      return 0;
    }

  sym = entry_symbol (name);
  d = lt_dlsym (h, sym);
  if (d == NULL)
    ret = fail_as (err, ENOEXEC, "plugin \"%s\" (%s): no entry symbol %s", name, BUILTIN_PATH, sym);
  else
    ret = check_desc (name, BUILTIN_PATH, sym, d, err);
  if (ret < 0)
    {
      lt_dlclose (h);
      lt_dlexit ();
      return ret;
    }

  out->desc = d;
  out->name = mr_xstrdup (name);
  out->path = mr_xstrdup (BUILTIN_PATH);
  out->handle = h;
  if (started != 0)
    mr_trace_add (name, "load", mr_trace_now () - started);
  mr_log (MODRUN_LOG_DEBUG, "plugin \"%s\": built in (%s %s, ABI %u.%u)", name,
          concern_name (d->concern), d->version ? d->version : "without version",
          (unsigned int)d->abi_major, (unsigned int)d->abi_minor);
  return 1;
#else
  memset (out, 0, sizeof (*out));
  return 0;
#endif
}

/* The names of the plugins linked into the binary, blank-separated. */
static const char *
builtin_names (void)
{
#ifdef MODRUN_BUILTIN_PLUGINS
  return MODRUN_BUILTIN_PLUGIN_NAMES;
#else
  return "";
#endif
}

/* Loads ARG, a name looked up in SEARCH (computed on demand when NULL) or
 * a path. A built-in plugin wins over a file of the same name. */
static int
load_one (const char *arg, const char *search, struct mr_plugin *out, mr_error **err)
{
  cleanup_free char *name = NULL;
  cleanup_free char *own_search = NULL;
  char *path = NULL;
  int fd, ret;

  memset (out, 0, sizeof (*out));
  if (strchr (arg, '/') != NULL)
    {
      name = name_of_arg (arg);
      if (!valid_name (name))
        return fail_as (err, EINVAL, "plugin file %s: \"%s\" is not a valid plugin name", arg,
                        name);
      if (arg[0] == '/')
        path = mr_xstrdup (arg);
      else
        {
          char cwd[PATH_MAX];

          if (getcwd (cwd, sizeof (cwd)) == NULL)
            return mr_fail (err, errno, "plugin \"%s\": current directory", name);
          path = mr_xasprintf ("%s/%s", cwd, arg);
        }
      fd = open (path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        {
          ret = mr_fail (err, errno, "plugin \"%s\": open %s", name, path);
          free (path);
          return ret;
        }
      return load_file (name, path, fd, true, out, err);
    }

  if (!valid_name (arg))
    return fail_as (err, EINVAL,
                    "plugin \"%s\": not a valid plugin name (letters, digits, '-', '_', '.')", arg);
  ret = load_builtin (arg, out, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (search == NULL)
    {
      ret = search_path_now (&own_search, err);
      if (ret < 0)
        return ret;
      search = own_search;
    }
  fd = find_file (arg, search, &path, err);
  if (fd < 0)
    return fd;
  return load_file (arg, path, fd, false, out, err);
}

int
mr_plugin_load (const char *name_or_path, struct mr_plugin *out, mr_error **err)
{
  return load_one (name_or_path, NULL, out, err);
}

static void
unload_one (struct mr_plugin *p)
{
  void (*release) (void *) = NULL;

  if (p->data != NULL && p->desc != NULL
      && offsetof (struct modrun_plugin, release) + sizeof (release) <= p->desc->size)
    memcpy (&release, (const char *)p->desc + offsetof (struct modrun_plugin, release),
            sizeof (release));
  if (release != NULL)
    release (p->data);
  p->data = NULL;
  if (p->handle != NULL)
    {
      lt_dlclose (p->handle);
      lt_dlexit ();
    }
  free (p->name);
  free (p->path);
  memset (p, 0, sizeof (*p));
}

void
mr_plugins_unload (struct mr_plugin_set *set)
{
  size_t i;

  if (set == NULL)
    return;
  for (i = 0; i < set->n; i++)
    unload_one (&set->items[i]);
  free (set->items);
  set->items = NULL;
  set->n = 0;
}

static void
set_append (struct mr_plugin_set *set, struct mr_plugin *p)
{
  set->items = mr_xrealloc (set->items, (set->n + 1) * sizeof (*set->items));
  set->items[set->n++] = *p;
  memset (p, 0, sizeof (*p));
}

/* Stable, so that extra plugins keep the order they were named in. */
static void
set_sort (struct mr_plugin_set *set)
{
  size_t i, j;

  for (i = 1; i < set->n; i++)
    {
      struct mr_plugin tmp = set->items[i];

      for (j = i; j > 0 && set->items[j - 1].desc->concern > tmp.desc->concern; j--)
        set->items[j] = set->items[j - 1];
      set->items[j] = tmp;
    }
}

int
mr_plugins_load_list (const char *names, struct mr_plugin_set *set, mr_error **err)
{
  cleanup_free char *copy = mr_xstrdup (names);
  cleanup_free char *search = NULL;
  char *save = NULL, *item;
  int ret;

  for (item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
    {
      struct mr_plugin p;

      item = trim (item);
      if (*item == '\0')
        continue;
      if (search == NULL && strchr (item, '/') == NULL)
        {
          ret = search_path_now (&search, err);
          if (ret < 0)
            goto fail;
        }
      ret = load_one (item, search, &p, err);
      if (ret < 0)
        goto fail;
      set_append (set, &p);
    }
  set_sort (set);
  return 0;

fail:
  mr_plugins_unload (set);
  return ret;
}

char *
mr_plugins_names (const struct mr_plugin_set *set)
{
  size_t i, len = 1;
  char *out, *o;

  for (i = 0; i < set->n; i++)
    len += strlen (set->items[i].by_path ? set->items[i].path : set->items[i].name) + 1;
  o = out = mr_xmalloc (len);
  *o = '\0';
  for (i = 0; i < set->n; i++)
    o += sprintf (o, "%s%s", i ? "," : "",
                  set->items[i].by_path ? set->items[i].path : set->items[i].name);
  return out;
}

struct mr_plugin *
mr_plugins_find (struct mr_plugin_set *set, modrun_concern concern)
{
  size_t i;

  for (i = 0; i < set->n; i++)
    if (set->items[i].desc->concern == concern)
      return &set->items[i];
  return NULL;
}

/* Running stages. */

/* The stage at OFFSET of D, or NULL when D lacks it or is too small to
 * have it: nothing at or past the size the plugin declared is read. */
static modrun_stage_fn
stage_fn (const struct modrun_plugin *d, size_t offset)
{
  modrun_stage_fn fn;

  if (offset + sizeof (fn) > d->size)
    return NULL;
  memcpy (&fn, (const char *)d + offset, sizeof (fn));
  return fn;
}

/* While a probe or validate stage runs, a fault in the plugin comes back
 * here as an error instead of ending the runtime. */

static const int guard_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
#define N_GUARD_SIGNALS (sizeof (guard_signals) / sizeof (guard_signals[0]))

static sigjmp_buf *guard_env;
static volatile sig_atomic_t guard_signo;
/* A stack overflow in the plugin leaves no stack for the handler. */
static char guard_stack[64 * 1024] __attribute__ ((aligned (16)));

static void
guard_handler (int signo)
{
  guard_signo = signo;
  siglongjmp (*guard_env, 1);
}

static int
call_guarded (modrun_stage_fn fn, struct modrun_container *c, void **data, int *crashed)
{
  struct sigaction sa, old[N_GUARD_SIGNALS];
  stack_t ss, old_ss;
  sigjmp_buf env;
  volatile int ret = -EFAULT;
  volatile bool have_stack;
  size_t i;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = guard_handler;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_ONSTACK;
  memset (&ss, 0, sizeof (ss));
  ss.ss_sp = guard_stack;
  ss.ss_size = sizeof (guard_stack);
  have_stack = sigaltstack (&ss, &old_ss) == 0;
  for (i = 0; i < N_GUARD_SIGNALS; i++)
    sigaction (guard_signals[i], &sa, &old[i]);

  guard_signo = 0;
  guard_env = &env;
  if (sigsetjmp (env, 1) == 0)
    ret = fn (c, data);
  guard_env = NULL;

  for (i = 0; i < N_GUARD_SIGNALS; i++)
    sigaction (guard_signals[i], &old[i], NULL);
  if (have_stack)
    sigaltstack (&old_ss, NULL);
  *crashed = guard_signo;
  return ret;
}

static bool
stage_is_guarded (size_t offset)
{
  return offset == offsetof (struct modrun_plugin, probe)
         || offset == offsetof (struct modrun_plugin, validate);
}

/* Turns the failure of stage STAGE of P into "PLUGIN: STAGE: message". */
static int
stage_failure (struct mr_plugin *p, struct mr_container_core *core, const char *stage, int ret,
               mr_error **err)
{
  cleanup_error mr_error *perr = mr_steal_ptr (core->err);

  if (ret >= 0)
    ret = -EINVAL;
  if (perr != NULL)
    return fail_as (err, perr->errnum ? perr->errnum : -ret, "%s: %s: %s", p->name, stage,
                    perr->msg);
  return mr_fail (err, -ret, "%s: %s: failed", p->name, stage);
}

static int
run_stage (struct mr_plugin *p, struct modrun_container *c, size_t offset, const char *stage,
           mr_error **err)
{
  struct mr_container_core *core = c->core;
  modrun_stage_fn fn = stage_fn (p->desc, offset);
  uint64_t started;
  int crashed = 0;
  int ret;

  if (fn == NULL)
    return 0;
  mr_error_free (mr_steal_ptr (core->err));
  core->plugin = p->name;
  core->stage = stage;
  mr_log (MODRUN_LOG_DEBUG, "%s: %s", p->name, stage);
  started = mr_trace_on () ? mr_trace_now () : 0;
  if (stage_is_guarded (offset))
    ret = call_guarded (fn, c, &p->data, &crashed);
  else
    ret = fn (c, &p->data);
  if (started != 0)
    mr_trace_add (p->name, stage, mr_trace_now () - started);
  core->plugin = NULL;
  core->stage = NULL;

  if (crashed)
    {
      mr_error_free (mr_steal_ptr (core->err));
      return fail_as (err, EFAULT, "plugin \"%s\": %s crashed (%s)", p->name, stage,
                      strsignal (crashed));
    }
  if (ret < 0)
    return stage_failure (p, core, stage, ret, err);
  mr_error_free (mr_steal_ptr (core->err));
  return 0;
}

int
mr_plugins_run (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                const char *stage, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < set->n; i++)
    {
      ret = run_stage (&set->items[i], c, offset, stage, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
mr_plugins_run_concern (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                        const char *stage, modrun_concern concern, bool only, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < set->n; i++)
    {
      if ((set->items[i].desc->concern == concern) != only)
        continue;
      ret = run_stage (&set->items[i], c, offset, stage, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

void
mr_plugins_trace_defer (struct mr_plugin_set *set, size_t offset, const char *stage,
                        uint32_t concerns)
{
  size_t i;

  for (i = 0; mr_trace_on () && i < set->n; i++)
    if ((MR_CONCERN_BIT (set->items[i].desc->concern) & concerns) != 0
        && stage_fn (set->items[i].desc, offset) != NULL)
      mr_trace_defer (set->items[i].name, stage);
}

int
mr_plugins_run_concerns (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                         const char *stage, uint32_t concerns, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < set->n; i++)
    {
      if (!(concerns & MR_CONCERN_BIT (set->items[i].desc->concern)))
        continue;
      ret = run_stage (&set->items[i], c, offset, stage, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
mr_plugins_destroy (struct mr_plugin_set *set, struct modrun_container *c, mr_error **err)
{
  int first = 0;
  size_t i;

  for (i = set->n; i-- > 0;)
    {
      cleanup_error mr_error *derr = NULL;
      int ret = run_stage (&set->items[i], c, MR_STAGE (destroy), &derr);

      if (ret == 0)
        continue;
      if (first == 0 && err != NULL && *err == NULL)
        *err = mr_steal_ptr (derr);
      else
        mr_log (MODRUN_LOG_WARNING, "%s", derr->msg);
      if (first == 0)
        first = ret;
    }
  return first;
}

/* Runs P's probe for a container with CONFIG (may be NULL). */
static int
probe_plugin (struct mr_plugin *p, const modrun_json *config, uint32_t command, mr_error **err)
{
  struct mr_container_core core;
  struct modrun_container c;
  int ret;

  mr_container_init (&c, &core);
  c.command = command;
  c.config = config;
  ret = run_stage (p, &c, MR_STAGE (probe), err);
  mr_error_free (core.err);
  return ret;
}

/* Selection. */

enum op_kind
{
  OP_SET, /* concern=name */
  OP_ADD, /* name or +name: this plugin, for its concern */
  OP_DEL, /* -name */
};

/* One plugin of the set being chosen. */
struct entry
{
  char *arg;              /* name or path; NULL for the probed cgroups default */
  modrun_concern concern; /* known from the selection or from the loaded descriptor */
  int source;             /* which selection placed it; -1 for a default */
  struct mr_plugin p;     /* p.desc set once loaded */
  bool probed;
};

struct selecting
{
  struct entry *e;
  size_t n;
  char **excluded; /* names removed with -name */
  size_t nexcluded;
  const char *search;
  const modrun_json *config;
  uint32_t command;
};

static void
entry_free (struct entry *e)
{
  unload_one (&e->p);
  free (e->arg);
  memset (e, 0, sizeof (*e));
}

static void
selecting_free (struct selecting *s)
{
  size_t i;

  for (i = 0; i < s->n; i++)
    entry_free (&s->e[i]);
  free (s->e);
  for (i = 0; i < s->nexcluded; i++)
    free (s->excluded[i]);
  free (s->excluded);
}

static struct entry *
entry_new (struct selecting *s, const char *arg, modrun_concern concern, int source)
{
  struct entry *e;

  s->e = mr_xrealloc (s->e, (s->n + 1) * sizeof (*s->e));
  e = &s->e[s->n++];
  memset (e, 0, sizeof (*e));
  e->arg = mr_xstrdup (arg);
  e->concern = concern;
  e->source = source;
  return e;
}

static void
entry_remove (struct selecting *s, size_t i)
{
  entry_free (&s->e[i]);
  memmove (&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof (*s->e));
  s->n--;
}

static bool
entry_is (const struct entry *e, const char *name)
{
  cleanup_free char *own = NULL;

  if (e->p.desc != NULL)
    return strcmp (e->p.name, name) == 0;
  if (e->arg == NULL)
    return false;
  own = name_of_arg (e->arg);
  return strcmp (own, name) == 0;
}

static bool
is_excluded (const struct selecting *s, const char *name)
{
  size_t i;

  for (i = 0; i < s->nexcluded; i++)
    if (strcmp (s->excluded[i], name) == 0)
      return true;
  return false;
}

/* Puts plugin ARG (already loaded into *P when P is not NULL) in charge of
 * CONCERN. Within one selection a concern other than extra takes one
 * plugin; a later selection overrides an earlier one and the defaults. */
static int
place (struct selecting *s, const char *label, int source, const char *arg, modrun_concern concern,
       struct mr_plugin *p, mr_error **err)
{
  cleanup_free char *name = p ? mr_xstrdup (p->name) : name_of_arg (arg);
  struct entry *e;
  size_t i;

  for (i = 0; i < s->n; i++)
    {
      e = &s->e[i];
      if (e->concern != concern)
        continue;
      if (concern == MODRUN_CONCERN_EXTRA)
        {
          if (!entry_is (e, name))
            continue;
        }
      else if (e->source == source && !entry_is (e, name))
        {
          cleanup_free char *other = e->p.desc ? mr_xstrdup (e->p.name) : name_of_arg (e->arg);

          if (p != NULL)
            unload_one (p);
          return fail_as (err, EINVAL,
                          "%s: both \"%s\" and \"%s\" are chosen for concern %s; only one "
                          "plugin may serve it",
                          label, other, name, concern_name (concern));
        }
      entry_remove (s, i);
      break;
    }
  e = entry_new (s, arg, concern, source);
  if (p != NULL)
    {
      e->p = *p;
      memset (p, 0, sizeof (*p));
    }
  return 0;
}

static int
apply_item (struct selecting *s, const char *label, int source, char *item, bool annotation,
            const struct conf *cf, mr_error **err)
{
  enum op_kind kind = OP_ADD;
  modrun_concern concern = 0;
  char *arg = item, *eq;

  if (*item == '-')
    {
      kind = OP_DEL;
      arg = trim (item + 1);
    }
  else if (*item == '+')
    arg = trim (item + 1);
  else if ((eq = strchr (item, '=')) != NULL)
    {
      *eq = '\0';
      kind = OP_SET;
      arg = trim (eq + 1);
      concern = concern_by_name (trim (item));
      if (concern == 0)
        return fail_as (err, EINVAL,
                        "%s: unknown concern \"%s\", expected namespaces, cgroups, mounts, "
                        "lsm, extra or seccomp",
                        label, trim (item));
    }
  if (*arg == '\0' || (strchr (arg, '/') == NULL && !valid_name (arg)))
    return fail_as (err, EINVAL, "%s: \"%s\" is not a plugin name or path", label, arg);

  if (annotation)
    {
      if (kind == OP_DEL)
        return fail_as (err, EPERM, "%s: \"-%s\": an annotation may not remove plugins", label,
                        arg);
      if (cf->annotation_plugins == NULL || !list_has (cf->annotation_plugins, arg))
        return fail_as (err, EPERM, "%s: plugin \"%s\" is not allowed by annotation_plugins in %s",
                        label, arg, cf->path);
    }

  switch (kind)
    {
    case OP_DEL:
      {
        cleanup_free char *name = name_of_arg (arg);
        size_t i;

        for (i = s->n; i-- > 0;)
          if (entry_is (&s->e[i], name))
            entry_remove (s, i);
        s->excluded = mr_xrealloc (s->excluded, (s->nexcluded + 1) * sizeof (char *));
        s->excluded[s->nexcluded++] = mr_steal_ptr (name);
        return 0;
      }
    case OP_SET:
      return place (s, label, source, arg, concern, NULL, err);
    case OP_ADD:
    default:
      {
        struct mr_plugin p;
        int ret = load_one (arg, s->search, &p, err);

        if (ret < 0)
          return ret;
        return place (s, label, source, arg, p.desc->concern, &p, err);
      }
    }
}

static int
apply_selection (struct selecting *s, const char *label, int source, const char *text,
                 bool annotation, const struct conf *cf, mr_error **err)
{
  cleanup_free char *copy = mr_xstrdup (text);
  char *save = NULL, *item;
  int ret;

  for (item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
    {
      item = trim (item);
      if (*item == '\0')
        continue;
      ret = apply_item (s, label, source, item, annotation, cf, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* The first of cgroups_candidates that is there, loads and passes its
 * probe. */
static int
choose_cgroups (struct selecting *s, struct mr_plugin *out, mr_error **err)
{
  cleanup_free char *why = NULL;
  char missing[128] = "", removed[128] = "";
  bool found = false;
  size_t i;

  struct statfs sfs;
  const char *const *order = cgroups_candidates;

  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type != CGROUP2_SUPER_MAGIC)
    order = cgroups_candidates_v1_host;
  for (i = 0; i < N_CGROUPS_CANDIDATES; i++)
    {
      const char *name = order[i];
      cleanup_error mr_error *cerr = NULL;
      char *path = NULL;
      int fd, ret;

      if (is_excluded (s, name))
        {
          snprintf (removed + strlen (removed), sizeof (removed) - strlen (removed), "%s%s",
                    *removed ? ", " : "", name);
          continue;
        }
      ret = load_builtin (name, out, &cerr);
      if (ret == 0)
        {
          fd = find_file (name, s->search, &path, &cerr);
          if (fd == -ENOENT)
            {
              snprintf (missing + strlen (missing), sizeof (missing) - strlen (missing), "%s%s",
                        *missing ? ", " : "", name);
              continue;
            }
          ret = fd < 0 ? fd : load_file (name, path, fd, false, out, &cerr);
        }
      else if (ret > 0)
        ret = 0;
      found = true;
      if (ret == 0 && out->desc->concern != MODRUN_CONCERN_CGROUPS)
        {
          ret = fail_as (&cerr, EINVAL, "plugin \"%s\" (%s) serves concern %s, not cgroups", name,
                         out->path, concern_name (out->desc->concern));
          unload_one (out);
        }
      else if (ret == 0)
        {
          ret = probe_plugin (out, s->config, s->command, &cerr);
          if (ret == 0)
            return 0;
          unload_one (out);
          mr_log (MODRUN_LOG_DEBUG, "%s", cerr->msg);
        }
      else
        mr_log (MODRUN_LOG_WARNING, "%s", cerr->msg);
      if (why == NULL)
        why = mr_steal_ptr (cerr->msg);
      else
        {
          char *more = mr_xasprintf ("%s; %s", why, cerr->msg);

          free (why);
          why = more;
        }
    }
  if (!found && *removed == '\0')
    return fail_as (err, ENOENT, "no cgroups plugin: none of %s is in %s", missing, s->search);
  if (!found && *missing == '\0')
    return fail_as (err, ENOENT, "no cgroups plugin: the selection removes %s", removed);
  if (!found)
    return fail_as (err, ENOENT,
                    "no cgroups plugin: the selection removes %s and none of %s is in %s", removed,
                    missing, s->search);
  return fail_as (err, ENOENT, "no usable cgroups plugin: %s", why);
}

/* The plugin that applies each LSM field of config.json unless the
 * selection names another, in the order tried when the config sets several:
 * the first whose probe accepts the config (its LSM is enabled) serves. */
static const struct
{
  const char *field;
  const char *plugin;
} lsm_defaults[] = {
  { "process.apparmorProfile", "apparmor" },
  { "process.selinuxLabel", "selinux" },
};
#define N_LSM_DEFAULTS (sizeof (lsm_defaults) / sizeof (lsm_defaults[0]))

static const modrun_json *
lsm_field (const modrun_json *config, size_t i)
{
  const modrun_json *v = modrun_json_path (config, lsm_defaults[i].field);

  return v != NULL && v->type == MODRUN_JSON_STRING && v->length > 0 ? v : NULL;
}

static bool
is_lsm_default (const char *name)
{
  size_t i;

  for (i = 0; i < N_LSM_DEFAULTS; i++)
    if (strcmp (name, lsm_defaults[i].plugin) == 0)
      return true;
  return false;
}

/* Whether a container with CONFIG has use for a plugin of CONCERN. */
static bool
concern_needed (const modrun_json *config, modrun_concern concern)
{
  size_t i;

  if (config == NULL)
    return true;
  if (concern == MODRUN_CONCERN_SECCOMP)
    {
      const modrun_json *sc = modrun_json_path (config, "linux.seccomp");

      return sc != NULL && sc->type != MODRUN_JSON_NULL;
    }
  if (concern == MODRUN_CONCERN_LSM)
    {
      for (i = 0; i < N_LSM_DEFAULTS; i++)
        if (lsm_field (config, i) != NULL)
          return true;
      return false;
    }
  return true;
}

/* Whether CONFIG asks for Landlock rules. */
static bool
wants_landlock (const modrun_json *config)
{
  return modrun_json_get (modrun_json_get (config, "annotations"), ANNOTATION_LANDLOCK) != NULL;
}

static bool
set_has (const struct mr_plugin_set *set, const char *name)
{
  size_t i;

  for (i = 0; i < set->n; i++)
    if (strcmp (set->items[i].name, name) == 0)
      return true;
  return false;
}

static int refuse_unserved_lsm (const modrun_json *config, const struct mr_plugin *lsm,
                                mr_error **err);
static bool set_uses (const struct mr_plugin_set *set, const char *name, const char *path);

/* The LSM plugin by default: of lsm_defaults whose field the config sets,
 * the first that loads and passes its probe. */
static int
choose_lsm (struct selecting *s, struct mr_plugin *out, mr_error **err)
{
  cleanup_free char *why = NULL;
  size_t i, tried = 0;

  for (i = 0; i < N_LSM_DEFAULTS; i++)
    {
      cleanup_error mr_error *lerr = NULL;
      const char *name = lsm_defaults[i].plugin;
      int ret;

      if (lsm_field (s->config, i) == NULL || is_excluded (s, name))
        continue;
      ret = load_one (name, s->search, out, &lerr);
      if (ret == -ENOENT)
        {
          mr_log (MODRUN_LOG_DEBUG, "%s", lerr->msg);
          continue;
        }
      if (ret == 0 && out->desc->concern != MODRUN_CONCERN_LSM)
        {
          ret = fail_as (&lerr, EINVAL, "plugin \"%s\" (%s) serves concern %s, not lsm", name,
                         out->path, concern_name (out->desc->concern));
          unload_one (out);
        }
      else if (ret == 0)
        {
          ret = probe_plugin (out, s->config, s->command, &lerr);
          if (ret == 0)
            return 0;
          unload_one (out);
        }
      tried++;
      mr_log (MODRUN_LOG_DEBUG, "%s", lerr->msg);
      if (why == NULL)
        why = mr_steal_ptr (lerr->msg);
      else
        {
          char *more = mr_xasprintf ("%s; %s", why, lerr->msg);

          free (why);
          why = more;
        }
    }
  if (tried == 0)
    return refuse_unserved_lsm (s->config, NULL, err);
  return fail_as (err, EINVAL, "%s", why);
}

/* Loads and probes every entry, in concern order, into SET. */
static int
resolve (struct selecting *s, struct mr_plugin_set *set, mr_error **err)
{
  modrun_concern concern;
  size_t i;
  int ret;

  for (concern = 1; concern < N_CONCERNS; concern++)
    for (i = 0; i < s->n; i++)
      {
        struct entry *e = &s->e[i];

        if (e->concern != concern)
          continue;
        if (!concern_needed (s->config, concern))
          {
            mr_log (MODRUN_LOG_DEBUG, "plugin \"%s\": not loaded, the config has no use for %s",
                    e->p.desc ? e->p.name : e->arg, concern_name (concern));
            continue;
          }
        if (e->arg == NULL)
          {
            if (concern == MODRUN_CONCERN_LSM)
              ret = choose_lsm (s, &e->p, err);
            else
              ret = choose_cgroups (s, &e->p, err);
            if (ret < 0)
              return ret;
            e->probed = true;
          }
        else if (e->p.desc == NULL)
          {
            ret = load_one (e->arg, s->search, &e->p, err);
            if (ret < 0)
              return ret;
          }
        if (e->p.desc->concern != concern)
          return fail_as (err, EINVAL, "plugin \"%s\" (%s) serves concern %s, not %s", e->p.name,
                          e->p.path, concern_name (e->p.desc->concern), concern_name (concern));
        if (!e->probed)
          {
            ret = probe_plugin (&e->p, s->config, s->command, err);
            if (ret < 0)
              return ret;
            e->probed = true;
          }
        set_append (set, &e->p);
      }
  return 0;
}

/* A label or profile the config asks for is never dropped silently: with
 * no LSM plugin selected, the container is refused, as runc refuses one on
 * a host without that LSM. So is a field of one LSM when the plugin
 * selected is the default of another and the config gives it nothing to
 * do (a plugin of a vendor is trusted to refuse what it cannot apply). */
static int
refuse_unserved_lsm (const modrun_json *config, const struct mr_plugin *lsm, mr_error **err)
{
  size_t i;

  if (lsm != NULL)
    for (i = 0; i < N_LSM_DEFAULTS; i++)
      if (strcmp (lsm->name, lsm_defaults[i].plugin) == 0 && lsm_field (config, i) != NULL)
        return 0;
  for (i = 0; i < N_LSM_DEFAULTS; i++)
    {
      const modrun_json *v = lsm_field (config, i);

      if (v == NULL || (lsm != NULL && !is_lsm_default (lsm->name)))
        continue;
      if (lsm != NULL)
        return fail_as (err, EINVAL,
                        "config.json: %s is \"%s\", but the lsm plugin selected, \"%s\", does "
                        "not apply it",
                        lsm_defaults[i].field, v->string, lsm->name);
      return fail_as (err, EINVAL,
                      "config.json: %s is \"%s\", but no lsm plugin is selected to apply it",
                      lsm_defaults[i].field, v->string);
    }
  return 0;
}
/* The first of FIELDS (NULL-terminated) that CONFIG sets to a non-empty
 * array, or NULL. */
static const char *
first_nonempty (const modrun_json *config, const char *const *fields)
{
  for (; *fields != NULL; fields++)
    {
      const modrun_json *v = modrun_json_path (config, *fields);

      if (v != NULL && v->type == MODRUN_JSON_ARRAY && v->count > 0)
        return *fields;
    }
  return NULL;
}

/* A selection that removes the namespaces or the mounts plugin is refused
 * for a config that asks for what they do: the container would otherwise
 * run in the runtime's own namespaces, or without its mounts and masked
 * paths, with less isolation than its config says. */
static int
refuse_unserved_core (const modrun_json *config, struct mr_plugin_set *set, mr_error **err)
{
  static const char *const ns_fields[] = { "linux.namespaces", NULL };
  static const char *const mount_fields[]
      = { "mounts", "linux.maskedPaths", "linux.readonlyPaths", NULL };
  const char *field;

  if (mr_plugins_find (set, MODRUN_CONCERN_NAMESPACES) == NULL
      && (field = first_nonempty (config, ns_fields)) != NULL)
    return fail_as (err, EINVAL,
                    "config.json: %s is set, but the plugin selection has no namespaces plugin: "
                    "refusing to run the container in the runtime's namespaces",
                    field);
  if (mr_plugins_find (set, MODRUN_CONCERN_MOUNTS) == NULL
      && (field = first_nonempty (config, mount_fields)) != NULL)
    return fail_as (err, EINVAL,
                    "config.json: %s is set, but the plugin selection has no mounts plugin: "
                    "refusing to run the container without its mounts",
                    field);
  return 0;
}

static int
select_with (const char *selection, const modrun_json *config, uint32_t command,
             const struct conf *cf, const char *search, struct mr_plugin_set *set, mr_error **err)
{
  struct selecting s = { .search = search, .config = config, .command = command };
  const char *env = getenv ("MODRUN_PLUGINS");
  const modrun_json *ann;
  int ret;

  memset (set, 0, sizeof (*set));
  entry_new (&s, "namespaces", MODRUN_CONCERN_NAMESPACES, -1);
  entry_new (&s, "mounts", MODRUN_CONCERN_MOUNTS, -1);
  entry_new (&s, NULL, MODRUN_CONCERN_CGROUPS, -1);
  if (config != NULL && concern_needed (config, MODRUN_CONCERN_SECCOMP))
    entry_new (&s, "seccomp", MODRUN_CONCERN_SECCOMP, -1);
  if (config != NULL && wants_landlock (config))
    entry_new (&s, "landlock", MODRUN_CONCERN_EXTRA, -1);
  if (config != NULL && concern_needed (config, MODRUN_CONCERN_LSM))
    entry_new (&s, NULL, MODRUN_CONCERN_LSM, -1);

  if (selection != NULL && *selection != '\0')
    ret = apply_selection (&s, "--plugins", 0, selection, false, cf, err);
  else if (env != NULL && *env != '\0')
    ret = apply_selection (&s, "MODRUN_PLUGINS", 0, env, false, cf, err);
  else if (cf->plugins != NULL && *cf->plugins != '\0')
    {
      cleanup_free char *label = mr_xasprintf ("%s: plugins", cf->path);

      ret = apply_selection (&s, label, 0, cf->plugins, false, cf, err);
    }
  else
    ret = 0;
  if (ret < 0)
    goto out;

  ann = modrun_json_get (modrun_json_get (config, "annotations"), ANNOTATION_PLUGINS);
  if (ann != NULL && ann->type != MODRUN_JSON_STRING)
    {
      ret = fail_as (err, EINVAL, "config.json: annotations.%s: expected string, got %s",
                     ANNOTATION_PLUGINS, modrun_json_type_name (ann->type));
      goto out;
    }
  if (ann != NULL)
    {
      ret = apply_selection (&s, "annotation " ANNOTATION_PLUGINS, 1, ann->string, true, cf, err);
      if (ret < 0)
        goto out;
    }

  ret = resolve (&s, set, err);
  if (ret == 0 && config != NULL)
    ret = refuse_unserved_lsm (config, mr_plugins_find (set, MODRUN_CONCERN_LSM), err);
  if (ret == 0 && config != NULL && concern_needed (config, MODRUN_CONCERN_SECCOMP)
      && mr_plugins_find (set, MODRUN_CONCERN_SECCOMP) == NULL)
    ret = fail_as (err, EINVAL,
                   "config.json: linux.seccomp is set, but the plugin selection has no seccomp "
                   "plugin: refusing to run the container without its filter");
  if (ret == 0 && config != NULL && wants_landlock (config) && !set_has (set, "landlock"))
    ret = fail_as (err, EINVAL,
                   "config.json: annotations." ANNOTATION_LANDLOCK " is set, but the plugin "
                   "selection has no landlock plugin: refusing to run the container without its "
                   "Landlock rules");
  if (ret == 0 && config != NULL)
    ret = refuse_unserved_core (config, set, err);

out:
  selecting_free (&s);
  if (ret < 0)
    mr_plugins_unload (set);
  return ret;
}

int
mr_plugins_select (const char *selection, const modrun_json *config, struct mr_plugin_set *set,
                   mr_error **err)
{
  cleanup_free char *search = NULL;
  struct conf cf;
  int ret;

  memset (set, 0, sizeof (*set));
  ret = conf_load (&cf, err);
  if (ret == 0)
    {
      search = search_path (&cf);
      ret = select_with (selection, config, MODRUN_CMD_NONE, &cf, search, set, err);
    }
  conf_free (&cf);
  return ret;
}

/* The plugins the selection would use for each LSM field of config.json,
 * for `features`: the probes see MODRUN_CMD_FEATURES, so a plugin whose LSM
 * this host lacks is still counted (its features say what is built in). */
int
mr_plugins_select_lsm (const char *selection, struct mr_plugin_set *set, mr_error **err)
{
  cleanup_free char *search = NULL;
  struct conf cf;
  size_t i;
  int ret;

  memset (set, 0, sizeof (*set));
  ret = conf_load (&cf, err);
  if (ret < 0)
    {
      conf_free (&cf);
      return ret;
    }
  search = search_path (&cf);
  for (i = 0; i < N_LSM_DEFAULTS; i++)
    {
      cleanup_json modrun_json *want = mr_json_new (MODRUN_JSON_OBJECT);
      cleanup_error mr_error *lerr = NULL;
      const char *field = lsm_defaults[i].field;
      const char *dot = strchr (field, '.');
      cleanup_free char *top = mr_xasprintf ("%.*s", (int)(dot - field), field);
      struct mr_plugin_set one = { NULL, 0 };
      struct mr_plugin *p;
      modrun_json *obj;

      obj = want != NULL ? mr_json_add (want, top, MODRUN_JSON_OBJECT) : NULL;
      if (obj == NULL || mr_json_add_string (obj, dot + 1, "features") < 0)
        abort ();
      if (select_with (selection, want, MODRUN_CMD_FEATURES, &cf, search, &one, &lerr) < 0)
        {
          mr_log (MODRUN_LOG_DEBUG, "features: no lsm plugin for %s: %s", field, lerr->msg);
          continue;
        }
      p = mr_plugins_find (&one, MODRUN_CONCERN_LSM);
      if (p != NULL && !set_uses (set, p->name, p->path))
        set_append (set, p);
      mr_plugins_unload (&one);
    }
  conf_free (&cf);
  return 0;
}

/* "modrun plugins". */

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The *.so files of DIR, sorted; none when DIR cannot be read. */
static size_t
list_dir (const char *dir, char ***out)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  char **names = NULL;
  size_t n = 0;

  *out = NULL;
  if (d == NULL)
    return 0;
  while ((de = readdir (d)) != NULL)
    {
      size_t len = strlen (de->d_name);

      if (len <= 3 || strcmp (de->d_name + len - 3, ".so") != 0)
        continue;
      names = mr_xrealloc (names, (n + 1) * sizeof (char *));
      names[n++] = mr_xstrdup (de->d_name);
    }
  closedir (d);
  if (n > 1)
    qsort (names, n, sizeof (char *), compare_strings);
  *out = names;
  return n;
}

/* Whether SET holds plugin NAME loaded from PATH (a file, or BUILTIN_PATH). */
static bool
set_uses (const struct mr_plugin_set *set, const char *name, const char *path)
{
  size_t i;

  for (i = 0; i < set->n; i++)
    if (strcmp (set->items[i].path, path) == 0 && strcmp (set->items[i].name, name) == 0)
      return true;
  return false;
}

static bool
row_seen (const modrun_json *rows, const char *name)
{
  uint32_t i;

  for (i = 0; i < rows->count; i++)
    {
      const modrun_json *n = modrun_json_get (rows->items[i], "name");

      if (n != NULL && n->type == MODRUN_JSON_STRING && strcmp (n->string, name) == 0)
        return true;
    }
  return false;
}

/* Adds to ROWS the row of plugin NAME: the built-in one when PATH is NULL,
 * else the file PATH. A row whose name an earlier row has is shadowed by it:
 * never used. */
static void
describe (modrun_json *rows, const char *name, const char *path, const struct mr_plugin_set *chosen)
{
  cleanup_error mr_error *perr = NULL;
  bool shadowed = row_seen (rows, name);
  struct mr_plugin p;
  modrun_json *row;
  char abi[32];
  int ret;

  if (path != NULL)
    ret = load_one (path, NULL, &p, &perr) < 0 ? -1 : 1;
  else
    ret = load_builtin (name, &p, &perr);
  if (ret == 0)
    return;
  if (path == NULL)
    path = BUILTIN_PATH;
  row = mr_json_add (rows, NULL, MODRUN_JSON_OBJECT);
  if (row == NULL)
    abort ();
  mr_json_add_string (row, "name", name);
  if (ret < 0)
    {
      mr_json_add_string (row, "concern", "-");
      mr_json_add_string (row, "version", "-");
      mr_json_add_string (row, "abi", "-");
      mr_json_add_string (row, "path", path);
      mr_json_add_string (row, "probe", perr->msg);
      mr_json_add_bool (row, "usable", 0);
      mr_json_add_bool (row, "used", 0);
      return;
    }
  snprintf (abi, sizeof (abi), "%u.%u", (unsigned int)p.desc->abi_major,
            (unsigned int)p.desc->abi_minor);
  mr_json_add_string (row, "concern", concern_name (p.desc->concern));
  mr_json_add_string (row, "version", p.desc->version ? p.desc->version : "-");
  mr_json_add_string (row, "abi", abi);
  mr_json_add_string (row, "path", path);
  if (probe_plugin (&p, NULL, MODRUN_CMD_PLUGINS, &perr) < 0)
    {
      mr_json_add_string (row, "probe", perr->msg);
      mr_json_add_bool (row, "usable", 0);
    }
  else
    {
      mr_json_add_string (row, "probe", "ok");
      mr_json_add_bool (row, "usable", 1);
    }
  mr_json_add_bool (row, "used", !shadowed && set_uses (chosen, name, path));
  unload_one (&p);
}

static const char *
row_text (const modrun_json *row, const char *key)
{
  const modrun_json *v = modrun_json_get (row, key);

  if (v == NULL)
    return "";
  if (v->type == MODRUN_JSON_BOOL)
    return v->boolean ? "yes" : "no";
  return v->type == MODRUN_JSON_STRING ? v->string : "";
}

static int
print_table (const modrun_json *rows, mr_error **err)
{
  static const char *const keys[]
      = { "name", "concern", "version", "abi", "used", "path", "probe" };
  static const char *const heads[]
      = { "NAME", "CONCERN", "VERSION", "ABI", "USED", "PATH", "PROBE" };
  const size_t ncols = sizeof (keys) / sizeof (keys[0]);
  size_t width[sizeof (keys) / sizeof (keys[0])];
  uint32_t r;
  size_t k;

  for (k = 0; k < ncols; k++)
    width[k] = strlen (heads[k]);
  for (r = 0; r < rows->count; r++)
    for (k = 0; k < ncols; k++)
      if (strlen (row_text (rows->items[r], keys[k])) > width[k])
        width[k] = strlen (row_text (rows->items[r], keys[k]));

  for (r = 0; r <= rows->count; r++)
    for (k = 0; k < ncols; k++)
      {
        const char *t = r == 0 ? heads[k] : row_text (rows->items[r - 1], keys[k]);

        if (k + 1 < ncols)
          printf ("%-*s   ", (int)width[k], t);
        else
          printf ("%s\n", t);
      }
  if (fflush (stdout) != 0)
    return mr_fail (err, errno, "plugins: write the table");
  return 0;
}

int
mr_plugins_cmd (const char *selection, const char *format, mr_error **err)
{
  cleanup_json modrun_json *rows = NULL;
  cleanup_error mr_error *serr = NULL;
  cleanup_free char *search = NULL;
  cleanup_free char *copy = NULL;
  struct mr_plugin_set chosen = { NULL, 0 };
  char *save = NULL, *dir;
  bool json;
  struct conf cf;
  int ret;

  if (format == NULL || strcmp (format, "table") == 0)
    json = false;
  else if (strcmp (format, "json") == 0)
    json = true;
  else
    return fail_as (err, EINVAL, "plugins: unknown format \"%s\", expected table or json", format);

  ret = conf_load (&cf, err);
  if (ret < 0)
    {
      conf_free (&cf);
      return ret;
    }
  search = search_path (&cf);
  if (select_with (selection, NULL, MODRUN_CMD_PLUGINS, &cf, search, &chosen, &serr) < 0)
    mr_log (MODRUN_LOG_WARNING, "plugins: the current selection cannot be used: %s", serr->msg);
  conf_free (&cf);

  rows = mr_json_new (MODRUN_JSON_ARRAY);
  {
    cleanup_free char *names = mr_xstrdup (builtin_names ());
    char *bsave = NULL, *name;

    for (name = strtok_r (names, " ", &bsave); name; name = strtok_r (NULL, " ", &bsave))
      describe (rows, name, NULL, &chosen);
  }
  copy = mr_xstrdup (search);
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char **files;
      size_t n = list_dir (dir, &files), i;

      for (i = 0; i < n; i++)
        {
          cleanup_free char *path = mr_xasprintf ("%s/%s", dir, files[i]);
          cleanup_free char *name = name_of_arg (path);

          describe (rows, name, path, &chosen);
          free (files[i]);
        }
      free (files);
    }
  mr_plugins_unload (&chosen);

  if (json)
    {
      cleanup_free char *text = NULL;

      ret = mr_json_serialize (rows, 1, &text, NULL, err);
      if (ret < 0)
        return ret;
      if (printf ("%s\n", text) < 0 || fflush (stdout) != 0)
        return mr_fail (err, errno, "plugins: write the list");
      return 0;
    }
  return print_table (rows, err);
}
