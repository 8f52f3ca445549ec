/* The commands. Each returns the process exit status to use, or a negative
 * errno-style value with *ERR set. */
#ifndef MODRUN_LIFECYCLE_H
#define MODRUN_LIFECYCLE_H

#include <stdbool.h>

#include "runtime.h"
#include "utils.h"

/* create, and run (opts->foreground / opts->detach). For a foreground run
 * the return value is the container's exit status (128+signal). */
int mr_create (struct mr_runtime *rt, const struct mr_create_opts *opts, mr_error **err);
int mr_start (struct mr_runtime *rt, const char *id, mr_error **err);
int mr_state_cmd (struct mr_runtime *rt, const char *id, mr_error **err);
int mr_kill (struct mr_runtime *rt, const char *id, int signo, bool all, mr_error **err);
int mr_delete (struct mr_runtime *rt, const char *id, bool force, mr_error **err);
/* Freeze and thaw every process of a container through its cgroups plugin. */
int mr_pause (struct mr_runtime *rt, const char *id, mr_error **err);
int mr_resume (struct mr_runtime *rt, const char *id, mr_error **err);
/* FORMAT: "table" or "json". */
int mr_list (struct mr_runtime *rt, const char *format, bool quiet, mr_error **err);
int mr_spec (const char *bundle, bool rootless, mr_error **err);

/* Signal by name ("TERM", "SIGTERM", "sigkill") or number; -1 when invalid. */
int mr_parse_signal (const char *s);


/* Runs the destroy stages with the plugins recorded in the state and the
 * config saved at create, then removes the state directory. */
int mr_destroy_container (struct mr_runtime *rt, const char *id, mr_error **err);
#endif
