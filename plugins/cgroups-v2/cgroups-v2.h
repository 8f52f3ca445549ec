/* cgroups-v2: the parts shared by the plugin's files. */
#ifndef MODRUN_CGROUPS_V2_H
#define MODRUN_CGROUPS_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <modrun/plugin.h>

/* Controllers, as bits of a mask. */
#define CG2_CPUSET (1u << 0)
#define CG2_CPU (1u << 1)
#define CG2_IO (1u << 2)
#define CG2_MEMORY (1u << 3)
#define CG2_HUGETLB (1u << 4)
#define CG2_PIDS (1u << 5)
#define CG2_RDMA (1u << 6)
#define CG2_MISC (1u << 7)
/* Not a controller: the core interface files (cgroup.*), always there. */
#define CG2_CORE (1u << 8)

/* The name of the file, in the state directory, listing the directories
 * prepare created, one a line, parents first. */
#define CG2_RECORD_NAME "cgroups-v2.created"

/* The unified hierarchy and the container's place in it. */
struct cg2_host
{
  char *mount;            /* where cgroup2 is mounted */
  unsigned int available; /* controllers in the root's cgroup.controllers */
  char *path;             /* the container's cgroup, "/a/b", once known */
  char *dir;              /* mount + path */
  char *unit;             /* the systemd scope holding it, with --systemd-cgroup */
};

/* The file, in the state directory, that says the container's cgroup is a
 * systemd scope (its name is in it): commands after create need no flag. */
#define CG2_SYSTEMD_NAME "cgroups-v2.systemd"

/* fs.c */
/* Finds the cgroup2 mount; fails when a cgroup v1 hierarchy is mounted. */
int cg2_host_load (struct modrun_container *c, struct cg2_host *host);
void cg2_host_clear (struct cg2_host *host);
#define cleanup_cg2_host __attribute__ ((cleanup (cg2_host_clear)))
/* Sets host->path and host->dir from linux.cgroupsPath, and host->unit
 * with --systemd-cgroup or for a container created with it. */
int cg2_host_set_path (struct modrun_container *c, struct cg2_host *host);
/* CG2_* of controller NAME (LEN bytes), 0 when unknown. */
unsigned int cg2_controller_bit (const char *name, size_t len);
const char *cg2_controller_name (unsigned int bit);
/* The CG2_* bits of a space-separated controller list. */
unsigned int cg2_parse_controllers (const char *list);

void cg2_freep (void *p);
#define cleanup_cg2_free __attribute__ ((cleanup (cg2_freep)))
void cg2_closep (int *fd);
#define cleanup_cg2_close __attribute__ ((cleanup (cg2_closep)))

/* Writes VALUE to DIR/FILE; errors name the file, the value and FIELD
 * (the config field the value comes from, or NULL). */
int cg2_write (struct modrun_container *c, const char *dir, const char *file, const char *value,
               const char *field);
/* Reads a small file into BUF without the trailing newline: its length or
 * -errno; records nothing. */
ssize_t cg2_read_small (const char *dir, const char *file, char *buf, size_t len);
/* Reads DIR/FILE whole into a malloc'ed, NUL-terminated buffer; -errno. */
int cg2_read_alloc (const char *dir, const char *file, char **out);
bool cg2_file_exists (const char *dir, const char *file);
long long cg2_now_ns (void);
void cg2_pause_ns (long ns);

/* Makes the container's cgroup and the missing directories above it,
 * records what it made, and enables the controllers of WANT along the
 * path (those of NEED must be enabled, the others are best effort). */
int cg2_create_dirs (struct modrun_container *c, struct cg2_host *host, unsigned int need,
                     unsigned int want);
/* Removes what prepare recorded, deepest first, and the record. */
int cg2_destroy_dirs (struct modrun_container *c, bool kill_first);

/* resources.c */
/* Checks linux.resources (RES, may be NULL) and returns in *NEED the
 * controllers it uses. */
int cg2_validate_resources (struct modrun_container *c, struct cg2_host *host,
                            const modrun_json *res, unsigned int *need);
/* Writes RES into the container's cgroup. UPDATE: an update, which may
 * change only some fields and reads what it must keep. */
int cg2_apply_resources (struct modrun_container *c, struct cg2_host *host, const modrun_json *res,
                         bool update);

/* devices.c */
/* Checks linux.resources.devices (DEVICES may be NULL). */
int cg2_validate_devices (struct modrun_container *c, const modrun_json *devices);
/* Builds the device program of DEVICES and the default devices, attaches
 * it to DIR and detaches the programs attached there before. */
int cg2_apply_devices (struct modrun_container *c, const char *dir, const modrun_json *devices);

/* control.c */
int cg2_freeze (struct modrun_container *c, struct cg2_host *host, bool frozen);
/* The processes of DIR and the cgroups below it. */
int cg2_pids (struct modrun_container *c, const char *dir, pid_t **pids, size_t *n);
int cg2_kill_all (struct modrun_container *c, const char *dir, int signo);
int cg2_stats (struct modrun_container *c, struct cg2_host *host, modrun_json *out);

#endif
