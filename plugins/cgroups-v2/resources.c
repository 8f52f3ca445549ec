/* cgroups-v2: linux.resources as cgroup v2 interface files.
 *
 * The resources are first turned into a list of writes (file, value, the
 * field it comes from); validate checks the list against the host, prepare
 * and update carry it out. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-v2.h"

struct cg2_op
{
  unsigned int controller; /* CG2_* */
  char file[64];
  char *value;
  char field[192];
  bool optional_cpu_period; /* cpu.max with a period alone: keep the quota */
  char bfq_value[64];       /* io.weight: the value for io.bfq.weight, used when BFQ is there */
};

struct cg2_ops
{
  struct cg2_op *op;
  size_t n;
  bool check_memory; /* memory.checkBeforeUpdate */
  int64_t memory_limit;
};

static void
ops_clear (struct cg2_ops *ops)
{
  size_t i;

  for (i = 0; i < ops->n; i++)
    free (ops->op[i].value);
  free (ops->op);
  memset (ops, 0, sizeof (*ops));
}

#define cleanup_cg2_ops __attribute__ ((cleanup (ops_clear)))

static struct cg2_op *ops_add (struct modrun_container *c, struct cg2_ops *ops,
                               unsigned int controller, const char *file, const char *field,
                               const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static struct cg2_op *
ops_add (struct modrun_container *c, struct cg2_ops *ops, unsigned int controller, const char *file,
         const char *field, const char *fmt, ...)
{
  struct cg2_op *grown, *op;
  va_list ap;
  int r;

  grown = realloc (ops->op, (ops->n + 1) * sizeof (*grown));
  if (grown == NULL)
    {
      c->svc->error (c, ENOMEM, "linux.resources");
      return NULL;
    }
  ops->op = grown;
  op = &ops->op[ops->n];
  memset (op, 0, sizeof (*op));
  op->controller = controller;
  snprintf (op->file, sizeof (op->file), "%s", file);
  snprintf (op->field, sizeof (op->field), "%s", field);
  va_start (ap, fmt);
  r = vasprintf (&op->value, fmt, ap);
  va_end (ap);
  if (r < 0)
    {
      c->svc->error (c, ENOMEM, "linux.resources");
      return NULL;
    }
  ops->n++;
  return op;
}

/* A number of the config: an int64, or for unsigned fields a value beyond
 * int64 kept as the digits it was written with. */
struct cg2_num
{
  bool present;
  bool big;
  int64_t v;
  char text[32];
};

static int
get_num (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
         bool is_unsigned, struct cg2_num *out)
{
  const modrun_json *v = modrun_json_get (obj, key);
  int ret;

  memset (out, 0, sizeof (*out));
  if (v != NULL && v->type == MODRUN_JSON_DOUBLE && is_unsigned && v->string != NULL
      && v->length > 0 && v->length < sizeof (out->text)
      && strspn (v->string, "0123456789") == v->length)
    {
      out->present = out->big = true;
      out->v = INT64_MAX;
      memcpy (out->text, v->string, v->length + 1);
      return 1;
    }
  ret = c->svc->get_int (c, obj, where, key, &out->v);
  if (ret <= 0)
    return ret;
  if (is_unsigned && out->v < 0)
    return c->svc->error (c, 0, "%s.%s: expected an unsigned integer, got %" PRId64, where, key,
                          out->v);
  out->present = true;
  snprintf (out->text, sizeof (out->text), "%" PRId64, out->v);
  return 1;
}

/* Refuses a field this hierarchy has no file for. 0, -1 (no limit) and
 * false ask for nothing, and pass. */
static int
refuse_if_set (struct modrun_container *c, const modrun_json *obj, const char *where,
               const char *key, const char *why)
{
  const modrun_json *v = modrun_json_get (obj, key);

  if (v == NULL || v->type == MODRUN_JSON_NULL)
    return 0;
  if ((v->type == MODRUN_JSON_INTEGER && (v->integer == 0 || v->integer == -1))
      || (v->type == MODRUN_JSON_BOOL && !v->boolean))
    return 0;
  return c->svc->error (c, 0, "%s.%s: not supported on cgroup v2: %s", where, key, why);
}

static int
memory_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  static const char *w = "linux.resources.memory";
  const modrun_json *mem = NULL;
  struct cg2_num limit, resv, swap;
  int ret, check = 0, hier = 1;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "memory", &mem)) <= 0)
    return ret;
  if ((ret = get_num (c, mem, w, "limit", false, &limit)) < 0
      || (ret = get_num (c, mem, w, "reservation", false, &resv)) < 0
      || (ret = get_num (c, mem, w, "swap", false, &swap)) < 0
      || (ret = c->svc->get_bool (c, mem, w, "checkBeforeUpdate", &check)) < 0
      || (ret = c->svc->get_bool (c, mem, w, "useHierarchy", &hier)) < 0)
    return ret;
  if ((ret = refuse_if_set (c, mem, w, "kernel", "kernel memory is accounted in memory.max")) < 0
      || (ret = refuse_if_set (c, mem, w, "kernelTCP", "there is no separate TCP limit")) < 0
      || (ret = refuse_if_set (c, mem, w, "disableOOMKiller",
                               "the OOM killer cannot be disabled per cgroup"))
             < 0)
    return ret;
  if (modrun_json_get (mem, "swappiness") != NULL
      && modrun_json_get (mem, "swappiness")->type != MODRUN_JSON_NULL)
    return c->svc->error (
        c, 0, "%s.swappiness: not supported on cgroup v2: there is no per-cgroup swappiness", w);
  if (!hier)
    return c->svc->error (
        c, 0,
        "%s.useHierarchy: false is not supported on cgroup v2: accounting is always hierarchical",
        w);

  if (limit.present)
    {
      if (limit.v < -1 || limit.v == 0)
        return c->svc->error (
            c, 0, "%s.limit: expected a positive number of bytes or -1, got %" PRId64, w, limit.v);
      if (!ops_add (c, ops, CG2_MEMORY, "memory.max", "linux.resources.memory.limit", "%s",
                    limit.v == -1 ? "max" : limit.text))
        return -ENOMEM;
      ops->check_memory = check && limit.v > 0;
      ops->memory_limit = limit.v;
    }
  if (resv.present)
    {
      if (resv.v < -1)
        return c->svc->error (
            c, 0, "%s.reservation: expected a number of bytes or -1, got %" PRId64, w, resv.v);
      if (!ops_add (c, ops, CG2_MEMORY, "memory.low", "linux.resources.memory.reservation", "%s",
                    resv.v == -1 ? "max" : resv.text))
        return -ENOMEM;
    }
  if (swap.present && swap.v != 0)
    {
      /* OCI counts memory and swap together; memory.swap.max is swap only. */
      if (swap.v < -1)
        return c->svc->error (c, 0, "%s.swap: expected a number of bytes or -1, got %" PRId64, w,
                              swap.v);
      if (swap.v == -1)
        {
          if (!ops_add (c, ops, CG2_MEMORY, "memory.swap.max", "linux.resources.memory.swap",
                        "max"))
            return -ENOMEM;
        }
      else if (!limit.present || limit.v <= 0)
        return c->svc->error (c, 0, "%s.swap: a memory+swap limit needs memory.limit too", w);
      else if (swap.v < limit.v)
        return c->svc->error (
            c, 0, "%s.swap: memory+swap limit %" PRId64 " is below the memory limit %" PRId64, w,
            swap.v, limit.v);
      else if (!ops_add (c, ops, CG2_MEMORY, "memory.swap.max", "linux.resources.memory.swap",
                         "%" PRId64, swap.v - limit.v))
        return -ENOMEM;
    }
  return 0;
}

