/* landlock: the parts shared by the plugin's files. */
#ifndef MODRUN_LANDLOCK_PLUGIN_H
#define MODRUN_LANDLOCK_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <modrun/plugin.h>

/* The annotation that carries the rules, a JSON document in a string. */
#define LL_ANNOTATION "run.modrun.landlock"

/* Filesystem access rights, by value: the kernel may know more of them
 * than the headers the plugin is built with. */
#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */

/* The rights a rule on a file that is not a directory may carry. */
#define LL_FS_FILE_RIGHTS                                                                          \
  (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* The lists of the annotation, in the order the rules are added. */
enum ll_kind
{
  LL_READ_ONLY,
  LL_READ_WRITE,
  LL_EXECUTE,
  LL_N_KINDS
};

/* The annotation's member names, by kind, and "read_only,read_write,execute". */
extern const char *const ll_kind_names[LL_N_KINDS];
extern const char ll_kind_list[];

/* The annotation, parsed and checked. */
struct ll_rules
{
  char **paths[LL_N_KINDS];
  size_t n[LL_N_KINDS];
  bool present[LL_N_KINDS]; /* the member was given, even empty */
};

/* Everything the plugin keeps for one container, in its data slot. */
struct ll_data
{
  struct ll_rules *rules; /* NULL when the config has no annotation */
  bool loaded;            /* the annotation was looked for */
  int abi;                /* the kernel's Landlock ABI, once asked */
  int ruleset_fd;         /* built in the container, enforced before exec; or -1 */
};

/* rules.c: parses TEXT, the annotation's value, into *OUT. On bad input,
 * returns -EINVAL after recording one error that names the annotation and
 * the member. */
int ll_rules_parse (struct modrun_container *c, const char *text, struct ll_rules **out);
void ll_rules_free (struct ll_rules *r);
/* PATH into DST for a message on one line: control characters become '?'. */
void ll_printable (char *dst, size_t size, const char *path);

/* abi.c: the kernel's Landlock ABI version (>= 1), or a negative errno
 * after recording why Landlock cannot be used. */
int ll_abi_detect (struct modrun_container *c);
/* What the result RET (with ERRNUM) of landlock_create_ruleset(NULL, 0,
 * VERSION) means: the ABI version, or 0 with *WHY saying why Landlock is
 * unusable. */
int ll_abi_from_probe (long ret, int errnum, const char **why);
/* The filesystem rights a ruleset handles under ABI, with or without
 * execution. */
uint64_t ll_fs_handled (int abi, bool execute);
/* The rights a rule of KIND grants, within HANDLED, on a directory or on
 * another file. */
uint64_t ll_fs_allowed (enum ll_kind kind, uint64_t handled, bool directory);

/* ruleset.c: builds the ruleset of D's rules on the paths of the current
 * root into D->ruleset_fd; then restricts the calling process with it. */
int ll_ruleset_build (struct modrun_container *c, struct ll_data *d);
int ll_ruleset_restrict (struct modrun_container *c, struct ll_data *d);

static inline void
ll_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

static inline void
ll_freep (void *p)
{
  free (*(void **)p);
}

#define ll_cleanup_close __attribute__ ((cleanup (ll_closep)))
#define ll_cleanup_free __attribute__ ((cleanup (ll_freep)))

#endif
