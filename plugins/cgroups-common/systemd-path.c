/* The "slice:prefix:name" form of linux.cgroupsPath, read as systemd names
 * its units: a slice "a-b-c.slice" lives below each of its dash-separated
 * prefixes, so its cgroup is "/a.slice/a-b.slice/a-b-c.slice", and the
 * container's scope "prefix-name.scope" lives in that slice. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <modrun/plugin.h>

#include "systemd-path.h"

#define SLICE_SUFFIX ".slice"

bool
cgroup_systemd_running (void)
{
  return access ("/run/systemd/system", F_OK) == 0;
}

/* Whether S is a unit name systemd takes: not empty, not too long, made
 * of ASCII letters, digits and ":-_.\" (systemd's own set). */
static bool
valid_unit_chars (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 256)
    return false;
  return strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\") == n;
}

int
cgroup_systemd_expand_slice (const char *slice, char *out, size_t len, char *err, size_t errlen)
{
  size_t n = strlen (slice), base, i, used = 0;

  if (n <= strlen (SLICE_SUFFIX) || strcmp (slice + n - strlen (SLICE_SUFFIX), SLICE_SUFFIX) != 0
      || !valid_unit_chars (slice))
    {
      snprintf (err, errlen, "\"%s\" is not a slice name (NAME.slice)", slice);
      return -1;
    }
  if (strcmp (slice, "-" SLICE_SUFFIX) == 0)
    {
      snprintf (out, len, "/");
      return 0;
    }
  base = n - strlen (SLICE_SUFFIX);
  if (slice[0] == '-' || slice[base - 1] == '-' || strstr (slice, "--") != NULL)
    {
      snprintf (err, errlen, "\"%s\": a slice name has no empty part between dashes", slice);
      return -1;
    }

  /* One level per dash, each named by the prefix up to that dash. */
  for (i = 0; i <= base; i++)
    {
      int w;

      if (i < base && slice[i] != '-')
        continue;
      w = snprintf (out + used, len - used, "/%.*s" SLICE_SUFFIX, (int)i, slice);
      if (w < 0 || (size_t)w >= len - used)
        {
          snprintf (err, errlen, "\"%s\": the cgroup path is too long", slice);
          return -1;
        }
      used += (size_t)w;
    }
  return 0;
}

int
cgroup_systemd_parse (const char *given, const char *id, struct cgroup_systemd_unit *out, char *err,
                      size_t errlen)
{
  const char *c1, *c2, *slice, *prefix, *name;
  char buf[768], path[PATH_MAX];
  int w;

  memset (out, 0, sizeof (*out));
  if (given == NULL || *given == '\0')
    {
      if (id == NULL || *id == '\0')
        {
          snprintf (err, errlen, "no container id to name the scope");
          return -1;
        }
      w = snprintf (buf, sizeof (buf), "%s:%s:%s", CGROUP_SYSTEMD_DEFAULT_SLICE,
                    CGROUP_SYSTEMD_DEFAULT_PREFIX, id);
      if (w < 0 || (size_t)w >= sizeof (buf))
        {
          snprintf (err, errlen, "the container id is too long to name a scope");
          return -1;
        }
      given = buf;
    }
  else if (strlen (given) >= sizeof (buf))
    {
      snprintf (err, errlen, "\"%.64s...\" is too long", given);
      return -1;
    }
  else
    given = strcpy (buf, given);

  c1 = strchr (given, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':') != NULL)
    {
      snprintf (err, errlen, "\"%s\": expected \"slice:prefix:name\" with --systemd-cgroup", given);
      return -1;
    }
  buf[c1 - buf] = '\0';
  buf[c2 - buf] = '\0';
  slice = *buf ? buf : CGROUP_SYSTEMD_DEFAULT_SLICE;
  prefix = c1 + 1;
  name = c2 + 1;
  if (*name == '\0')
    {
      snprintf (err, errlen, "\"slice:prefix:name\": the name is empty");
      return -1;
    }

  snprintf (out->slice, sizeof (out->slice), "%s", slice);
  if (cgroup_systemd_expand_slice (slice, path, sizeof (path), err, errlen) < 0)
    return -1;

  /* A name that is a slice is the unit itself, and its name alone tells
   * where systemd puts it. */
  if (strlen (name) > strlen (SLICE_SUFFIX)
      && strcmp (name + strlen (name) - strlen (SLICE_SUFFIX), SLICE_SUFFIX) == 0)
    {
      snprintf (out->unit, sizeof (out->unit), "%s", name);
      return cgroup_systemd_expand_slice (name, out->path, sizeof (out->path), err, errlen);
    }
  if (*prefix == '\0')
    w = snprintf (out->unit, sizeof (out->unit), "%s.scope", name);
  else
    w = snprintf (out->unit, sizeof (out->unit), "%s-%s.scope", prefix, name);
  if (w < 0 || (size_t)w >= sizeof (out->unit) || !valid_unit_chars (out->unit))
    {
      snprintf (err, errlen, "\"%s\" is not a valid systemd unit name", out->unit);
      return -1;
    }
  w = snprintf (out->path, sizeof (out->path), "%s/%s", strcmp (path, "/") == 0 ? "" : path,
                out->unit);
  if (w < 0 || (size_t)w >= sizeof (out->path))
    {
      snprintf (err, errlen, "the cgroup path of \"%s\" is too long", out->unit);
      return -1;
    }
  return 0;
}

