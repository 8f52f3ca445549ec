/* Pseudo-terminals: created in the container, the master handed to the
 * console socket or to the foreground `run`, which bridges it. */
#ifndef MODRUN_TERMINAL_H
#define MODRUN_TERMINAL_H

#include "utils.h"

/* In the container after pivot: opens a pty from /dev/ptmx, makes the slave
 * the controlling terminal and stdin/stdout/stderr, applies the size when
 * ROWS and COLS are non-zero, and returns the master fd. */
int mr_terminal_setup_child (unsigned int rows, unsigned int cols, int *master,
                             mr_error **err);
/* The size of the terminal on our stdin, into *ROWS and *COLS, when stdin
 * is one with a size; else they are left alone. A terminal bridged to ours
 * starts with it, so the program never sees another size first. */
void mr_terminal_size_of_stdin (unsigned int *rows, unsigned int *cols);
/* Connects to the unix socket PATH; returns the fd. */
int mr_console_socket_open (const char *path, mr_error **err);
/* The same for any unix socket; WHAT names it in messages ("pidfd socket"). */
int mr_unix_socket_connect (const char *what, const char *path, mr_error **err);
/* Sends FD over the unix socket SOCK with SCM_RIGHTS. */
int mr_send_fd (int sock, int fd, mr_error **err);
/* Receives one fd sent with SCM_RIGHTS. */
int mr_recv_fd (int sock, int *fd, mr_error **err);
/* Foreground run: puts our stdin in raw mode when it is a terminal, copies
 * stdin to MASTER and MASTER to stdout, forwards SIGWINCH sizes, until
 * MASTER hangs up. Restores the terminal. The signals read from the
 * signalfd FWD_SFD (SIGCHLD aside) are sent on to PID meanwhile. Once
 * stdout is a broken pipe, the container's output is read and dropped. */
int mr_terminal_bridge (int master, int fwd_sfd, pid_t pid, mr_error **err);

#endif
