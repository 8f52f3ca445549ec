/* seccomp: reading and checking linux.seccomp. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "seccomp-plugin.h"

#define WHERE "linux.seccomp"
#define CONFIG "config.json"

/* Actions as config.json names them; ERRNO and TRACE carry their data in
 * the low 16 bits, added when the config is read. */
const struct sc_name sc_actions[] = {
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0) },
  { "SCMP_ACT_KILL", SCMP_ACT_KILL },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0) },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
};
const size_t sc_n_actions = sizeof (sc_actions) / sizeof (sc_actions[0]);

const struct sc_name sc_operators[] = {
  { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  { "SCMP_CMP_NE", SCMP_CMP_NE },
};
const size_t sc_n_operators = sizeof (sc_operators) / sizeof (sc_operators[0]);

const struct sc_name sc_archs[] = {
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
};
const size_t sc_n_archs = sizeof (sc_archs) / sizeof (sc_archs[0]);

/* The flags config.json may name; the filter is loaded with seccomp(2)
 * directly, so what counts is the kernel, not libseccomp. */
const struct sc_name sc_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SC_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SC_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SC_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SC_FLAG_WAIT_KILLABLE_RECV },
};
const size_t sc_n_flags = sizeof (sc_flags) / sizeof (sc_flags[0]);

/* A filter flag the kernel knows makes seccomp(2) fail on the NULL program
 * with EFAULT; one it does not know, with EINVAL. Waiting killably is only
 * taken together with a listener. */
bool
sc_kernel_has_flag (uint32_t flag)
{
  uint32_t flags = flag;

  if (flag == SC_FLAG_WAIT_KILLABLE_RECV)
    flags |= SC_FLAG_NEW_LISTENER;
  if (flag == SC_FLAG_TSYNC_ESRCH)
    flags |= SC_FLAG_TSYNC;
  return syscall (SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, NULL) < 0 && errno == EFAULT;
}

static const struct sc_name *
lookup (const struct sc_name *table, size_t n, const char *name)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

void
sc_config_free (struct sc_config *cfg)
{
  size_t i;

  if (cfg == NULL)
    return;
  for (i = 0; i < cfg->n_rules; i++)
    {
      free (cfg->rules[i].nrs);
      free (cfg->rules[i].names);
      free (cfg->rules[i].args);
    }
  free (cfg->rules);
  free (cfg->archs);
  free (cfg->unknown);
  free (cfg);
}

/* An unsigned 64-bit value: an integer, or, beyond int64_t, the number
 * as written. */
static int
get_u64 (struct modrun_container *c, const modrun_json *v, const char *where, uint64_t *out)
{
  const char *s = v->string;
  unsigned long long n;
  char *end;

  if (v->type == MODRUN_JSON_INTEGER && v->integer >= 0)
    {
      *out = (uint64_t)v->integer;
      return 0;
    }
  if (v->type == MODRUN_JSON_DOUBLE && s != NULL && *s >= '0' && *s <= '9')
    {
      errno = 0;
      n = strtoull (s, &end, 10);
      if (errno == 0 && *end == '\0')
        {
          *out = (uint64_t)n;
          return 0;
        }
    }
  if (v->type == MODRUN_JSON_INTEGER)
    return c->svc->error (c, 0, "%s: %s: expected an unsigned 64-bit integer, got %" PRId64, CONFIG,
                          where, v->integer);
  if (v->type == MODRUN_JSON_DOUBLE && s != NULL)
    return c->svc->error (c, 0, "%s: %s: expected an unsigned 64-bit integer, got %s", CONFIG,
                          where, s);
  return c->svc->error (c, 0, "%s: %s: expected an unsigned 64-bit integer, got %s", CONFIG, where,
                        modrun_json_type_name (v->type));
}

/* Member KEY of OBJ as an integer in [0, MAX]; 1 when present. */
static int
get_uint (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
          int64_t max, uint32_t *out)
{
  int64_t v = 0;
  int ret = c->svc->get_int (c, obj, where, key, &v);

  if (ret <= 0)
    return ret;
  if (v < 0 || v > max)
    return c->svc->error (c, 0,
                          "%s: %s.%s: expected an integer from 0 to %" PRId64 ", got %" PRId64,
                          CONFIG, where, key, max, v);
  *out = (uint32_t)v;
  return 1;
}

