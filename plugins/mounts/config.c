/* mounts: reading and checking the parts of config.json the plugin owns. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mounts.h"

enum opt_kind
{
  OPT_SET,    /* sets MS flags */
  OPT_CLEAR,  /* clears MS flags */
  OPT_PROP,   /* a propagation change, applied after the mount */
  OPT_RSET,   /* mount_setattr, recursive, attr_set */
  OPT_RCLR,   /* mount_setattr, recursive, attr_clr */
  OPT_RATIME, /* mount_setattr, recursive, one atime mode */
  OPT_BIND,
  OPT_RBIND,
  OPT_NONE, /* accepted, changes nothing */
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
  bool atime;
};

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)

static const struct opt_def options[] = {
  { "defaults", OPT_NONE, 0, false },
  { "ro", OPT_SET, MS_RDONLY, false },
  { "rw", OPT_CLEAR, MS_RDONLY, false },
  { "nosuid", OPT_SET, MS_NOSUID, false },
  { "suid", OPT_CLEAR, MS_NOSUID, false },
  { "nodev", OPT_SET, MS_NODEV, false },
  { "dev", OPT_CLEAR, MS_NODEV, false },
  { "noexec", OPT_SET, MS_NOEXEC, false },
  { "exec", OPT_CLEAR, MS_NOEXEC, false },
  { "sync", OPT_SET, MS_SYNCHRONOUS, false },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS, false },
  { "dirsync", OPT_SET, MS_DIRSYNC, false },
  { "remount", OPT_SET, MS_REMOUNT, false },
  { "mand", OPT_SET, MS_MANDLOCK, false },
  { "nomand", OPT_CLEAR, MS_MANDLOCK, false },
  { "atime", OPT_CLEAR, MS_NOATIME, true },
  { "noatime", OPT_SET, MS_NOATIME, true },
  { "diratime", OPT_CLEAR, MS_NODIRATIME, true },
  { "nodiratime", OPT_SET, MS_NODIRATIME, true },
  { "relatime", OPT_SET, MS_RELATIME, true },
  { "norelatime", OPT_CLEAR, MS_RELATIME, true },
  { "strictatime", OPT_SET, MS_STRICTATIME, true },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME, true },
  { "iversion", OPT_SET, MS_I_VERSION, false },
  { "noiversion", OPT_CLEAR, MS_I_VERSION, false },
  { "lazytime", OPT_SET, MS_LAZYTIME, false },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME, false },
  { "silent", OPT_SET, MS_SILENT, false },
  { "loud", OPT_CLEAR, MS_SILENT, false },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW, false },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW, false },
  { "bind", OPT_BIND, 0, false },
  { "rbind", OPT_RBIND, 0, false },
  { "shared", OPT_PROP, MS_SHARED, false },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC, false },
  { "slave", OPT_PROP, MS_SLAVE, false },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC, false },
  { "private", OPT_PROP, MS_PRIVATE, false },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC, false },
  { "unbindable", OPT_PROP, MS_UNBINDABLE, false },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC, false },
  { "rro", OPT_RSET, MOUNT_ATTR_RDONLY, false },
  { "rrw", OPT_RCLR, MOUNT_ATTR_RDONLY, false },
  { "rnosuid", OPT_RSET, MOUNT_ATTR_NOSUID, false },
  { "rsuid", OPT_RCLR, MOUNT_ATTR_NOSUID, false },
  { "rnodev", OPT_RSET, MOUNT_ATTR_NODEV, false },
  { "rdev", OPT_RCLR, MOUNT_ATTR_NODEV, false },
  { "rnoexec", OPT_RSET, MOUNT_ATTR_NOEXEC, false },
  { "rexec", OPT_RCLR, MOUNT_ATTR_NOEXEC, false },
  { "rnodiratime", OPT_RSET, MOUNT_ATTR_NODIRATIME, false },
  { "rdiratime", OPT_RCLR, MOUNT_ATTR_NODIRATIME, false },
  { "rnosymfollow", OPT_RSET, MOUNT_ATTR_NOSYMFOLLOW, false },
  { "rsymfollow", OPT_RCLR, MOUNT_ATTR_NOSYMFOLLOW, false },
  /* Atime modes replace one another: "norelatime" asks for updates on
   * every access, "atime" and "nostrictatime" for the kernel's default. */
  { "rrelatime", OPT_RATIME, MOUNT_ATTR_RELATIME, false },
  { "rnorelatime", OPT_RATIME, MOUNT_ATTR_STRICTATIME, false },
  { "rnoatime", OPT_RATIME, MOUNT_ATTR_NOATIME, false },
  { "ratime", OPT_RATIME, MOUNT_ATTR_RELATIME, false },
  { "rstrictatime", OPT_RATIME, MOUNT_ATTR_STRICTATIME, false },
  { "rnostrictatime", OPT_RATIME, MOUNT_ATTR_RELATIME, false },
};

