/* Process setup in the container's init (and, later, exec'd processes):
 * everything after the root is switched and before execve. */
#ifndef MODRUN_PROCESS_H
#define MODRUN_PROCESS_H

#include "ociconfig.h"
#include "utils.h"

/* Before credentials change: rlimits, oom_score_adj, session keyring
 * (unless NO_NEW_KEYRING; named after ID). */
int mr_process_prepare (const struct mr_process *p, const char *id, int no_new_keyring,
                        mr_error **err);
/* umask, groups, gid, uid, capabilities (all five sets), no_new_privs and
 * cwd, in the order that keeps the capabilities asked for. */
int mr_process_set_credentials (const struct mr_process *p, mr_error **err);
/* Resolves args[0] against PATH from the process env (as execvp would),
 * so a missing executable fails create, not start. *PATH is malloc'ed. */
int mr_process_find_executable (const struct mr_process *p, char **path, mr_error **err);
/* Closes every fd >= 3 + PRESERVE_FDS except KEEP (or -1), marks them
 * close-on-exec rather, for the ones that must survive until exec. */
int mr_process_close_fds (int preserve_fds, int keep);
/* execve with the process env; returns only on failure. */
int mr_process_exec (const struct mr_process *p, const char *path, mr_error **err);

#endif
