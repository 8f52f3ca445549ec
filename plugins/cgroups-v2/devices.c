/* cgroups-v2: linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the container's cgroup.
 *
 * The rules are kept in config order and the last rule that matches an
 * access decides it; nothing matching means deny. The program tests the
 * rules from the last to the first and returns at the first match. After
 * the config's rules come the devices every container gets (mknod of any
 * node, the null, zero, full, random, urandom, tty, console and ptmx
 * devices, pseudo-terminals, tun), so they stay usable whatever the config
 * denies with wildcards; a deny rule naming one of them exactly (type,
 * major and minor) takes it out of that list. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups-v2.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

struct cg2_dev_rule
{
  char type;     /* 'a', 'c' or 'b' */
  int64_t major; /* -1: any */
  int64_t minor; /* -1: any */
  unsigned int access;
  bool allow;
};

static const struct cg2_dev_rule default_rules[] = {
  { 'c', -1, -1, BPF_DEVCG_ACC_MKNOD, true }, /* mknod of any node */
  { 'b', -1, -1, BPF_DEVCG_ACC_MKNOD, true },
  { 'c', 1, 3, ACC_ALL, true },    /* null */
  { 'c', 1, 5, ACC_ALL, true },    /* zero */
  { 'c', 1, 7, ACC_ALL, true },    /* full */
  { 'c', 1, 8, ACC_ALL, true },    /* random */
  { 'c', 1, 9, ACC_ALL, true },    /* urandom */
  { 'c', 5, 0, ACC_ALL, true },    /* tty */
  { 'c', 5, 1, ACC_ALL, true },    /* console */
  { 'c', 5, 2, ACC_ALL, true },    /* ptmx */
  { 'c', 136, -1, ACC_ALL, true }, /* pseudo-terminals */
  { 'c', 10, 200, ACC_ALL, true }, /* tun */
};

#define N_DEFAULT (sizeof (default_rules) / sizeof (default_rules[0]))

static int
parse_rule (struct modrun_container *c, const modrun_json *d, uint32_t i, struct cg2_dev_rule *r)
{
  const char *type = NULL, *access = NULL, *p;
  char where[64];
  int ret, allow = 0;

  snprintf (where, sizeof (where), "linux.resources.devices[%u]", i);
  if (d == NULL || d->type != MODRUN_JSON_OBJECT)
    return c->svc->error (c, 0, "%s: expected object, got %s", where,
                          modrun_json_type_name (d ? d->type : MODRUN_JSON_NULL));
  r->major = r->minor = -1;
  if ((ret = c->svc->get_bool (c, d, where, "allow", &allow)) < 0
      || (ret = c->svc->get_string (c, d, where, "type", &type)) < 0
      || (ret = c->svc->get_string (c, d, where, "access", &access)) < 0
      || (ret = c->svc->get_int (c, d, where, "major", &r->major)) < 0
      || (ret = c->svc->get_int (c, d, where, "minor", &r->minor)) < 0)
    return ret;
  if (modrun_json_get (d, "allow") == NULL)
    return c->svc->error (c, 0, "%s.allow: expected boolean, got nothing", where);
  r->allow = allow != 0;
  if (type == NULL || *type == '\0')
    r->type = 'a';
  else if (strcmp (type, "a") == 0 || strcmp (type, "c") == 0 || strcmp (type, "b") == 0)
    r->type = type[0];
  else
    return c->svc->error (c, 0, "%s.type: expected \"a\", \"c\" or \"b\", got \"%s\"", where, type);
  if (r->major < -1 || r->major > UINT32_MAX || r->minor < -1 || r->minor > UINT32_MAX)
    return c->svc->error (c, 0, "%s: expected a device number or -1, got %" PRId64 ":%" PRId64,
                          where, r->major, r->minor);
  r->access = 0;
  if (access == NULL || *access == '\0')
    r->access = ACC_ALL;
  for (p = access; p != NULL && *p; p++)
    {
      if (*p == 'r')
        r->access |= BPF_DEVCG_ACC_READ;
      else if (*p == 'w')
        r->access |= BPF_DEVCG_ACC_WRITE;
      else if (*p == 'm')
        r->access |= BPF_DEVCG_ACC_MKNOD;
      else
        return c->svc->error (c, 0, "%s.access: expected letters of \"rwm\", got \"%s\"", where,
                              access);
    }
  return 0;
}

