/* fdsock: the listening unix socket and the fd it receives, shared by the
   test helpers that stand at the other end of a runtime's --console-socket
   (recvtty) and --pidfd-socket (recvpidfd).  PROG prefixes messages.  */
#ifndef MODRUN_TEST_FDSOCK_H
#define MODRUN_TEST_FDSOCK_H

/* Listens on the unix socket PATH, made under PATH.tmp and renamed into
   place once listening, so that a test can wait for PATH to appear.
   Returns the listening fd, or -1 after a message on stderr.  */
int fdsock_listen (const char *prog, const char *path);

/* Receives one message on CONN carrying one fd (SCM_RIGHTS) and returns
   that fd, or -1 after a message on stderr.  */
int fdsock_receive (const char *prog, int conn);

#endif