static int
cpu_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  static const char *w = "linux.resources.cpu";
  const modrun_json *cpu = NULL;
  struct cg2_num shares, quota, period, burst, idle, rt_runtime, rt_period;
  const char *cpus = NULL, *mems = NULL;
  struct cg2_op *op;
  int ret;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "cpu", &cpu)) <= 0)
    return ret;
  if ((ret = get_num (c, cpu, w, "shares", true, &shares)) < 0
      || (ret = get_num (c, cpu, w, "quota", false, &quota)) < 0
      || (ret = get_num (c, cpu, w, "period", true, &period)) < 0
      || (ret = get_num (c, cpu, w, "burst", true, &burst)) < 0
      || (ret = get_num (c, cpu, w, "idle", false, &idle)) < 0
      || (ret = get_num (c, cpu, w, "realtimeRuntime", false, &rt_runtime)) < 0
      || (ret = get_num (c, cpu, w, "realtimePeriod", true, &rt_period)) < 0
      || (ret = c->svc->get_string (c, cpu, w, "cpus", &cpus)) < 0
      || (ret = c->svc->get_string (c, cpu, w, "mems", &mems)) < 0)
    return ret;
  if ((rt_runtime.present && rt_runtime.v != 0) || (rt_period.present && rt_period.v != 0))
    return c->svc->error (c, 0, "%s.realtimeRuntime, realtimePeriod: not supported on cgroup v2",
                          w);

  if (shares.present && shares.v != 0)
    {
      if (shares.big || shares.v < 2 || shares.v > 262144)
        return c->svc->error (c, 0, "%s.shares: expected 2 to 262144, got %s", w, shares.text);
      if (!ops_add (c, ops, CG2_CPU, "cpu.weight", "linux.resources.cpu.shares", "%" PRId64,
                    1 + ((shares.v - 2) * 9999) / 262142))
        return -ENOMEM;
    }
  if (quota.present || (period.present && period.v != 0))
    {
      char q[32];

      if (period.present
          && (period.big || (period.v != 0 && (period.v < 1000 || period.v > 1000000))))
        return c->svc->error (c, 0, "%s.period: expected 1000 to 1000000 microseconds, got %s", w,
                              period.text);
      if (quota.present && quota.v != -1 && quota.v < 1000)
        return c->svc->error (
            c, 0, "%s.quota: expected -1 or at least 1000 microseconds, got %" PRId64, w, quota.v);
      snprintf (q, sizeof (q), "%s", !quota.present || quota.v == -1 ? "max" : quota.text);
      if (period.present && period.v != 0)
        op = ops_add (c, ops, CG2_CPU, "cpu.max", "linux.resources.cpu.period", "%s %s", q,
                      period.text);
      else
        op = ops_add (c, ops, CG2_CPU, "cpu.max", "linux.resources.cpu.quota", "%s", q);
      if (op == NULL)
        return -ENOMEM;
      op->optional_cpu_period = !quota.present;
    }
  if (burst.present)
    if (!ops_add (c, ops, CG2_CPU, "cpu.max.burst", "linux.resources.cpu.burst", "%s", burst.text))
      return -ENOMEM;
  if (idle.present)
    {
      if (idle.v != 0 && idle.v != 1)
        return c->svc->error (c, 0, "%s.idle: expected 0 or 1, got %" PRId64, w, idle.v);
      if (!ops_add (c, ops, CG2_CPU, "cpu.idle", "linux.resources.cpu.idle", "%s", idle.text))
        return -ENOMEM;
    }
  if (cpus != NULL && *cpus != '\0')
    {
      if (strspn (cpus, "0123456789,-") != strlen (cpus))
        return c->svc->error (c, 0, "%s.cpus: expected a CPU list such as \"0-2,4\", got \"%s\"", w,
                              cpus);
      if (!ops_add (c, ops, CG2_CPUSET, "cpuset.cpus", "linux.resources.cpu.cpus", "%s", cpus))
        return -ENOMEM;
    }
  if (mems != NULL && *mems != '\0')
    {
      if (strspn (mems, "0123456789,-") != strlen (mems))
        return c->svc->error (c, 0, "%s.mems: expected a node list such as \"0-1\", got \"%s\"", w,
                              mems);
      if (!ops_add (c, ops, CG2_CPUSET, "cpuset.mems", "linux.resources.cpu.mems", "%s", mems))
        return -ENOMEM;
    }
  return 0;
}

