/* cgroups-libcgroup: the parts shared by the plugin's files. */
#ifndef MODRUN_CGROUPS_LIBCGROUP_H
#define MODRUN_CGROUPS_LIBCGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <modrun/plugin.h>

#define LCG_NAME "cgroups-libcgroup"

/* The name of the file, in the state directory, listing the cgroups
 * prepare created, one "CONTROLLER PATH" a line, parents first. */
#define LCG_RECORD_NAME "cgroups-libcgroup.created"
/* The state file holding the systemd scope of a container created with
 * --systemd-cgroup. */
#define LCG_SYSTEMD_NAME "cgroups-libcgroup.systemd"

/* One controller libcgroup found mounted. */
struct lcg_controller
{
  char *name;
  char *mount;
  bool v2;   /* it lives on a cgroup2 mount */
  bool used; /* the container gets a cgroup in it */
};

/* What libcgroup sees of this host, and the container's cgroup. */
struct lcg_host
{
  struct lcg_controller *ctl;
  size_t n;
  bool v2;    /* every controller is on cgroup2: a unified host */
  bool mixed; /* some are on cgroup v1, some on cgroup2: a hybrid host */
  char *path; /* the container's cgroup, "/a/b", once known */
  char *unit; /* the systemd scope that is the container's cgroup, or NULL */
};

/* group.c */
/* Initialises libcgroup and lists its controllers. */
int lcg_host_load (struct modrun_container *c, struct lcg_host *host);
void lcg_host_clear (struct lcg_host *host);
#define cleanup_lcg_host __attribute__ ((cleanup (lcg_host_clear)))
/* Sets host->path from linux.cgroupsPath. */
int lcg_host_set_path (struct modrun_container *c, struct lcg_host *host);
/* The controller NAME, when the container gets a cgroup in it, else NULL. */
struct lcg_controller *lcg_host_find (struct lcg_host *host, const char *name);
/* The error for a field that needs controller NAME, which is not used. */
int lcg_missing_controller (struct modrun_container *c, struct lcg_host *host, const char *name,
                            const char *field);
/* A libcgroup error code as text, with the errno behind it when it has one. */
const char *lcg_strerror (int code, char *buf, size_t len);

/* Writes VALUE (lines are written one by one) to FILE of controller CTL in
 * the container's cgroup, or in the cgroup PATH when it is not NULL. */
int lcg_write (struct modrun_container *c, struct lcg_host *host, const char *ctl, const char *path,
               const char *file, const char *value);
/* Reads the first line of FILE of controller CTL in cgroup PATH into BUF.
 * Returns 0, or a libcgroup error code; records nothing. */
int lcg_read (const char *ctl, const char *path, const char *file, char *buf, size_t len);
/* Whether FILE exists in the root cgroup of controller CTL. */
bool lcg_root_has (struct lcg_controller *ctl, const char *file);

int lcg_create (struct modrun_container *c, struct lcg_host *host, const modrun_json *res);
int lcg_attach (struct modrun_container *c, struct lcg_host *host);
/* Whether prepare made the container's own cgroup of controller NAME, by
 * the record; a systemd scope's are systemd's otherwise. */
bool lcg_made_leaf (struct modrun_container *c, struct lcg_host *host, const char *name);
int lcg_destroy (struct modrun_container *c);
/* Removes what lcg_create made, after a failure part way. */
void lcg_undo (struct modrun_container *c);

/* One device rule; -1 is "*". */
struct lcg_dev_rule
{
  char type; /* 'a', 'b' or 'c' */
  int64_t major;
  int64_t minor;
  const char *access; /* letters of "rwm" */
  bool allow;
};

/* devices-bpf.c: sets the device rules of the cgroup2 directory DIR to
 * RULES, the last matching rule deciding. */
int lcg_bpf_devices (struct modrun_container *c, const char *dir, const struct lcg_dev_rule *rules,
                     size_t n);

/* resources.c */
/* CREATE: as lcg_apply_resources. */
int lcg_validate_resources (struct modrun_container *c, struct lcg_host *host,
                            const modrun_json *res, bool create);
/* CREATE: at create (the device list is always set then), else an update
 * which changes only what RES names. */
int lcg_apply_resources (struct modrun_container *c, struct lcg_host *host, const modrun_json *res,
                         bool create);

/* control.c */
int lcg_freeze (struct modrun_container *c, struct lcg_host *host, bool frozen);
int lcg_pids (struct modrun_container *c, struct lcg_host *host, pid_t **pids, size_t *n);
int lcg_kill_all (struct modrun_container *c, struct lcg_host *host, int signo);
int lcg_stats (struct modrun_container *c, struct lcg_host *host, modrun_json *out);

#endif
