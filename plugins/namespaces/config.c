/* namespaces: reading and checking linux.namespaces, the id mappings, the
 * time offsets, hostname, domainname and linux.sysctl. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct ns_kind_info ns_kinds[NS_COUNT] = {
  [NS_PID] = { "pid", "pid", "PID", CLONE_NEWPID },
  [NS_NET] = { "network", "net", "network", CLONE_NEWNET },
  [NS_MNT] = { "mount", "mnt", "mount", CLONE_NEWNS },
  [NS_IPC] = { "ipc", "ipc", "IPC", CLONE_NEWIPC },
  [NS_UTS] = { "uts", "uts", "UTS", CLONE_NEWUTS },
  [NS_USER] = { "user", "user", "user", CLONE_NEWUSER },
  [NS_CGROUP] = { "cgroup", "cgroup", "cgroup", CLONE_NEWCGROUP },
  [NS_TIME] = { "time", "time", "time", CLONE_NEWTIME },
};

#define HOST_NAME_LIMIT 64 /* the kernel's __NEW_UTS_LEN */

#define NAMESPACED_SYSCTLS                                                                         \
  "kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname"

/* A field of config.json that is not what this plugin can honour; named
 * the way the core names fields of the wrong type. */
static int __attribute__ ((format (printf, 2, 3)))
bad (struct modrun_container *c, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  return c->svc->error (c, 0, "config.json: %s", msg);
}

static int
kind_of (const char *type)
{
  int k;

  for (k = 0; k < NS_COUNT; k++)
    if (strcmp (ns_kinds[k].type, type) == 0)
      return k;
  return -1;
}

static int
load_namespace (struct modrun_container *c, struct ns_config *cfg, const modrun_json *item,
                uint32_t i)
{
  const struct modrun_services *svc = c->svc;
  const char *type = NULL, *path = NULL;
  char where[64];
  int k, ret;

  snprintf (where, sizeof (where), "linux.namespaces[%u]", i);
  if (item->type != MODRUN_JSON_OBJECT)
    return bad (c, "%s: expected object, got %s", where, modrun_json_type_name (item->type));
  ret = svc->get_string (c, item, where, "type", &type);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return bad (
        c, "%s.type: required, expected one of pid, network, mount, ipc, uts, user, cgroup, time",
        where);
  k = kind_of (type);
  if (k < 0)
    return bad (c, "%s.type: unknown namespace type \"%s\"", where, type);
  if (cfg->ns[k].present)
    return bad (c, "%s.type: duplicate namespace type \"%s\", already in linux.namespaces[%u]",
                where, type, cfg->ns[k].index);

  ret = svc->get_string (c, item, where, "path", &path);
  if (ret < 0)
    return ret;
  if (path != NULL && path[0] == '\0')
    path = NULL;
  if (path != NULL && path[0] != '/')
    return bad (c, "%s.path: expected an absolute path, got \"%s\"", where, path);

  cfg->ns[k].present = true;
  cfg->ns[k].index = i;
  cfg->ns[k].path = path;
  return 0;
}