static int
pids_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  const modrun_json *pids = NULL;
  struct cg2_num limit;
  int ret;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "pids", &pids)) <= 0)
    return ret;
  if ((ret = get_num (c, pids, "linux.resources.pids", "limit", false, &limit)) <= 0)
    return ret;
  if (!ops_add (c, ops, CG2_PIDS, "pids.max", "linux.resources.pids.limit", "%s",
                limit.v <= 0 ? "max" : limit.text))
    return -ENOMEM;
  return 0;
}

/* io.weight takes 1 to 10000 where blkio took 10 to 1000. */
static int64_t
io_weight_of (int64_t blkio)
{
  return 1 + ((blkio - 10) * 9999) / 990;
}

static int
device_of (struct modrun_container *c, const modrun_json *d, const char *where, int64_t *major,
           int64_t *minor)
{
  int ret;

  if ((ret = c->svc->get_int (c, d, where, "major", major)) < 0
      || (ret == 0
          && (ret = c->svc->error (c, 0, "%s.major: expected an integer, got nothing", where)) < 0)
      || (ret = c->svc->get_int (c, d, where, "minor", minor)) < 0
      || (ret == 0
          && (ret = c->svc->error (c, 0, "%s.minor: expected an integer, got nothing", where)) < 0))
    return ret;
  if (*major < 0 || *minor < 0)
    return c->svc->error (c, 0, "%s: expected a device number, got %" PRId64 ":%" PRId64, where,
                          *major, *minor);
  return 0;
}

