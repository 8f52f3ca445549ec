/* cgroups-libcgroup: linux.resources checked, then written through
 * libcgroup, one control file at a time so that an error names the file.
 * One walk over the config does both: with APPLY false it only checks that
 * every value is well formed and that this host has a controller and a
 * file for it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcgroup.h>

#include "cgroups-libcgroup.h"

#define WHERE "linux.resources"

enum lcg_kind
{
  K_INT,
  K_UINT,
  K_UINT16,
  K_UINT32,
  K_PERCENT,
  K_BOOL,
  K_STRING,
};

/* A scalar member of a linux.resources group and the cgroup v1 file it
 * goes to (ALT when FILE does not exist on this host). */
struct lcg_field
{
  const char *key;
  enum lcg_kind kind;
  const char *ctl;
  const char *file;
  const char *alt;
  bool zero_is_unset; /* 0 means "not set", as runc reads these fields */
};

struct lcg_value
{
  bool present;
  int64_t i;
  const char *s;
};

/* The walk: the container, the host, and whether to write. */
struct lcg_walk
{
  struct modrun_container *c;
  struct lcg_host *host;
  bool apply;
  bool create;
};

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes are written
 * apart, in the order that keeps the first at most the second. */
static const struct lcg_field memory_fields[] = {
  { "reservation", K_INT, "memory", "memory.soft_limit_in_bytes", NULL, true },
  { "kernel", K_INT, "memory", "memory.kmem.limit_in_bytes", NULL, true },
  { "kernelTCP", K_INT, "memory", "memory.kmem.tcp.limit_in_bytes", NULL, true },
  { "swappiness", K_PERCENT, "memory", "memory.swappiness", NULL, false },
  { "useHierarchy", K_BOOL, "memory", "memory.use_hierarchy", NULL, false },
  { NULL, K_INT, NULL, NULL, NULL, false },
};

/* The period before the quota it divides, the quota before the burst. */
static const struct lcg_field cpu_fields[] = {
  { "period", K_UINT, "cpu", "cpu.cfs_period_us", NULL, true },
  { "quota", K_INT, "cpu", "cpu.cfs_quota_us", NULL, true },
  { "burst", K_UINT, "cpu", "cpu.cfs_burst_us", NULL, false },
  { "shares", K_UINT, "cpu", "cpu.shares", NULL, true },
  { "realtimePeriod", K_UINT, "cpu", "cpu.rt_period_us", NULL, true },
  { "realtimeRuntime", K_INT, "cpu", "cpu.rt_runtime_us", NULL, true },
  { "idle", K_INT, "cpu", "cpu.idle", NULL, false },
  { "cpus", K_STRING, "cpuset", "cpuset.cpus", NULL, true },
  { "mems", K_STRING, "cpuset", "cpuset.mems", NULL, true },
  { NULL, K_INT, NULL, NULL, NULL, false },
};

/* What cgroup2 takes as cgroup v1 did; shares, quota and period apart. */
static const struct lcg_field cpu_fields_v2[] = {
  { "burst", K_UINT, "cpu", "cpu.max.burst", NULL, false },
  { "idle", K_INT, "cpu", "cpu.idle", NULL, false },
  { "cpus", K_STRING, "cpuset", "cpuset.cpus", NULL, true },
  { "mems", K_STRING, "cpuset", "cpuset.mems", NULL, true },
  { NULL, K_INT, NULL, NULL, NULL, false },
};

static const struct lcg_field blkio_fields[] = {
  { "weight", K_UINT16, "blkio", "blkio.weight", "blkio.bfq.weight", true },
  { "leafWeight", K_UINT16, "blkio", "blkio.leaf_weight", NULL, true },
  { NULL, K_INT, NULL, NULL, NULL, false },
};

static const struct lcg_field network_fields[] = {
  { "classID", K_UINT32, "net_cls", "net_cls.classid", NULL, false },
  { NULL, K_INT, NULL, NULL, NULL, false },
};

/* The blkio per-device lists: KEY, the member holding the value, the file. */
static const struct
{
  const char *key;
  const char *member;
  const char *file;
  const char *alt;
} device_lists[] = {
  { "weightDevice", "weight", "blkio.weight_device", "blkio.bfq.weight_device" },
  { "weightDevice", "leafWeight", "blkio.leaf_weight_device", NULL },
  { "throttleReadBpsDevice", "rate", "blkio.throttle.read_bps_device", NULL },
  { "throttleWriteBpsDevice", "rate", "blkio.throttle.write_bps_device", NULL },
  { "throttleReadIOPSDevice", "rate", "blkio.throttle.read_iops_device", NULL },
  { "throttleWriteIOPSDevice", "rate", "blkio.throttle.write_iops_device", NULL },
};

/* What the container may always use: the spec's default devices, and
 * mknod of any node. */
static const struct lcg_dev_rule default_devices[] = {
  { 'c', -1, -1, "m", true },    { 'b', -1, -1, "m", true }, { 'c', 1, 3, "rwm", true },
  { 'c', 1, 5, "rwm", true },    { 'c', 1, 7, "rwm", true }, { 'c', 1, 8, "rwm", true },
  { 'c', 1, 9, "rwm", true },    { 'c', 5, 0, "rwm", true }, { 'c', 5, 2, "rwm", true },
  { 'c', 136, -1, "rwm", true },
};