static const struct
{
  const char *name;
  unsigned long flags;
} propagations[] = {
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int
mnt_list_options (struct modrun_container *c, modrun_json *arr)
{
  size_t i;
  int ret;

  for (i = 0; i < sizeof (options) / sizeof (options[0]); i++)
    {
      ret = c->svc->json_add_string (arr, NULL, options[i].name);
      if (ret < 0)
        return ret;
    }
  return 0;
}

void
mnt_spec_free (struct mnt_spec *spec)
{
  size_t i;

  if (spec == NULL)
    return;
  for (i = 0; i < spec->n_mounts; i++)
    {
      free (spec->mounts[i].dest);
      free (spec->mounts[i].source);
      free (spec->mounts[i].data);
    }
  for (i = 0; i < spec->n_devices; i++)
    free (spec->devices[i].rel);
  free (spec->mounts);
  free (spec->devices);
  free (spec->masked);
  free (spec->readonly);
  free (spec);
}

static int
nomem (struct modrun_container *c)
{
  return c->svc->error (c, ENOMEM, "mounts: reading config.json");
}

/* Appends ",WORD" (or WORD) to *DATA. */
static int
data_append (struct modrun_container *c, char **data, const char *word)
{
  size_t old = *data ? strlen (*data) : 0;
  size_t len = strlen (word);
  char *p = realloc (*data, old + len + 2);

  if (p == NULL)
    return nomem (c);
  if (old > 0)
    p[old++] = ',';
  memcpy (p + old, word, len + 1);
  *data = p;
  return 0;
}

static bool
data_has (const char *data, const char *key)
{
  size_t len = strlen (key);
  const char *p = data;

  while (p != NULL && *p != '\0')
    {
      if (strncmp (p, key, len) == 0 && (p[len] == '\0' || p[len] == ',' || p[len] == '='))
        return true;
      p = strchr (p, ',');
      if (p != NULL)
        p++;
    }
  return false;
}

static const struct opt_def *
find_option (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof (options) / sizeof (options[0]); i++)
    if (strcmp (options[i].name, name) == 0)
      return &options[i];
  return NULL;
}