static int
io_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  static const char *w = "linux.resources.blockIO";
  static const struct
  {
    const char *key;
    const char *name;
  } throttles[] = {
    { "throttleReadBpsDevice", "rbps" },
    { "throttleWriteBpsDevice", "wbps" },
    { "throttleReadIOPSDevice", "riops" },
    { "throttleWriteIOPSDevice", "wiops" },
  };
  const modrun_json *io = NULL, *arr, *d;
  struct cg2_num weight;
  struct cg2_op *op;
  int64_t major, minor, dw;
  char where[160], field[192];
  size_t t;
  uint32_t i;
  int ret;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "blockIO", &io)) <= 0)
    return ret;
  if ((ret = refuse_if_set (c, io, w, "leafWeight", "there is no leaf weight")) < 0)
    return ret;
  if ((ret = get_num (c, io, w, "weight", true, &weight)) < 0)
    return ret;
  if (weight.present && weight.v != 0)
    {
      if (weight.v < 10 || weight.v > 1000)
        return c->svc->error (c, 0, "%s.weight: expected 10 to 1000, got %s", w, weight.text);
      op = ops_add (c, ops, CG2_IO, "io.weight", "linux.resources.blockIO.weight",
                    "default %" PRId64, io_weight_of (weight.v));
      if (op == NULL)
        return -ENOMEM;
      snprintf (op->bfq_value, sizeof (op->bfq_value), "default %s", weight.text);
    }

  if ((ret = c->svc->get_array (c, io, w, "weightDevice", &arr)) < 0)
    return ret;
  for (i = 0; ret > 0 && i < arr->count; i++)
    {
      d = arr->items[i];
      snprintf (where, sizeof (where), "%s.weightDevice[%u]", w, i);
      if ((ret = device_of (c, d, where, &major, &minor)) < 0)
        return ret;
      if (refuse_if_set (c, d, where, "leafWeight", "there is no leaf weight") < 0)
        return -EINVAL;
      if ((ret = c->svc->get_int (c, d, where, "weight", &dw)) < 0)
        return ret;
      if (ret == 0)
        {
          ret = 1;
          continue;
        }
      if (dw < 10 || dw > 1000)
        return c->svc->error (c, 0, "%s.weight: expected 10 to 1000, got %" PRId64, where, dw);
      snprintf (field, sizeof (field), "%s", where);
      op = ops_add (c, ops, CG2_IO, "io.weight", field, "%" PRId64 ":%" PRId64 " %" PRId64, major,
                    minor, io_weight_of (dw));
      if (op == NULL)
        return -ENOMEM;
      snprintf (op->bfq_value, sizeof (op->bfq_value), "%" PRId64 ":%" PRId64 " %" PRId64, major,
                minor, dw);
    }

  for (t = 0; t < sizeof (throttles) / sizeof (throttles[0]); t++)
    {
      if ((ret = c->svc->get_array (c, io, w, throttles[t].key, &arr)) < 0)
        return ret;
      for (i = 0; ret > 0 && i < arr->count; i++)
        {
          struct cg2_num rate;

          d = arr->items[i];
          snprintf (where, sizeof (where), "%s.%s[%u]", w, throttles[t].key, i);
          if ((ret = device_of (c, d, where, &major, &minor)) < 0
              || (ret = get_num (c, d, where, "rate", true, &rate)) < 0)
            return ret;
          if (!rate.present)
            return c->svc->error (c, 0, "%s.rate: expected an integer, got nothing", where);
          snprintf (field, sizeof (field), "%s", where);
          if (!ops_add (c, ops, CG2_IO, "io.max", field, "%" PRId64 ":%" PRId64 " %s=%s", major,
                        minor, throttles[t].name, rate.v == 0 ? "max" : rate.text))
            return -ENOMEM;
          ret = 1;
        }
    }
  return 0;
}

