/* landlock: what the kernel's Landlock offers, and the access rights the
 * plugin asks of it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/landlock.h>
#include <sys/syscall.h>

#include "landlock-plugin.h"

/* The rights of ABI 1: execute up to making symlinks. */
#define LL_FS_ABI1 ((LL_FS_MAKE_SYM << 1) - 1)

int
ll_abi_from_probe (long ret, int errnum, const char **why)
{
  if (ret >= 1)
    return ret > INT_MAX ? INT_MAX : (int)ret;
  switch (errnum)
    {
    case ENOSYS:
      *why = "the kernel is built without it (CONFIG_SECURITY_LANDLOCK), or a seccomp filter "
             "hides its system calls";
      break;
    case EOPNOTSUPP:
      *why = "it is built into the kernel but not enabled (add landlock to the lsm= boot "
             "parameter)";
      break;
    default:
      *why = "the kernel does not tell its version";
      break;
    }
  return 0;
}

int
ll_abi_detect (struct modrun_container *c)
{
  const char *why = NULL;
  long ret;
  int errnum, abi;

  ret = syscall (SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  errnum = ret < 0 ? errno : 0;
  abi = ll_abi_from_probe (ret, errnum, &why);
  if (abi > 0)
    return abi;
  return c->svc->error (c, errnum, "Landlock is not available: %s", why);
}

uint64_t
ll_fs_handled (int abi, bool execute)
{
  uint64_t rights = LL_FS_ABI1;

  if (abi >= 2)
    rights |= LL_FS_REFER;
  if (abi >= 3)
    rights |= LL_FS_TRUNCATE;
  if (abi >= 5)
    rights |= LL_FS_IOCTL_DEV;
  if (!execute)
    rights &= ~LL_FS_EXECUTE;
  return rights;
}

uint64_t
ll_fs_allowed (enum ll_kind kind, uint64_t handled, bool directory)
{
  uint64_t rights;

  switch (kind)
    {
    case LL_READ_ONLY:
      rights = LL_FS_READ_FILE | LL_FS_READ_DIR;
      break;
    case LL_READ_WRITE:
      rights = ~LL_FS_EXECUTE;
      break;
    case LL_EXECUTE:
      rights = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
      break;
    default:
      rights = 0;
      break;
    }
  rights &= handled;
  if (!directory)
    rights &= LL_FS_FILE_RIGHTS;
  return rights;
}