/* Action member ACTION_KEY of OBJ with its errno member ERRNO_KEY. */
static int
get_action (struct modrun_container *c, const modrun_json *obj, const char *where,
            const char *action_key, const char *errno_key, uint32_t *out)
{
  const struct sc_name *a;
  const char *name = NULL;
  uint32_t data = EPERM;
  int64_t max;
  int ret, has_data;

  ret = c->svc->get_string (c, obj, where, action_key, &name);
  if (ret < 0)
    return ret;
  if (ret == 0)
    return c->svc->error (c, 0,
                          "%s: %s.%s: required, expected an action such as \"SCMP_ACT_ERRNO\"",
                          CONFIG, where, action_key);
  a = lookup (sc_actions, sc_n_actions, name);
  if (a == NULL)
    return c->svc->error (c, 0, "%s: %s.%s: unknown action \"%s\"", CONFIG, where, action_key,
                          name);

  /* The kernel caps an errno at 4095; trace data is 16 bits. */
  max = a->value == SCMP_ACT_TRACE (0) ? 0xffff : 4095;
  has_data = get_uint (c, obj, where, errno_key, max, &data);
  if (has_data < 0)
    return has_data;
  if (a->value == SCMP_ACT_ERRNO (0))
    *out = SCMP_ACT_ERRNO (data);
  else if (a->value == SCMP_ACT_TRACE (0))
    *out = SCMP_ACT_TRACE (data);
  else if (has_data)
    return c->svc->error (c, 0, "%s: %s.%s: %s takes no errno, only SCMP_ACT_ERRNO and TRACE do",
                          CONFIG, where, errno_key, name);
  else
    *out = a->value;
  return 0;
}

static const char *
arch_name (uint32_t value)
{
  size_t i;

  for (i = 0; i < sc_n_archs; i++)
    if (sc_archs[i].value == value)
      return sc_archs[i].name;
  return "an architecture unknown to this plugin";
}

static const char *
byte_order (uint32_t arch)
{
  return (arch & __AUDIT_ARCH_LE) ? "little" : "big";
}

static int
read_archs (struct modrun_container *c, const modrun_json *sc, struct sc_config *cfg)
{
  const modrun_json *list = NULL;
  uint32_t native = seccomp_arch_native ();
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, sc, WHERE, "architectures", &list);
  if (ret <= 0)
    return ret;
  cfg->archs = calloc (list->count + 1, sizeof (*cfg->archs));
  if (cfg->archs == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s.architectures", CONFIG, WHERE);
  for (i = 0; i < list->count; i++)
    {
      const modrun_json *v = list->items[i];
      const struct sc_name *a;

      if (v->type != MODRUN_JSON_STRING)
        return c->svc->error (c, 0, "%s: %s.architectures[%u]: expected string, got %s", CONFIG,
                              WHERE, i, modrun_json_type_name (v->type));
      a = lookup (sc_archs, sc_n_archs, v->string);
      if (a == NULL)
        return c->svc->error (c, 0, "%s: %s.architectures[%u]: unknown architecture \"%s\"", CONFIG,
                              WHERE, i, v->string);
      /* libseccomp builds a filter for one byte order, and a kernel runs
       * no syscall of the other: such a name is a profile for another
       * host. */
      if ((a->value ^ native) & __AUDIT_ARCH_LE)
        return c->svc->error (c, 0,
                              "%s: %s.architectures[%u]: %s is %s-endian, and a filter for this "
                              "host (%s) can only hold %s-endian architectures",
                              CONFIG, WHERE, i, v->string, byte_order (a->value),
                              arch_name (native), byte_order (native));
      cfg->archs[cfg->n_archs++] = a->value;
    }
  return 0;
}

static int
read_flags (struct modrun_container *c, const modrun_json *sc, struct sc_config *cfg)
{
  const modrun_json *list = NULL;
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, sc, WHERE, "flags", &list);
  if (ret <= 0)
    return ret;
  for (i = 0; i < list->count; i++)
    {
      const modrun_json *v = list->items[i];
      const struct sc_name *f;

      if (v->type != MODRUN_JSON_STRING)
        return c->svc->error (c, 0, "%s: %s.flags[%u]: expected string, got %s", CONFIG, WHERE, i,
                              modrun_json_type_name (v->type));
      f = lookup (sc_flags, sc_n_flags, v->string);
      if (f == NULL)
        return c->svc->error (c, 0, "%s: %s.flags[%u]: unknown flag \"%s\"", CONFIG, WHERE, i,
                              v->string);
      if (!sc_kernel_has_flag (f->value))
        return c->svc->error (c, 0, "%s: %s.flags[%u]: %s is not supported by this kernel", CONFIG,
                              WHERE, i, v->string);
      cfg->flags |= f->value;
    }
  return 0;
}