/* "2MB", "1GB", "64KB": the page size as the hugetlb file names write it. */
static bool
valid_page_size (const char *s)
{
  size_t digits = strspn (s, "0123456789");

  return digits > 0 && s[0] != '0'
         && (strcmp (s + digits, "KB") == 0 || strcmp (s + digits, "MB") == 0
             || strcmp (s + digits, "GB") == 0);
}

static int
hugetlb_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  const modrun_json *arr, *h;
  const char *size;
  struct cg2_num limit;
  char where[96], file[64];
  uint32_t i;
  int ret;

  if ((ret = c->svc->get_array (c, res, "linux.resources", "hugepageLimits", &arr)) <= 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      h = arr->items[i];
      size = NULL;
      snprintf (where, sizeof (where), "linux.resources.hugepageLimits[%u]", i);
      if ((ret = c->svc->get_string (c, h, where, "pageSize", &size)) < 0
          || (ret = get_num (c, h, where, "limit", true, &limit)) < 0)
        return ret;
      if (size == NULL || !valid_page_size (size))
        return c->svc->error (c, 0,
                              "%s.pageSize: expected a size such as \"2MB\" or \"1GB\", got %s",
                              where, size ? size : "nothing");
      if (!limit.present)
        return c->svc->error (c, 0, "%s.limit: expected an integer, got nothing", where);
      snprintf (file, sizeof (file), "hugetlb.%s.max", size);
      if (!ops_add (c, ops, CG2_HUGETLB, file, where, "%s", limit.text))
        return -ENOMEM;
    }
  return 0;
}

