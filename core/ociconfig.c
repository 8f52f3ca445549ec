#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "ociconfig.h"

/* Typed readers. Each takes the object, the dotted path naming it ("" for
 * the document itself) and the member; it returns 1 when the member is
 * there with the right type, 0 when it is absent or null, and a negative
 * value with an error that names the field and the type expected. */

static char *
field_name (const char *where, const char *key)
{
  if (where == NULL || *where == '\0')
    return mr_xstrdup (key);
  if (key == NULL)
    return mr_xstrdup (where);
  return mr_xasprintf ("%s.%s", where, key);
}

static int
type_error (const char *field, const char *expected, const modrun_json *got, mr_error **err)
{
  return mr_fail (err, 0, "%s: expected %s, got %s", field, expected,
                  modrun_json_type_name (got->type));
}

static const modrun_json *
member (const modrun_json *obj, const char *key)
{
  const modrun_json *v = modrun_json_get (obj, key);

  return v != NULL && v->type != MODRUN_JSON_NULL ? v : NULL;
}

/* A string the core hands to the kernel or libc cannot hold a NUL byte. */
static int
check_string (const modrun_json *v, const char *field, mr_error **err)
{
  if (v->type != MODRUN_JSON_STRING)
    return type_error (field, "string", v, err);
  if (strlen (v->string) != v->length)
    return mr_fail (err, 0, "%s: string contains a NUL character", field);
  return 0;
}

static int
get_string (const modrun_json *obj, const char *where, const char *key, const char **out,
            mr_error **err)
{
  const modrun_json *v = member (obj, key);
  cleanup_free char *field = NULL;

  if (v == NULL)
    return 0;
  field = field_name (where, key);
  if (check_string (v, field, err) < 0)
    return -EINVAL;
  *out = v->string;
  return 1;
}

static int
get_bool (const modrun_json *obj, const char *where, const char *key, int *out,
          mr_error **err)
{
  const modrun_json *v = member (obj, key);
  cleanup_free char *field = NULL;

  if (v == NULL)
    return 0;
  if (v->type != MODRUN_JSON_BOOL)
    {
      field = field_name (where, key);
      return type_error (field, "boolean", v, err);
    }
  *out = v->boolean;
  return 1;
}

static int
get_typed (const modrun_json *obj, const char *where, const char *key, modrun_json_type type,
           const modrun_json **out, mr_error **err)
{
  const modrun_json *v = member (obj, key);
  cleanup_free char *field = NULL;

  if (v == NULL)
    return 0;
  if (v->type != type)
    {
      field = field_name (where, key);
      return type_error (field, type == MODRUN_JSON_ARRAY ? "array" : "object", v, err);
    }
  *out = v;
  return 1;
}

/* A DOUBLE node written without fraction or exponent is an integer too
 * large for int64_t; the parser keeps its text. */
static int
is_big_integer (const modrun_json *v)
{
  return v->type == MODRUN_JSON_DOUBLE && v->string != NULL
         && strpbrk (v->string, ".eE") == NULL;
}

static int
int_value (const modrun_json *v, const char *field, int64_t min, int64_t max, int64_t *out,
           mr_error **err)
{
  if (is_big_integer (v))
    return mr_fail (err, 0, "%s: expected an integer from %" PRId64 " to %" PRId64 ", got %s",
                    field, min, max, v->string);
  if (v->type != MODRUN_JSON_INTEGER)
    return type_error (field, "integer", v, err);
  if (v->integer < min || v->integer > max)
    return mr_fail (err, 0, "%s: expected an integer from %" PRId64 " to %" PRId64
                    ", got %" PRId64, field, min, max, v->integer);
  *out = v->integer;
  return 0;
}

static int
get_int (const modrun_json *obj, const char *where, const char *key, int64_t min, int64_t max,
         int64_t *out, mr_error **err)
{
  const modrun_json *v = member (obj, key);
  cleanup_free char *field = NULL;

  if (v == NULL)
    return 0;
  field = field_name (where, key);
  if (int_value (v, field, min, max, out, err) < 0)
    return -EINVAL;
  return 1;
}

