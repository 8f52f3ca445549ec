/* Global options and the per-command context of one modrun invocation. */
#ifndef MODRUN_RUNTIME_H
#define MODRUN_RUNTIME_H

#include <stdbool.h>

struct mr_runtime
{
  const char *root;     /* --root, default /run/modrun */
  const char *log_file; /* --log */
  bool log_json;        /* --log-format json */
  bool debug;           /* --debug */
  bool systemd_cgroup;  /* --systemd-cgroup */
  const char *plugins;  /* --plugins, NULL when not given */
};

/* Options of create and run. */
struct mr_create_opts
{
  const char *id;
  const char *bundle; /* absolute */
  const char *config_path; /* NULL: BUNDLE/config.json */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket; /* receives a pidfd of the init */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach;     /* run -d */
  bool foreground; /* run without -d: wait, forward signals, delete */
  bool keep;       /* run --keep: do not delete after exit */
};

/* Options of exec. */
struct mr_exec_opts
{
  const char *id;
  const char *process_file; /* -p: a process.json, or NULL */
  char *const *args;        /* the command line, when no process file */
  size_t nargs;
  int tty;                  /* -t: 1 or 0; -1 when not given */
  const char *console_socket;
  const char *pidfd_socket;
  const char *pid_file; /* absolute */
  bool detach;
  bool ignore_paused;
  char *const *env;     /* -e NAME=VALUE, in order */
  size_t nenv;
  const char *cwd;
  const char *user; /* "uid" or "uid:gid" */
  char *const *additional_gids;
  size_t n_additional_gids;
  char *const *caps; /* -c CAP */
  size_t ncaps;
  int no_new_privs; /* 1 or 0; -1 when not given */
  const char *apparmor;
  const char *process_label;
  int preserve_fds;
};

#endif
