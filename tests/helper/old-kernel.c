/* old-kernel: runs COMMAND as if the kernel did not know some seccomp
   filter flags.  It installs a filter on itself, inherited by COMMAND and
   everything it starts, under which seccomp(SECCOMP_SET_MODE_FILTER, FLAGS,
   ...) fails with EINVAL whenever FLAGS has a bit of MASK: what a kernel
   older than those flags answers.  Usage: old-kernel MASK COMMAND [ARG...],
   MASK a number (0x... for hex).  Exits 2 on a usage error, 3 where it
   cannot emulate (an architecture it does not know), else execs.  */

#include "config.h"

#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && __BYTE_ORDER == __LITTLE_ENDIAN
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#endif

/* The low 32 bits of argument N. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG_LOW(n) (offsetof (struct seccomp_data, args[n]))
#else
#define ARG_LOW(n) (offsetof (struct seccomp_data, args[n]) + 4)
#endif

int
main (int argc, char **argv)
{
  unsigned long mask;
  char *end;

  if (argc < 3)
    {
      fputs ("usage: old-kernel MASK COMMAND [ARG...]\n", stderr);
      return 2;
    }
  errno = 0;
  mask = strtoul (argv[1], &end, 0);
  if (errno != 0 || end == argv[1] || *end != '\0' || mask == 0 || mask > 0xffffffffUL)
    {
      fprintf (stderr, "old-kernel: \"%s\": expected a non-zero 32-bit mask\n", argv[1]);
      return 2;
    }
#ifndef NATIVE_ARCH
  fputs ("old-kernel: this architecture is not known here\n", stderr);
  return 3;
#else
  {
    struct sock_filter insns[] = {
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
      BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, 6),
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
      BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 4),
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, ARG_LOW (0)),
      BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 0, 2),
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, ARG_LOW (1)),
      BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, (unsigned)mask, 1, 0),
      BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
    };
    struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };

    /* As root with CAP_SYS_ADMIN, no no_new_privs: COMMAND keeps setuid
       and file capabilities as it would on such a kernel.  */
    if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
      {
        fprintf (stderr, "old-kernel: seccomp: %s\n", strerror (errno));
        return 1;
      }
  }
  execvp (argv[2], argv + 2);
  fprintf (stderr, "old-kernel: %s: %s\n", argv[2], strerror (errno));
  return 127;
#endif
}
