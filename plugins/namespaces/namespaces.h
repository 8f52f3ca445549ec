/* namespaces: what the plugin reads from config.json and shares between
 * its stages. */
#ifndef MODRUN_NAMESPACES_H
#define MODRUN_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <modrun/plugin.h>

#define NS_MAX_ID_MAPPINGS 340 /* lines the kernel takes in one uid_map */

enum ns_kind
{
  NS_PID,
  NS_NET,
  NS_MNT,
  NS_IPC,
  NS_UTS,
  NS_USER,
  NS_CGROUP,
  NS_TIME,
  NS_COUNT
};

struct ns_kind_info
{
  const char *type;  /* as written in config.json */
  const char *proc;  /* name under /proc/PID/ns */
  const char *label; /* as written in messages */
  int flag;          /* CLONE_NEW* */
};

extern const struct ns_kind_info ns_kinds[NS_COUNT];

struct ns_entry
{
  bool present;
  uint32_t index;   /* in linux.namespaces */
  const char *path; /* NULL for a namespace to create */
  int fd;           /* the opened path, from prepare on */
};

struct ns_id_map
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct ns_time_offset
{
  bool present;
  int64_t secs;
  int64_t nanosecs;
};

struct ns_sysctl
{
  const char *name; /* as written in config.json */
  const char *value;
  char *file; /* under /proc/sys */
  enum ns_kind needs;
};

/* Fds of the parent's own namespaces, kept while it has joined others. */
struct ns_saved
{
  int fd[NS_COUNT];
};

struct ns_config
{
  struct ns_entry ns[NS_COUNT];
  struct ns_id_map *uid_maps;
  size_t n_uid_maps;
  struct ns_id_map *gid_maps;
  size_t n_gid_maps;
  struct ns_time_offset monotonic;
  struct ns_time_offset boottime;
  const char *hostname;
  const char *domainname;
  struct ns_sysctl *sysctls;
  size_t n_sysctls;

  /* From prepare on. */
  struct ns_saved saved;
  int unshare_in_child; /* CLONE_NEW* flags the child unshares itself */
};

static inline bool
ns_new (const struct ns_config *cfg, enum ns_kind k)
{
  return cfg->ns[k].present && cfg->ns[k].path == NULL;
}

static inline bool
ns_joined (const struct ns_config *cfg, enum ns_kind k)
{
  return cfg->ns[k].present && cfg->ns[k].path != NULL;
}

/* config.c: reads and checks everything the plugin owns. */
int ns_config_load (struct modrun_container *c, struct ns_config **out);
void ns_config_free (struct ns_config *cfg);
/* The configuration kept in DATA since prepare, or parsed now. */
int ns_config_get (struct modrun_container *c, void **data, struct ns_config **out);

/* parent.c */
int ns_parent_prepare (struct modrun_container *c, struct ns_config *cfg);
int ns_parent_after_clone (struct modrun_container *c, struct ns_config *cfg);
void ns_parent_release (struct ns_config *cfg);

/* child.c */
int ns_child_rootfs (struct modrun_container *c, struct ns_config *cfg);
int ns_child_after_pivot (struct modrun_container *c, struct ns_config *cfg);

#endif