static int
read_arg (struct modrun_container *c, const modrun_json *obj, const char *where, struct sc_arg *arg)
{
  const struct sc_name *op;
  const modrun_json *v;
  const char *name = NULL;
  char field[160];
  int ret;

  if (obj->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "%s: %s: expected object, got %s", CONFIG, where,
                          modrun_json_type_name (obj->type));

  ret = get_uint (c, obj, where, "index", 5, &arg->index);
  if (ret == 0)
    ret = c->svc->error (c, 0, "%s: %s.index: required, expected an integer from 0 to 5", CONFIG,
                         where);
  if (ret < 0)
    return ret;

  v = modrun_json_get (obj, "value");
  if (v == NULL || v->type == MODRUN_JSON_NULL)
    return c->svc->error (c, 0, "%s: %s.value: required, expected an unsigned 64-bit integer",
                          CONFIG, where);
  snprintf (field, sizeof (field), "%s.value", where);
  ret = get_u64 (c, v, field, &arg->value);
  if (ret < 0)
    return ret;

  arg->value_two = 0;
  v = modrun_json_get (obj, "valueTwo");
  snprintf (field, sizeof (field), "%s.valueTwo", where);
  if (v != NULL && v->type != MODRUN_JSON_NULL)
    {
      ret = get_u64 (c, v, field, &arg->value_two);
      if (ret < 0)
        return ret;
    }

  ret = c->svc->get_string (c, obj, where, "op", &name);
  if (ret == 0)
    ret = c->svc->error (c, 0, "%s: %s.op: required, expected an operator such as \"SCMP_CMP_EQ\"",
                         CONFIG, where);
  if (ret < 0)
    return ret;
  op = lookup (sc_operators, sc_n_operators, name);
  if (op == NULL)
    return c->svc->error (c, 0, "%s: %s.op: unknown operator \"%s\"", CONFIG, where, name);
  arg->op = op->value;
  return 0;
}