static int
get_uint64 (const modrun_json *obj, const char *where, const char *key, uint64_t *out,
            mr_error **err)
{
  const modrun_json *v = member (obj, key);
  cleanup_free char *field = NULL;
  unsigned long long big;
  char *end;

  if (v == NULL)
    return 0;
  field = field_name (where, key);
  if (v->type == MODRUN_JSON_INTEGER && v->integer >= 0)
    {
      *out = (uint64_t) v->integer;
      return 1;
    }
  if (is_big_integer (v) && v->string[0] != '-')
    {
      errno = 0;
      big = strtoull (v->string, &end, 10);
      if (errno == 0 && *end == '\0')
        {
          *out = big;
          return 1;
        }
    }
  if (v->type == MODRUN_JSON_INTEGER || is_big_integer (v))
    {
      if (v->type == MODRUN_JSON_INTEGER)
        return mr_fail (err, 0, "%s: expected an integer from 0 to %" PRIu64 ", got %" PRId64,
                        field, UINT64_MAX, v->integer);
      return mr_fail (err, 0, "%s: expected an integer from 0 to %" PRIu64 ", got %s", field,
                      UINT64_MAX, v->string);
    }
  return type_error (field, "integer", v, err);
}

static int
required (const char *where, const char *key, const char *expected, mr_error **err)
{
  cleanup_free char *field = field_name (where, key);

  return mr_fail (err, 0, "%s: required, expected %s", field, expected);
}

/* ARR's items as a NULL-terminated vector of copies. */
static int
string_vector (const modrun_json *arr, const char *field, char ***out, size_t *n,
               mr_error **err)
{
  char **v = mr_xzalloc ((arr->count + 1) * sizeof (*v));
  uint32_t i;

  for (i = 0; i < arr->count; i++)
    {
      const modrun_json *item = arr->items[i];
      cleanup_free char *name = mr_xasprintf ("%s[%u]", field, i);

      if (check_string (item, name, err) < 0)
        {
          size_t k;

          for (k = 0; k < i; k++)
            free (v[k]);
          free (v);
          return -EINVAL;
        }
      v[i] = mr_xstrdup (item->string);
    }
  *out = v;
  if (n != NULL)
    *n = arr->count;
  return 0;
}

static void
free_vector (char **v)
{
  char **p;

  if (v == NULL)
    return;
  for (p = v; *p != NULL; p++)
    free (*p);
  free (v);
}

