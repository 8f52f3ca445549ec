/* seccomp: the parts shared by the plugin's files. */
#ifndef MODRUN_SECCOMP_PLUGIN_H
#define MODRUN_SECCOMP_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <modrun/plugin.h>

/* seccomp(2) filter flags, for headers older than the kernel. */
#define SC_FLAG_TSYNC (1u << 0)
#define SC_FLAG_LOG (1u << 1)
#define SC_FLAG_SPEC_ALLOW (1u << 2)
#define SC_FLAG_NEW_LISTENER (1u << 3)
#define SC_FLAG_TSYNC_ESRCH (1u << 4)
#define SC_FLAG_WAIT_KILLABLE_RECV (1u << 5)

/* A name as config.json spells it, and its value. */
struct sc_name
{
  const char *name;
  uint32_t value;
};

/* Known actions, operators, architectures and flags, in features order. */
extern const struct sc_name sc_actions[];
extern const size_t sc_n_actions;
extern const struct sc_name sc_operators[];
extern const size_t sc_n_operators;
extern const struct sc_name sc_archs[];
extern const size_t sc_n_archs;
extern const struct sc_name sc_flags[];
extern const size_t sc_n_flags;

/* Whether the running kernel takes filter flag FLAG (SC_FLAG_*). */
bool sc_kernel_has_flag (uint32_t flag);

struct sc_arg
{
  uint32_t index;
  uint32_t op; /* enum scmp_compare */
  uint64_t value;
  uint64_t value_two;
};

/* One entry of syscalls[]: its known names, resolved, share the action. */
struct sc_rule
{
  uint32_t index;  /* in linux.seccomp.syscalls, for messages */
  uint32_t action; /* the libseccomp action, errno or trace data included */
  int *nrs;        /* syscall numbers (libseccomp's, pseudo ones included) */
  const char **names;
  size_t n_nrs;
  struct sc_arg *args;
  size_t n_args;
  bool same_index; /* two args test the same index: one rule per arg */
};

struct sc_config
{
  uint32_t default_action;
  uint32_t *archs; /* SCMP_ARCH_* besides the native one */
  size_t n_archs;
  uint32_t flags; /* SC_FLAG_*, as asked for */
  struct sc_rule *rules;
  size_t n_rules;
  bool notify; /* some rule uses SCMP_ACT_NOTIFY */
  const char *listener_path;
  const char *listener_metadata;
  char *unknown; /* the unknown syscall names, ", " separated, or NULL */
};

/* Everything the plugin keeps for one container, in its data slot. */
struct sc_data
{
  struct sc_config *cfg;
  void *bpf;       /* the program, struct sock_filter items */
  size_t bpf_len;  /* in bytes */
  int listener_fd; /* connected to listenerPath, or -1 */
  int pid_rd;      /* the init reads its pid as the runtime sees it here */
  int pid_wr;
};

/* config.c: reads and checks linux.seccomp into *OUT. */
int sc_config_load (struct modrun_container *c, struct sc_config **out);
void sc_config_free (struct sc_config *cfg);

/* filter.c: builds the filter of CFG and keeps its BPF program in D. */
int sc_filter_build (struct modrun_container *c, struct sc_data *d);
/* Loads D's program into the calling process; returns the listener fd
 * with SC_FLAG_NEW_LISTENER, else 0, or -errno after recording an error. */
int sc_filter_load (struct modrun_container *c, struct sc_data *d, uint32_t flags);
/* The flags to load with, listener included, or an error. */
int sc_filter_flags (struct modrun_container *c, const struct sc_config *cfg, uint32_t *out);

/* notify.c. Parent: connects to listenerPath and opens the pid pipe. */
int sc_notify_connect (struct modrun_container *c, struct sc_data *d);
/* Parent, after clone: tells the init its pid, closes the parent's fds. */
int sc_notify_send_pid (struct modrun_container *c, struct sc_data *d);
/* Init: the container process state to send, malloc'ed into *MSG. */
int sc_notify_prepare_message (struct modrun_container *c, struct sc_data *d, char **msg);
/* Init: sends LISTENER_FD with MSG to the agent and closes the socket. */
int sc_notify_send (struct modrun_container *c, struct sc_data *d, const char *msg,
                    int listener_fd);

static inline void
sc_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

static inline void
sc_freep (void *p)
{
  free (*(void **)p);
}

#define sc_cleanup_close __attribute__ ((cleanup (sc_closep)))
#define sc_cleanup_free __attribute__ ((cleanup (sc_freep)))

#endif
