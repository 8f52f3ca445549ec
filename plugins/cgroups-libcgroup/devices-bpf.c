/* cgroups-libcgroup: the device rules of a cgroup2 host. cgroup2 has no
 * devices controller: the rules are a BPF_PROG_TYPE_CGROUP_DEVICE program
 * attached to the cgroup, which libcgroup cannot make, so it is built and
 * attached here with the bpf system call.
 *
 * The program holds the same list the v1 files get: deny everything, the
 * config's rules in order, then the default devices. The last rule that
 * matches an access decides, so the program tests them from the last to
 * the first and returns at the first match; no match denies. An allow
 * rule matches when it grants every access asked for, a deny rule when it
 * takes away any of them, as the v1 controller decides. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups-libcgroup.h"

/* Registers: R1 the context, R2 the access asked for, R3 the device type,
 * R4 its major, R5 its minor, R6 scratch, R0 the verdict. */
#define LCG_ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
/* The most instructions one rule takes. */
#define LCG_RULE_INSNS 10

struct lcg_prog
{
  struct bpf_insn *insn;
  size_t n, cap;
};

static void
emit (struct lcg_prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn *i = &p->insn[p->n++];

  memset (i, 0, sizeof (*i));
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
}

static unsigned int
access_bits (const char *access)
{
  unsigned int bits = 0;

  for (; *access; access++)
    bits |= *access == 'r'   ? BPF_DEVCG_ACC_READ
            : *access == 'w' ? BPF_DEVCG_ACC_WRITE
            : *access == 'm' ? BPF_DEVCG_ACC_MKNOD
                             : 0;
  return bits;
}

/* One rule; its tests jump past its end when they fail. Returns whether
 * it had none, so that it decides every access that reaches it. */
static bool
emit_rule (struct lcg_prog *p, const struct lcg_dev_rule *r)
{
  unsigned int access = access_bits (r->access);
  size_t jumps[LCG_RULE_INSNS], n_jumps = 0, k;

  if (r->type != 'a')
    {
      jumps[n_jumps++] = p->n;
      emit (p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, 0,
            r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    }
  if (access != LCG_ACC_ALL)
    {
      /* Allow: something asked for that the rule does not grant. Deny:
       * nothing asked for that the rule takes away. */
      emit (p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0);
      emit (p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0,
            (int32_t)(r->allow ? LCG_ACC_ALL & ~access : access));
      jumps[n_jumps++] = p->n;
      emit (p, BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, 6, 0, 0, 0);
    }
  if (r->type != 'a' && r->major >= 0)
    {
      jumps[n_jumps++] = p->n;
      emit (p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t)r->major);
    }
  if (r->type != 'a' && r->minor >= 0)
    {
      jumps[n_jumps++] = p->n;
      emit (p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)r->minor);
    }
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  /* A jump's offset counts from the instruction after it. */
  for (k = 0; k < n_jumps; k++)
    p->insn[jumps[k]].off = (int16_t)(p->n - jumps[k] - 1);
  return n_jumps == 0;
}

static int
build (const struct lcg_dev_rule *rules, size_t n, struct lcg_prog *p)
{
  size_t i;

  p->cap = 6 + (n + 1) * LCG_RULE_INSNS;
  p->insn = calloc (p->cap, sizeof (*p->insn));
  if (p->insn == NULL)
    return -ENOMEM;
  /* R2 = access_type >> 16, R3 = access_type & 0xffff, R4 = major, R5 = minor. */
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 2, 1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  emit (p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
  emit (p, BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
  emit (p, BPF_ALU64 | BPF_RSH | BPF_K, 2, 0, 0, 16);
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 4, 1, offsetof (struct bpf_cgroup_dev_ctx, major), 0);
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 5, 1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0);
  /* The verifier refuses code no path reaches: what follows a rule that
   * decides everything is left out. */
  for (i = n; i-- > 0;)
    if (emit_rule (p, &rules[i]))
      return 0;
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

/* The ids of the device programs attached to DIRFD, at most *N. */
static int
attached (int dirfd, uint32_t *ids, uint32_t *n)
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
detach (int dirfd, uint32_t id)
{
  union bpf_attr attr;
  int fd, ret = 0;

  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
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

/* Loads the program; a file descriptor, or -1 and errno. */
static int
load (const struct lcg_prog *p, char *log, size_t log_len)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p->insn;
  attr.insn_cnt = (uint32_t)p->n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  if (log != NULL)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = (uint32_t)log_len;
      attr.log_level = 1;
    }
  return sys_bpf (BPF_PROG_LOAD, &attr);
}

int
lcg_bpf_devices (struct modrun_container *c, const char *dir, const struct lcg_dev_rule *rules,
                 size_t n)
{
  struct lcg_prog p = { NULL, 0, 0 };
  uint32_t old[64], n_old = 64, i;
  char log[4096] = "";
  union bpf_attr attr;
  int prog, dirfd, ret;

  if (build (rules, n, &p) < 0)
    return c->svc->error (c, ENOMEM, "the device program of %s", dir);
  prog = load (&p, NULL, 0);
  if (prog < 0)
    {
      /* Again with the verifier's log, only to say why: the first load
       * has none, as a log too small for the verifier's whole trace fails
       * a program that would load. */
      int again;

      ret = errno;
      again = load (&p, log, sizeof (log));
      if (again >= 0)
        close (again);
      free (p.insn);
      c->svc->log (c, MODRUN_LOG_DEBUG, LCG_NAME ": the verifier says: %s", log);
      return c->svc->error (c, ret, "load the device program of %s", dir);
    }
  free (p.insn);

  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      ret = c->svc->error (c, errno, "open %s", dir);
      close (prog);
      return ret;
    }
  /* The programs there before this one (an update's) go once it is in,
   * so no access is decided by none in between. */
  if (attached (dirfd, old, &n_old) < 0)
    n_old = 0;
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  ret = sys_bpf (BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0;
  close (prog);
  if (ret < 0)
    {
      close (dirfd);
      return c->svc->error (c, -ret, "attach the device program to %s", dir);
    }
  for (i = 0; i < n_old && ret == 0; i++)
    ret = detach (dirfd, old[i]);
  close (dirfd);
  if (ret < 0)
    return c->svc->error (c, -ret, "detach the previous device program of %s", dir);
  return 0;
}