int
cgroup_systemd_resolve (struct modrun_container *c, const char *given,
                        struct cgroup_systemd_unit *u)
{
  char err[512];
  size_t n;

  if (cgroup_systemd_parse (given, c->id, u, err, sizeof (err)) < 0)
    return c->svc->error (c, 0, "linux.cgroupsPath: %s", err);
  n = strlen (u->unit);
  if (n > strlen (SLICE_SUFFIX) && strcmp (u->unit + n - strlen (SLICE_SUFFIX), SLICE_SUFFIX) == 0)
    return c->svc->error (
        c, 0,
        "linux.cgroupsPath: \"%s\": a slice as the name is not supported; expected the "
        "name of a scope",
        given);
  if (!cgroup_systemd_running ())
    return c->svc->error (
        c, 0,
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so the "
        "scope %s of linux.cgroupsPath \"%s\" cannot be made",
        u->unit, given ? given : "");
  return 0;
}

int
cgroup_systemd_refuse (struct modrun_container *c, const char *plugin, const char *given)
{
  struct cgroup_systemd_unit u;
  int ret = cgroup_systemd_resolve (c, given, &u);

  if (ret < 0)
    return ret;
  return c->svc->error (c, 0,
                        "--systemd-cgroup: %s cannot make the scope %s in %s: transient "
                        "systemd units are not supported",
                        plugin, u.unit, u.slice);
}