/* Appends NAME to the list of unknown syscalls. */
static int
note_unknown (struct modrun_container *c, struct sc_config *cfg, const char *name)
{
  size_t old = cfg->unknown ? strlen (cfg->unknown) : 0;
  char *s = realloc (cfg->unknown, old + strlen (name) + 3);

  if (s == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s.syscalls", CONFIG, WHERE);
  if (old == 0)
    strcpy (s, name);
  else
    {
      strcpy (s + old, ", ");
      strcpy (s + old + 2, name);
    }
  cfg->unknown = s;
  return 0;
}

static int
read_names (struct modrun_container *c, const modrun_json *obj, const char *where,
            struct sc_config *cfg, struct sc_rule *rule)
{
  const modrun_json *names = NULL;
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, obj, where, "names", &names);
  if (ret == 0 || (ret > 0 && names->count == 0))
    ret = c->svc->error (c, 0, "%s: %s.names: required, expected a non-empty array of names",
                         CONFIG, where);
  if (ret < 0)
    return ret;

  rule->nrs = calloc (names->count, sizeof (*rule->nrs));
  rule->names = calloc (names->count, sizeof (*rule->names));
  if (rule->nrs == NULL || rule->names == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s.names", CONFIG, where);
  for (i = 0; i < names->count; i++)
    {
      const modrun_json *v = names->items[i];
      int nr;

      if (v->type != MODRUN_JSON_STRING)
        return c->svc->error (c, 0, "%s: %s.names[%u]: expected string, got %s", CONFIG, where, i,
                              modrun_json_type_name (v->type));
      /* Names unknown to libseccomp on every architecture are left out, so
       * that one profile serves kernels and libraries of several ages. */
      nr = seccomp_syscall_resolve_name (v->string);
      if (nr == __NR_SCMP_ERROR)
        {
          ret = note_unknown (c, cfg, v->string);
          if (ret < 0)
            return ret;
          continue;
        }
      rule->names[rule->n_nrs] = v->string;
      rule->nrs[rule->n_nrs++] = nr;
    }
  return 0;
}

static int
read_rule (struct modrun_container *c, const modrun_json *obj, uint32_t index,
           struct sc_config *cfg, struct sc_rule *rule)
{
  const modrun_json *args = NULL;
  char where[64], argwhere[96];
  uint32_t i, j;
  int ret;

  snprintf (where, sizeof (where), "%s.syscalls[%u]", WHERE, index);
  if (obj->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "%s: %s: expected object, got %s", CONFIG, where,
                          modrun_json_type_name (obj->type));
  rule->index = index;

  ret = read_names (c, obj, where, cfg, rule);
  if (ret < 0)
    return ret;
  ret = get_action (c, obj, where, "action", "errnoRet", &rule->action);
  if (ret < 0)
    return ret;
  if (rule->action == SCMP_ACT_NOTIFY)
    for (i = 0; i < rule->n_nrs; i++)
      if (strcmp (rule->names[i], "sendmsg") == 0)
        return c->svc->error (c, 0,
                              "%s: %s: SCMP_ACT_NOTIFY on sendmsg: the fd is handed over with it",
                              CONFIG, where);

  ret = c->svc->get_array (c, obj, where, "args", &args);
  if (ret <= 0)
    return ret;
  rule->args = calloc (args->count + 1, sizeof (*rule->args));
  if (rule->args == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s.args", CONFIG, where);
  for (i = 0; i < args->count; i++)
    {
      snprintf (argwhere, sizeof (argwhere), "%s.args[%u]", where, i);
      ret = read_arg (c, args->items[i], argwhere, &rule->args[i]);
      if (ret < 0)
        return ret;
      for (j = 0; j < i; j++)
        if (rule->args[j].index == rule->args[i].index)
          rule->same_index = true;
      rule->n_args++;
    }
  return 0;
}

static int
read_rules (struct modrun_container *c, const modrun_json *sc, struct sc_config *cfg)
{
  const modrun_json *list = NULL;
  uint32_t i;
  int ret;

  ret = c->svc->get_array (c, sc, WHERE, "syscalls", &list);
  if (ret <= 0)
    return ret;
  cfg->rules = calloc (list->count + 1, sizeof (*cfg->rules));
  if (cfg->rules == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s.syscalls", CONFIG, WHERE);
  for (i = 0; i < list->count; i++)
    {
      struct sc_rule *rule = &cfg->rules[cfg->n_rules++];

      ret = read_rule (c, list->items[i], i, cfg, rule);
      if (ret < 0)
        return ret;
      if (rule->action == SCMP_ACT_NOTIFY)
        cfg->notify = true;
    }
  return 0;
}

static int
read_listener (struct modrun_container *c, const modrun_json *sc, struct sc_config *cfg)
{
  int ret;

  ret = c->svc->get_string (c, sc, WHERE, "listenerPath", &cfg->listener_path);
  if (ret < 0)
    return ret;
  ret = c->svc->get_string (c, sc, WHERE, "listenerMetadata", &cfg->listener_metadata);
  if (ret < 0)
    return ret;
  if (cfg->listener_path != NULL && cfg->listener_path[0] == '\0')
    return c->svc->error (c, 0, "%s: %s.listenerPath: expected the path of a unix socket, got \"\"",
                          CONFIG, WHERE);
  if (cfg->listener_metadata != NULL && cfg->listener_path == NULL)
    return c->svc->error (c, 0, "%s: %s.listenerMetadata: set without %s.listenerPath", CONFIG,
                          WHERE, WHERE);
  if (cfg->notify && cfg->listener_path == NULL)
    return c->svc->error (c, 0, "%s: %s.listenerPath: required when a rule uses SCMP_ACT_NOTIFY",
                          CONFIG, WHERE);
  return 0;
}

int
sc_config_load (struct modrun_container *c, struct sc_config **out)
{
  const modrun_json *sc = NULL;
  struct sc_config *cfg;
  int ret;

  *out = NULL;
  ret = c->svc->get_object (c, modrun_json_get (c->config, "linux"), "linux", "seccomp", &sc);
  if (ret <= 0)
    return ret;

  cfg = calloc (1, sizeof (*cfg));
  if (cfg == NULL)
    return c->svc->error (c, ENOMEM, "%s: %s", CONFIG, WHERE);

  ret = get_action (c, sc, WHERE, "defaultAction", "defaultErrnoRet", &cfg->default_action);
  if (ret == 0 && cfg->default_action == SCMP_ACT_NOTIFY)
    ret = c->svc->error (c, 0, "%s: %s.defaultAction: SCMP_ACT_NOTIFY cannot be the default",
                         CONFIG, WHERE);
  if (ret == 0)
    ret = read_archs (c, sc, cfg);
  if (ret == 0)
    ret = read_flags (c, sc, cfg);
  if (ret == 0)
    ret = read_rules (c, sc, cfg);
  if (ret == 0)
    ret = read_listener (c, sc, cfg);
  if (ret < 0)
    {
      sc_config_free (cfg);
      return ret;
    }
  *out = cfg;
  return 0;
}
