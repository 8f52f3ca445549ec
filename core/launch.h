/* What create, run and exec share to start a process in a container: the
 * re-execution from a sealed copy of the runtime, the hand-over of the
 * caller's file descriptors, the sync messages, the foreground wait, and
 * the pid file and pidfd socket. */
#ifndef MODRUN_LAUNCH_H
#define MODRUN_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "ociconfig.h"
#include "utils.h"

struct mr_plugin_set;

#define MR_MAX_PASSED_FDS 4096

/* Sync messages between the runtime and the process it starts, on a
 * SOCK_SEQPACKET socket (one message per read). */
#define MR_SYNC_GO 'G'     /* runtime to process: its stages are done */
#define MR_SYNC_READY 'R'  /* process to runtime: set up */
#define MR_SYNC_ERROR 'E'  /* process to runtime: followed by the message */
#define MR_SYNC_MASTER 'T' /* process to runtime: carries the pty master */
#define MR_SYNC_JOINED 'J' /* process to runtime: in the cgroups of join_fds */
#define MR_SYNC_TRACE 'M'  /* process to runtime: the timings of its stages */

/* The caller's fds 3 .. 3+N-1 that go to the container, gaps included. */
struct mr_fd_pass
{
  int n;
  unsigned char *open; /* which of them the caller passed */
};

/* How many fds socket activation passes: LISTEN_FDS, when LISTEN_PID is
 * this process (as systemd sets them for the program it starts); else 0. */
int mr_listen_fds (void);

/* Records which of fds 3 .. 3+N-1 are open now, before the runtime opens
 * anything. N out of range counts as 0 (the caller checks it). */
void mr_fd_pass_note (struct mr_fd_pass *fp, int n);
/* Moves FD above the passed range, so it is never taken for one of the
 * caller's; returns the new fd (or FD, or -1 with errno). */
int mr_fd_pass_above (const struct mr_fd_pass *fp, int fd);
/* Right before exec: every fd above the range close-on-exec, the range
 * inheritable, and its gaps (fds the runtime got there) closed. */
int mr_fd_pass_apply (const struct mr_fd_pass *fp);
void mr_fd_pass_free (struct mr_fd_pass *fp);

/* Adds NAME=VALUE to the process environment, replacing NAME if set. */
void mr_process_setenv (struct mr_process *p, const char *name, const char *value);

/* Runs the runtime again from a sealed, unwritable in-memory copy of its
 * binary, with the same arguments and environment, so that a container
 * process that reaches ours through /proc never reaches the binary on the
 * host. Returns 0 when already running from such a copy; otherwise returns
 * only on failure. */
int mr_reexec_sealed (mr_error **err);

/* Receives one sync message: its tag, the text after it (NUL-terminated in
 * MSG of MSGLEN bytes) and an fd it carried (-1 when none). 0, or -errno
 * (-EPIPE when the peer is gone). */
int mr_sync_recv (int sock, char *tag, char *msg, size_t msglen, int *fd);
/* Sends TAG followed by TEXT (may be NULL). */
int mr_sync_send (int sock, char tag, const char *text);
/* In the container's process of a traced command, before it reports ready:
 * sends the runtime the timings of the stages it ran (MR_SYNC_TRACE), with
 * the child_before_exec stages of the concerns in LATER (MR_CONCERN_BIT
 * values), which run once the runtime stopped waiting, listed untimed. */
void mr_sync_send_trace (int sock, struct mr_plugin_set *set, uint32_t later);

/* Writes PID to PATH, atomically. */
int mr_write_pid_file (const char *path, pid_t pid, mr_error **err);
/* Sends a pidfd of PID over the unix socket at PATH (SCM_RIGHTS). */
int mr_send_pidfd (const char *path, pid_t pid, mr_error **err);

/* The exit status of a foreground process as a shell reports it:
 * its code, or 128 + the signal that killed it. */
int mr_exit_code_of (int status);
/* Waits for PID, a child of ours, passing on the signals the runtime
 * receives; with MASTER >= 0, bridges that terminal to our stdio first.
 * Returns the exit code of PID. */
int mr_wait_foreground (pid_t pid, int master, mr_error **err);

#endif