int
cg2_validate_devices (struct modrun_container *c, const modrun_json *devices)
{
  struct cg2_dev_rule r;
  uint32_t i;
  int ret;

  for (i = 0; devices != NULL && i < devices->count; i++)
    if ((ret = parse_rule (c, devices->items[i], i, &r)) < 0)
      return ret;
  return 0;
}

/* The program under construction. */
struct cg2_prog
{
  struct bpf_insn *insn;
  size_t n;
  size_t cap;
};

static int
emit (struct cg2_prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn *grown;

  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      grown = realloc (p->insn, p->cap * sizeof (*grown));
      if (grown == NULL)
        return -ENOMEM;
      p->insn = grown;
    }
  memset (&p->insn[p->n], 0, sizeof (p->insn[0]));
  p->insn[p->n].code = code;
  p->insn[p->n].dst_reg = dst & 0xf;
  p->insn[p->n].src_reg = src & 0xf;
  p->insn[p->n].off = off;
  p->insn[p->n].imm = imm;
  p->n++;
  return 0;
}

/* Registers the program keeps the access in: R2 device type, R3 access
 * bits, R4 major, R5 minor. R1 holds the context on entry. */
enum
{
  R0 = 0,
  R1,
  R2,
  R3,
  R4,
  R5
};

static int
emit_prologue (struct cg2_prog *p)
{
  int ret = 0;

  ret |= emit (p, BPF_LDX | BPF_W | BPF_MEM, R2, R1,
               offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  ret |= emit (p, BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  ret |= emit (p, BPF_LDX | BPF_W | BPF_MEM, R3, R1,
               offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  ret |= emit (p, BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
  ret |= emit (p, BPF_LDX | BPF_W | BPF_MEM, R4, R1, offsetof (struct bpf_cgroup_dev_ctx, major),
               0);
  ret |= emit (p, BPF_LDX | BPF_W | BPF_MEM, R5, R1, offsetof (struct bpf_cgroup_dev_ctx, minor),
               0);
  return ret ? -ENOMEM : 0;
}

/* One rule: a test per constraint, each jumping past the block when the
 * access does not match, then the verdict. */
static int
emit_rule (struct cg2_prog *p, const struct cg2_dev_rule *r)
{
  bool partial = (r->access & ACC_ALL) != ACC_ALL;
  int len = 2, k = 0, ret = 0;

  len += r->type != 'a' ? 1 : 0;
  len += partial ? 3 : 0;
  len += r->major >= 0 ? 1 : 0;
  len += r->minor >= 0 ? 1 : 0;

  if (r->type != 'a')
    {
      ret |= emit (p, BPF_JMP | BPF_JNE | BPF_K, R2, 0, (int16_t)(len - k - 1),
                   r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
      k++;
    }
  if (partial)
    {
      /* An allow rule covers an access all of whose bits it grants; a
       * deny rule, one that asks for any bit it denies. */
      ret |= emit (p, BPF_ALU | BPF_MOV | BPF_X, R0, R3, 0, 0);
      k++;
      ret |= emit (p, BPF_ALU | BPF_AND | BPF_K, R0, 0, 0,
                   (int32_t)(r->allow ? (~r->access & ACC_ALL) : r->access));
      k++;
      ret |= emit (p, BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, R0, 0,
                   (int16_t)(len - k - 1), 0);
      k++;
    }
  if (r->major >= 0)
    {
      ret |= emit (p, BPF_JMP | BPF_JNE | BPF_K, R4, 0, (int16_t)(len - k - 1), (int32_t)r->major);
      k++;
    }
  if (r->minor >= 0)
    {
      ret |= emit (p, BPF_JMP | BPF_JNE | BPF_K, R5, 0, (int16_t)(len - k - 1), (int32_t)r->minor);
      k++;
    }
  ret |= emit (p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0);
  ret |= emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return ret ? -ENOMEM : 0;
}

static bool
matches_all (const struct cg2_dev_rule *r)
{
  return r->type == 'a' && r->major < 0 && r->minor < 0 && (r->access & ACC_ALL) == ACC_ALL;
}

/* Whether a deny rule of the config names default device D exactly. */
static bool
denied_exactly (const struct cg2_dev_rule *rules, size_t n, const struct cg2_dev_rule *d)
{
  size_t i;

  if (d->major < 0 || d->minor < 0)
    return false;
  for (i = 0; i < n; i++)
    if (!rules[i].allow && rules[i].type == d->type && rules[i].major == d->major
        && rules[i].minor == d->minor)
      return true;
  return false;
}

static int
build (struct modrun_container *c, const modrun_json *devices, struct cg2_prog *p)
{
  struct cg2_dev_rule *rules;
  size_t n_user = devices ? devices->count : 0, n = 0, i;
  int ret;

  rules = calloc (n_user + N_DEFAULT, sizeof (*rules));
  if (rules == NULL)
    return c->svc->error (c, ENOMEM, "linux.resources.devices");
  for (i = 0; i < n_user; i++)
    if ((ret = parse_rule (c, devices->items[i], (uint32_t)i, &rules[n++])) < 0)
      goto out;
  for (i = 0; i < N_DEFAULT; i++)
    if (!denied_exactly (rules, n_user, &default_rules[i]))
      rules[n++] = default_rules[i];

  ret = emit_prologue (p);
  for (i = n; ret == 0 && i > 0; i--)
    {
      ret = emit_rule (p, &rules[i - 1]);
      /* A rule matching every access ends the program: the verifier
       * refuses code that cannot be reached. */
      if (matches_all (&rules[i - 1]))
        break;
    }
  if (ret == 0 && i == 0)
    ret = emit (p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
  if (ret == 0 && i == 0)
    ret = emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  if (ret < 0)
    ret = c->svc->error (c, ENOMEM, "linux.resources.devices");
  else if (p->n > 4096)
    ret = c->svc->error (
        c, E2BIG,
        "linux.resources.devices: %zu rules make a device program longer than the kernel takes",
        n_user);
out:
  free (rules);
  return ret;
}

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
load_program (struct modrun_container *c, struct cg2_prog *p)
{
  static char log[8192];
  union bpf_attr attr;
  int fd, err;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p->insn;
  attr.insn_cnt = (uint32_t)p->n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  fd = (int)sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  err = errno;
  if (err == EPERM || err == ENOSYS)
    return c->svc->error (c, err, "linux.resources.devices: cannot load the device program (bpf)");

  /* Load again with the verifier's log, to say why. */
  log[0] = '\0';
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof (log);
  attr.log_level = 1;
  fd = (int)sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  log[sizeof (log) - 1] = '\0';
  return c->svc->error (
      c, err,
      "linux.resources.devices: the kernel refused the device program (%zu instructions): %.300s",
      p->n, log);
}

/* The ids of the device programs attached to the cgroup of DIRFD. */
static int
attached_programs (int dirfd, uint32_t *ids, uint32_t *n)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t)dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return -errno;
  *n = attr.query.prog_cnt;
  return 0;
}

static int
detach_program (int dirfd, uint32_t id)
{
  union bpf_attr attr;
  int fd, ret = 0;

  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  fd = (int)sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    ret = -errno;
  close (fd);
  return ret;
}

int
cg2_apply_devices (struct modrun_container *c, const char *dir, const modrun_json *devices)
{
  struct cg2_prog prog = { 0 };
  cleanup_cg2_close int dirfd = -1, progfd = -1;
  uint32_t old[64], n_old = 64, i;
  union bpf_attr attr;
  int ret;

  ret = build (c, devices, &prog);
  if (ret == 0)
    {
      progfd = load_program (c, &prog);
      ret = progfd < 0 ? progfd : 0;
    }
  free (prog.insn);
  if (ret < 0)
    return ret;

  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return c->svc->error (c, errno, "%s: cannot open", dir);
  if (attached_programs (dirfd, old, &n_old) < 0)
    n_old = 0;

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return c->svc->error (c, errno,
                          "linux.resources.devices: cannot attach the device program to %s", dir);
  c->svc->log (c, MODRUN_LOG_DEBUG, "cgroups-v2: device program attached to %s", dir);

  /* The new program is in force: the old ones can go. */
  for (i = 0; i < n_old && i < 64; i++)
    {
      ret = detach_program (dirfd, old[i]);
      if (ret < 0)
        return c->svc->error (
            c, -ret,
            "linux.resources.devices: cannot detach the previous device program %u from %s", old[i],
            dir);
    }
  return 0;
}
