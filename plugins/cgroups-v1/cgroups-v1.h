/* cgroups-v1: the parts shared by the plugin's files. */
#ifndef MODRUN_CGROUPS_V1_H
#define MODRUN_CGROUPS_V1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <modrun/plugin.h>

/* Controllers, as bits of struct cg1_hierarchy.mask. */
#define CG1_CPU (1u << 0)
#define CG1_CPUACCT (1u << 1)
#define CG1_CPUSET (1u << 2)
#define CG1_MEMORY (1u << 3)
#define CG1_DEVICES (1u << 4)
#define CG1_FREEZER (1u << 5)
#define CG1_BLKIO (1u << 6)
#define CG1_PIDS (1u << 7)
#define CG1_HUGETLB (1u << 8)
#define CG1_NET_CLS (1u << 9)
#define CG1_NET_PRIO (1u << 10)
#define CG1_RDMA (1u << 11)

/* The name of the file, in the state directory, listing the directories
 * prepare created, one a line, parents first. */
#define CG1_RECORD_NAME "cgroups-v1.created"
/* The name of the file, in the state directory, holding the systemd scope
 * of a container created with --systemd-cgroup. */
#define CG1_SYSTEMD_NAME "cgroups-v1.systemd"

/* One mounted hierarchy. */
struct cg1_hierarchy
{
  char *mount;       /* its mount point */
  char *controllers; /* the mount's options naming controllers, "" for cgroup2 */
  unsigned int mask; /* CG1_* */
  bool unified;      /* the cgroup2 hierarchy of a hybrid host */
  char *dir;         /* the container's directory in it, once known */
  bool created;      /* prepare made DIR itself (it did not exist before) */
  size_t fresh_len;  /* length of the first directory prepare made in DIR's path, or 0 */
  bool by_systemd;   /* systemd made DIR for the scope, and removes it */
};

/* The hierarchies of this host, v1 ones first, and the container's path. */
struct cg1_host
{
  struct cg1_hierarchy *h;
  size_t n;
  size_t n_v1;
  unsigned int mask; /* every v1 controller mounted */
  char *path;        /* the container's cgroup, "/a/b", once known */
  char *unit;        /* the systemd scope that is the container's cgroup, or NULL */
};

/* hierarchy.c */
int cg1_host_load (struct modrun_container *c, struct cg1_host *host);
void cg1_host_clear (struct cg1_host *host);
#define cleanup_cg1_host __attribute__ ((cleanup (cg1_host_clear)))
/* Sets host->path and every hierarchy's dir from linux.cgroupsPath. */
int cg1_host_set_path (struct modrun_container *c, struct cg1_host *host);
/* The hierarchy holding controller BIT, or NULL. */
struct cg1_hierarchy *cg1_host_find (struct cg1_host *host, unsigned int bit);
const char *cg1_controller_name (unsigned int bit);

/* File access in cgroupfs. Errors are recorded through c->svc->error and
 * name the file and the value. */
int cg1_write (struct modrun_container *c, const char *dir, const char *file, const char *value);
int cg1_write_fd (struct modrun_container *c, int fd, const char *path, const char *value);
int cg1_open_write (struct modrun_container *c, const char *dir, const char *file, char *path,
                    size_t len);
/* Reads a small file into BUF, without the trailing newline. Returns its
 * length or -errno; records nothing. */
ssize_t cg1_read_small (const char *dir, const char *file, char *buf, size_t len);
/* Reads a whole file into a malloc'ed, NUL-terminated buffer; -errno. */
int cg1_read_alloc (const char *path, char **out, size_t *len);
bool cg1_file_exists (const char *dir, const char *file);

/* Directory lifecycle. Hierarchies whose directory systemd made are left
 * to it. */
int cg1_create_dirs (struct modrun_container *c, struct cg1_host *host);
int cg1_destroy_dirs (struct modrun_container *c);
/* Refuses a cgroup that prepare did not make and that has processes, in
 * it or below it: a container never shares its cgroup, whose limits,
 * freezer and kill --all would reach the other processes too. */
int cg1_check_unused (struct modrun_container *c, struct cg1_host *host);
/* For a container in a systemd scope: marks by_systemd the hierarchies
 * whose directory the runtime did not make, by its record. */
int cg1_mark_systemd_dirs (struct modrun_container *c, struct cg1_host *host);
/* Removes what prepare created, after it failed part way, and empties
 * the record. */
int cg1_undo_dirs (struct modrun_container *c);

/* resources.c */
int cg1_validate_resources (struct modrun_container *c, struct cg1_host *host,
                            const modrun_json *res);
/* CREATE: at create, where a cgroup prepare made has the kernel's defaults
 * (which need not be read back) and the device list is always set; else
 * an update, which changes only what RES names. */
int cg1_apply_resources (struct modrun_container *c, struct cg1_host *host, const modrun_json *res,
                         bool create);
/* Copies cpuset.cpus and cpuset.mems down to directories that lack them;
 * RES (linux.resources, may be NULL) tells what the leaf gets anyway. */
int cg1_cpuset_init (struct modrun_container *c, struct cg1_host *host, const modrun_json *res);

/* control.c */
int cg1_freeze (struct modrun_container *c, struct cg1_host *host, bool frozen);
int cg1_pids (struct modrun_container *c, struct cg1_host *host, pid_t **pids, size_t *n);
int cg1_kill_all (struct modrun_container *c, struct cg1_host *host, int signo);
int cg1_stats (struct modrun_container *c, struct cg1_host *host, modrun_json *out);

#endif
