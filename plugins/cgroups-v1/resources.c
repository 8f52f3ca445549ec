/* cgroups-v1: checking linux.resources and writing it into the cgroups. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups-v1.h"

#define WHERE "linux.resources"

enum cg1_kind
{
  K_INT,
  K_UINT,
  K_UINT16,
  K_UINT32,
  K_PERCENT,
  K_BOOL,
  K_STRING,
};

/* A scalar member of a linux.resources group and the file it goes to.
 * FILE must exist at the hierarchy's root for the host to enforce it;
 * ALT_FILE is taken when FILE does not exist. */
struct cg1_field
{
  const char *key;
  enum cg1_kind kind;
  unsigned int controller;
  const char *file;
  const char *alt_file;
  bool zero_is_unset; /* 0 means "not set", as runc reads these fields */
};

struct cg1_value
{
  bool present;
  int64_t i;
  const char *s;
};

static const struct cg1_field memory_fields[] = {
  { "limit", K_INT, CG1_MEMORY, "memory.limit_in_bytes", NULL, true },
  { "swap", K_INT, CG1_MEMORY, "memory.memsw.limit_in_bytes", NULL, true },
  { "reservation", K_INT, CG1_MEMORY, "memory.soft_limit_in_bytes", NULL, true },
  { "kernel", K_INT, CG1_MEMORY, "memory.kmem.limit_in_bytes", NULL, true },
  { "kernelTCP", K_INT, CG1_MEMORY, "memory.kmem.tcp.limit_in_bytes", NULL, true },
  { "swappiness", K_PERCENT, CG1_MEMORY, "memory.swappiness", NULL, false },
  { "disableOOMKiller", K_BOOL, CG1_MEMORY, "memory.oom_control", NULL, false },
  { "useHierarchy", K_BOOL, CG1_MEMORY, "memory.use_hierarchy", NULL, false },
  { "checkBeforeUpdate", K_BOOL, CG1_MEMORY, NULL, NULL, false },
  { NULL, K_INT, 0, NULL, NULL, false },
};
#define MEM_LIMIT 0
#define MEM_SWAP 1
#define MEM_KERNEL 3
#define MEM_DISABLE_OOM 6

/* In the order they are written: the period before the quota it divides,
 * the quota before the burst that may not exceed it. */
static const struct cg1_field cpu_fields[] = {
  { "period", K_UINT, CG1_CPU, "cpu.cfs_period_us", NULL, true },
  { "quota", K_INT, CG1_CPU, "cpu.cfs_quota_us", NULL, true },
  { "burst", K_UINT, CG1_CPU, "cpu.cfs_burst_us", NULL, false },
  { "shares", K_UINT, CG1_CPU, "cpu.shares", NULL, true },
  { "realtimePeriod", K_UINT, CG1_CPU, "cpu.rt_period_us", NULL, true },
  { "realtimeRuntime", K_INT, CG1_CPU, "cpu.rt_runtime_us", NULL, true },
  { "idle", K_INT, CG1_CPU, "cpu.idle", NULL, false },
  { "cpus", K_STRING, CG1_CPUSET, "cpuset.cpus", NULL, true },
  { "mems", K_STRING, CG1_CPUSET, "cpuset.mems", NULL, true },
  { NULL, K_INT, 0, NULL, NULL, false },
};

static const struct cg1_field pids_fields[] = {
  { "limit", K_INT, CG1_PIDS, NULL, NULL, false },
  { NULL, K_INT, 0, NULL, NULL, false },
};

static const struct cg1_field blkio_fields[] = {
  { "weight", K_UINT16, CG1_BLKIO, "blkio.weight", "blkio.bfq.weight", true },
  { "leafWeight", K_UINT16, CG1_BLKIO, "blkio.leaf_weight", NULL, true },
  { NULL, K_INT, 0, NULL, NULL, false },
};

static const struct cg1_field network_fields[] = {
  { "classID", K_UINT32, CG1_NET_CLS, "net_cls.classid", NULL, false },
  { NULL, K_INT, 0, NULL, NULL, false },
};

/* The blkio per-device lists. */
static const struct
{
  const char *key;
  const char *file;
} throttle_lists[] = {
  { "throttleReadBpsDevice", "blkio.throttle.read_bps_device" },
  { "throttleWriteBpsDevice", "blkio.throttle.write_bps_device" },
  { "throttleReadIOPSDevice", "blkio.throttle.read_iops_device" },
  { "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device" },
};

/* What the container may always use, as the spec's default devices (and
 * mknod of any node, as runc allows). -1 is "*". */
struct cg1_device_rule
{
  char type;
  int64_t major;
  int64_t minor;
  const char *access;
};

static const struct cg1_device_rule default_devices[] = {
  { 'c', -1, -1, "m" }, { 'b', -1, -1, "m" },    { 'c', 1, 3, "rwm" }, { 'c', 1, 5, "rwm" },
  { 'c', 1, 7, "rwm" }, { 'c', 1, 8, "rwm" },    { 'c', 1, 9, "rwm" }, { 'c', 5, 0, "rwm" },
  { 'c', 5, 2, "rwm" }, { 'c', 136, -1, "rwm" },
};