static int
load_namespaces (struct modrun_container *c, struct ns_config *cfg, const modrun_json *linux_obj)
{
  const modrun_json *arr = NULL;
  uint32_t i;
  int ret;

  if (linux_obj == NULL)
    return 0;
  ret = c->svc->get_array (c, linux_obj, "linux", "namespaces", &arr);
  if (ret <= 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      ret = load_namespace (c, cfg, arr->items[i], i);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
get_u32 (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
         uint32_t *out)
{
  int64_t v = 0;
  int ret = c->svc->get_int (c, obj, where, key, &v);

  if (ret < 0)
    return ret;
  if (ret == 0)
    return bad (c, "%s.%s: required, expected an integer from 0 to 4294967295", where, key);
  if (v < 0 || v > (int64_t)UINT32_MAX)
    return bad (c, "%s.%s: expected an integer from 0 to 4294967295, got %lld", where, key,
                (long long)v);
  *out = (uint32_t)v;
  return 0;
}

static int
load_id_map (struct modrun_container *c, const modrun_json *item, const char *where,
             struct ns_id_map *m)
{
  int ret;

  if (item->type != MODRUN_JSON_OBJECT)
    return bad (c, "%s: expected object, got %s", where, modrun_json_type_name (item->type));
  if ((ret = get_u32 (c, item, where, "containerID", &m->container_id)) < 0
      || (ret = get_u32 (c, item, where, "hostID", &m->host_id)) < 0
      || (ret = get_u32 (c, item, where, "size", &m->size)) < 0)
    return ret;
  if (m->size == 0)
    return bad (c, "%s.size: expected an integer greater than 0, got 0", where);
  if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1)
    return bad (c, "%s: containerID %u plus size %u goes beyond 4294967295", where, m->container_id,
                m->size);
  if ((uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
    return bad (c, "%s: hostID %u plus size %u goes beyond 4294967295", where, m->host_id, m->size);
  return 0;
}

static int
load_id_maps (struct modrun_container *c, const modrun_json *linux_obj, const char *key,
              struct ns_id_map **out, size_t *n)
{
  const modrun_json *arr = NULL;
  char where[64];
  uint32_t i;
  int ret;

  if (linux_obj == NULL)
    return 0;
  ret = c->svc->get_array (c, linux_obj, "linux", key, &arr);
  if (ret <= 0)
    return ret;
  if (arr->count > NS_MAX_ID_MAPPINGS)
    return bad (c, "linux.%s: expected at most %d mappings, got %u", key, NS_MAX_ID_MAPPINGS,
                arr->count);
  if (arr->count == 0)
    return 0;
  *out = calloc (arr->count, sizeof (**out));
  if (*out == NULL)
    return c->svc->error (c, ENOMEM, "linux.%s", key);
  for (i = 0; i < arr->count; i++)
    {
      snprintf (where, sizeof (where), "linux.%s[%u]", key, i);
      ret = load_id_map (c, arr->items[i], where, &(*out)[i]);
      if (ret < 0)
        return ret;
      (*n)++;
    }
  return 0;
}

static int
load_time_offset (struct modrun_container *c, const modrun_json *obj, const char *clock,
                  struct ns_time_offset *off)
{
  char where[64];
  int ret;

  snprintf (where, sizeof (where), "linux.timeOffsets.%s", clock);
  if (obj->type != MODRUN_JSON_OBJECT)
    return bad (c, "%s: expected object, got %s", where, modrun_json_type_name (obj->type));
  if ((ret = c->svc->get_int (c, obj, where, "secs", &off->secs)) < 0
      || (ret = c->svc->get_int (c, obj, where, "nanosecs", &off->nanosecs)) < 0)
    return ret;
  if (off->nanosecs < 0 || off->nanosecs > 999999999)
    return bad (c, "%s.nanosecs: expected an integer from 0 to 999999999, got %lld", where,
                (long long)off->nanosecs);
  off->present = true;
  return 0;
}

static int
load_time_offsets (struct modrun_container *c, struct ns_config *cfg, const modrun_json *linux_obj)
{
  const modrun_json *obj = NULL;
  uint32_t i;
  int ret;

  if (linux_obj == NULL)
    return 0;
  ret = c->svc->get_object (c, linux_obj, "linux", "timeOffsets", &obj);
  if (ret <= 0)
    return ret;
  for (i = 0; i < obj->count; i++)
    {
      const char *clock = obj->keys[i];

      if (strcmp (clock, "monotonic") == 0)
        ret = load_time_offset (c, obj->items[i], clock, &cfg->monotonic);
      else if (strcmp (clock, "boottime") == 0)
        ret = load_time_offset (c, obj->items[i], clock, &cfg->boottime);
      else
        ret = bad (
            c, "linux.timeOffsets: unknown clock \"%s\", expected \"monotonic\" or \"boottime\"",
            clock);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Which namespace isolates sysctl DOTTED, or -1 when none does. */
static int
sysctl_namespace (const char *dotted)
{
  if (strcmp (dotted, "kernel.sem") == 0 || strncmp (dotted, "kernel.msg", 10) == 0
      || strncmp (dotted, "kernel.shm", 10) == 0 || strncmp (dotted, "fs.mqueue.", 10) == 0)
    return NS_IPC;
  if (strncmp (dotted, "net.", 4) == 0)
    return NS_NET;
  if (strcmp (dotted, "kernel.hostname") == 0 || strcmp (dotted, "kernel.domainname") == 0)
    return NS_UTS;
  return -1;
}

/* A sysctl name is written with dots (net.ipv4.ip_forward) or, when a
 * component holds a dot itself (an interface "eth0.100"), with slashes. */
static int
sysctl_names (struct modrun_container *c, const char *name, char **dotted, char **file)
{
  char sep = strchr (name, '/') ? '/' : '.';
  const char *p = name;
  size_t len;

  if (*name == '\0')
    return bad (c, "linux.sysctl: empty sysctl name");
  for (;;)
    {
      const char *end = strchr (p, sep);

      len = end ? (size_t)(end - p) : strlen (p);
      if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return bad (
            c, "linux.sysctl: \"%s\": expected a dotted name with no empty, \".\" or \"..\" part",
            name);
      if (end == NULL)
        break;
      p = end + 1;
    }

  *dotted = strdup (name);
  if (*dotted == NULL || asprintf (file, "/proc/sys/%s", name) < 0)
    {
      *file = NULL;
      return c->svc->error (c, ENOMEM, "linux.sysctl");
    }
  for (p = *dotted; *p; p++)
    if (*p == '/')
      (*dotted)[p - *dotted] = '.';
  if (sep == '.')
    {
      char *q;

      for (q = *file + strlen ("/proc/sys/"); *q; q++)
        if (*q == '.')
          *q = '/';
    }
  return 0;
}

static int
load_sysctl (struct modrun_container *c, struct ns_config *cfg, const char *name,
             const modrun_json *value, struct ns_sysctl *s)
{
  char *dotted = NULL;
  int k, ret;

  if (value->type != MODRUN_JSON_STRING)
    return bad (c, "linux.sysctl[\"%s\"]: expected string, got %s", name,
                modrun_json_type_name (value->type));
  s->name = name;
  s->value = value->string;
  ret = sysctl_names (c, name, &dotted, &s->file);
  if (ret < 0)
    {
      free (dotted);
      return ret;
    }

  k = sysctl_namespace (dotted);
  if (k < 0)
    ret = bad (
        c, "linux.sysctl: \"%s\" is not namespaced, setting it would change the host; expected %s",
        name, NAMESPACED_SYSCTLS);
  else if (!cfg->ns[k].present)
    ret = bad (c, "linux.sysctl: \"%s\" requires a namespace of type \"%s\" in linux.namespaces",
               name, ns_kinds[k].type);
  else if (strcmp (dotted, "kernel.hostname") == 0 && cfg->hostname != NULL)
    ret = bad (c, "linux.sysctl: \"%s\" conflicts with hostname; set only one", name);
  else if (strcmp (dotted, "kernel.domainname") == 0 && cfg->domainname != NULL)
    ret = bad (c, "linux.sysctl: \"%s\" conflicts with domainname; set only one", name);
  s->needs = k < 0 ? NS_NET : (enum ns_kind)k;
  free (dotted);
  return ret;
}

static int
load_sysctls (struct modrun_container *c, struct ns_config *cfg, const modrun_json *linux_obj)
{
  const modrun_json *obj = NULL;
  uint32_t i;
  int ret;

  if (linux_obj == NULL)
    return 0;
  ret = c->svc->get_object (c, linux_obj, "linux", "sysctl", &obj);
  if (ret <= 0 || obj->count == 0)
    return ret;
  cfg->sysctls = calloc (obj->count, sizeof (*cfg->sysctls));
  if (cfg->sysctls == NULL)
    return c->svc->error (c, ENOMEM, "linux.sysctl");
  for (i = 0; i < obj->count; i++)
    {
      ret = load_sysctl (c, cfg, obj->keys[i], obj->items[i], &cfg->sysctls[i]);
      cfg->n_sysctls++;
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
load_name (struct modrun_container *c, const char *key, const char **out)
{
  int ret = c->svc->get_string (c, c->config, "", key, out);

  if (ret <= 0)
    return ret;
  if (**out == '\0')
    {
      *out = NULL;
      return 0;
    }
  if (strlen (*out) > HOST_NAME_LIMIT)
    return bad (c, "%s: expected at most %d bytes, got %zu", key, HOST_NAME_LIMIT, strlen (*out));
  return 0;
}

/* Rules between the members, once each one is known to be well formed. */
static int
check_consistency (struct modrun_container *c, struct ns_config *cfg)
{
  if ((cfg->n_uid_maps || cfg->n_gid_maps) && !cfg->ns[NS_USER].present)
    return bad (c, "linux.%s: mappings require a user namespace in linux.namespaces",
                cfg->n_uid_maps ? "uidMappings" : "gidMappings");
  if (ns_new (cfg, NS_USER) && cfg->n_uid_maps == 0)
    return bad (c, "linux.namespaces[%u]: a new user namespace requires linux.uidMappings",
                cfg->ns[NS_USER].index);
  if (ns_new (cfg, NS_USER) && cfg->n_gid_maps == 0)
    return bad (c, "linux.namespaces[%u]: a new user namespace requires linux.gidMappings",
                cfg->ns[NS_USER].index);
  if ((cfg->monotonic.present || cfg->boottime.present) && !ns_new (cfg, NS_TIME))
    return bad (c, "linux.timeOffsets requires a new time namespace (\"time\" without path)");
  /* A UTS namespace joined by path takes the name too, as runc and crun
   * give it; only the runtime's own namespace is off limits. */
  if (cfg->hostname != NULL && !cfg->ns[NS_UTS].present)
    return bad (c, "hostname requires a UTS namespace in linux.namespaces");
  if (cfg->domainname != NULL && !cfg->ns[NS_UTS].present)
    return bad (c, "domainname requires a UTS namespace in linux.namespaces");
  /* A PID namespace belongs to the user namespace its creator is in, and
   * the init is cloned before it can join one. */
  if (ns_joined (cfg, NS_USER) && ns_new (cfg, NS_PID))
    return bad (
        c,
        "linux.namespaces[%u]: not supported: a new PID namespace inside a joined user namespace",
        cfg->ns[NS_PID].index);
  return 0;
}

int
ns_config_load (struct modrun_container *c, struct ns_config **out)
{
  const modrun_json *linux_obj = NULL;
  struct ns_config *cfg;
  int k, ret;

  *out = NULL;
  cfg = calloc (1, sizeof (*cfg));
  if (cfg == NULL)
    return c->svc->error (c, ENOMEM, "namespaces configuration");
  for (k = 0; k < NS_COUNT; k++)
    {
      cfg->ns[k].fd = -1;
      cfg->saved.fd[k] = -1;
    }

  ret = c->svc->get_object (c, c->config, "", "linux", &linux_obj);
  if (ret >= 0)
    ret = load_namespaces (c, cfg, linux_obj);
  if (ret >= 0)
    ret = load_id_maps (c, linux_obj, "uidMappings", &cfg->uid_maps, &cfg->n_uid_maps);
  if (ret >= 0)
    ret = load_id_maps (c, linux_obj, "gidMappings", &cfg->gid_maps, &cfg->n_gid_maps);
  if (ret >= 0)
    ret = load_time_offsets (c, cfg, linux_obj);
  if (ret >= 0)
    ret = load_name (c, "hostname", &cfg->hostname);
  if (ret >= 0)
    ret = load_name (c, "domainname", &cfg->domainname);
  if (ret >= 0)
    ret = load_sysctls (c, cfg, linux_obj);
  if (ret >= 0)
    ret = check_consistency (c, cfg);
  if (ret < 0)
    {
      ns_config_free (cfg);
      return ret;
    }
  *out = cfg;
  return 0;
}

void
ns_config_free (struct ns_config *cfg)
{
  size_t i;

  if (cfg == NULL)
    return;
  ns_parent_release (cfg);
  for (i = 0; i < cfg->n_sysctls; i++)
    free (cfg->sysctls[i].file);
  free (cfg->sysctls);
  free (cfg->uid_maps);
  free (cfg->gid_maps);
  free (cfg);
}

int
ns_config_get (struct modrun_container *c, void **data, struct ns_config **out)
{
  int ret;

  if (*data != NULL)
    {
      *out = *data;
      return 0;
    }
  ret = ns_config_load (c, out);
  if (ret == 0)
    *data = *out;
  return ret;
}
