/* The commands. Each returns the process exit status to use, or a negative
 * errno-style value with *ERR set. */
#ifndef MODRUN_LIFECYCLE_H
#define MODRUN_LIFECYCLE_H

#include <stdbool.h>

#include "plugins.h"
#include "runtime.h"
#include "state.h"
#include "utils.h"

/* create, and run (opts->foreground / opts->detach). For a foreground run
 * the return value is the container's exit status (128+signal). */
int mr_create (struct mr_runtime *rt, const struct mr_create_opts *opts, mr_error **err);
int mr_start (struct mr_runtime *rt, const char *id, mr_error **err);
/* Runs a new process in a running container (core/exec.c). In the
 * foreground the return value is its exit status (128+signal). */
int mr_exec (struct mr_runtime *rt, const struct mr_exec_opts *opts, mr_error **err);
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

/* The operations on a running container (core/operations.c). */
int mr_features (struct mr_runtime *rt, mr_error **err);
/* FORMAT "table" runs ps(1) with PS_ARGS (NULL-terminated; "-ef" when
 * empty) and keeps the lines of the container's processes. */
int mr_ps (struct mr_runtime *rt, const char *id, const char *format, char *const *ps_args,
           mr_error **err);
/* RESOURCES is a linux.resources object: only the members to change.
 * SOURCE names where it came from in messages about its fields: "stdin",
 * the -r file, "command line". */
int mr_update (struct mr_runtime *rt, const char *id, const modrun_json *resources,
               const char *source, mr_error **err);
/* Prints one stats event (STATS), or one every INTERVAL_MS until the
 * container stops. */
int mr_events (struct mr_runtime *rt, const char *id, bool stats, long interval_ms, mr_error **err);

/* One existing container, for the commands that act on it: its state, the
 * config saved at create and the plugins recorded there. */
struct mr_ctr
{
  char *dir;
  int lock_fd;
  struct mr_state *st;
  modrun_json *config;
  struct mr_plugin_set plugins;
  bool plugins_loaded;
  mr_error *load_err; /* a plugin that failed to load, for destroy to report */
  struct modrun_container c;
  struct mr_container_core core;
};

/* Loads ID's state; with LOCK, under the container's lock, held until
 * mr_ctr_release. An unknown ID is "container does not exist". */
int mr_ctr_open (struct mr_runtime *rt, const char *id, bool lock, struct mr_ctr *ct,
                 mr_error **err);
int mr_ctr_load_config (struct mr_ctr *ct, mr_error **err);
/* Loads the plugins recorded at create and the context they see. With
 * PARTIAL, a plugin that fails to load is left out. */
int mr_ctr_load_plugins (struct mr_ctr *ct, unsigned int command, bool partial, mr_error **err);
void mr_ctr_release (struct mr_ctr *ct);
/* The error plugin P recorded while doing WHAT, as the core's. */
int mr_ctr_plugin_failure (struct mr_ctr *ct, struct mr_plugin *p, const char *what, int ret,
                           mr_error **err);
/* A pidfd of the init, or -ESRCH when it is gone (or its pid reused). */
int mr_ctr_init_pidfd (const struct mr_state *st, mr_error **err);
#endif
