/* Running the OCI lifecycle hooks listed in config.json's "hooks" object. */
#ifndef MODRUN_HOOKS_H
#define MODRUN_HOOKS_H

#include <modrun/json.h>

#include "utils.h"

/* Whether HOOKS (config.json's "hooks" object, may be NULL) lists at least
 * one hook of KIND, so that a caller can skip building the state JSON. */
int mr_hooks_have (const modrun_json *hooks, const char *kind);

/* Runs every hook of KIND ("prestart", "createRuntime", "createContainer",
 * "startContainer", "poststart", "poststop") listed in HOOKS, in order, each
 * with STATE_JSON on its stdin, stdout and stderr inherited, in the calling
 * process's namespaces. Returns 0 when there is none or all exited 0, or a
 * negative errno value with *ERR set at the first failure: the message
 * names the hook ("hook createRuntime[1] (/usr/bin/x): exited with status
 * 3", "...: timed out after 5 s", "...: killed by signal 9", "...: cannot
 * execute: No such file or directory"). A hook that times out is killed
 * with SIGKILL together with its process group. */
int mr_hooks_run (const modrun_json *hooks, const char *kind, const char *state_json,
                  mr_error **err);

/* For poststart and poststop, whose failures the spec makes warnings only:
 * runs every hook of KIND even after one fails, logs each failure with
 * mr_log at warning level and returns how many failed (0 when all ran). */
int mr_hooks_run_warn (const modrun_json *hooks, const char *kind, const char *state_json);

#endif