static int
apply_option (struct modrun_container *c, struct mnt_mount *m, const char *where, uint32_t j,
              const char *opt)
{
  const struct opt_def *def = find_option (opt);

  if (def == NULL)
    return data_append (c, &m->data, opt);
  if (def->atime)
    m->atime_given = true;
  switch (def->kind)
    {
    case OPT_SET:
      m->flags |= def->value;
      m->cleared &= ~def->value;
      break;
    case OPT_CLEAR:
      m->flags &= ~def->value;
      m->cleared |= def->value;
      break;
    case OPT_PROP:
      if (m->n_prop == MNT_MAX_PROP)
        return c->svc->error (c, 0, "config.json: %s.options[%u]: more than %d propagation options",
                              where, j, MNT_MAX_PROP);
      m->prop[m->n_prop++] = def->value;
      break;
    case OPT_RSET:
      m->rattr_set |= def->value;
      m->rattr_clr &= ~def->value;
      break;
    case OPT_RCLR:
      m->rattr_clr |= def->value;
      m->rattr_set &= ~def->value;
      break;
    case OPT_RATIME:
      m->rattr_set = (m->rattr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | def->value;
      m->rattr_clr |= MOUNT_ATTR__ATIME;
      break;
    case OPT_BIND:
      m->bind = true;
      break;
    case OPT_RBIND:
      m->bind = true;
      m->rec = true;
      break;
    case OPT_NONE:
      break;
    }
  return 0;
}

static int
get_string_item (struct modrun_container *c, const modrun_json *arr, const char *where, uint32_t i,
                 const char **out)
{
  const modrun_json *v = modrun_json_at (arr, i);

  if (v == NULL || v->type != MODRUN_JSON_STRING)
    return c->svc->error (c, 0, "config.json: %s[%u]: expected string, got %s", where, i,
                          modrun_json_type_name (v ? v->type : MODRUN_JSON_NULL));
  *out = v->string;
  return 0;
}

static int
load_source (struct modrun_container *c, struct mnt_mount *m, const char *where, const char *source)
{
  if (source == NULL)
    {
      if (m->bind)
        return c->svc->error (c, 0, "config.json: %s.source: required for a bind mount of `%s`",
                              where, m->dest_cfg);
      return 0;
    }
  if (m->bind && source[0] != '/')
    {
      /* Relative bind sources are relative to the bundle. */
      if (asprintf (&m->source, "%s/%s", c->bundle, source) < 0)
        {
          m->source = NULL;
          return nomem (c);
        }
      return 0;
    }
  m->source = strdup (source);
  return m->source ? 0 : nomem (c);
}

static int
load_mount (struct modrun_container *c, const modrun_json *obj, uint32_t i, struct mnt_mount *m)
{
  const modrun_json *opts = NULL, *maps = NULL;
  const char *source = NULL, *opt;
  char where[32];
  int ret;
  uint32_t j;

  snprintf (where, sizeof (where), "mounts[%u]", i);
  m->index = i;
  if (obj->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "config.json: %s: expected object, got %s", where,
                          modrun_json_type_name (obj->type));
  ret = c->svc->get_string (c, obj, where, "destination", &m->dest_cfg);
  if (ret == 0)
    return c->svc->error (c, 0, "config.json: %s.destination: required, expected string", where);
  if (ret < 0 || (ret = c->svc->get_string (c, obj, where, "type", &m->type)) < 0
      || (ret = c->svc->get_string (c, obj, where, "source", &source)) < 0
      || (ret = c->svc->get_array (c, obj, where, "options", &opts)) < 0)
    return ret;
  if (m->dest_cfg[0] == '\0')
    return c->svc->error (c, 0, "config.json: %s.destination: expected a path, got an empty string",
                          where);
  m->dest = mnt_clean_rel (m->dest_cfg);
  if (m->dest == NULL)
    return nomem (c);
  if (m->dest[0] == '\0')
    return c->svc->error (
        c, 0,
        "config.json: %s.destination: `%s` is the root of the container; expected a path below it",
        where, m->dest_cfg);
  for (j = 0; opts != NULL && j < opts->count; j++)
    {
      char item[48];

      snprintf (item, sizeof (item), "%s.options", where);
      if ((ret = get_string_item (c, opts, item, j, &opt)) < 0
          || (ret = apply_option (c, m, where, j, opt)) < 0)
        return ret;
    }
  if (m->type != NULL && strcmp (m->type, "bind") == 0)
    m->bind = true;
  if (!m->bind && (m->type == NULL || m->type[0] == '\0'))
    return c->svc->error (c, 0,
                          "config.json: %s.type: required for `%s`, which is not a bind mount",
                          where, m->dest_cfg);
  /* A bind option makes a bind mount whatever the type says. */
  if (m->bind)
    m->type = NULL;
  if (m->type != NULL && strcmp (m->type, "devpts") == 0)
    {
      if (!data_has (m->data, "newinstance")
          && (ret = data_append (c, &m->data, "newinstance")) < 0)
        return ret;
      if (!data_has (m->data, "ptmxmode") && (ret = data_append (c, &m->data, "ptmxmode=0666")) < 0)
        return ret;
    }
  if ((ret = c->svc->get_array (c, obj, where, "uidMappings", &maps)) < 0)
    return ret;
  if (maps == NULL && (ret = c->svc->get_array (c, obj, where, "gidMappings", &maps)) < 0)
    return ret;
  if (maps != NULL && maps->count > 0)
    return c->svc->error (
        c, 0,
        "config.json: %s: not supported by this plugin: uidMappings and gidMappings (idmapped "
        "mounts)",
        where);
  return load_source (c, m, where, source);
}

static int
load_mounts (struct modrun_container *c, struct mnt_spec *spec)
{
  const modrun_json *arr = NULL;
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, c->config, "", "mounts", &arr);
  if (ret <= 0 || arr->count == 0)
    return ret;
  spec->mounts = calloc (arr->count, sizeof (*spec->mounts));
  if (spec->mounts == NULL)
    return nomem (c);
  for (i = 0; i < arr->count; i++)
    {
      spec->n_mounts = i + 1;
      ret = load_mount (c, arr->items[i], i, &spec->mounts[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
int_field (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
           int64_t max, int64_t *out)
{
  int ret = c->svc->get_int (c, obj, where, key, out);

  if (ret > 0 && (*out < 0 || *out > max))
    return c->svc->error (c, 0, "config.json: %s.%s: expected an integer from 0 to %lld, got %lld",
                          where, key, (long long)max, (long long)*out);
  return ret;
}

static int
load_device (struct modrun_container *c, const modrun_json *obj, const char *where,
             struct mnt_device *d)
{
  const char *type = NULL;
  int64_t major = -1, minor = -1, mode = 0666, uid = 0, gid = 0;
  int ret, has_major, has_minor;

  if (obj->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "config.json: %s: expected object, got %s", where,
                          modrun_json_type_name (obj->type));
  ret = c->svc->get_string (c, obj, where, "path", &d->path);
  if (ret == 0)
    return c->svc->error (c, 0, "config.json: %s.path: required, expected string", where);
  if (ret < 0 || (ret = c->svc->get_string (c, obj, where, "type", &type)) < 0)
    return ret;
  if (ret == 0)
    return c->svc->error (c, 0, "config.json: %s.type: required, expected one of c, b, u, p",
                          where);
  if (d->path[0] != '/')
    return c->svc->error (c, 0, "config.json: %s.path: expected an absolute path, got `%s`", where,
                          d->path);
  if (strcmp (type, "c") == 0 || strcmp (type, "u") == 0)
    d->type = S_IFCHR;
  else if (strcmp (type, "b") == 0)
    d->type = S_IFBLK;
  else if (strcmp (type, "p") == 0)
    d->type = S_IFIFO;
  else
    return c->svc->error (c, 0, "config.json: %s.type: expected one of c, b, u, p, got `%s`", where,
                          type);
  if ((has_major = int_field (c, obj, where, "major", 0xfff, &major)) < 0
      || (has_minor = int_field (c, obj, where, "minor", 0xfffff, &minor)) < 0
      || (ret = int_field (c, obj, where, "fileMode", 07777, &mode)) < 0
      || (ret = int_field (c, obj, where, "uid", UINT32_MAX - 1, &uid)) < 0
      || (ret = int_field (c, obj, where, "gid", UINT32_MAX - 1, &gid)) < 0)
    return has_major < 0 ? has_major : (has_minor < 0 ? has_minor : ret);
  if (d->type != S_IFIFO && (!has_major || !has_minor))
    return c->svc->error (
        c, 0, "config.json: %s: major and minor are required for a device of type %s", where, type);
  d->major = d->type == S_IFIFO ? 0 : (unsigned int)major;
  d->minor = d->type == S_IFIFO ? 0 : (unsigned int)minor;
  d->mode = (mode_t)mode;
  d->uid = (uid_t)uid;
  d->gid = (gid_t)gid;
  d->rel = mnt_clean_rel (d->path);
  if (d->rel == NULL)
    return nomem (c);
  if (d->rel[0] == '\0')
    return c->svc->error (
        c, 0, "config.json: %s.path: `%s` is the root of the container; expected a device path",
        where, d->path);
  return 0;
}

static const struct
{
  const char *path;
  unsigned int major, minor;
} default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static bool
device_listed (const struct mnt_spec *spec, size_t n, const char *rel)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (spec->devices[i].rel, rel) == 0)
      return true;
  return false;
}

static int
load_devices (struct modrun_container *c, const modrun_json *linux_obj, struct mnt_spec *spec)
{
  const modrun_json *arr = NULL;
  size_t n_cfg = 0, i, k;
  int ret;

  if (linux_obj != NULL && (ret = c->svc->get_array (c, linux_obj, "linux", "devices", &arr)) < 0)
    return ret;
  n_cfg = arr ? arr->count : 0;
  k = sizeof (default_devices) / sizeof (default_devices[0]);
  spec->devices = calloc (n_cfg + k, sizeof (*spec->devices));
  if (spec->devices == NULL)
    return nomem (c);
  for (i = 0; i < n_cfg; i++)
    {
      char where[40];

      snprintf (where, sizeof (where), "linux.devices[%zu]", i);
      spec->n_devices = i + 1;
      spec->devices[i].index = (int)i;
      ret = load_device (c, arr->items[i], where, &spec->devices[i]);
      if (ret < 0)
        return ret;
    }
  for (i = 0; i < k; i++)
    {
      struct mnt_device *d = &spec->devices[spec->n_devices];
      char *rel = mnt_clean_rel (default_devices[i].path);

      if (rel == NULL)
        return nomem (c);
      if (device_listed (spec, n_cfg, rel))
        {
          free (rel);
          continue;
        }
      d->index = -1;
      d->path = default_devices[i].path;
      d->rel = rel;
      d->type = S_IFCHR;
      d->major = default_devices[i].major;
      d->minor = default_devices[i].minor;
      d->mode = 0666;
      spec->n_devices++;
    }
  return 0;
}

static int
load_paths (struct modrun_container *c, const modrun_json *linux_obj, const char *key,
            const char ***out, size_t *n)
{
  const modrun_json *arr = NULL;
  char where[32];
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, linux_obj, "linux", key, &arr);
  if (ret <= 0 || arr->count == 0)
    return ret;
  *out = calloc (arr->count, sizeof (**out));
  if (*out == NULL)
    return nomem (c);
  snprintf (where, sizeof (where), "linux.%s", key);
  for (i = 0; i < arr->count; i++)
    {
      const char *p;

      if ((ret = get_string_item (c, arr, where, i, &p)) < 0)
        return ret;
      if (p[0] != '/')
        return c->svc->error (c, 0, "config.json: %s[%u]: expected an absolute path, got `%s`",
                              where, i, p);
      (*out)[(*n)++] = p;
    }
  return 0;
}

static int
load_namespaces (struct modrun_container *c, const modrun_json *linux_obj, struct mnt_spec *spec)
{
  const modrun_json *arr = NULL;
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, linux_obj, "linux", "namespaces", &arr);
  if (ret <= 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      const modrun_json *type = modrun_json_get (arr->items[i], "type");

      /* The namespaces plugin checks these entries; only the kinds matter
       * here. */
      if (type == NULL || type->type != MODRUN_JSON_STRING)
        continue;
      if (strcmp (type->string, "mount") == 0)
        {
          const modrun_json *path = modrun_json_get (arr->items[i], "path");

          spec->mountns = true;
          spec->mountns_joined
              = path != NULL && path->type == MODRUN_JSON_STRING && path->string[0] != '\0';
        }
      else if (strcmp (type->string, "user") == 0)
        spec->userns = true;
      else if (strcmp (type->string, "network") == 0)
        spec->netns = true;
      else if (strcmp (type->string, "cgroup") == 0)
        spec->cgroupns = true;
    }
  return 0;
}