int
mr_cap_from_name (const char *name)
{
  const char *p;
  cap_value_t value;

  /* libcap also takes lower case and numbers; config.json names are the
   * kernel's upper-case CAP_ names. */
  if (name == NULL || strncmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  for (p = name + 4; *p != '\0'; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return -1;
  if (cap_from_name (name, &value) < 0)
    return -1;
  return (int) value;
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
mr_rlimit_from_name (const char *name)
{
  size_t i;

  if (name == NULL)
    return -1;
  for (i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

/* The "process" object. */

static const char *const cap_set_names[MR_CAP_NSETS] = {
  [MR_CAP_BOUNDING] = "bounding",
  [MR_CAP_EFFECTIVE] = "effective",
  [MR_CAP_INHERITABLE] = "inheritable",
  [MR_CAP_PERMITTED] = "permitted",
  [MR_CAP_AMBIENT] = "ambient",
};

static int
parse_console_size (const modrun_json *proc, const char *where, struct mr_process *p,
                    mr_error **err)
{
  cleanup_free char *field = field_name (where, "consoleSize");
  const modrun_json *size = NULL;
  int64_t height = 0, width = 0;
  int ret;

  ret = get_typed (proc, where, "consoleSize", MODRUN_JSON_OBJECT, &size, err);
  if (ret <= 0)
    return ret;
  ret = get_int (size, field, "height", 0, UINT32_MAX, &height, err);
  if (ret == 0)
    return required (field, "height", "an integer", err);
  if (ret < 0)
    return ret;
  ret = get_int (size, field, "width", 0, UINT32_MAX, &width, err);
  if (ret == 0)
    return required (field, "width", "an integer", err);
  if (ret < 0)
    return ret;
  p->has_console_size = 1;
  p->console_height = (unsigned int) height;
  p->console_width = (unsigned int) width;
  return 0;
}

static int
parse_args_env (const modrun_json *proc, const char *where, struct mr_process *p,
                mr_error **err)
{
  cleanup_free char *args_field = field_name (where, "args");
  cleanup_free char *env_field = field_name (where, "env");
  const modrun_json *arr = NULL;
  size_t i, n = 0;
  int ret;

  ret = get_typed (proc, where, "args", MODRUN_JSON_ARRAY, &arr, err);
  if (ret < 0)
    return ret;
  if (ret == 0 || arr->count == 0)
    return mr_fail (err, 0, "%s: required, expected a non-empty array of strings", args_field);
  ret = string_vector (arr, args_field, &p->args, NULL, err);
  if (ret < 0)
    return ret;
  if (p->args[0][0] == '\0')
    return mr_fail (err, 0, "%s[0]: expected the program to run, got an empty string",
                    args_field);

  arr = NULL;
  ret = get_typed (proc, where, "env", MODRUN_JSON_ARRAY, &arr, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    {
      p->env = mr_xzalloc (sizeof (*p->env));
      return 0;
    }
  ret = string_vector (arr, env_field, &p->env, &n, err);
  if (ret < 0)
    return ret;
  for (i = 0; i < n; i++)
    {
      const char *eq = strchr (p->env[i], '=');

      if (eq == NULL || eq == p->env[i])
        return mr_fail (err, 0, "%s[%zu]: expected KEY=VALUE, got \"%s\"", env_field, i,
                        p->env[i]);
    }
  return 0;
}

static int
parse_cwd (const modrun_json *proc, const char *where, struct mr_process *p, mr_error **err)
{
  cleanup_free char *field = field_name (where, "cwd");
  const char *cwd = NULL;
  int ret;

  ret = get_string (proc, where, "cwd", &cwd, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return mr_fail (err, 0, "%s: required, expected an absolute path", field);
  if (cwd[0] != '/')
    return mr_fail (err, 0, "%s: expected an absolute path, got \"%s\"", field, cwd);
  p->cwd = mr_xstrdup (cwd);
  return 0;
}

/* uid_t and gid_t are 32 bits, and (uid_t) -1 means "leave unchanged" to
 * the set*id calls, so it is refused as a value. */
#define ID_MAX ((int64_t) UINT32_MAX - 1)

static int
parse_user (const modrun_json *proc, const char *where, struct mr_process *p, mr_error **err)
{
  cleanup_free char *field = field_name (where, "user");
  cleanup_free char *gids_field = NULL;
  const modrun_json *user = NULL;
  const modrun_json *gids = NULL;
  const char *username = NULL;
  int64_t v = 0;
  uint32_t i;
  int ret;

  ret = get_typed (proc, where, "user", MODRUN_JSON_OBJECT, &user, err);
  if (ret <= 0)
    return ret;

  ret = get_int (user, field, "uid", 0, ID_MAX, &v, err);
  if (ret < 0)
    return ret;
  p->uid = (uid_t) v;
  v = 0;
  ret = get_int (user, field, "gid", 0, ID_MAX, &v, err);
  if (ret < 0)
    return ret;
  p->gid = (gid_t) v;
  ret = get_int (user, field, "umask", 0, UINT32_MAX, &v, err);
  if (ret < 0)
    return ret;
  if (ret > 0)
    {
      p->has_umask = 1;
      p->umask = (mode_t) v;
    }
  if (get_string (user, field, "username", &username, err) < 0)
    return -EINVAL;

  ret = get_typed (user, field, "additionalGids", MODRUN_JSON_ARRAY, &gids, err);
  if (ret <= 0)
    return ret;
  gids_field = field_name (field, "additionalGids");
  p->additional_gids = mr_xzalloc ((gids->count + 1) * sizeof (gid_t));
  for (i = 0; i < gids->count; i++)
    {
      cleanup_free char *name = mr_xasprintf ("%s[%u]", gids_field, i);

      if (int_value (gids->items[i], name, 0, ID_MAX, &v, err) < 0)
        return -EINVAL;
      p->additional_gids[i] = (gid_t) v;
      p->n_additional_gids = i + 1;
    }
  return 0;
}

static int
parse_capabilities (const modrun_json *proc, const char *where, struct mr_process *p,
                    mr_error **err)
{
  cleanup_free char *field = field_name (where, "capabilities");
  const modrun_json *caps = NULL;
  int set;
  int ret;

  ret = get_typed (proc, where, "capabilities", MODRUN_JSON_OBJECT, &caps, err);
  if (ret <= 0)
    return ret;
  p->has_caps = 1;
  for (set = 0; set < MR_CAP_NSETS; set++)
    {
      cleanup_free char *set_field = field_name (field, cap_set_names[set]);
      const modrun_json *names = NULL;
      uint32_t i;

      ret = get_typed (caps, field, cap_set_names[set], MODRUN_JSON_ARRAY, &names, err);
      if (ret < 0)
        return ret;
      if (ret == 0 || names->count == 0)
        continue;
      p->caps[set] = mr_xzalloc (names->count * sizeof (cap_value_t));
      for (i = 0; i < names->count; i++)
        {
          cleanup_free char *name = mr_xasprintf ("%s[%u]", set_field, i);
          int value;

          if (check_string (names->items[i], name, err) < 0)
            return -EINVAL;
          value = mr_cap_from_name (names->items[i]->string);
          if (value < 0)
            return mr_fail (err, 0, "%s: unknown capability \"%s\"", set_field,
                            names->items[i]->string);
          p->caps[set][i] = (cap_value_t) value;
          p->ncaps[set] = i + 1;
        }
    }
  return 0;
}

static int
parse_rlimit (const modrun_json *item, const char *field, struct mr_rlimit *rl, mr_error **err)
{
  const char *type = NULL;
  int ret;

  if (item->type != MODRUN_JSON_OBJECT)
    return type_error (field, "object", item, err);
  ret = get_string (item, field, "type", &type, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return required (field, "type", "a string such as \"RLIMIT_NOFILE\"", err);
  rl->resource = mr_rlimit_from_name (type);
  if (rl->resource < 0)
    return mr_fail (err, 0, "%s.type: unknown rlimit \"%s\"", field, type);
  ret = get_uint64 (item, field, "soft", &rl->soft, err);
  if (ret == 0)
    return required (field, "soft", "an integer", err);
  if (ret < 0)
    return ret;
  ret = get_uint64 (item, field, "hard", &rl->hard, err);
  if (ret == 0)
    return required (field, "hard", "an integer", err);
  if (ret < 0)
    return ret;
  if (rl->soft > rl->hard)
    return mr_fail (err, 0, "%s: soft limit %" PRIu64 " is above hard limit %" PRIu64 " for %s",
                    field, rl->soft, rl->hard, type);
  return 0;
}

static int
parse_rlimits (const modrun_json *proc, const char *where, struct mr_process *p,
               mr_error **err)
{
  cleanup_free char *field = field_name (where, "rlimits");
  const modrun_json *arr = NULL;
  uint32_t i;
  size_t k;
  int ret;

  ret = get_typed (proc, where, "rlimits", MODRUN_JSON_ARRAY, &arr, err);
  if (ret <= 0 || arr->count == 0)
    return ret < 0 ? ret : 0;
  p->rlimits = mr_xzalloc (arr->count * sizeof (*p->rlimits));
  for (i = 0; i < arr->count; i++)
    {
      cleanup_free char *name = mr_xasprintf ("%s[%u]", field, i);
      struct mr_rlimit *rl = &p->rlimits[i];

      ret = parse_rlimit (arr->items[i], name, rl, err);
      if (ret < 0)
        return ret;
      for (k = 0; k < i; k++)
        if (p->rlimits[k].resource == rl->resource)
          return mr_fail (err, 0, "%s: type \"%s\" appears twice", name,
                          modrun_json_get (arr->items[i], "type")->string);
      p->n_rlimits = i + 1;
    }
  return 0;
}

/* Members of "process" that modrun does not apply: refused rather than
 * ignored, so a container never runs with less than was asked for. */
static int
refuse_unsupported (const modrun_json *proc, const char *where, mr_error **err)
{
  static const char *const names[] = { "scheduler", "ioPriority", "execCPUAffinity" };
  size_t i;

  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (member (proc, names[i]) != NULL)
      {
        cleanup_free char *field = field_name (where, names[i]);

        return mr_fail (err, 0, "%s: not supported by modrun", field);
      }
  return 0;
}

static int
parse_process_fields (const modrun_json *obj, const char *where, struct mr_process *p,
                      mr_error **err)
{
  const char *s = NULL;
  int64_t v = 0;
  int ret;

  if (get_bool (obj, where, "terminal", &p->terminal, err) < 0)
    return -EINVAL;
  ret = parse_console_size (obj, where, p, err);
  if (ret < 0)
    return ret;
  ret = parse_args_env (obj, where, p, err);
  if (ret < 0)
    return ret;
  ret = parse_cwd (obj, where, p, err);
  if (ret < 0)
    return ret;
  ret = parse_user (obj, where, p, err);
  if (ret < 0)
    return ret;
  ret = parse_capabilities (obj, where, p, err);
  if (ret < 0)
    return ret;
  ret = parse_rlimits (obj, where, p, err);
  if (ret < 0)
    return ret;
  if (get_bool (obj, where, "noNewPrivileges", &p->no_new_privileges, err) < 0)
    return -EINVAL;
  ret = get_int (obj, where, "oomScoreAdj", -1000, 1000, &v, err);
  if (ret < 0)
    return ret;
  if (ret > 0)
    {
      p->has_oom_score_adj = 1;
      p->oom_score_adj = (int) v;
    }
  ret = get_string (obj, where, "apparmorProfile", &s, err);
  if (ret < 0)
    return ret;
  if (ret > 0)
    p->apparmor_profile = mr_xstrdup (s);
  s = NULL;
  ret = get_string (obj, where, "selinuxLabel", &s, err);
  if (ret < 0)
    return ret;
  if (ret > 0)
    p->selinux_label = mr_xstrdup (s);
  return refuse_unsupported (obj, where, err);
}

int
mr_process_parse (const modrun_json *obj, const char *where, struct mr_process *p,
                  mr_error **err)
{
  int ret;

  memset (p, 0, sizeof (*p));
  if (where == NULL)
    where = "process";
  if (obj == NULL || obj->type == MODRUN_JSON_NULL)
    return 0;
  if (obj->type != MODRUN_JSON_OBJECT)
    return type_error (where, "object", obj, err);
  p->present = 1;
  ret = parse_process_fields (obj, where, p, err);
  if (ret < 0)
    mr_process_clear (p);
  return ret;
}

void
mr_process_clear (struct mr_process *p)
{
  int set;

  if (p == NULL)
    return;
  free_vector (p->args);
  free_vector (p->env);
  free (p->cwd);
  free (p->additional_gids);
  for (set = 0; set < MR_CAP_NSETS; set++)
    free (p->caps[set]);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  memset (p, 0, sizeof (*p));
}

/* The rest of config.json. */

/* Lexically cleans an absolute PATH: no "//", "." or "..". */
static char *
clean_path (const char *path)
{
  char *out = mr_xmalloc (strlen (path) + 2);
  size_t len = 0;
  const char *p = path;

  while (*p != '\0')
    {
      const char *end;
      size_t n;

      while (*p == '/')
        p++;
      end = strchrnul (p, '/');
      n = (size_t) (end - p);
      if (n == 0 || (n == 1 && p[0] == '.'))
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
        }
      else
        {
          out[len++] = '/';
          memcpy (out + len, p, n);
          len += n;
        }
      p = end;
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

static char *
absolute_bundle (const char *bundle)
{
  cleanup_free char *cwd = NULL;

  if (bundle == NULL || *bundle == '\0')
    bundle = ".";
  if (bundle[0] == '/')
    return mr_xstrdup (bundle);
  cwd = getcwd (NULL, 0);
  if (cwd == NULL)
    return NULL;
  return mr_xasprintf ("%s/%s", cwd, bundle);
}

static int
parse_root (const modrun_json *tree, const char *bundle, struct mr_config *cfg,
            mr_error **err)
{
  const modrun_json *root = NULL;
  cleanup_free char *joined = NULL;
  const char *path = NULL;
  struct stat st;
  int ret;

  ret = get_typed (tree, "", "root", MODRUN_JSON_OBJECT, &root, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return mr_fail (err, 0, "root: required, expected an object with \"path\"");
  ret = get_string (root, "root", "path", &path, err);
  if (ret < 0)
    return ret;
  if (ret == 0 || *path == '\0')
    return mr_fail (err, 0, "root.path: required, expected the path of the rootfs");
  if (get_bool (root, "root", "readonly", &cfg->root_readonly, err) < 0)
    return -EINVAL;

  if (path[0] == '/')
    joined = mr_xstrdup (path);
  else
    {
      cleanup_free char *base = absolute_bundle (bundle);

      if (base == NULL)
        return mr_fail (err, errno, "root.path: cannot resolve \"%s\": getcwd", path);
      joined = mr_xasprintf ("%s/%s", base, path);
    }
  cfg->rootfs = clean_path (joined);

  if (stat (cfg->rootfs, &st) < 0)
    {
      if (errno == ENOENT)
        return mr_fail (err, 0, "root.path: rootfs \"%s\" does not exist", cfg->rootfs);
      return mr_fail (err, errno, "root.path: rootfs \"%s\"", cfg->rootfs);
    }
  if (!S_ISDIR (st.st_mode))
    return mr_fail (err, 0, "root.path: rootfs \"%s\" is not a directory", cfg->rootfs);
  return 0;
}

static int
check_annotations (const modrun_json *tree, struct mr_config *cfg, mr_error **err)
{
  const modrun_json *ann = NULL;
  uint32_t i;
  int ret;

  ret = get_typed (tree, "", "annotations", MODRUN_JSON_OBJECT, &ann, err);
  if (ret <= 0)
    return ret;
  for (i = 0; i < ann->count; i++)
    if (ann->items[i]->type != MODRUN_JSON_STRING)
      {
        cleanup_free char *field = mr_xasprintf ("annotations.%s", ann->keys[i]);

        return type_error (field, "string", ann->items[i], err);
      }
  cfg->annotations = ann;
  return 0;
}

static int
check_hook (const modrun_json *hook, const char *field, mr_error **err)
{
  const modrun_json *arr = NULL;
  const char *path = NULL;
  const char *lists[] = { "args", "env" };
  int64_t timeout = 0;
  size_t l;
  uint32_t i;
  int ret;

  if (hook->type != MODRUN_JSON_OBJECT)
    return type_error (field, "object", hook, err);
  ret = get_string (hook, field, "path", &path, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return required (field, "path", "an absolute path", err);
  if (path[0] != '/')
    return mr_fail (err, 0, "%s.path: expected an absolute path, got \"%s\"", field, path);
  for (l = 0; l < sizeof (lists) / sizeof (lists[0]); l++)
    {
      cleanup_free char *list_field = field_name (field, lists[l]);

      arr = NULL;
      ret = get_typed (hook, field, lists[l], MODRUN_JSON_ARRAY, &arr, err);
      if (ret < 0)
        return ret;
      for (i = 0; ret > 0 && i < arr->count; i++)
        {
          cleanup_free char *name = mr_xasprintf ("%s[%u]", list_field, i);

          if (check_string (arr->items[i], name, err) < 0)
            return -EINVAL;
        }
    }
  ret = get_int (hook, field, "timeout", 1, INT32_MAX, &timeout, err);
  return ret < 0 ? ret : 0;
}

static int
check_hooks (const modrun_json *tree, struct mr_config *cfg, mr_error **err)
{
  static const char *const names[] = { "prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop" };
  const modrun_json *hooks = NULL;
  size_t n;
  uint32_t i;
  int ret;

  ret = get_typed (tree, "", "hooks", MODRUN_JSON_OBJECT, &hooks, err);
  if (ret <= 0)
    return ret;
  for (n = 0; n < sizeof (names) / sizeof (names[0]); n++)
    {
      cleanup_free char *field = field_name ("hooks", names[n]);
      const modrun_json *list = NULL;

      ret = get_typed (hooks, "hooks", names[n], MODRUN_JSON_ARRAY, &list, err);
      if (ret < 0)
        return ret;
      for (i = 0; ret > 0 && i < list->count; i++)
        {
          cleanup_free char *name = mr_xasprintf ("%s[%u]", field, i);

          if (check_hook (list->items[i], name, err) < 0)
            return -EINVAL;
        }
    }
  cfg->hooks = hooks;
  return 0;
}

/* One number of a SemVer core version: digits, no leading zero. */
static bool
semver_number (const char **p, unsigned long *out)
{
  const char *s = *p;
  char *end;

  if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
    return false;
  errno = 0;
  *out = strtoul (s, &end, 10);
  if (errno != 0)
    return false;
  *p = end;
  return true;
}

/* Dot-separated, non-empty identifiers of [0-9A-Za-z-] up to the end or
 * to STOP. */
static bool
semver_identifiers (const char **p, char stop)
{
  const char *s = *p;
  size_t len = 0;

  for (; *s != '\0' && *s != stop; s++)
    {
      if (*s == '.')
        {
          if (len == 0)
            return false;
          len = 0;
        }
      else if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
               || *s == '-')
        len++;
      else
        return false;
    }
  *p = s;
  return len > 0;
}

/* config.md: ociVersion is in SemVer 2.0.0 format; this runtime
 * implements versions 1.x of the spec. */
static int
check_oci_version (const char *version, mr_error **err)
{
  const char *p = version;
  unsigned long major = 0, minor, patch;

  if (!semver_number (&p, &major) || *p++ != '.' || !semver_number (&p, &minor) || *p++ != '.'
      || !semver_number (&p, &patch) || (*p == '-' && (++p, !semver_identifiers (&p, '+')))
      || (*p == '+' && (++p, !semver_identifiers (&p, '\0'))) || *p != '\0')
    return mr_fail (err, 0, "ociVersion: expected a SemVer version such as \"1.0.2\", got \"%s\"",
                    version);
  if (major != 1)
    return mr_fail (err, 0, "ociVersion: \"%s\" is not supported, expected a version 1.x.y",
                    version);
  return 0;
}

/* linux.personality, applied by the init; linux.intelRdt, which no plugin
 * serves: refused rather than dropped. */
static int
parse_linux_extras (const modrun_json *tree, struct mr_config *cfg, mr_error **err)
{
  const modrun_json *linux_obj = modrun_json_get (tree, "linux");
  const modrun_json *pers, *domain, *flags;

  if (linux_obj == NULL || linux_obj->type != MODRUN_JSON_OBJECT)
    return 0;
  if (modrun_json_get (linux_obj, "intelRdt") != NULL)
    return mr_fail (err, 0,
                    "linux.intelRdt: Intel RDT is not supported by modrun: refusing to run "
                    "the container without it");
  pers = modrun_json_get (linux_obj, "personality");
  if (pers == NULL)
    return 0;
  if (pers->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "linux.personality: expected object, got %s",
                    modrun_json_type_name (pers->type));
  domain = modrun_json_get (pers, "domain");
  if (domain == NULL || domain->type != MODRUN_JSON_STRING)
    return mr_fail (err, 0,
                    "linux.personality.domain: expected string \"LINUX\" or \"LINUX32\", "
                    "got %s",
                    domain == NULL ? "nothing" : modrun_json_type_name (domain->type));
  if (strcmp (domain->string, "LINUX") == 0)
    cfg->personality = PER_LINUX;
  else if (strcmp (domain->string, "LINUX32") == 0)
    cfg->personality = PER_LINUX32;
  else
    return mr_fail (err, 0,
                    "linux.personality.domain: expected \"LINUX\" or \"LINUX32\", got \"%s\"",
                    domain->string);
  flags = modrun_json_get (pers, "flags");
  if (flags != NULL && (flags->type != MODRUN_JSON_ARRAY || flags->count > 0))
    return mr_fail (err, 0,
                    "linux.personality.flags: no flag is supported (the spec defines none)");
  cfg->has_personality = 1;
  return 0;
}

static int
parse_config (struct mr_config *cfg, const char *bundle, mr_error **err)
{
  const modrun_json *tree = cfg->tree;
  const char *version = NULL;
  int ret;

  if (tree->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "expected a JSON object, got %s",
                    modrun_json_type_name (tree->type));
  ret = get_string (tree, "", "ociVersion", &version, err);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return mr_fail (err, 0, "ociVersion: required, expected a string such as \"1.0.2\"");
  ret = check_oci_version (version, err);
  if (ret < 0)
    return ret;
  cfg->oci_version = mr_xstrdup (version);

  ret = parse_root (tree, bundle, cfg, err);
  if (ret < 0)
    return ret;
  ret = mr_process_parse (modrun_json_get (tree, "process"), "process", &cfg->process, err);
  if (ret < 0)
    return ret;
  ret = check_annotations (tree, cfg, err);
  if (ret < 0)
    return ret;
  ret = parse_linux_extras (tree, cfg, err);
  if (ret < 0)
    return ret;
  return check_hooks (tree, cfg, err);
}

int
mr_config_load (const char *bundle, const char *path, struct mr_config **out, mr_error **err)
{
  cleanup_free char *file = NULL;
  const char *name;
  struct mr_config *cfg;
  int ret;

  *out = NULL;
  if (path != NULL)
    file = mr_xstrdup (path);
  else
    file = mr_xasprintf ("%s/config.json", bundle != NULL && *bundle ? bundle : ".");
  name = path != NULL ? path : "config.json";

  cfg = mr_xzalloc (sizeof (*cfg));
  ret = mr_json_parse_file (file, name, &cfg->tree, err);
  if (ret == 0)
    {
      ret = parse_config (cfg, bundle, err);
      if (ret < 0)
        mr_error_prefix (err, "%s", name);
    }
  if (ret < 0)
    {
      mr_config_free (cfg);
      return ret;
    }
  *out = cfg;
  return 0;
}

void
mr_config_free (struct mr_config *cfg)
{
  if (cfg == NULL)
    return;
  mr_process_clear (&cfg->process);
  free (cfg->oci_version);
  free (cfg->rootfs);
  mr_json_free (cfg->tree);
  free (cfg);
}