static const char *
kind_name (enum lcg_kind k)
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
    default:
      return "a string";
    }
}

/* Reads member KEY of OBJ as KIND, type and range checked: 1 when
 * present, 0 when absent, or an error. */
static int
get_value (struct modrun_container *c, const modrun_json *obj, const char *where, const char *key,
           enum lcg_kind kind, struct lcg_value *v)
{
  const struct modrun_services *svc = c->svc;
  int64_t max = INT64_MAX;
  int ret, b = 0;

  memset (v, 0, sizeof (*v));
  if (kind == K_BOOL)
    ret = svc->get_bool (c, obj, where, key, &b);
  else if (kind == K_STRING)
    ret = svc->get_string (c, obj, where, key, &v->s);
  else
    ret = svc->get_int (c, obj, where, key, &v->i);
  if (ret <= 0)
    return ret;
  if (kind == K_BOOL)
    v->i = b;
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
              const char *key, enum lcg_kind kind, struct lcg_value *v)
{
  int ret = get_value (c, obj, where, key, kind, v);

  if (ret == 0)
    return c->svc->error (c, 0, "%s.%s: required, expected %s", where, key, kind_name (kind));
  return ret;
}

/* Array KEY of OBJ, each item checked to be an object: 1 when it has
 * items, 0 when absent or empty, or an error. */
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

/* The file FILE (or ALT) of controller CTL, which the value of FIELD
 * needs: an error when this host has not got it. */
static int
need_file (struct lcg_walk *w, const char *field, const char *ctl_name, const char *file,
           const char *alt, const char **out)
{
  struct lcg_controller *ctl = lcg_host_find (w->host, ctl_name);

  if (ctl == NULL)
    return lcg_missing_controller (w->c, w->host, ctl_name, field);
  /* The root of cgroup2 has none of the files its children get. */
  if (ctl->v2)
    {
      *out = file;
      return 0;
    }
  /* The root cgroup has most files a child has, but never pids.max. */
  if (strcmp (file, "pids.max") == 0 || lcg_root_has (ctl, file))
    *out = file;
  else if (alt != NULL && lcg_root_has (ctl, alt))
    *out = alt;
  else
    return w->c->svc->error (w->c, 0, "%s: this host cannot enforce it: %s/%s does not exist",
                             field, ctl->mount, file);
  return 0;
}

/* Checks, then with w->apply writes, VALUE to FILE of CTL for FIELD. */
static int
put (struct lcg_walk *w, const char *field, const char *ctl, const char *file, const char *alt,
     const char *value)
{
  const char *found = NULL;
  int ret = need_file (w, field, ctl, file, alt, &found);

  if (ret < 0 || !w->apply)
    return ret;
  return lcg_write (w->c, w->host, ctl, NULL, found, value);
}

static void
format_value (const struct lcg_value *v, enum lcg_kind kind, char *buf, size_t len)
{
  if (kind == K_STRING)
    snprintf (buf, len, "%s", v->s);
  else
    snprintf (buf, len, "%lld", (long long)v->i);
}

static bool
is_unset (const struct lcg_field *f, const struct lcg_value *v)
{
  if (!f->zero_is_unset)
    return false;
  return f->kind == K_STRING ? *v->s == '\0' : v->i == 0;
}