static int
load_propagation (struct modrun_container *c, const modrun_json *linux_obj, struct mnt_spec *spec)
{
  const char *prop = NULL;
  size_t i;
  int ret;

  ret = c->svc->get_string (c, linux_obj, "linux", "rootfsPropagation", &prop);
  if (ret <= 0)
    return ret;
  for (i = 0; i < sizeof (propagations) / sizeof (propagations[0]); i++)
    if (strcmp (propagations[i].name, prop) == 0)
      {
        spec->root_prop = propagations[i].flags;
        return 0;
      }
  return c->svc->error (
      c, 0,
      "config.json: linux.rootfsPropagation: expected one of shared, slave, private, unbindable, "
      "rshared, rslave, rprivate, runbindable, got `%s`",
      prop);
}

static int
load_linux (struct modrun_container *c, struct mnt_spec *spec)
{
  const modrun_json *linux_obj = NULL;
  int ret;

  ret = c->svc->get_object (c, c->config, "", "linux", &linux_obj);
  if (ret < 0)
    return ret;
  if (linux_obj != NULL)
    {
      if ((ret = load_namespaces (c, linux_obj, spec)) < 0
          || (ret = load_propagation (c, linux_obj, spec)) < 0
          || (ret = load_paths (c, linux_obj, "maskedPaths", &spec->masked, &spec->n_masked)) < 0
          || (ret = load_paths (c, linux_obj, "readonlyPaths", &spec->readonly, &spec->n_readonly))
                 < 0)
        return ret;
    }
  return load_devices (c, linux_obj, spec);
}

