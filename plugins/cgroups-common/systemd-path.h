/* Where systemd puts a container given --systemd-cgroup: the parsing of
 * the "slice:prefix:name" form of linux.cgroupsPath and the cgroup path of
 * the unit it names, shared by the cgroup backends. */
#ifndef MODRUN_CGROUPS_SYSTEMD_PATH_H
#define MODRUN_CGROUPS_SYSTEMD_PATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The slice a container goes into when the form leaves it empty. */
#define CGROUP_SYSTEMD_DEFAULT_SLICE "system.slice"
/* The unit prefix when linux.cgroupsPath is absent. */
#define CGROUP_SYSTEMD_DEFAULT_PREFIX "modrun"

struct cgroup_systemd_unit
{
  char slice[256];     /* "a-b.slice" */
  char unit[256];      /* "prefix-name.scope", or a slice the name gives */
  char path[PATH_MAX]; /* "/a.slice/a-b.slice/prefix-name.scope" */
};

/* Parses GIVEN, "slice:prefix:name"; an absent or empty GIVEN stands for
 * "system.slice:modrun:ID". Returns 0, or -1 with the reason in ERR. */
int cgroup_systemd_parse (const char *given, const char *id, struct cgroup_systemd_unit *out,
                          char *err, size_t errlen);

/* The cgroup path of slice SLICE: "a-b-c.slice" is below "a-b.slice",
 * below "a.slice"; "-.slice" is the root, "/". Returns 0, or -1 with the
 * reason in ERR. */
int cgroup_systemd_expand_slice (const char *slice, char *out, size_t len, char *err,
                                 size_t errlen);

/* Whether systemd is the init of this host, as sd_booted(3) tells it. */
bool cgroup_systemd_running (void);

struct modrun_container;

/* For a backend that makes scopes: parses GIVEN into U and checks that
 * systemd runs here, or returns the error that says what is wrong. */
int cgroup_systemd_resolve (struct modrun_container *c, const char *given,
                            struct cgroup_systemd_unit *u);

/* The error of backend PLUGIN given --systemd-cgroup and linux.cgroupsPath
 * GIVEN (may be NULL): the form is checked first, then whether systemd
 * runs here; the transient scope itself is not made by any backend. */
int cgroup_systemd_refuse (struct modrun_container *c, const char *plugin, const char *given);

/* systemd-scope.c: the D-Bus side. */

/* Starts the transient scope U holding PID, delegated to the runtime, with
 * MEMORY_MAX and TASKS_MAX as its own limits when not 0, and waits until
 * PID is in U's cgroup. Needs cgroup v2. */
int cgroup_systemd_start_scope (struct modrun_container *c, const struct cgroup_systemd_unit *u,
                                pid_t pid, uint64_t memory_max, uint64_t tasks_max);

/* Stops UNIT; a unit systemd does not know is stopped already. */
int cgroup_systemd_stop_unit (struct modrun_container *c, const char *unit);

#endif