static int
walk_fields (struct lcg_walk *w, const modrun_json *obj, const char *where,
             const struct lcg_field *f)
{
  for (; f->key; f++)
    {
      char field[128], buf[4096];
      struct lcg_value v;
      int ret = get_value (w->c, obj, where, f->key, f->kind, &v);

      if (ret < 0)
        return ret;
      if (ret == 0 || is_unset (f, &v))
        continue;
      snprintf (field, sizeof (field), "%s.%s", where, f->key);
      format_value (&v, f->kind, buf, sizeof (buf));
      ret = put (w, field, f->ctl, f->file, f->alt, buf);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
 * when both change, the swap limit goes first when it grows, last when it
 * shrinks. */
static int
walk_memory (struct lcg_walk *w, const modrun_json *mem)
{
  const char *where = WHERE ".memory";
  struct lcg_controller *ctl = lcg_host_find (w->host, "memory");
  struct lcg_value limit, swap, oom, check;
  char lbuf[32], sbuf[32];
  bool swap_first = false;
  int ret;

  if ((ret = get_value (w->c, mem, where, "limit", K_INT, &limit)) < 0
      || (ret = get_value (w->c, mem, where, "swap", K_INT, &swap)) < 0
      || (ret = get_value (w->c, mem, where, "disableOOMKiller", K_BOOL, &oom)) < 0
      || (ret = get_value (w->c, mem, where, "checkBeforeUpdate", K_BOOL, &check)) < 0)
    return ret;
  limit.present = limit.present && limit.i != 0;
  swap.present = swap.present && swap.i != 0;
  /* -1 is what a new cgroup has, and all there is without swap accounting. */
  if (swap.present && swap.i == -1
      && (w->create || ctl == NULL || !lcg_root_has (ctl, "memory.memsw.limit_in_bytes")))
    swap.present = false;
  if (limit.present && swap.present && swap.i != -1 && swap.i < limit.i && limit.i != -1)
    return w->c->svc->error (
        w->c, 0,
        "%s.swap: %lld is below the limit %lld, the swap limit counts memory and swap together",
        where, (long long)swap.i, (long long)limit.i);

  if (limit.present && swap.present && !w->create && w->apply)
    {
      char cur[64];

      swap_first
          = swap.i == -1
            || (lcg_read ("memory", w->host->path, "memory.memsw.limit_in_bytes", cur, sizeof (cur))
                    == 0
                && strtoll (cur, NULL, 10) < swap.i);
    }
  snprintf (lbuf, sizeof (lbuf), "%lld", (long long)limit.i);
  snprintf (sbuf, sizeof (sbuf), "%lld", (long long)swap.i);
  if (swap.present && swap_first
      && (ret = put (w, WHERE ".memory.swap", "memory", "memory.memsw.limit_in_bytes", NULL, sbuf))
             < 0)
    return ret;
  if (limit.present
      && (ret = put (w, WHERE ".memory.limit", "memory", "memory.limit_in_bytes", NULL, lbuf)) < 0)
    return ret;
  if (swap.present && !swap_first
      && (ret = put (w, WHERE ".memory.swap", "memory", "memory.memsw.limit_in_bytes", NULL, sbuf))
             < 0)
    return ret;
  /* A new cgroup has the OOM killer on already. */
  if (oom.present && (oom.i || !w->create)
      && (ret = put (w, WHERE ".memory.disableOOMKiller", "memory", "memory.oom_control", NULL,
                     oom.i ? "1" : "0"))
             < 0)
    return ret;
  return walk_fields (w, mem, where, memory_fields);
}

static int
walk_pids (struct lcg_walk *w, const modrun_json *pids)
{
  struct lcg_value v;
  char buf[32];
  int ret = get_value (w->c, pids, WHERE ".pids", "limit", K_INT, &v);

  /* As runc reads it: 0 is unset, a negative limit is no limit. */
  if (ret <= 0 || v.i == 0)
    return ret;
  if (v.i < 0)
    snprintf (buf, sizeof (buf), "max");
  else
    snprintf (buf, sizeof (buf), "%lld", (long long)v.i);
  return put (w, WHERE ".pids.limit", "pids", "pids.max", NULL, buf);
}

static int
walk_blkio (struct lcg_walk *w, const modrun_json *res)
{
  const char *where = WHERE ".blockIO";
  const modrun_json *blkio = NULL, *arr;
  size_t k;
  uint32_t i;
  int ret = w->c->svc->get_object (w->c, res, WHERE, "blockIO", &blkio);

  if (ret <= 0)
    return ret;
  ret = walk_fields (w, blkio, where, blkio_fields);
  for (k = 0; ret == 0 && k < sizeof (device_lists) / sizeof (device_lists[0]); k++)
    {
      bool weights = strcmp (device_lists[k].key, "weightDevice") == 0;

      ret = get_list (w->c, blkio, where, device_lists[k].key, &arr);
      if (ret < 0)
        return ret;
      for (i = 0; ret > 0 && i < arr->count; i++)
        {
          char item[96], line[96];
          struct lcg_value major, minor, v, other;

          snprintf (item, sizeof (item), "%s.%s[%u]", where, device_lists[k].key, i);
          if ((ret = get_required (w->c, arr->items[i], item, "major", K_INT, &major)) < 0
              || (ret = get_required (w->c, arr->items[i], item, "minor", K_INT, &minor)) < 0
              || (ret = get_value (w->c, arr->items[i], item, device_lists[k].member,
                                   weights ? K_UINT16 : K_UINT, &v))
                     < 0)
            return ret;
          if (weights)
            {
              ret = get_value (w->c, arr->items[i], item, k == 0 ? "leafWeight" : "weight",
                               K_UINT16, &other);
              if (ret < 0)
                return ret;
              if (!v.present && !other.present)
                return w->c->svc->error (w->c, 0, "%s: expected weight or leafWeight", item);
            }
          else if (!v.present)
            return w->c->svc->error (w->c, 0, "%s.rate: required, expected %s", item,
                                     kind_name (K_UINT));
          ret = 1;
          if (!v.present)
            continue;
          snprintf (line, sizeof (line), "%lld:%lld %lld", (long long)major.i, (long long)minor.i,
                    (long long)v.i);
          ret = put (w, item, "blkio", device_lists[k].file, device_lists[k].alt, line);
          if (ret == 0)
            ret = 1;
        }
      if (ret > 0)
        ret = 0;
    }
  return ret;
}

static int
walk_hugetlb (struct lcg_walk *w, const modrun_json *res)
{
  const modrun_json *arr;
  uint32_t i;
  int ret = get_list (w->c, res, WHERE, "hugepageLimits", &arr);

  for (i = 0; ret > 0 && i < arr->count; i++)
    {
      char where[64], file[96], value[32];
      struct lcg_value size, v;

      snprintf (where, sizeof (where), WHERE ".hugepageLimits[%u]", i);
      if ((ret = get_required (w->c, arr->items[i], where, "pageSize", K_STRING, &size)) < 0
          || (ret = get_required (w->c, arr->items[i], where, "limit", K_UINT, &v)) < 0)
        return ret;
      if (strchr (size.s, '/') != NULL
          || (size_t)snprintf (file, sizeof (file), "hugetlb.%s.limit_in_bytes", size.s)
                 >= sizeof (file))
        return w->c->svc->error (w->c, 0, "%s.pageSize: \"%s\" is not a huge page size", where,
                                 size.s);
      snprintf (value, sizeof (value), "%lld", (long long)v.i);
      ret = put (w, WHERE ".hugepageLimits", "hugetlb", file, NULL, value);
      if (ret == 0)
        ret = 1;
    }
  return ret < 0 ? ret : 0;
}

static int
walk_network (struct lcg_walk *w, const modrun_json *res)
{
  const char *where = WHERE ".network";
  const modrun_json *net = NULL, *arr;
  uint32_t i;
  int ret = w->c->svc->get_object (w->c, res, WHERE, "network", &net);

  if (ret <= 0)
    return ret;
  ret = walk_fields (w, net, where, network_fields);
  if (ret == 0)
    ret = get_list (w->c, net, where, "priorities", &arr);
  for (i = 0; ret > 0 && i < arr->count; i++)
    {
      char item[64], line[128];
      struct lcg_value name, prio;

      snprintf (item, sizeof (item), "%s.priorities[%u]", where, i);
      if ((ret = get_required (w->c, arr->items[i], item, "name", K_STRING, &name)) < 0
          || (ret = get_required (w->c, arr->items[i], item, "priority", K_UINT32, &prio)) < 0)
        return ret;
      snprintf (line, sizeof (line), "%s %lld", name.s, (long long)prio.i);
      ret = put (w, where, "net_prio", "net_prio.ifpriomap", NULL, line);
      if (ret == 0)
        ret = 1;
    }
  return ret < 0 ? ret : 0;
}

static int
walk_rdma (struct lcg_walk *w, const modrun_json *res)
{
  const modrun_json *rdma = NULL;
  uint32_t i;
  int ret = w->c->svc->get_object (w->c, res, WHERE, "rdma", &rdma);

  for (i = 0; ret > 0 && i < rdma->count; i++)
    {
      char where[128], line[256];
      struct lcg_value h, o;
      int n;

      snprintf (where, sizeof (where), WHERE ".rdma.%s", rdma->keys[i]);
      if (rdma->items[i]->type != MODRUN_JSON_OBJECT)
        return w->c->svc->error (w->c, 0, "%s: expected object, got %s", where,
                                 modrun_json_type_name (rdma->items[i]->type));
      if ((ret = get_value (w->c, rdma->items[i], where, "hcaHandles", K_UINT32, &h)) < 0
          || (ret = get_value (w->c, rdma->items[i], where, "hcaObjects", K_UINT32, &o)) < 0)
        return ret;
      if (!h.present && !o.present)
        return w->c->svc->error (w->c, 0, "%s: expected hcaHandles or hcaObjects", where);
      n = snprintf (line, sizeof (line), "%s", rdma->keys[i]);
      if (h.present)
        n += snprintf (line + n, sizeof (line) - (size_t)n, " hca_handle=%lld", (long long)h.i);
      if (o.present && (size_t)n < sizeof (line))
        snprintf (line + n, sizeof (line) - (size_t)n, " hca_object=%lld", (long long)o.i);
      ret = put (w, where, "rdma", "rdma.max", NULL, line);
      if (ret == 0)
        ret = 1;
    }
  return ret < 0 ? ret : 0;
}

/* Devices: deny everything, the config's rules in order, then the
 * defaults. On cgroup v1 they go to devices.deny and devices.allow in that
 * order, the lines of one file batched only while the other is not needed
 * in between; on cgroup2 they are a device program. */

struct lcg_rules
{
  struct lcg_dev_rule *v;
  size_t n;
};

static void
rule_line (const struct lcg_dev_rule *d, char *line, size_t len)
{
  char maj[24] = "*", min[24] = "*";

  if (d->major >= 0)
    snprintf (maj, sizeof (maj), "%lld", (long long)d->major);
  if (d->minor >= 0)
    snprintf (min, sizeof (min), "%lld", (long long)d->minor);
  if (d->type == 'a')
    snprintf (line, len, "a");
  else
    snprintf (line, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

static int
write_v1_rules (struct lcg_walk *w, const struct lcg_rules *rules)
{
  char text[4000] = "", line[96];
  const char *file = NULL;
  size_t len = 0, i;
  int ret;

  for (i = 0; i <= rules->n; i++)
    {
      const char *want = i < rules->n && rules->v[i].allow ? "devices.allow" : "devices.deny";

      if (i < rules->n)
        rule_line (&rules->v[i], line, sizeof (line));
      if (len > 0 && (i == rules->n || want != file || len + strlen (line) + 2 > sizeof (text)))
        {
          ret = lcg_write (w->c, w->host, "devices", NULL, file, text);
          if (ret < 0)
            return ret;
          len = 0;
        }
      if (i == rules->n)
        break;
      file = want;
      len += (size_t)snprintf (text + len, sizeof (text) - len, "%s%s", len > 0 ? "\n" : "", line);
    }
  return 0;
}

/* Whether a deny rule of the user's names default device D itself: same
 * type and major, and the same minor or every minor. Such a device stays
 * denied; a blanket "deny everything" does not count. */
static bool
denied_by_user (const struct lcg_rules *rules, size_t n_user, const struct lcg_dev_rule *d)
{
  size_t i;

  for (i = 0; i < n_user; i++)
    {
      const struct lcg_dev_rule *u = &rules->v[i];

      if (!u->allow && u->type == d->type && d->major >= 0 && u->major == d->major
          && (u->minor < 0 || u->minor == d->minor))
        return true;
    }
  return false;
}

static int64_t
device_number (const modrun_json *entry, const char *key)
{
  const modrun_json *v = modrun_json_get (entry, key);

  return v != NULL && v->type == MODRUN_JSON_INTEGER && v->integer >= 0 ? v->integer : -1;
}

/* The whole list, from the config's checked rules ARR (may be NULL). */
static int
collect_rules (struct lcg_walk *w, const modrun_json *arr, struct lcg_rules *rules)
{
  const modrun_json *devs = modrun_json_path (w->c->config, "linux.devices");
  size_t n_user, n_defaults = sizeof (default_devices) / sizeof (default_devices[0]), i;
  size_t max = 1 + (arr ? arr->count : 0) + n_defaults
               + (devs != NULL && devs->type == MODRUN_JSON_ARRAY ? devs->count : 0);

  rules->v = calloc (max, sizeof (*rules->v));
  if (rules->v == NULL)
    return w->c->svc->error (w->c, ENOMEM, WHERE ".devices");
  rules->v[rules->n++] = (struct lcg_dev_rule){ 'a', -1, -1, "rwm", false };
  for (i = 0; arr != NULL && i < arr->count; i++)
    {
      const modrun_json *e = arr->items[i];
      const modrun_json *type = modrun_json_get (e, "type");
      const modrun_json *access = modrun_json_get (e, "access");
      struct lcg_dev_rule *d = &rules->v[rules->n++];

      *d = (struct lcg_dev_rule){ 'a', device_number (e, "major"), device_number (e, "minor"),
                                  "rwm", modrun_json_get (e, "allow")->boolean };
      if (type != NULL && type->type == MODRUN_JSON_STRING)
        d->type = type->string[0];
      if (access != NULL && access->type == MODRUN_JSON_STRING && access->length > 0)
        d->access = access->string;
    }
  n_user = rules->n;
  for (i = 0; i < n_defaults; i++)
    if (!denied_by_user (rules, n_user, &default_devices[i]))
      rules->v[rules->n++] = default_devices[i];
  /* The nodes linux.devices asks to create are meant to be used. */
  for (i = 0; devs != NULL && devs->type == MODRUN_JSON_ARRAY && i < devs->count; i++)
    {
      const modrun_json *type = modrun_json_get (devs->items[i], "type");
      struct lcg_dev_rule d = { 'c', device_number (devs->items[i], "major"),
                                device_number (devs->items[i], "minor"), "rwm", true };

      if (type == NULL || type->type != MODRUN_JSON_STRING || d.major < 0 || d.minor < 0)
        continue;
      if (strcmp (type->string, "b") == 0)
        d.type = 'b';
      else if (strcmp (type->string, "c") != 0 && strcmp (type->string, "u") != 0)
        continue;
      if (!denied_by_user (rules, n_user, &d))
        rules->v[rules->n++] = d;
    }
  return 0;
}

static int
walk_devices (struct lcg_walk *w, const modrun_json *res)
{
  struct lcg_rules rules = { NULL, 0 };
  const modrun_json *arr = NULL;
  const char *found;
  uint32_t i;
  int ret = res ? get_list (w->c, res, WHERE, "devices", &arr) : 0;

  /* Set at every create, to the defaults when the config lists none; an
   * update changes them only when it names them. */
  if (ret < 0 || (ret == 0 && !w->create))
    return ret;
  if (!w->host->v2)
    {
      if (ret == 0 && lcg_host_find (w->host, "devices") == NULL)
        return 0;
      ret = need_file (w, WHERE ".devices", "devices", "devices.allow", NULL, &found);
      if (ret < 0)
        return ret;
    }

  for (i = 0; arr != NULL && i < arr->count; i++)
    {
      char where[64];
      struct lcg_value v;

      snprintf (where, sizeof (where), WHERE ".devices[%u]", i);
      if ((ret = get_required (w->c, arr->items[i], where, "allow", K_BOOL, &v)) < 0
          || (ret = get_value (w->c, arr->items[i], where, "major", K_INT, &v)) < 0
          || (ret = get_value (w->c, arr->items[i], where, "minor", K_INT, &v)) < 0)
        return ret;
      ret = get_value (w->c, arr->items[i], where, "type", K_STRING, &v);
      if (ret > 0 && strcmp (v.s, "a") != 0 && strcmp (v.s, "b") != 0 && strcmp (v.s, "c") != 0)
        return w->c->svc->error (w->c, 0, "%s.type: expected \"a\", \"b\" or \"c\", got \"%s\"",
                                 where, v.s);
      if (ret >= 0)
        ret = get_value (w->c, arr->items[i], where, "access", K_STRING, &v);
      if (ret < 0)
        return ret;
      if (ret > 0 && (strspn (v.s, "rwm") != strlen (v.s) || strlen (v.s) > 3))
        return w->c->svc->error (w->c, 0, "%s.access: expected letters of \"rwm\", got \"%s\"",
                                 where, v.s);
    }
  if (!w->apply)
    return 0;

  ret = collect_rules (w, arr, &rules);
  if (ret == 0 && !w->host->v2)
    ret = write_v1_rules (w, &rules);
  else if (ret == 0)
    {
      char dir[PATH_MAX];

      snprintf (dir, sizeof (dir), "%s%s", w->host->ctl[0].mount, w->host->path);
      ret = lcg_bpf_devices (w->c, dir, rules.v, rules.n);
    }
  free (rules.v);
  return ret;
}

/* cgroup2: the same fields, in the files and units of cgroup2. */

static int
refuse_v2 (struct lcg_walk *w, const char *where, const char *key, const char *why)
{
  return w->c->svc->error (w->c, 0, "%s.%s: not supported on cgroup v2: %s", where, key, why);
}

static int
walk_memory_v2 (struct lcg_walk *w, const modrun_json *mem)
{
  const char *where = WHERE ".memory";
  struct lcg_value limit, swap, resv, v;
  char buf[32];
  int ret;

  if ((ret = get_value (w->c, mem, where, "limit", K_INT, &limit)) < 0
      || (ret = get_value (w->c, mem, where, "swap", K_INT, &swap)) < 0
      || (ret = get_value (w->c, mem, where, "reservation", K_INT, &resv)) < 0)
    return ret;
  if ((ret = get_value (w->c, mem, where, "swappiness", K_PERCENT, &v)) != 0)
    return ret < 0 ? ret : refuse_v2 (w, where, "swappiness", "there is no per-cgroup swappiness");
  if ((ret = get_value (w->c, mem, where, "kernel", K_INT, &v)) < 0
      || (v.present && v.i != 0 && (ret = refuse_v2 (w, where, "kernel", "no kernel memory limit")))
      || (ret = get_value (w->c, mem, where, "kernelTCP", K_INT, &v)) < 0
      || (v.present && v.i != 0
          && (ret = refuse_v2 (w, where, "kernelTCP", "no kernel TCP memory limit")))
      || (ret = get_value (w->c, mem, where, "disableOOMKiller", K_BOOL, &v)) < 0
      || (v.present && v.i
          && (ret = refuse_v2 (w, where, "disableOOMKiller", "the OOM killer is always on"))))
    return ret;

  if (limit.present && limit.i != 0)
    {
      snprintf (buf, sizeof (buf), limit.i < 0 ? "max" : "%lld", (long long)limit.i);
      if ((ret = put (w, WHERE ".memory.limit", "memory", "memory.max", NULL, buf)) < 0)
        return ret;
    }
  if (resv.present && resv.i != 0)
    {
      snprintf (buf, sizeof (buf), resv.i < 0 ? "max" : "%lld", (long long)resv.i);
      if ((ret = put (w, WHERE ".memory.reservation", "memory", "memory.low", NULL, buf)) < 0)
        return ret;
    }
  if (!swap.present || swap.i == 0)
    return 0;
  /* OCI counts memory and swap together; memory.swap.max is swap alone. */
  if (swap.i < 0)
    snprintf (buf, sizeof (buf), "max");
  else if (!limit.present || limit.i <= 0)
    return w->c->svc->error (w->c, 0, "%s.swap: a memory+swap limit needs memory.limit too", where);
  else if (swap.i < limit.i)
    return w->c->svc->error (
        w->c, 0,
        "%s.swap: %lld is below the limit %lld, the swap limit counts memory and swap together",
        where, (long long)swap.i, (long long)limit.i);
  else
    snprintf (buf, sizeof (buf), "%lld", (long long)(swap.i - limit.i));
  return put (w, WHERE ".memory.swap", "memory", "memory.swap.max", NULL, buf);
}

static int
walk_cpu_v2 (struct lcg_walk *w, const modrun_json *cpu)
{
  const char *where = WHERE ".cpu";
  struct lcg_value shares, quota, period, v;
  char buf[64];
  int ret;

  if ((ret = get_value (w->c, cpu, where, "shares", K_UINT, &shares)) < 0
      || (ret = get_value (w->c, cpu, where, "quota", K_INT, &quota)) < 0
      || (ret = get_value (w->c, cpu, where, "period", K_UINT, &period)) < 0)
    return ret;
  if ((ret = get_value (w->c, cpu, where, "realtimeRuntime", K_INT, &v)) < 0
      || (v.present && v.i != 0
          && (ret = refuse_v2 (w, where, "realtimeRuntime", "no realtime scheduling limits")))
      || (ret = get_value (w->c, cpu, where, "realtimePeriod", K_UINT, &v)) < 0
      || (v.present && v.i != 0
          && (ret = refuse_v2 (w, where, "realtimePeriod", "no realtime scheduling limits"))))
    return ret;

  if (shares.present && shares.i != 0)
    {
      if (shares.i < 2 || shares.i > 262144)
        return w->c->svc->error (w->c, 0, "%s.shares: expected 2 to 262144, got %lld", where,
                                 (long long)shares.i);
      /* cpu.weight takes 1 to 10000 for the shares' 2 to 262144. */
      snprintf (buf, sizeof (buf), "%lld", 1 + ((long long)shares.i - 2) * 9999 / 262142);
      if ((ret = put (w, WHERE ".cpu.shares", "cpu", "cpu.weight", NULL, buf)) < 0)
        return ret;
    }
  quota.present = quota.present && quota.i != 0;
  period.present = period.present && period.i != 0;
  if (quota.present || period.present)
    {
      /* cpu.max holds both: what the config leaves out stays as it is. */
      char cur[64] = "max 100000", q[32], *sp;

      if (!w->create && w->apply)
        lcg_read ("cpu", w->host->path, "cpu.max", cur, sizeof (cur));
      sp = strchr (cur, ' ');
      if (sp != NULL)
        *sp++ = '\0';
      if (quota.present)
        snprintf (q, sizeof (q), quota.i < 0 ? "max" : "%lld", (long long)quota.i);
      else
        snprintf (q, sizeof (q), "%s", cur);
      if (period.present)
        snprintf (buf, sizeof (buf), "%s %lld", q, (long long)period.i);
      else
        snprintf (buf, sizeof (buf), "%s %s", q, sp ? sp : "100000");
      if ((ret = put (w, quota.present ? WHERE ".cpu.quota" : WHERE ".cpu.period", "cpu", "cpu.max",
                      NULL, buf))
          < 0)
        return ret;
    }
  return walk_fields (w, cpu, where, cpu_fields_v2);
}

/* io.weight takes 1 to 10000 where blkio took 10 to 1000. */
static long long
io_weight (int64_t blkio)
{
  return 1 + ((long long)blkio - 10) * 9999 / 990;
}

static int
walk_io_v2 (struct lcg_walk *w, const modrun_json *res)
{
  static const char *const keys[] = { "rbps", "wbps", "riops", "wiops" };
  const char *where = WHERE ".blockIO";
  const modrun_json *blkio = NULL, *arr;
  struct lcg_value v;
  char buf[128];
  size_t k;
  uint32_t i;
  int ret = w->c->svc->get_object (w->c, res, WHERE, "blockIO", &blkio);

  if (ret <= 0)
    return ret;
  if ((ret = get_value (w->c, blkio, where, "leafWeight", K_UINT16, &v)) != 0)
    return ret < 0 ? ret : refuse_v2 (w, where, "leafWeight", "there is no leaf weight");
  if ((ret = get_value (w->c, blkio, where, "weight", K_UINT16, &v)) < 0)
    return ret;
  if (v.present && v.i != 0)
    {
      if (v.i < 10 || v.i > 1000)
        return w->c->svc->error (w->c, 0, "%s.weight: expected 10 to 1000, got %lld", where,
                                 (long long)v.i);
      snprintf (buf, sizeof (buf), "default %lld", io_weight (v.i));
      if ((ret = put (w, WHERE ".blockIO.weight", "io", "io.weight", NULL, buf)) < 0)
        return ret;
    }
  for (k = 0; k < sizeof (device_lists) / sizeof (device_lists[0]); k++)
    {
      bool weights = strcmp (device_lists[k].key, "weightDevice") == 0;

      /* The two weight lists are the same array; it is read once. */
      if (weights && k > 0)
        continue;
      ret = get_list (w->c, blkio, where, device_lists[k].key, &arr);
      for (i = 0; ret > 0 && i < arr->count; i++)
        {
          char item[96];
          struct lcg_value major, minor;

          snprintf (item, sizeof (item), "%s.%s[%u]", where, device_lists[k].key, i);
          if ((ret = get_required (w->c, arr->items[i], item, "major", K_INT, &major)) < 0
              || (ret = get_required (w->c, arr->items[i], item, "minor", K_INT, &minor)) < 0)
            return ret;
          if (weights && (ret = get_value (w->c, arr->items[i], item, "leafWeight", K_UINT16, &v)))
            return ret < 0 ? ret : refuse_v2 (w, item, "leafWeight", "there is no leaf weight");
          if (weights)
            {
              if ((ret = get_required (w->c, arr->items[i], item, "weight", K_UINT16, &v)) < 0)
                return ret;
              if (v.i < 10 || v.i > 1000)
                return w->c->svc->error (w->c, 0, "%s.weight: expected 10 to 1000, got %lld", item,
                                         (long long)v.i);
              snprintf (buf, sizeof (buf), "%lld:%lld %lld", (long long)major.i, (long long)minor.i,
                        io_weight (v.i));
              ret = put (w, item, "io", "io.weight", NULL, buf);
            }
          else
            {
              if ((ret = get_required (w->c, arr->items[i], item, "rate", K_UINT, &v)) < 0)
                return ret;
              snprintf (buf, sizeof (buf), "%lld:%lld %s=%lld", (long long)major.i,
                        (long long)minor.i, keys[k - 2], (long long)v.i);
              ret = put (w, item, "io", "io.max", NULL, buf);
            }
          if (ret == 0)
            ret = 1;
        }
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
walk_hugetlb_v2 (struct lcg_walk *w, const modrun_json *res)
{
  const modrun_json *arr;
  uint32_t i;
  int ret = get_list (w->c, res, WHERE, "hugepageLimits", &arr);

  for (i = 0; ret > 0 && i < arr->count; i++)
    {
      char where[64], file[96], value[32];
      struct lcg_value size, v;

      snprintf (where, sizeof (where), WHERE ".hugepageLimits[%u]", i);
      if ((ret = get_required (w->c, arr->items[i], where, "pageSize", K_STRING, &size)) < 0
          || (ret = get_required (w->c, arr->items[i], where, "limit", K_UINT, &v)) < 0)
        return ret;
      if (strchr (size.s, '/') != NULL
          || (size_t)snprintf (file, sizeof (file), "hugetlb.%s.max", size.s) >= sizeof (file))
        return w->c->svc->error (w->c, 0, "%s.pageSize: \"%s\" is not a huge page size", where,
                                 size.s);
      snprintf (value, sizeof (value), "%lld", (long long)v.i);
      ret = put (w, where, "hugetlb", file, NULL, value);
      if (ret == 0)
        ret = 1;
    }
  return ret < 0 ? ret : 0;
}

/* linux.resources.unified: "CONTROLLER.FILE": "VALUE", written as given;
 * "cgroup.*" files are cgroup2's own. */
static int
walk_unified (struct lcg_walk *w, const modrun_json *res)
{
  const modrun_json *uni = NULL;
  uint32_t i;
  int ret = w->c->svc->get_object (w->c, res, WHERE, "unified", &uni);

  for (i = 0; ret > 0 && i < uni->count; i++)
    {
      const char *key = uni->keys[i], *dot = strchr (key, '.');
      char where[192], ctl[64];
      const modrun_json *v = uni->items[i];

      snprintf (where, sizeof (where), WHERE ".unified.%s", key);
      if (v->type != MODRUN_JSON_STRING)
        return w->c->svc->error (w->c, 0, "%s: expected string, got %s", where,
                                 modrun_json_type_name (v->type));
      if (dot == NULL || dot == key || strchr (key, '/') != NULL
          || (size_t)(dot - key) >= sizeof (ctl))
        return w->c->svc->error (w->c, 0, "%s: expected a file name CONTROLLER.NAME", where);
      snprintf (ctl, sizeof (ctl), "%.*s", (int)(dot - key), key);
      if (strcmp (ctl, "cgroup") == 0)
        ret = w->apply ? lcg_write (w->c, w->host, ctl, NULL, key, v->string) : 0;
      else
        ret = put (w, where, ctl, key, NULL, v->string);
      if (ret == 0)
        ret = 1;
    }
  return ret < 0 ? ret : 0;
}

static int
walk_resources_v2 (struct lcg_walk *w, const modrun_json *res)
{
  const struct modrun_services *svc = w->c->svc;
  const modrun_json *obj;
  int ret;

  if ((ret = svc->get_object (w->c, res, WHERE, "network", &obj)) > 0
      && (modrun_json_get (obj, "classID") != NULL || modrun_json_get (obj, "priorities") != NULL))
    return refuse_v2 (w, WHERE, "network", "there is no net_cls or net_prio controller");
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "memory", &obj)) > 0)
    ret = walk_memory_v2 (w, obj);
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "cpu", &obj)) > 0)
    ret = walk_cpu_v2 (w, obj);
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "pids", &obj)) > 0)
    ret = walk_pids (w, obj);
  if (ret >= 0)
    ret = walk_io_v2 (w, res);
  if (ret >= 0)
    ret = walk_hugetlb_v2 (w, res);
  if (ret >= 0)
    ret = walk_rdma (w, res);
  /* Last, so that a value in it has the final word. */
  if (ret >= 0)
    ret = walk_unified (w, res);
  if (ret >= 0)
    ret = walk_devices (w, res);
  return ret < 0 ? ret : 0;
}