static int
load_root (struct modrun_container *c, struct mnt_spec *spec)
{
  const modrun_json *root = NULL;
  int ro = 0;
  int ret;

  ret = c->svc->get_object (c, c->config, "", "root", &root);
  if (ret <= 0)
    return ret;
  ret = c->svc->get_bool (c, root, "root", "readonly", &ro);
  if (ret < 0)
    return ret;
  spec->root_readonly = ro != 0;
  return 0;
}

/* True when PATH is the runtime's own root directory. */
static bool
is_runtime_root (const char *path)
{
  struct stat a, b;

  return path != NULL && stat (path, &a) == 0 && stat ("/", &b) == 0 && a.st_dev == b.st_dev
         && a.st_ino == b.st_ino;
}

static bool
has_config_devices (const struct mnt_spec *spec)
{
  size_t i;

  for (i = 0; i < spec->n_devices; i++)
    if (spec->devices[i].index >= 0)
      return true;
  return false;
}

/* Without a mount namespace the container inherits the runtime's: its
 * mounts are made there, under the rootfs, and detached again by destroy.
 * What would change mounts outside the rootfs (the propagation of /, the
 * rootfs itself made read-only) or hide paths of the shared tree is
 * refused, and so is every mount or device when the rootfs is the
 * runtime's own root: they would land on the host's /proc, /dev... */