static const char *
kind_name (enum cg1_kind k)
{
  switch (k)
    {
    case K_INT:
      return "an integer";
    case K_UINT:
      return "a non-negative integer";
    case K_UINT16:
      return "an integer from 0 to 65535";
    case K_UINT32:
      return "an integer from 0 to 4294967295";
    case K_PERCENT:
      return "an integer from 0 to 100";
    case K_BOOL:
      return "a boolean";
    case K_STRING:
      return "a string";
    default:
      return "a value";
    }
}

/* Reads member KEY of OBJ as KIND, type and range checked. */
static int
get_value (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
           enum cg1_kind kind, struct cg1_value *v)
{
  const struct modrun_services *svc = c->svc;
  int64_t max = INT64_MAX;
  int ret, b = 0;

  memset (v, 0, sizeof (*v));
  if (kind == K_UINT)
    {
      /* A uint64 beyond int64_t keeps its text: written as it came. */
      const modrun_json *n = modrun_json_get (obj, key);

      if (n != NULL && n->type == MODRUN_JSON_DOUBLE && n->string != NULL && n->length > 0
          && strspn (n->string, "0123456789") == n->length)
        {
          v->present = true;
          v->i = INT64_MAX;
          v->s = n->string;
          return 1;
        }
    }
  switch (kind)
    {
    case K_BOOL:
      ret = svc->get_bool (c, obj, where, key, &b);
      v->i = b;
      break;
    case K_STRING:
      ret = svc->get_string (c, obj, where, key, &v->s);
      break;
    default:
      ret = svc->get_int (c, obj, where, key, &v->i);
      break;
    }
  if (ret <= 0)
    return ret;
  v->present = true;

  if (kind == K_UINT16)
    max = 65535;
  else if (kind == K_UINT32)
    max = 4294967295LL;
  else if (kind == K_PERCENT)
    max = 100;
  if (kind != K_INT && kind != K_BOOL && kind != K_STRING && (v->i < 0 || v->i > max))
    return svc->error (c, 0, "%s.%s: expected %s, got %lld", where, key, kind_name (kind),
                       (long long)v->i);
  return 1;
}

static int
get_required (struct modrun_container *c, const modrun_json *obj, const char *where,
              const char *key, enum cg1_kind kind, struct cg1_value *v)
{
  int ret = get_value (c, obj, where, key, kind, v);

  if (ret == 0)
    return c->svc->error (c, 0, "%s.%s: required, expected %s", where, key, kind_name (kind));
  return ret;
}

static void
format_value (const struct cg1_value *v, enum cg1_kind kind, char *buf, size_t len)
{
  if (kind == K_STRING || v->s != NULL)
    snprintf (buf, len, "%s", v->s);
  else
    snprintf (buf, len, "%lld", (long long)v->i);
}

/* The hierarchy for BIT, or an error naming the field that needs it. */
static int
need_controller (struct modrun_container *c, struct cg1_host *host, unsigned int bit,
                 const char *where, const char *key, struct cg1_hierarchy **out)
{
  struct cg1_hierarchy *h = cg1_host_find (host, bit);

  if (h == NULL)
    return c->svc->error (c, 0,
                          "%s%s%s: the %s controller is not mounted as cgroup v1 on this host",
                          where, key ? "." : "", key ? key : "", cg1_controller_name (bit));
  if (out)
    *out = h;
  return 0;
}

/* The file a field goes to on this host, or an error when it has none. */
static int
need_file (struct modrun_container *c, struct cg1_hierarchy *h, const char *where, const char *key,
           const char *file, const char *alt, const char **out)
{
  if (cg1_file_exists (h->mount, file))
    *out = file;
  else if (alt != NULL && cg1_file_exists (h->mount, alt))
    *out = alt;
  else
    return c->svc->error (c, 0, "%s.%s: this host cannot enforce it: %s/%s does not exist", where,
                          key, h->mount, file);
  return 0;
}