static int
rdma_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  const modrun_json *rdma = NULL, *dev;
  struct cg2_num handles, objects;
  char where[160], value[192];
  uint32_t i;
  int ret;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "rdma", &rdma)) <= 0)
    return ret;
  for (i = 0; i < rdma->count; i++)
    {
      dev = rdma->items[i];
      snprintf (where, sizeof (where), "linux.resources.rdma.%s", rdma->keys[i]);
      if (strpbrk (rdma->keys[i], " \n=") != NULL || rdma->keys[i][0] == '\0')
        return c->svc->error (c, 0, "%s: expected an RDMA device name", where);
      if (dev == NULL || dev->type != MODRUN_JSON_OBJECT)
        return c->svc->error (c, 0, "%s: expected object, got %s", where,
                              modrun_json_type_name (dev ? dev->type : MODRUN_JSON_NULL));
      if ((ret = get_num (c, dev, where, "hcaHandles", true, &handles)) < 0
          || (ret = get_num (c, dev, where, "hcaObjects", true, &objects)) < 0)
        return ret;
      if (!handles.present && !objects.present)
        continue;
      snprintf (value, sizeof (value), "%s", rdma->keys[i]);
      if (handles.present)
        snprintf (value + strlen (value), sizeof (value) - strlen (value), " hca_handle=%s",
                  handles.text);
      if (objects.present)
        snprintf (value + strlen (value), sizeof (value) - strlen (value), " hca_object=%s",
                  objects.text);
      if (!ops_add (c, ops, CG2_RDMA, "rdma.max", where, "%s", value))
        return -ENOMEM;
    }
  return 0;
}

static int
unified_ops (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  const modrun_json *uni = NULL, *v;
  const char *key, *dot;
  unsigned int bit;
  char where[192];
  uint32_t i;
  int ret;

  if ((ret = c->svc->get_object (c, res, "linux.resources", "unified", &uni)) <= 0)
    return ret;
  for (i = 0; i < uni->count; i++)
    {
      key = uni->keys[i];
      v = uni->items[i];
      snprintf (where, sizeof (where), "linux.resources.unified.%s", key);
      dot = strchr (key, '.');
      if (dot == NULL || dot == key || dot[1] == '\0' || strchr (key, '/') != NULL
          || strstr (key, "..") != NULL || strlen (key) >= sizeof (ops->op->file))
        return c->svc->error (
            c, 0, "linux.resources.unified: \"%s\": expected \"<controller>.<file>\"", key);
      bit = cg2_controller_bit (key, (size_t)(dot - key));
      if (bit == 0)
        return c->svc->error (c, 0, "linux.resources.unified: \"%s\": unknown controller \"%.*s\"",
                              key, (int)(dot - key), key);
      if (v == NULL || v->type != MODRUN_JSON_STRING)
        return c->svc->error (c, 0, "%s: expected string, got %s", where,
                              modrun_json_type_name (v ? v->type : MODRUN_JSON_NULL));
      if (!ops_add (c, ops, bit, key, where, "%s", v->string))
        return -ENOMEM;
    }
  return 0;
}

static int
collect (struct modrun_container *c, const modrun_json *res, struct cg2_ops *ops)
{
  const modrun_json *net = NULL;
  int ret;

  if (res == NULL)
    return 0;
  if (res->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "linux.resources: expected object, got %s",
                          modrun_json_type_name (res->type));
  if ((ret = c->svc->get_object (c, res, "linux.resources", "network", &net)) < 0)
    return ret;
  if (net != NULL && net->count > 0)
    return c->svc->error (
        c, 0, "linux.resources.network: not supported on cgroup v2 (no net_cls, net_prio)");
  if ((ret = cpu_ops (c, res, ops)) < 0 || (ret = memory_ops (c, res, ops)) < 0
      || (ret = pids_ops (c, res, ops)) < 0 || (ret = io_ops (c, res, ops)) < 0
      || (ret = hugetlb_ops (c, res, ops)) < 0 || (ret = rdma_ops (c, res, ops)) < 0
      || (ret = unified_ops (c, res, ops)) < 0)
    return ret;
  return 0;
}

/* The page sizes this host has, checked through sysfs ("2MB" is
 * hugepages-2048kB). */
static bool
host_has_page_size (const char *size)
{
  char path[128];
  unsigned long long n = strtoull (size, NULL, 10);
  const char *unit = size + strspn (size, "0123456789");

  if (strcmp (unit, "MB") == 0)
    n *= 1024;
  else if (strcmp (unit, "GB") == 0)
    n *= 1024 * 1024;
  snprintf (path, sizeof (path), "/sys/kernel/mm/hugepages/hugepages-%llukB", n);
  return access (path, F_OK) == 0;
}

