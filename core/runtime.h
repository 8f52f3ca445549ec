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
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach;     /* run -d */
  bool foreground; /* run without -d: wait, forward signals, delete */
  bool keep;       /* run --keep: do not delete after exit */
};

#endif