/* The name /proc/devices gives driver MAJOR of block or character devices. */
int
cgroup_device_driver (bool block, long major, char *out, size_t len)
{
  char buf[8192], copy[8192], *line, *save = NULL;
  bool in = false;
  ssize_t n;
  int fd = open ("/proc/devices", O_RDONLY | O_CLOEXEC), holders = 0;

  if (fd < 0)
    return -errno;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  memcpy (copy, buf, (size_t)n + 1);
  *out = '\0';
  for (line = strtok_r (buf, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      char name[64];
      long m;

      if (strncmp (line, "Character", 9) == 0 || strncmp (line, "Block", 5) == 0)
        in = (line[0] == 'B') == block;
      else if (in && sscanf (line, "%ld %63s", &m, name) == 2 && m == major)
        {
          snprintf (out, len, "%s", name);
          break;
        }
    }
  if (*out == '\0')
    return -ENOENT;
  /* systemd's "char-NAME" stands for every major of that name. */
  in = false;
  save = NULL;
  for (line = strtok_r (copy, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      char name[64];
      long m;

      if (strncmp (line, "Character", 9) == 0 || strncmp (line, "Block", 5) == 0)
        in = (line[0] == 'B') == block;
      else if (in && sscanf (line, "%ld %63s", &m, name) == 2 && strcmp (name, out) == 0)
        holders++;
    }
  return holders > 1 ? -EEXIST : 0;
}

/* Whether a device rule's major or minor V means every number: absent or
 * negative, as the cgroup backends read it. */
static bool
any_number (const modrun_json *v)
{
  return v == NULL || v->type != MODRUN_JSON_INTEGER || v->integer < 0;
}

int
cgroup_systemd_check_devices (struct modrun_container *c, const modrun_json *devices)
{
  bool all = false;
  uint32_t i;

  for (i = 0; devices != NULL && devices->type == MODRUN_JSON_ARRAY && i < devices->count; i++)
    {
      const modrun_json *allow = modrun_json_get (devices->items[i], "allow");
      const modrun_json *type = modrun_json_get (devices->items[i], "type");
      const modrun_json *major = modrun_json_get (devices->items[i], "major");
      const modrun_json *minor = modrun_json_get (devices->items[i], "minor");
      bool allowed = allow != NULL && allow->type == MODRUN_JSON_BOOL && allow->boolean;
      bool block;
      char name[64];
      int ret;

      if (type == NULL || (type->type == MODRUN_JSON_STRING && strcmp (type->string, "a") == 0))
        {
          all = allowed;
          continue;
        }
      if (all && !allowed)
        return c->svc->error (
            c, 0,
            "linux.resources.devices[%u]: --systemd-cgroup cannot keep a deny "
            "rule that follows \"allow every device\": systemd has no form for it",
            i);
      /* An allowed rule becomes a line of devices.list, which systemd
       * must be able to say; checked here, before the kernel has it. */
      if (!allowed || type->type != MODRUN_JSON_STRING)
        continue;
      block = strcmp (type->string, "b") == 0;
      if (any_number (major) && !any_number (minor))
        return c->svc->error (c, 0,
                              "linux.resources.devices[%u]: --systemd-cgroup cannot keep a rule "
                              "for minor %" PRId64 " of any major: systemd has no form for it",
                              i, minor->integer);
      if (!any_number (major) && any_number (minor)
          && (ret = cgroup_device_driver (block, (long)major->integer, name, sizeof (name))) < 0)
        return ret == -EEXIST
                   ? c->svc->error (c, 0,
                                    "linux.resources.devices[%u]: --systemd-cgroup cannot keep a "
                                    "rule for every device of major %" PRId64
                                    ": systemd's %s-%s names the other majors of driver %s too",
                                    i, major->integer, block ? "block" : "char", name, name)
                   : c->svc->error (c, 0,
                                    "linux.resources.devices[%u]: --systemd-cgroup cannot keep a "
                                    "rule for every device of major %" PRId64
                                    ", which no driver in /proc/devices has",
                                    i, major->integer);
    }
  return 0;
}

int
cgroup_systemd_mark (struct modrun_container *c, const char *name, const char *unit, bool on)
{
  char path[PATH_MAX];
  size_t len = strlen (unit);
  ssize_t n;
  int fd;

  if (c->svc->state_path (c, name, path, sizeof (path)) < 0)
    return c->svc->error (c, ENAMETOOLONG, "state path of %s", name);
  if (!on)
    return unlink (path) < 0 && errno != ENOENT
               ? c->svc->error (c, errno, "%s: cannot remove", path)
               : 0;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return c->svc->error (c, errno, "%s: cannot create", path);
  n = write (fd, unit, len);
  close (fd);
  if (n < 0 || (size_t)n != len)
    return c->svc->error (c, n < 0 ? errno : EIO, "%s: cannot write", path);
  return 0;
}

bool
cgroup_systemd_marked (struct modrun_container *c, const char *name)
{
  char path[PATH_MAX];

  return c->id != NULL && c->state_dir != NULL
         && c->svc->state_path (c, name, path, sizeof (path)) == 0 && access (path, F_OK) == 0;
}

void
cgroup_systemd_scope_limits (const modrun_json *res, uint64_t *memory_max, uint64_t *tasks_max)
{
  const modrun_json *v;

  *memory_max = *tasks_max = 0;
  v = modrun_json_path (res, "memory.limit");
  if (v != NULL && v->type == MODRUN_JSON_INTEGER && v->integer > 0)
    *memory_max = (uint64_t)v->integer;
  v = modrun_json_path (res, "pids.limit");
  if (v != NULL && v->type == MODRUN_JSON_INTEGER && v->integer > 0)
    *tasks_max = (uint64_t)v->integer;
}

bool
cgroup_same_controllers (const char *a, const char *b)
{
  size_t na = 0, nb = 0;
  const char *p, *q;

  /* Same names, any order: each of A is in B, and as many of each. */
  for (p = a; *p; p += strcspn (p, ","), p += *p == ',')
    {
      size_t l = strcspn (p, ",");
      bool found = false;

      na++;
      for (q = b; *q && !found; q += strcspn (q, ","), q += *q == ',')
        found = strcspn (q, ",") == l && strncmp (p, q, l) == 0;
      if (!found)
        return false;
    }
  for (q = b; *q; q += strcspn (q, ","), q += *q == ',')
    nb++;
  return na == nb;
}

unsigned int
cgroup_systemd_update_what (const modrun_json *resources)
{
  unsigned int what = CGROUP_SYSTEMD_ALL & ~CGROUP_SYSTEMD_DEVICES;

  /* systemd denies every device before it allows its list again: the
   * devices go to it only when the update changes them. */
  if (modrun_json_get (resources, "devices") != NULL)
    what |= CGROUP_SYSTEMD_DEVICES;
  return what;
}