static int
walk_resources (struct lcg_walk *w, const modrun_json *res)
{
  const struct modrun_services *svc = w->c->svc;
  const modrun_json *obj;
  int ret;

  if (res == NULL)
    return w->create ? walk_devices (w, NULL) : 0;
  if (res->type != MODRUN_JSON_OBJECT)
    return svc->error (w->c, 0, WHERE ": expected object, got %s",
                       modrun_json_type_name (res->type));
  if (w->host->v2)
    return walk_resources_v2 (w, res);

  ret = svc->get_object (w->c, res, WHERE, "unified", &obj);
  if (ret > 0 && obj->count > 0)
    return svc->error (w->c, 0, WHERE ".unified: only supported by cgroup v2 backends");
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "memory", &obj)) > 0)
    ret = walk_memory (w, obj);
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "cpu", &obj)) > 0)
    ret = walk_fields (w, obj, WHERE ".cpu", cpu_fields);
  if (ret >= 0 && (ret = svc->get_object (w->c, res, WHERE, "pids", &obj)) > 0)
    ret = walk_pids (w, obj);
  if (ret >= 0)
    ret = walk_blkio (w, res);
  if (ret >= 0)
    ret = walk_hugetlb (w, res);
  if (ret >= 0)
    ret = walk_network (w, res);
  if (ret >= 0)
    ret = walk_rdma (w, res);
  if (ret >= 0)
    ret = walk_devices (w, res);
  return ret < 0 ? ret : 0;
}

int
lcg_validate_resources (struct modrun_container *c, struct lcg_host *host, const modrun_json *res,
                        bool create)
{
  struct lcg_walk w = { c, host, false, create };

  return walk_resources (&w, res);
}

int
lcg_apply_resources (struct modrun_container *c, struct lcg_host *host, const modrun_json *res,
                     bool create)
{
  struct lcg_walk w = { c, host, true, create };

  return walk_resources (&w, res);
}