static int
check_mountns (struct modrun_container *c, struct mnt_spec *spec)
{
  const char *what = NULL;

  if (spec->mountns)
    return 0;
  spec->root_is_host = is_runtime_root (c->rootfs);
  if (spec->root_is_host && (spec->n_mounts > 0 || has_config_devices (spec)))
    return c->svc->error (
        c, 0,
        "config.json: %s: without a mount namespace they would be made on the runtime's own root "
        "(root.path is `%s`)",
        spec->n_mounts > 0 ? "mounts" : "linux.devices", c->rootfs);
  if (spec->n_masked > 0)
    what = "linux.maskedPaths";
  else if (spec->n_readonly > 0)
    what = "linux.readonlyPaths";
  else if (spec->root_prop != 0)
    what = "linux.rootfsPropagation";
  else if (spec->root_readonly)
    what = "root.readonly";
  if (what == NULL)
    return 0;
  return c->svc->error (
      c, 0,
      "config.json: %s: needs a mount namespace, but linux.namespaces has no entry of type "
      "\"mount\"",
      what);
}

/* Why SELinux does not confine processes on this host, or NULL when it
 * does: the kernel must run it (it registers selinuxfs only then) and have
 * a policy loaded (until then every context reads back as "kernel", and
 * the kernel refuses contexts on mounts). The selinux plugin asks the same. */