int
cg2_validate_resources (struct modrun_container *c, struct cg2_host *host, const modrun_json *res,
                        unsigned int *need)
{
  cleanup_cg2_ops struct cg2_ops ops = { 0 };
  const modrun_json *devices = NULL;
  size_t i;
  int ret;

  *need = 0;
  ret = collect (c, res, &ops);
  if (ret < 0)
    return ret;
  for (i = 0; i < ops.n; i++)
    {
      struct cg2_op *op = &ops.op[i];

      if (op->controller != CG2_CORE && !(host->available & op->controller))
        return c->svc->error (
            c, 0,
            "%s: this host cannot enforce it: the %s controller is not in %s/cgroup.controllers",
            op->field, cg2_controller_name (op->controller), host->mount);
      if (op->controller == CG2_HUGETLB && strncmp (op->field, "linux.resources.hugepage", 24) == 0
          && !host_has_page_size (op->file + strlen ("hugetlb.")))
        return c->svc->error (c, 0, "%s.pageSize: this host has no huge pages of that size (%s)",
                              op->field, op->file);
      *need |= op->controller & ~CG2_CORE;
    }
  if (res != NULL)
    {
      ret = c->svc->get_array (c, res, "linux.resources", "devices", &devices);
      if (ret < 0)
        return ret;
    }
  return cg2_validate_devices (c, devices);
}

/* For a period set alone: the quota currently in force. */
static int
keep_quota (struct modrun_container *c, struct cg2_host *host, struct cg2_op *op)
{
  char cur[64], *value;
  const char *period = strchr (op->value, ' ');

  if (period == NULL)
    return 0;
  if (cg2_read_small (host->dir, "cpu.max", cur, sizeof (cur)) < 0)
    return c->svc->error (c, errno, "%s/cpu.max: cannot read", host->dir);
  cur[strcspn (cur, " ")] = '\0';
  if (asprintf (&value, "%s%s", cur, period) < 0)
    return c->svc->error (c, ENOMEM, "cpu.max");
  free (op->value);
  op->value = value;
  return 0;
}

int
cg2_apply_resources (struct modrun_container *c, struct cg2_host *host, const modrun_json *res,
                     bool update)
{
  cleanup_cg2_ops struct cg2_ops ops = { 0 };
  const modrun_json *devices = NULL;
  char cur[64];
  size_t i;
  int ret;

  ret = collect (c, res, &ops);
  if (ret < 0)
    return ret;
  if (update && ops.check_memory
      && cg2_read_small (host->dir, "memory.current", cur, sizeof (cur)) > 0
      && strtoll (cur, NULL, 10) > ops.memory_limit)
    return c->svc->error (
        c, 0,
        "linux.resources.memory.limit: %" PRId64
        " is below the memory the container uses now (%s bytes) and checkBeforeUpdate is set",
        ops.memory_limit, cur);
  for (i = 0; i < ops.n; i++)
    {
      struct cg2_op *op = &ops.op[i];

      if (update && op->optional_cpu_period && (ret = keep_quota (c, host, op)) < 0)
        return ret;
      /* BFQ takes the blkio weight as it is, in its own file. */
      if (op->bfq_value[0] != '\0' && cg2_file_exists (host->dir, "io.bfq.weight"))
        ret = cg2_write (c, host->dir, "io.bfq.weight", op->bfq_value, op->field);
      else
        ret = cg2_write (c, host->dir, op->file, op->value, op->field);
      if (ret < 0)
        return ret;
    }
  if (res != NULL)
    {
      ret = c->svc->get_array (c, res, "linux.resources", "devices", &devices);
      if (ret < 0)
        return ret;
    }
  /* At create the device program is always installed (the default
   * devices at least); an update changes it only when it names devices. */
  if (update && devices == NULL)
    return 0;
  return cg2_apply_devices (c, host->dir, devices);
}
