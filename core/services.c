/* The services table: everything of the core a plugin may reach. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "plugins.h"

/* Messages about config.json fields name the file as the user knows it. */
#define CONFIG_NAME "config.json"

static struct mr_container_core *
core_of (const struct modrun_container *c)
{
  if (c == NULL || c->core == NULL)
    return NULL;
  return (struct mr_container_core *)c->core;
}

/* The name of the document whose fields the running stage reads. */
static const char *
source_name (const struct modrun_container *c)
{
  const struct mr_container_core *core = core_of (c);

  return core != NULL && core->source != NULL ? core->source : CONFIG_NAME;
}

static void __attribute__ ((format (printf, 3, 4)))
svc_log (const struct modrun_container *c, int level, const char *fmt, ...)
{
  struct mr_container_core *core = core_of (c);
  const char *plugin = core ? core->plugin : NULL;
  cleanup_free char *msg = NULL;
  size_t plen;
  va_list ap;

  if (level < MODRUN_LOG_ERROR || level > MODRUN_LOG_DEBUG)
    level = MODRUN_LOG_DEBUG;
  if (level == MODRUN_LOG_DEBUG && !mr_log_debug_enabled ())
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);

  /* A plugin that already names itself is not named twice. */
  plen = plugin ? strlen (plugin) : 0;
  if (plugin == NULL || (strncmp (msg, plugin, plen) == 0 && msg[plen] == ':'))
    mr_log (level, "%s", msg);
  else
    mr_log (level, "%s: %s", plugin, msg);
}

static int __attribute__ ((format (printf, 3, 4)))
svc_error (struct modrun_container *c, int errnum, const char *fmt, ...)
{
  struct mr_container_core *core = core_of (c);
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = mr_vfail (core ? &core->err : NULL, errnum, fmt, ap);
  va_end (ap);
  return ret;
}

/* "linux.resources" + "memory" -> "linux.resources.memory". */
static char *
field_path (const char *where, const char *key)
{
  if (where == NULL || *where == '\0')
    return mr_xstrdup (key);
  return mr_xasprintf ("%s.%s", where, key);
}

/* Member KEY of OBJ of type WANT: 1 with *OUT set, 0 when absent or null,
 * or an error naming the field. */
static int
get_member (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
            modrun_json_type want, const modrun_json **out)
{
  const modrun_json *v;

  if (obj == NULL || obj->type == MODRUN_JSON_NULL)
    return 0;
  if (obj->type != MODRUN_JSON_OBJECT)
    return svc_error (c, 0, "%s: %s: expected object, got %s", source_name (c),
                      where && *where ? where : "(root)", modrun_json_type_name (obj->type));
  v = modrun_json_get (obj, key);
  if (v == NULL || v->type == MODRUN_JSON_NULL)
    return 0;
  if (v->type != want)
    {
      cleanup_free char *path = field_path (where, key);

      /* Integers beyond int64_t parse as numbers; say so rather than
       * claim the value is not an integer at all. */
      if (want == MODRUN_JSON_INTEGER && v->type == MODRUN_JSON_DOUBLE && v->string != NULL
          && v->string[strspn (v->string, "-0123456789")] == '\0')
        return svc_error (c, 0, "%s: %s: integer %s does not fit in 64 bits", source_name (c), path,
                          v->string);
      return svc_error (c, 0, "%s: %s: expected %s, got %s", source_name (c), path,
                        modrun_json_type_name (want), modrun_json_type_name (v->type));
    }
  *out = v;
  return 1;
}

static int
svc_get_string (struct modrun_container *c, const modrun_json *obj, const char *where,
                const char *key, const char **out)
{
  const modrun_json *v = NULL;
  int ret = get_member (c, obj, where, key, MODRUN_JSON_STRING, &v);

  if (ret > 0)
    *out = v->string;
  return ret;
}

static int
svc_get_int (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
             int64_t *out)
{
  const modrun_json *v = NULL;
  int ret = get_member (c, obj, where, key, MODRUN_JSON_INTEGER, &v);

  if (ret > 0)
    *out = v->integer;
  return ret;
}

static int
svc_get_bool (struct modrun_container *c, const modrun_json *obj, const char *where,
              const char *key, int *out)
{
  const modrun_json *v = NULL;
  int ret = get_member (c, obj, where, key, MODRUN_JSON_BOOL, &v);

  if (ret > 0)
    *out = v->boolean;
  return ret;
}

static int
svc_get_array (struct modrun_container *c, const modrun_json *obj, const char *where,
               const char *key, const modrun_json **out)
{
  const modrun_json *v = NULL;
  int ret = get_member (c, obj, where, key, MODRUN_JSON_ARRAY, &v);

  if (ret > 0)
    *out = v;
  return ret;
}

static int
svc_get_object (struct modrun_container *c, const modrun_json *obj, const char *where,
                const char *key, const modrun_json **out)
{
  const modrun_json *v = NULL;
  int ret = get_member (c, obj, where, key, MODRUN_JSON_OBJECT, &v);

  if (ret > 0)
    *out = v;
  return ret;
}

/* Only plain file names: a plugin keeps its files in the container's own
 * directory and never reaches out of it. */
static int
svc_state_path (const struct modrun_container *c, const char *name, char *buf, size_t len)
{
  int n;

  if (c == NULL || c->state_dir == NULL)
    return -ENOENT;
  if (name == NULL || *name == '\0' || strchr (name, '/') != NULL || strcmp (name, ".") == 0
      || strcmp (name, "..") == 0)
    return -EINVAL;
  n = snprintf (buf, len, "%s/%s", c->state_dir, name);
  if (n < 0 || (size_t)n >= len)
    return -ENAMETOOLONG;
  return 0;
}

static const struct modrun_services services = {
  .size = sizeof (struct modrun_services),
  .abi_major = MODRUN_ABI_MAJOR,
  .abi_minor = MODRUN_ABI_MINOR,
  .log = svc_log,
  .error = svc_error,
  .get_string = svc_get_string,
  .get_int = svc_get_int,
  .get_bool = svc_get_bool,
  .get_array = svc_get_array,
  .get_object = svc_get_object,
  .state_path = svc_state_path,
  .json_add = mr_json_add,
  .json_add_string = mr_json_add_string,
  .json_add_int = mr_json_add_int,
  .json_add_bool = mr_json_add_bool,
};

const struct modrun_services *
mr_services (void)
{
  return &services;
}

void
mr_container_init (struct modrun_container *c, struct mr_container_core *core)
{
  memset (c, 0, sizeof (*c));
  memset (core, 0, sizeof (*core));
  c->size = sizeof (*c);
  c->cgroup_fd = -1;
  c->svc = &services;
  c->core = core;
}
