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

#include <modrun/plugin.h>

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

/* For a backend that makes scopes: parses GIVEN into U and checks that
 * systemd runs here, or returns the error that says what is wrong. */
int cgroup_systemd_resolve (struct modrun_container *c, const char *given,
                            struct cgroup_systemd_unit *u);

/* The error of backend PLUGIN given --systemd-cgroup and linux.cgroupsPath
 * GIVEN (may be NULL): the form is checked first, then whether systemd
 * runs here; the transient scope itself is not made by any backend. */
int cgroup_systemd_refuse (struct modrun_container *c, const char *plugin, const char *given);

/* The marker, state file NAME holding UNIT, of a container whose cgroup is
 * a systemd scope: written (ON) in prepare, before the scope exists, so
 * that the destroy of a failed create stops it too; removed once the
 * scope is stopped. */
int cgroup_systemd_mark (struct modrun_container *c, const char *name, const char *unit, bool on);
/* Whether the container has the marker NAME: later commands need no flag. */
bool cgroup_systemd_marked (struct modrun_container *c, const char *name);

/* The memory and pids limits of RES (linux.resources) a cgroup2 scope
 * carries as systemd properties: when positive, else 0. */
void cgroup_systemd_scope_limits (const modrun_json *res, uint64_t *memory_max,
                                  uint64_t *tasks_max);

/* Writes the name /proc/devices gives driver MAJOR of block or character
 * devices into OUT; -ENOENT when no driver has MAJOR, -EEXIST (OUT set)
 * when the name holds other majors too. */
int cgroup_device_driver (bool block, long major, char *out, size_t len);

/* Refuses a linux.resources.devices list that systemd's DeviceAllow=
 * cannot say: a deny after an "allow every device" rule, an allowed rule
 * for one minor of any major, or for every device of a major that no
 * driver in /proc/devices has. */
int cgroup_systemd_check_devices (struct modrun_container *c, const modrun_json *devices);

/* systemd-scope.c: the D-Bus side. */

/* Starts the transient scope U holding PID, delegated to the runtime, with
 * MEMORY_MAX and TASKS_MAX as its own limits when not 0, records it as the
 * state file MARK (cgroup_systemd_mark) once systemd started it, and waits
 * until PID is in U's cgroup, in one hierarchy at least. */
int cgroup_systemd_start_scope (struct modrun_container *c, const struct cgroup_systemd_unit *u,
                                pid_t pid, uint64_t memory_max, uint64_t tasks_max,
                                const char *mark);

/* Stops UNIT; a unit systemd does not know is stopped already. */
int cgroup_systemd_stop_unit (struct modrun_container *c, const char *unit);

/* Whether the hierarchy of CONTROLLERS ("cpu,cpuacct", "name=systemd", ""
 * for cgroup2), as /proc/PID/cgroup names it, has PID in PATH: after the
 * scope started, where systemd put the init itself. */
bool cgroup_systemd_pid_placed (pid_t pid, const char *controllers, const char *path);

/* Whether two comma-separated lists of controllers name the same ones. */
bool cgroup_same_controllers (const char *a, const char *b);

/* Limits systemd keeps as a scope's own properties, so that a reload of
 * systemd, which writes them all again, leaves what the runtime wrote. */
#define CGROUP_SYSTEMD_MEMORY 1u  /* MemoryMax; on cgroup2 MemoryHigh, -Low, -Min, -SwapMax too */
#define CGROUP_SYSTEMD_TASKS 2u   /* TasksMax */
#define CGROUP_SYSTEMD_CPU 4u     /* CPUShares or CPUWeight, CPUQuotaPerSecUSec, -PeriodUSec */
#define CGROUP_SYSTEMD_DEVICES 8u /* DevicePolicy, DeviceAllow (cgroup v1) */
#define CGROUP_SYSTEMD_IO 16u     /* IOWeight (cgroup2) */
#define CGROUP_SYSTEMD_ALL 31u

struct cgroup_systemd_device
{
  char path[96]; /* "/dev/char/1:3", "char-pts", "block-*" */
  char access[8];
};

/* UINT64_MAX stands for "no limit" (systemd's "infinity"). */
struct cgroup_systemd_props
{
  unsigned int set; /* CGROUP_SYSTEMD_* */
  bool v2;          /* read from a cgroup2 directory */
  uint64_t memory_max, tasks_max;
  uint64_t cpu_shares, cpu_quota_per_sec, cpu_period;
  bool devices_all;
  struct cgroup_systemd_device *devices;
  size_t n_devices;
  /* cgroup2 only. */
  uint64_t memory_high, memory_low, memory_min, memory_swap_max, cpu_weight, io_weight;
  bool has_swap, has_io_weight;
};

/* What an update of RESOURCES hands to systemd: every limit, and the
 * devices when RESOURCES names them. */
unsigned int cgroup_systemd_update_what (const modrun_json *resources);

/* The container's cgroup v1 directories of the controllers systemd
 * manages for the scope; NULL where it does not. */
struct cgroup_systemd_dirs
{
  const char *memory, *pids, *cpu, *devices;
};

/* Reads what the kernel holds in the directories of D for the limits
 * WHAT names into P: the device list as systemd can say it, or an error
 * naming the rule it cannot. */
int cgroup_systemd_read_v1 (struct modrun_container *c, const struct cgroup_systemd_dirs *d,
                            unsigned int what, struct cgroup_systemd_props *p);
/* The same for the container's cgroup2 directory DIR. */
int cgroup_systemd_read_v2 (struct modrun_container *c, const char *dir, unsigned int what,
                            struct cgroup_systemd_props *p);
/* cgroup_systemd_read_v2, then cgroup_systemd_set_props. */
int cgroup_systemd_sync_v2 (struct modrun_container *c, const char *unit, const char *dir,
                            unsigned int what);
void cgroup_systemd_props_clear (struct cgroup_systemd_props *p);

/* Reads the limits WHAT names from D and hands them to systemd as UNIT's. */
int cgroup_systemd_sync_v1 (struct modrun_container *c, const char *unit,
                            const struct cgroup_systemd_dirs *d, unsigned int what);

/* cgroup_systemd_start_scope for the container's init, with the scope
 * linux.cgroupsPath names. */
int cgroup_systemd_start_init_scope (struct modrun_container *c, const char *mark,
                                     uint64_t memory_max, uint64_t tasks_max);

/* Hands P to systemd as UNIT's runtime properties. */
int cgroup_systemd_set_props (struct modrun_container *c, const char *unit,
                              const struct cgroup_systemd_props *p);

#endif
