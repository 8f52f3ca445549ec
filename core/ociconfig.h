/* The parts of config.json the core itself acts on. Everything else is
 * read by the plugins that own it, from the same parsed tree. */
#ifndef MODRUN_OCICONFIG_H
#define MODRUN_OCICONFIG_H

#include <stdint.h>
#include <sys/capability.h>
#include <sys/types.h>

#include <modrun/json.h>

#include "utils.h"

#define MR_CAP_BOUNDING 0
#define MR_CAP_EFFECTIVE 1
#define MR_CAP_INHERITABLE 2
#define MR_CAP_PERMITTED 3
#define MR_CAP_AMBIENT 4
#define MR_CAP_NSETS 5

struct mr_rlimit
{
  int resource;
  uint64_t soft;
  uint64_t hard;
};

struct mr_process
{
  int present;
  int terminal;
  int has_console_size;
  unsigned int console_height;
  unsigned int console_width;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated */
  char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  int has_umask;
  mode_t umask;
  int has_caps;                   /* process.capabilities present */
  cap_value_t *caps[MR_CAP_NSETS]; /* each set; NULL with ncaps 0 when absent */
  size_t ncaps[MR_CAP_NSETS];
  struct mr_rlimit *rlimits;
  size_t n_rlimits;
  int no_new_privileges;
  int has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
};

struct mr_config
{
  modrun_json *tree; /* owned */
  char *oci_version;
  char *rootfs; /* absolute */
  int root_readonly;
  struct mr_process process;
  const modrun_json *annotations; /* into tree, may be NULL */
  const modrun_json *hooks;       /* into tree, may be NULL */
  int has_personality;            /* linux.personality present */
  unsigned long personality;      /* its domain, for personality(2) */
};

/* Reads BUNDLE/config.json (or PATH when not NULL). Errors name the file
 * and, for a field, its dotted path and the type expected. A missing rootfs
 * is an error here. */
int mr_config_load (const char *bundle, const char *path, struct mr_config **out,
                    mr_error **err);
void mr_config_free (struct mr_config *cfg);

/* Parses a "process" object (config.json's, or exec's process.json). WHERE
 * prefixes field names in messages ("process"). */
int mr_process_parse (const modrun_json *obj, const char *where, struct mr_process *p,
                      mr_error **err);
void mr_process_clear (struct mr_process *p);

/* Capability name ("CAP_SYS_ADMIN") to value; -1 when unknown. */
int mr_cap_from_name (const char *name);
/* rlimit type ("RLIMIT_NOFILE") to resource; -1 when unknown. */
int mr_rlimit_from_name (const char *name);

#endif