static int
validate_fields (struct modrun_container *c, struct cg1_host *host, const modrun_json *obj,
                 const char *where, const struct cg1_field *f)
{
  for (; f->key; f++)
    {
      struct cg1_hierarchy *h;
      struct cg1_value v;
      const char *file;
      int ret = get_value (c, obj, where, f->key, f->kind, &v);

      if (ret <= 0)
        {
          if (ret < 0)
            return ret;
          continue;
        }
      if (f->zero_is_unset
          && ((f->kind == K_STRING && *v.s == '\0') || (f->kind != K_STRING && v.i == 0)))
        continue;
      ret = need_controller (c, host, f->controller, where, f->key, &h);
      if (ret < 0)
        return ret;
      if (f->file == NULL)
        continue;
      /* Without swap accounting the swap is unlimited already. */
      if (f == &memory_fields[MEM_SWAP] && v.i == -1)
        continue;
      ret = need_file (c, h, where, f->key, f->file, f->alt_file, &file);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Each item of array KEY of OBJ, checked to be an object. */
static int
get_list (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
          const modrun_json **out)
{
  const modrun_json *arr = NULL;
  uint32_t i;
  int ret = c->svc->get_array (c, obj, where, key, &arr);

  *out = NULL;
  if (ret <= 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    if (arr->items[i]->type != MODRUN_JSON_OBJECT)
      return c->svc->error (c, 0, "%s.%s[%u]: expected object, got %s", where, key, i,
                            modrun_json_type_name (arr->items[i]->type));
  *out = arr;
  return arr->count > 0;
}

static int
validate_devices (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const modrun_json *arr;
  uint32_t i;
  int ret = get_list (c, res, WHERE, "devices", &arr);

  if (ret <= 0)
    return ret;
  ret = need_controller (c, host, CG1_DEVICES, WHERE, "devices", NULL);
  if (ret < 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      char where[64];
      struct cg1_value v;

      snprintf (where, sizeof (where), WHERE ".devices[%u]", i);
      if ((ret = get_required (c, arr->items[i], where, "allow", K_BOOL, &v)) < 0
          || (ret = get_value (c, arr->items[i], where, "major", K_INT, &v)) < 0
          || (ret = get_value (c, arr->items[i], where, "minor", K_INT, &v)) < 0)
        return ret;
      ret = get_value (c, arr->items[i], where, "type", K_STRING, &v);
      if (ret < 0)
        return ret;
      if (ret > 0 && strcmp (v.s, "a") != 0 && strcmp (v.s, "b") != 0 && strcmp (v.s, "c") != 0)
        return c->svc->error (c, 0, "%s.type: expected \"a\", \"b\" or \"c\", got \"%s\"", where,
                              v.s);
      ret = get_value (c, arr->items[i], where, "access", K_STRING, &v);
      if (ret < 0)
        return ret;
      if (ret > 0 && (strspn (v.s, "rwm") != strlen (v.s) || strlen (v.s) > 3))
        return c->svc->error (c, 0, "%s.access: expected letters of \"rwm\", got \"%s\"", where,
                              v.s);
    }
  return 0;
}

static int
validate_blkio (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const char *where = WHERE ".blockIO";
  const modrun_json *blkio = NULL, *arr;
  struct cg1_hierarchy *h = NULL;
  const char *file;
  size_t k;
  uint32_t i;
  int ret = c->svc->get_object (c, res, WHERE, "blockIO", &blkio);

  if (ret <= 0)
    return ret;
  ret = validate_fields (c, host, blkio, where, blkio_fields);
  if (ret < 0)
    return ret;

  ret = get_list (c, blkio, where, "weightDevice", &arr);
  if (ret < 0)
    return ret;
  for (i = 0; ret > 0 && i < arr->count; i++)
    {
      char item[96];
      struct cg1_value w, lw, v;

      snprintf (item, sizeof (item), "%s.weightDevice[%u]", where, i);
      if ((ret = get_required (c, arr->items[i], item, "major", K_INT, &v)) < 0
          || (ret = get_required (c, arr->items[i], item, "minor", K_INT, &v)) < 0
          || (ret = get_value (c, arr->items[i], item, "weight", K_UINT16, &w)) < 0
          || (ret = get_value (c, arr->items[i], item, "leafWeight", K_UINT16, &lw)) < 0)
        return ret;
      if (!w.present && !lw.present)
        return c->svc->error (c, 0, "%s: expected weight or leafWeight", item);
      if ((ret = need_controller (c, host, CG1_BLKIO, where, "weightDevice", &h)) < 0)
        return ret;
      if (w.present
          && (ret = need_file (c, h, where, "weightDevice", "blkio.weight_device",
                               "blkio.bfq.weight_device", &file))
                 < 0)
        return ret;
      if (lw.present
          && (ret
              = need_file (c, h, where, "weightDevice", "blkio.leaf_weight_device", NULL, &file))
                 < 0)
        return ret;
      ret = 1;
    }

  for (k = 0; k < sizeof (throttle_lists) / sizeof (throttle_lists[0]); k++)
    {
      ret = get_list (c, blkio, where, throttle_lists[k].key, &arr);
      if (ret < 0)
        return ret;
      for (i = 0; ret > 0 && i < arr->count; i++)
        {
          char item[96];
          struct cg1_value v;

          snprintf (item, sizeof (item), "%s.%s[%u]", where, throttle_lists[k].key, i);
          if ((ret = get_required (c, arr->items[i], item, "major", K_INT, &v)) < 0
              || (ret = get_required (c, arr->items[i], item, "minor", K_INT, &v)) < 0
              || (ret = get_required (c, arr->items[i], item, "rate", K_UINT, &v)) < 0)
            return ret;
        }
      if (ret > 0)
        {
          if ((ret = need_controller (c, host, CG1_BLKIO, where, throttle_lists[k].key, &h)) < 0
              || (ret = need_file (c, h, where, throttle_lists[k].key, throttle_lists[k].file, NULL,
                                   &file))
                     < 0)
            return ret;
        }
    }
  return 0;
}

static int
validate_hugetlb (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const modrun_json *arr;
  struct cg1_hierarchy *h = NULL;
  uint32_t i;
  int ret = get_list (c, res, WHERE, "hugepageLimits", &arr);

  if (ret <= 0)
    return ret;
  ret = need_controller (c, host, CG1_HUGETLB, WHERE ".hugepageLimits", NULL, &h);
  if (ret < 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      char where[64], file[96];
      struct cg1_value size, v;
      const char *found;

      snprintf (where, sizeof (where), WHERE ".hugepageLimits[%u]", i);
      if ((ret = get_required (c, arr->items[i], where, "pageSize", K_STRING, &size)) < 0
          || (ret = get_required (c, arr->items[i], where, "limit", K_UINT, &v)) < 0)
        return ret;
      if (strchr (size.s, '/') != NULL
          || (size_t)snprintf (file, sizeof (file), "hugetlb.%s.limit_in_bytes", size.s)
                 >= sizeof (file))
        return c->svc->error (c, 0, "%s.pageSize: \"%s\" is not a huge page size", where, size.s);
      ret = need_file (c, h, where, "pageSize", file, NULL, &found);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
validate_network (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const char *where = WHERE ".network";
  const modrun_json *net = NULL, *arr;
  uint32_t i;
  int ret = c->svc->get_object (c, res, WHERE, "network", &net);

  if (ret <= 0)
    return ret;
  ret = validate_fields (c, host, net, where, network_fields);
  if (ret < 0)
    return ret;
  ret = get_list (c, net, where, "priorities", &arr);
  if (ret <= 0)
    return ret;
  for (i = 0; i < arr->count; i++)
    {
      char item[64];
      struct cg1_value v;

      snprintf (item, sizeof (item), "%s.priorities[%u]", where, i);
      if ((ret = get_required (c, arr->items[i], item, "name", K_STRING, &v)) < 0
          || (ret = get_required (c, arr->items[i], item, "priority", K_UINT32, &v)) < 0)
        return ret;
    }
  return need_controller (c, host, CG1_NET_PRIO, where, "priorities", NULL);
}

static int
validate_rdma (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const modrun_json *rdma = NULL;
  uint32_t i;
  int ret = c->svc->get_object (c, res, WHERE, "rdma", &rdma);

  if (ret <= 0 || rdma->count == 0)
    return ret;
  for (i = 0; i < rdma->count; i++)
    {
      char where[128];
      struct cg1_value h, o;

      snprintf (where, sizeof (where), WHERE ".rdma.%s", rdma->keys[i]);
      if (rdma->items[i]->type != MODRUN_JSON_OBJECT)
        return c->svc->error (c, 0, "%s: expected object, got %s", where,
                              modrun_json_type_name (rdma->items[i]->type));
      if ((ret = get_value (c, rdma->items[i], where, "hcaHandles", K_UINT32, &h)) < 0
          || (ret = get_value (c, rdma->items[i], where, "hcaObjects", K_UINT32, &o)) < 0)
        return ret;
      if (!h.present && !o.present)
        return c->svc->error (c, 0, "%s: expected hcaHandles or hcaObjects", where);
    }
  return need_controller (c, host, CG1_RDMA, WHERE ".rdma", NULL, NULL);
}

int
cg1_validate_resources (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  const struct modrun_services *svc = c->svc;
  const modrun_json *obj;
  int ret;

  if (res == NULL)
    return 0;
  if (res->type != MODRUN_JSON_OBJECT)
    return svc->error (c, 0, WHERE ": expected object, got %s", modrun_json_type_name (res->type));

  ret = svc->get_object (c, res, WHERE, "unified", &obj);
  if (ret < 0)
    return ret;
  if (ret > 0 && obj->count > 0)
    return svc->error (c, 0, WHERE ".unified: only supported by cgroup v2 backends");

  ret = svc->get_object (c, res, WHERE, "memory", &obj);
  if (ret > 0)
    ret = validate_fields (c, host, obj, WHERE ".memory", memory_fields);
  if (ret < 0)
    return ret;
  ret = svc->get_object (c, res, WHERE, "cpu", &obj);
  if (ret > 0)
    ret = validate_fields (c, host, obj, WHERE ".cpu", cpu_fields);
  if (ret < 0)
    return ret;
  ret = svc->get_object (c, res, WHERE, "pids", &obj);
  if (ret > 0)
    ret = validate_fields (c, host, obj, WHERE ".pids", pids_fields);
  if (ret < 0)
    return ret;

  if ((ret = validate_devices (c, host, res)) < 0 || (ret = validate_blkio (c, host, res)) < 0
      || (ret = validate_hugetlb (c, host, res)) < 0 || (ret = validate_network (c, host, res)) < 0
      || (ret = validate_rdma (c, host, res)) < 0)
    return ret;
  return 0;
}

/* Writing. */

/* Writes field F of WHERE; a value the kernel refuses is an error that
 * names the field, the file and the kernel's reason. */
static int
write_field (struct modrun_container *c, struct cg1_hierarchy *h, const char *where,
             const struct cg1_field *f, const struct cg1_value *v)
{
  char buf[64], path[PATH_MAX];
  const char *file = f->file, *value = buf;
  ssize_t n;
  int fd, e;

  if (f->alt_file != NULL && !cg1_file_exists (h->dir, file))
    file = f->alt_file;
  if (f->kind == K_STRING)
    value = v->s;
  else
    format_value (v, f->kind, buf, sizeof (buf));
  if ((size_t)snprintf (path, sizeof (path), "%s/%s", h->dir, file) >= sizeof (path))
    return c->svc->error (c, ENAMETOOLONG, "%s.%s: %s/%s", where, f->key, h->dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return c->svc->error (c, errno, "%s.%s: open %s", where, f->key, path);
  do
    n = write (fd, value, strlen (value));
  while (n < 0 && errno == EINTR);
  e = n < 0 ? errno : 0;
  close (fd);
  if (e != 0)
    return c->svc->error (c, e, "%s.%s: the kernel refuses %s in %s", where, f->key, value, path);
  return 0;
}

/* Writes the fields of OBJ listed in F, in that order, skipping SKIP. */
static int
apply_fields (struct modrun_container *c, struct cg1_host *host, const modrun_json *obj,
              const char *where, const struct cg1_field *f, unsigned long skip)
{
  unsigned long bit;
  int ret;

  for (bit = 1; f->key; f++, bit <<= 1)
    {
      struct cg1_hierarchy *h;
      struct cg1_value v;

      if (skip & bit || f->file == NULL)
        continue;
      ret = get_value (c, obj, where, f->key, f->kind, &v);
      if (ret < 0)
        return ret;
      if (ret == 0)
        continue;
      if (f->zero_is_unset
          && ((f->kind == K_STRING && *v.s == '\0') || (f->kind != K_STRING && v.i == 0)))
        continue;
      h = cg1_host_find (host, f->controller);
      if (h == NULL)
        return need_controller (c, host, f->controller, where, f->key, NULL);
      ret = write_field (c, h, where, f, &v);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Recent kernels let memory.kmem.limit_in_bytes take any value and keep
 * none (writing it "has no effect", they log): a kernel memory limit is
 * only known to hold when it reads back. */
static int
check_kernel_limit (struct modrun_container *c, struct cg1_hierarchy *h, const modrun_json *mem)
{
  const struct cg1_field *f = &memory_fields[MEM_KERNEL];
  long page = sysconf (_SC_PAGESIZE);
  struct cg1_value v;
  char cur[64] = "";
  int ret = get_value (c, mem, WHERE ".memory", f->key, f->kind, &v);

  if (ret <= 0 || v.i == 0 || v.i == -1 || h == NULL)
    return ret;
  if (page <= 0)
    page = 4096;
  if (cg1_read_small (h->dir, f->file, cur, sizeof (cur)) > 0
      && strtoll (cur, NULL, 10) == v.i / page * page)
    return 0;
  return c->svc->error (
      c, 0,
      WHERE
      ".memory.kernel: this host cannot enforce it: the kernel ignores %s/%s (reads %s after %lld)",
      h->dir, f->file, cur, (long long)v.i);
}

/* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes, so
 * when both change, the one that keeps that true goes first: the swap
 * limit first when it grows, the memory limit first when it shrinks. */
static int
apply_memory (struct modrun_container *c, struct cg1_host *host, const modrun_json *mem, bool fresh)
{
  const char *where = WHERE ".memory";
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_MEMORY);
  struct cg1_value limit, swap, oom;
  unsigned long skip = (1ul << MEM_LIMIT) | (1ul << MEM_SWAP);
  bool swap_first = false;
  int ret;

  if ((ret = get_value (c, mem, where, "limit", K_INT, &limit)) < 0
      || (ret = get_value (c, mem, where, "swap", K_INT, &swap)) < 0
      || (ret = get_value (c, mem, where, "disableOOMKiller", K_BOOL, &oom)) < 0)
    return ret;
  limit.present = limit.present && limit.i != 0;
  swap.present = swap.present && swap.i != 0;
  if ((limit.present || swap.present) && h == NULL)
    return need_controller (c, host, CG1_MEMORY, where, limit.present ? "limit" : "swap", NULL);
  /* -1 is what a new cgroup has, and all there is without swap accounting. */
  if (swap.present && swap.i == -1
      && (fresh || !cg1_file_exists (h->dir, "memory.memsw.limit_in_bytes")))
    swap.present = false;

  if (limit.present && swap.present)
    {
      if (swap.i == -1)
        swap_first = true;
      else if (!fresh)
        {
          char cur[64];
          ssize_t n = cg1_read_small (h->dir, "memory.memsw.limit_in_bytes", cur, sizeof (cur));

          swap_first = n > 0 && strtoll (cur, NULL, 10) < swap.i;
        }
    }
  if (swap.present && swap_first
      && (ret = write_field (c, h, where, &memory_fields[MEM_SWAP], &swap)) < 0)
    return ret;
  if (limit.present && (ret = write_field (c, h, where, &memory_fields[MEM_LIMIT], &limit)) < 0)
    return ret;
  if (swap.present && !swap_first
      && (ret = write_field (c, h, where, &memory_fields[MEM_SWAP], &swap)) < 0)
    return ret;

  /* A new cgroup has the OOM killer on already. */
  if (fresh && oom.present && !oom.i)
    skip |= 1ul << MEM_DISABLE_OOM;
  ret = apply_fields (c, host, mem, where, memory_fields, skip);
  if (ret < 0)
    return ret;
  return check_kernel_limit (c, h, mem);
}

static int
apply_pids (struct modrun_container *c, struct cg1_host *host, const modrun_json *pids)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_PIDS);
  struct cg1_value v;
  char buf[32];
  int ret = get_value (c, pids, WHERE ".pids", "limit", K_INT, &v);

  /* As runc reads it: 0 is unset, a negative limit is no limit. */
  if (ret <= 0 || v.i == 0)
    return ret;
  if (h == NULL)
    return need_controller (c, host, CG1_PIDS, WHERE ".pids", "limit", NULL);
  if (v.i < 0)
    return cg1_write (c, h->dir, "pids.max", "max");
  snprintf (buf, sizeof (buf), "%lld", (long long)v.i);
  return cg1_write (c, h->dir, "pids.max", buf);
}

static bool
device_number (const modrun_json *entry, const char *key, int64_t *out)
{
  const modrun_json *v = modrun_json_get (entry, key);

  *out = -1;
  if (v != NULL && v->type == MODRUN_JSON_INTEGER)
    *out = v->integer;
  return *out >= 0;
}

static void
device_line (char type, int64_t major, int64_t minor, const char *access, char *buf, size_t len)
{
  char maj[24] = "*", min[24] = "*";

  if (major >= 0)
    snprintf (maj, sizeof (maj), "%lld", (long long)major);
  if (minor >= 0)
    snprintf (min, sizeof (min), "%lld", (long long)minor);
  if (type == 'a')
    snprintf (buf, len, "a");
  else
    snprintf (buf, len, "%c %s:%s %s", type, maj, min, access);
}

/* Whether the user's deny rules name default rule D itself: a rule of the
 * same type and major, and the same minor or every minor. Such a device
 * stays denied; a blanket "deny everything" does not count. */
static bool
denied_by_user (const struct cg1_device_rule *denies, size_t n, const struct cg1_device_rule *d)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (denies[i].type == d->type && d->major >= 0 && denies[i].major == d->major
        && (denies[i].minor < 0 || denies[i].minor == d->minor))
      return true;
  return false;
}

static int
write_default_devices (struct modrun_container *c, int allow_fd, const char *allow_path,
                       const struct cg1_device_rule *denies, size_t n_denies)
{
  const modrun_json *devs = modrun_json_path (c->config, "linux.devices");
  char line[96];
  size_t i;
  int ret;

  for (i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      if (denied_by_user (denies, n_denies, &default_devices[i]))
        continue;
      device_line (default_devices[i].type, default_devices[i].major, default_devices[i].minor,
                   default_devices[i].access, line, sizeof (line));
      ret = cg1_write_fd (c, allow_fd, allow_path, line);
      if (ret < 0)
        return ret;
    }

  /* The nodes linux.devices asks to create are meant to be used. */
  for (i = 0; devs != NULL && devs->type == MODRUN_JSON_ARRAY && i < devs->count; i++)
    {
      const modrun_json *type = modrun_json_get (devs->items[i], "type");
      struct cg1_device_rule d = { 'c', -1, -1, "rwm" };

      if (type == NULL || type->type != MODRUN_JSON_STRING
          || !device_number (devs->items[i], "major", &d.major)
          || !device_number (devs->items[i], "minor", &d.minor))
        continue;
      if (strcmp (type->string, "b") == 0)
        d.type = 'b';
      else if (strcmp (type->string, "c") != 0 && strcmp (type->string, "u") != 0)
        continue;
      if (denied_by_user (denies, n_denies, &d))
        continue;
      device_line (d.type, d.major, d.minor, d.access, line, sizeof (line));
      ret = cg1_write_fd (c, allow_fd, allow_path, line);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Deny everything, then the spec's list in order, then the defaults. */
static int
apply_devices (struct modrun_container *c, struct cg1_host *host, const modrun_json *arr)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_DEVICES);
  char allow_path[PATH_MAX], deny_path[PATH_MAX], line[96];
  struct cg1_device_rule *denies = NULL;
  size_t n_denies = 0;
  int allow_fd = -1, deny_fd = -1, ret;
  uint32_t i;

  if (h == NULL)
    return need_controller (c, host, CG1_DEVICES, WHERE, "devices", NULL);
  deny_fd = cg1_open_write (c, h->dir, "devices.deny", deny_path, sizeof (deny_path));
  if (deny_fd < 0)
    return deny_fd;
  allow_fd = cg1_open_write (c, h->dir, "devices.allow", allow_path, sizeof (allow_path));
  if (allow_fd < 0)
    {
      close (deny_fd);
      return allow_fd;
    }
  ret = cg1_write_fd (c, deny_fd, deny_path, "a");

  if (arr != NULL && arr->count > 0)
    denies = calloc (arr->count, sizeof (*denies));
  for (i = 0; ret == 0 && arr != NULL && i < arr->count; i++)
    {
      const modrun_json *e = arr->items[i];
      const modrun_json *allow = modrun_json_get (e, "allow");
      const modrun_json *type = modrun_json_get (e, "type");
      const modrun_json *access = modrun_json_get (e, "access");
      struct cg1_device_rule d = { 'a', -1, -1, "rwm" };
      bool allowed = allow != NULL && allow->type == MODRUN_JSON_BOOL && allow->boolean;

      if (type != NULL && type->type == MODRUN_JSON_STRING && type->length == 1)
        d.type = type->string[0];
      device_number (e, "major", &d.major);
      device_number (e, "minor", &d.minor);
      if (access != NULL && access->type == MODRUN_JSON_STRING && access->length > 0)
        d.access = access->string;
      device_line (d.type, d.major, d.minor, d.access, line, sizeof (line));
      if (allowed)
        ret = cg1_write_fd (c, allow_fd, allow_path, line);
      else
        {
          ret = cg1_write_fd (c, deny_fd, deny_path, line);
          if (denies != NULL && d.type != 'a')
            denies[n_denies++] = d;
        }
    }
  if (ret == 0)
    ret = write_default_devices (c, allow_fd, allow_path, denies, n_denies);
  free (denies);
  close (allow_fd);
  close (deny_fd);
  return ret;
}

static int
apply_device_list (struct modrun_container *c, struct cg1_hierarchy *h, const modrun_json *arr,
                   const char *file, const char *key, const char *suffix)
{
  uint32_t i;
  int ret;

  for (i = 0; arr != NULL && i < arr->count; i++)
    {
      const modrun_json *e = arr->items[i];
      const modrun_json *v = modrun_json_get (e, key);
      int64_t major, minor;
      char line[96];

      if (v == NULL || v->type != MODRUN_JSON_INTEGER)
        continue;
      device_number (e, "major", &major);
      device_number (e, "minor", &minor);
      snprintf (line, sizeof (line), "%lld:%lld %lld%s", (long long)major, (long long)minor,
                (long long)v->integer, suffix);
      ret = cg1_write (c, h->dir, file, line);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
apply_blkio (struct modrun_container *c, struct cg1_host *host, const modrun_json *blkio)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_BLKIO);
  const modrun_json *wd = modrun_json_get (blkio, "weightDevice");
  size_t k;
  int ret = apply_fields (c, host, blkio, WHERE ".blockIO", blkio_fields, 0);

  if (ret < 0 || h == NULL)
    return ret;
  if (wd != NULL && wd->count > 0)
    {
      const char *wfile = "blkio.weight_device";

      if (!cg1_file_exists (h->dir, wfile))
        wfile = "blkio.bfq.weight_device";
      ret = apply_device_list (c, h, wd, wfile, "weight", "");
      if (ret == 0)
        ret = apply_device_list (c, h, wd, "blkio.leaf_weight_device", "leafWeight", "");
      if (ret < 0)
        return ret;
    }
  for (k = 0; k < sizeof (throttle_lists) / sizeof (throttle_lists[0]); k++)
    {
      ret = apply_device_list (c, h, modrun_json_get (blkio, throttle_lists[k].key),
                               throttle_lists[k].file, "rate", "");
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
apply_hugetlb (struct modrun_container *c, struct cg1_host *host, const modrun_json *arr)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_HUGETLB);
  uint32_t i;
  int ret;

  if (arr == NULL || arr->count == 0)
    return 0;
  if (h == NULL)
    return need_controller (c, host, CG1_HUGETLB, WHERE ".hugepageLimits", NULL, NULL);
  for (i = 0; i < arr->count; i++)
    {
      const modrun_json *size = modrun_json_get (arr->items[i], "pageSize");
      const modrun_json *limit = modrun_json_get (arr->items[i], "limit");
      char file[96], value[32];

      if (size == NULL || size->type != MODRUN_JSON_STRING || limit == NULL
          || limit->type != MODRUN_JSON_INTEGER)
        continue;
      snprintf (value, sizeof (value), "%lld", (long long)limit->integer);
      snprintf (file, sizeof (file), "hugetlb.%s.limit_in_bytes", size->string);
      ret = cg1_write (c, h->dir, file, value);
      if (ret < 0)
        return ret;
      /* Reservations are limited too where the kernel accounts them. */
      snprintf (file, sizeof (file), "hugetlb.%s.rsvd.limit_in_bytes", size->string);
      if (cg1_file_exists (h->dir, file) && (ret = cg1_write (c, h->dir, file, value)) < 0)
        return ret;
    }
  return 0;
}

static int
apply_network (struct modrun_container *c, struct cg1_host *host, const modrun_json *net)
{
  const modrun_json *prio = modrun_json_get (net, "priorities");
  struct cg1_hierarchy *h;
  uint32_t i;
  int ret = apply_fields (c, host, net, WHERE ".network", network_fields, 0);

  if (ret < 0 || prio == NULL || prio->type != MODRUN_JSON_ARRAY || prio->count == 0)
    return ret;
  h = cg1_host_find (host, CG1_NET_PRIO);
  if (h == NULL)
    return need_controller (c, host, CG1_NET_PRIO, WHERE ".network", "priorities", NULL);
  for (i = 0; i < prio->count; i++)
    {
      const modrun_json *name = modrun_json_get (prio->items[i], "name");
      const modrun_json *p = modrun_json_get (prio->items[i], "priority");
      char line[128];

      if (name == NULL || name->type != MODRUN_JSON_STRING || p == NULL
          || p->type != MODRUN_JSON_INTEGER)
        continue;
      snprintf (line, sizeof (line), "%s %lld", name->string, (long long)p->integer);
      ret = cg1_write (c, h->dir, "net_prio.ifpriomap", line);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
apply_rdma (struct modrun_container *c, struct cg1_host *host, const modrun_json *rdma)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_RDMA);
  uint32_t i;
  int ret;

  if (rdma == NULL || rdma->type != MODRUN_JSON_OBJECT || rdma->count == 0)
    return 0;
  if (h == NULL)
    return need_controller (c, host, CG1_RDMA, WHERE ".rdma", NULL, NULL);
  for (i = 0; i < rdma->count; i++)
    {
      const modrun_json *hh = modrun_json_get (rdma->items[i], "hcaHandles");
      const modrun_json *ho = modrun_json_get (rdma->items[i], "hcaObjects");
      char line[256];
      int n = snprintf (line, sizeof (line), "%s", rdma->keys[i]);

      if (hh != NULL && hh->type == MODRUN_JSON_INTEGER)
        n += snprintf (line + n, sizeof (line) - (size_t)n, " hca_handle=%lld",
                       (long long)hh->integer);
      if (ho != NULL && ho->type == MODRUN_JSON_INTEGER && (size_t)n < sizeof (line))
        snprintf (line + n, sizeof (line) - (size_t)n, " hca_object=%lld", (long long)ho->integer);
      ret = cg1_write (c, h->dir, "rdma.max", line);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
cg1_apply_resources (struct modrun_container *c, struct cg1_host *host, const modrun_json *res,
                     bool create)
{
  struct cg1_hierarchy *mem = cg1_host_find (host, CG1_MEMORY);
  const modrun_json *obj;
  int ret = 0;

  if (res != NULL && res->type != MODRUN_JSON_OBJECT)
    res = NULL;
  if ((obj = modrun_json_get (res, "memory")) != NULL && obj->type == MODRUN_JSON_OBJECT)
    ret = apply_memory (c, host, obj, create && mem != NULL && mem->created);
  if (ret == 0 && (obj = modrun_json_get (res, "cpu")) != NULL && obj->type == MODRUN_JSON_OBJECT)
    ret = apply_fields (c, host, obj, WHERE ".cpu", cpu_fields, 0);
  if (ret == 0 && (obj = modrun_json_get (res, "pids")) != NULL && obj->type == MODRUN_JSON_OBJECT)
    ret = apply_pids (c, host, obj);
  if (ret == 0 && (obj = modrun_json_get (res, "blockIO")) != NULL
      && obj->type == MODRUN_JSON_OBJECT)
    ret = apply_blkio (c, host, obj);
  if (ret == 0)
    ret = apply_hugetlb (c, host, modrun_json_get (res, "hugepageLimits"));
  if (ret == 0 && (obj = modrun_json_get (res, "network")) != NULL
      && obj->type == MODRUN_JSON_OBJECT)
    ret = apply_network (c, host, obj);
  if (ret == 0)
    ret = apply_rdma (c, host, modrun_json_get (res, "rdma"));
  /* Devices are always set at create, to the defaults when the config
   * lists none; an update changes them only when it names them. */
  if (ret == 0 && (obj = modrun_json_get (res, "devices")) != NULL
      && obj->type == MODRUN_JSON_ARRAY)
    ret = apply_devices (c, host, obj);
  else if (ret == 0 && create && cg1_host_find (host, CG1_DEVICES) != NULL)
    ret = apply_devices (c, host, NULL);
  return ret;
}

/* A new cpuset cgroup has empty cpuset.cpus and cpuset.mems, and no task
 * can join it until both are set: copy them down from the nearest
 * ancestor that has them, top to bottom, before the container joins. */
int
cg1_cpuset_init (struct modrun_container *c, struct cg1_host *host, const modrun_json *res)
{
  struct cg1_hierarchy *h = cg1_host_find (host, CG1_CPUSET);
  const modrun_json *cpu = modrun_json_get (res, "cpu");
  const modrun_json *want_cpus = modrun_json_get (cpu, "cpus");
  const modrun_json *want_mems = modrun_json_get (cpu, "mems");
  char cpus[4096] = "", mems[4096] = "";
  size_t base, levels[256], n = 0, i, top_cpus = 0, top_mems = 0;
  char dir[PATH_MAX];
  bool have_cpus = false, have_mems = false;
  int ret;

  if (h == NULL)
    return 0;
  base = strlen (h->mount);
  snprintf (dir, sizeof (dir), "%s", h->dir);
  levels[n++] = base;
  for (i = base + 1; dir[i] && n < 255; i++)
    if (dir[i] == '/')
      levels[n++] = i;
  levels[n++] = strlen (dir);

  /* From the leaf up to the first level that has each value. */
  for (i = n; i-- > 0 && !(have_cpus && have_mems);)
    {
      char c1 = dir[levels[i]];

      /* A directory prepare just made is empty: no need to look. */
      if (h->fresh_len > 0 && levels[i] >= h->fresh_len)
        continue;
      dir[levels[i]] = '\0';
      if (!have_cpus
          && cg1_read_small (i == 0 ? h->mount : dir, "cpuset.cpus", cpus, sizeof (cpus)) > 0)
        {
          have_cpus = true;
          top_cpus = i;
        }
      if (!have_mems
          && cg1_read_small (i == 0 ? h->mount : dir, "cpuset.mems", mems, sizeof (mems)) > 0)
        {
          have_mems = true;
          top_mems = i;
        }
      dir[levels[i]] = c1;
    }
  if (!have_cpus || !have_mems)
    return c->svc->error (c, ENOENT, "%s: no ancestor has cpuset.cpus and cpuset.mems set", h->dir);

  for (i = (top_cpus < top_mems ? top_cpus : top_mems) + 1; i < n; i++)
    {
      bool leaf = i == n - 1;
      char c1 = dir[levels[i]];

      dir[levels[i]] = '\0';
      ret = 0;
      if (i > top_cpus
          && !(leaf && want_cpus && want_cpus->type == MODRUN_JSON_STRING && want_cpus->length > 0))
        ret = cg1_write (c, dir, "cpuset.cpus", cpus);
      if (ret == 0 && i > top_mems
          && !(leaf && want_mems && want_mems->type == MODRUN_JSON_STRING && want_mems->length > 0))
        ret = cg1_write (c, dir, "cpuset.mems", mems);
      dir[levels[i]] = c1;
      if (ret < 0)
        return ret;
    }
  return 0;
}