static const char *
selinux_off_reason (void)
{
  char line[256];
  bool registered = false;
  ssize_t n = -1;
  FILE *f = fopen ("/proc/filesystems", "re");
  int fd;

  if (f != NULL)
    {
      while (!registered && fgets (line, sizeof (line), f) != NULL)
        {
          line[strcspn (line, "\n")] = '\0';
          registered = strcmp (line, "nodev\tselinuxfs") == 0;
        }
      fclose (f);
    }
  if (!registered)
    return "SELinux is not enabled on this host";
  fd = open ("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      n = read (fd, line, sizeof (line) - 1);
      close (fd);
    }
  if (n < 0)
    return "SELinux is enabled but its context cannot be read from /proc/self/attr/current";
  line[n] = '\0';
  line[strcspn (line, "\n")] = '\0';
  if (strcmp (line, "kernel") == 0)
    return "SELinux is enabled on this host but has no policy loaded";
  return NULL;
}

/* Whether a mount of TYPE takes linux.mountLabel as its context= option.
 * proc, sysfs and the cgroup file systems get their labels from the policy;
 * an mqueue superblock is made with its IPC namespace, before any mount, so
 * a context= option could only conflict with it; bind mounts take no file
 * system options at all. */
static bool
takes_mount_label (const struct mnt_mount *m)
{
  static const char *const not_labelled[] = { "proc", "sysfs", "cgroup", "cgroup2", "mqueue" };
  size_t i;

  if (m->bind || m->type == NULL)
    return false;
  for (i = 0; i < sizeof (not_labelled) / sizeof (not_labelled[0]); i++)
    if (strcmp (m->type, not_labelled[i]) == 0)
      return false;
  return true;
}

/* linux.mountLabel, as the context of the mounts that take one, when the
 * kernel runs SELinux. Without SELinux the label is left out, as crun does:
 * no kernel would take the option, and nothing is less confined for it. A
 * mount whose options already set a context keeps it. */
static int
load_mount_label (struct modrun_container *c, struct mnt_spec *spec)
{
  const modrun_json *linux_obj = NULL;
  const char *label = NULL, *why;
  char *opt;
  size_t i;
  int ret;

  ret = c->svc->get_object (c, c->config, "", "linux", &linux_obj);
  if (ret > 0)
    ret = c->svc->get_string (c, linux_obj, "linux", "mountLabel", &label);
  if (ret <= 0 || label == NULL || *label == '\0')
    return ret;
  if (strchr (label, '"') != NULL)
    return c->svc->error (c, 0, "config.json: linux.mountLabel: `%s`: a context holds no '\"'",
                          label);
  why = selinux_off_reason ();
  if (why != NULL)
    {
      c->svc->log (c, MODRUN_LOG_DEBUG, "linux.mountLabel left out: %s", why);
      return 0;
    }
  if (asprintf (&opt, "context=\"%s\"", label) < 0)
    return nomem (c);
  for (i = 0; i < spec->n_mounts && ret >= 0; i++)
    {
      struct mnt_mount *m = &spec->mounts[i];

      if (takes_mount_label (m) && !data_has (m->data, "context"))
        ret = data_append (c, &m->data, opt);
    }
  free (opt);
  return ret < 0 ? ret : 0;
}

int
mnt_spec_load (struct modrun_container *c, struct mnt_spec **out)
{
  struct mnt_spec *spec = calloc (1, sizeof (*spec));
  int ret;

  if (spec == NULL)
    return nomem (c);
  if ((ret = load_mounts (c, spec)) < 0 || (ret = load_mount_label (c, spec)) < 0
      || (ret = load_linux (c, spec)) < 0 || (ret = load_root (c, spec)) < 0
      || (ret = check_mountns (c, spec)) < 0)
    {
      mnt_spec_free (spec);
      return ret;
    }
  *out = spec;
  return 0;
}
