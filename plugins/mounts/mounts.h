/* mounts: the parts shared by the plugin's files. */
#ifndef MODRUN_MOUNTS_H
#define MODRUN_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <modrun/plugin.h>

/* Most propagation options one mount entry may carry. */
#define MNT_MAX_PROP 8

/* One entry of "mounts", checked and decoded. */
struct mnt_mount
{
  unsigned int index;    /* position in the config's array */
  const char *dest_cfg;  /* destination as written */
  char *dest;            /* relative to the rootfs, cleaned, never empty */
  char *source;          /* bind mounts: absolute; others: as written or NULL */
  const char *type;      /* NULL for a bind mount without a type */
  unsigned long flags;   /* MS_* the options set */
  unsigned long cleared; /* MS_* the options clear explicitly */
  unsigned long prop[MNT_MAX_PROP];
  size_t n_prop;
  uint64_t rattr_set; /* MOUNT_ATTR_* applied recursively */
  uint64_t rattr_clr;
  bool bind;
  bool rec;
  bool atime_given; /* some option chose the atime behaviour */
  char *data;       /* options the kernel gets as data, or NULL */
};

/* One device node to make. */
struct mnt_device
{
  int index;        /* in linux.devices, or -1 for a default device */
  const char *path; /* absolute, as written */
  char *rel;        /* relative to the rootfs */
  mode_t type;      /* S_IFCHR, S_IFBLK or S_IFIFO */
  unsigned int major;
  unsigned int minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

/* Everything of the config this plugin acts on. */
struct mnt_spec
{
  struct mnt_mount *mounts;
  size_t n_mounts;
  struct mnt_device *devices; /* the config's, then the defaults it lacks */
  size_t n_devices;
  const char **masked;
  size_t n_masked;
  const char **readonly;
  size_t n_readonly;
  unsigned long root_prop; /* MS_* of linux.rootfsPropagation, 0 when absent */
  bool root_readonly;
  bool mountns;        /* linux.namespaces has a mount namespace */
  bool mountns_joined; /* ... given by path: its mounts are already made */
  bool userns;         /* ... a user namespace */
  bool netns;          /* ... a network namespace */
  bool cgroupns;       /* ... a cgroup namespace */
  bool root_is_host;   /* the rootfs is the runtime's own "/" */
};

/* config.c */
int mnt_spec_load (struct modrun_container *c, struct mnt_spec **out);
void mnt_spec_free (struct mnt_spec *spec);
/* Adds every mount option this plugin knows to array ARR. */
int mnt_list_options (struct modrun_container *c, modrun_json *arr);

/* resolve.c: paths inside the rootfs, never leaving it. REL is relative to
 * the directory ROOTFD stands for; symlinks resolve as if it were "/". */
/* An O_PATH fd of REL, or -errno (nothing recorded). */
int mnt_open_in_root (int rootfd, const char *rel);
/* Opens REL, creating the missing directories on the way and, when FILE is
 * set, an empty file as the last component (else a directory). Returns an
 * O_PATH fd or a negative value after recording an error naming WHAT. */
int mnt_mkpath_in_root (struct modrun_container *c, int rootfd, const char *rel, bool file,
                        const char *what);
/* "/proc/self/fd/N" into BUF. */
const char *mnt_fd_path (int fd, char *buf, size_t len);
/* Cleans a destination into a path relative to "/": no leading, trailing or
 * repeated '/', no "." component. Returns NULL when out of memory. */
char *mnt_clean_rel (const char *path);
/* The MS_* of a statfs f_flags value that a bind remount must keep. */
unsigned long mnt_locked_flags (unsigned long f_flags);

/* rootfs.c */
int mnt_child_rootfs (struct modrun_container *c, struct mnt_spec *spec);
/* Without a mount namespace: detaches the mounts of "mounts" from the
 * rootfs, in the runtime's mount namespace. */
int mnt_detach_host_mounts (struct modrun_container *c, const struct mnt_spec *spec);
/* Mounts in mountinfo order, for the cgroup helpers: fields of one line. */
struct mnt_info
{
  char *root;  /* root of the mount within its filesystem */
  char *point; /* mount point */
  char *fstype;
  char *super; /* super options */
};
int mnt_info_load (struct modrun_container *c, struct mnt_info **out, size_t *n);
void mnt_info_free (struct mnt_info *info, size_t n);
/* Remounts the bind mount FD (an O_PATH fd of its root) with the flags of
 * M, keeping the locked flags of its filesystem that M does not clear. */
int mnt_remount_bind (struct modrun_container *c, const struct mnt_mount *m, int fd,
                      const char *dest);
/* Bind mounts M->source on TARGETFD (M->dest resolved in ROOTFD), then
 * applies M's options but those in STRIP. */
int mnt_bind (struct modrun_container *c, const struct mnt_mount *m, int rootfd, int targetfd,
              unsigned long strip);
/* An fd of what now sits on M->dest, checked to be another mount than
 * OLDFD's. */
int mnt_reopen_mounted (struct modrun_container *c, int rootfd, const struct mnt_mount *m,
                        int oldfd);
/* Propagation changes and recursive attributes of M, on mount FD. */
int mnt_apply_extra (struct modrun_container *c, const struct mnt_mount *m, int fd);

/* cgroup.c */
int mnt_mount_cgroup (struct modrun_container *c, const struct mnt_spec *spec,
                      const struct mnt_mount *m, int rootfd, int targetfd);

/* devices.c */
int mnt_make_devices (struct modrun_container *c, const struct mnt_spec *spec, int rootfd);

/* paths.c: after the root switch. */
int mnt_child_after_pivot (struct modrun_container *c, const struct mnt_spec *spec);

/* Cleanup helpers (plugins do not link the core's). */
static inline void
mnt_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

static inline void
mnt_freep (void *p)
{
  free (*(void **)p);
}

#define mnt_cleanup_close __attribute__ ((cleanup (mnt_closep)))
#define mnt_cleanup_free __attribute__ ((cleanup (mnt_freep)))

#endif
