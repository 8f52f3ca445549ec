/* modrun plugin ABI, major 1.
 *
 * A plugin is a shared object (or, in a built-in build, an archive linked
 * through libltdl's dlpreopen) that exports exactly one data symbol,
 * MODRUN_PLUGIN_ENTRY (ident), holding its descriptor. The core checks the
 * descriptor's magic, major, minor and size before it calls anything.
 *
 * Compatibility rules:
 *  - the major must equal the core's; a minor newer than the core's is
 *    refused; an older minor loads;
 *  - structs only grow at the end, and the core never reads a descriptor
 *    field past the size the plugin declared;
 *  - a field added in minor N is used only when the plugin's minor is >= N;
 *  - every enum-like value in these headers is a fixed-width integer. */
#ifndef MODRUN_PLUGIN_H
#define MODRUN_PLUGIN_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include <modrun/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MODRUN_PLUGIN_MAGIC 0x4d524e50u /* "MRNP" */
#define MODRUN_ABI_MAJOR 1
#define MODRUN_ABI_MINOR 1

/* The entry symbol of plugin IDENT (its name with '-' written as '_'). */
#define MODRUN_PLUGIN_ENTRY(ident) modrun_plugin_entry_##ident
#define MODRUN_PLUGIN_ENTRY_PREFIX "modrun_plugin_entry_"

#if defined(__GNUC__)
#define MODRUN_PLUGIN_EXPORT __attribute__ ((visibility ("default")))
#else
#define MODRUN_PLUGIN_EXPORT
#endif

/* Initialiser for the fixed head of a descriptor. */
#define MODRUN_PLUGIN_HEAD                                                              \
  .magic = MODRUN_PLUGIN_MAGIC, .abi_major = MODRUN_ABI_MAJOR,                          \
  .abi_minor = MODRUN_ABI_MINOR, .size = (uint32_t) sizeof (struct modrun_plugin)

/* What a plugin is responsible for. Within one stage the core calls plugins
 * in this order (destroy runs in the reverse order). */
typedef uint32_t modrun_concern;
#define MODRUN_CONCERN_NAMESPACES ((modrun_concern) 1)
#define MODRUN_CONCERN_CGROUPS ((modrun_concern) 2)
#define MODRUN_CONCERN_MOUNTS ((modrun_concern) 3)
#define MODRUN_CONCERN_LSM ((modrun_concern) 4)
#define MODRUN_CONCERN_EXTRA ((modrun_concern) 5)
#define MODRUN_CONCERN_SECCOMP ((modrun_concern) 6)

/* Log levels for services->log. Plugins log at DEBUG only; errors are
 * returned through services->error. */
#define MODRUN_LOG_ERROR 0
#define MODRUN_LOG_WARNING 1
#define MODRUN_LOG_INFO 2
#define MODRUN_LOG_DEBUG 3

/* struct modrun_container.options */
#define MODRUN_OPT_NO_PIVOT (1u << 0)
#define MODRUN_OPT_NO_NEW_KEYRING (1u << 1)
#define MODRUN_OPT_SYSTEMD_CGROUP (1u << 2)

/* struct modrun_container.command: the command being run. */
#define MODRUN_CMD_NONE 0u
#define MODRUN_CMD_CREATE 1u
#define MODRUN_CMD_RUN 2u
#define MODRUN_CMD_START 3u
#define MODRUN_CMD_STATE 4u
#define MODRUN_CMD_KILL 5u
#define MODRUN_CMD_DELETE 6u
#define MODRUN_CMD_EXEC 7u
#define MODRUN_CMD_UPDATE 8u
#define MODRUN_CMD_PAUSE 9u
#define MODRUN_CMD_RESUME 10u
#define MODRUN_CMD_PS 11u
#define MODRUN_CMD_EVENTS 12u
#define MODRUN_CMD_FEATURES 13u
#define MODRUN_CMD_PLUGINS 14u

struct modrun_services;

/* One container, as the core sees it. Plugins read it; the only fields a
 * plugin writes are those marked "plugins add". */
struct modrun_container
{
  uint32_t size;
  uint32_t command;
  const struct modrun_services *svc;
  const char *id;          /* NULL during a probe without a container */
  const char *bundle;      /* absolute path */
  const char *state_dir;   /* this container's directory under --root */
  const char *rootfs;      /* absolute path of root.path */
  const modrun_json *config; /* config.json, parsed */
  pid_t pid;               /* container init as the runtime sees it; 0 before clone */
  uint32_t options;        /* MODRUN_OPT_* */
  uint64_t clone_flags;    /* plugins add CLONE_NEW* flags in prepare */
  void *core;              /* the core's own; plugins leave it alone */

  /* Since ABI 1.1. A cgroups plugin may set cgroup_fd in prepare to a
   * directory (O_RDONLY | O_DIRECTORY) of the container's cgroup in a
   * cgroup2 hierarchy; it stays the plugin's to close. The core then
   * creates the init in that cgroup with clone3's CLONE_INTO_CGROUP and
   * sets born_in_cgroup to 1 before parent_after_clone, or leaves it 0
   * when the kernel cannot. The core sets cgroup_fd to -1 first. */
  int32_t cgroup_fd;
  uint32_t born_in_cgroup;
  /* Since ABI 1.1. A cgroups plugin may point join_fds in prepare at
   * n_join_fds descriptors of cgroup v1 "tasks" files of the container's
   * cgroups, open for writing; they stay the plugin's. Unless the init is
   * made in a new user namespace, its first step is to write "0" to each,
   * which moves it without the kernel's global migration lock, and the
   * core sets joined to 1 before parent_after_clone. */
  const int32_t *join_fds;
  uint32_t n_join_fds;
  uint32_t joined;
};

typedef int (*modrun_stage_fn) (struct modrun_container *c, void **data);

/* The descriptor. Every stage pointer may be NULL. A stage returns 0 or a
 * negative errno value after recording a message with services->error.
 * DATA points to this plugin's slot for this container, NULL at first. */
struct modrun_plugin
{
  uint32_t magic;
  uint16_t abi_major;
  uint16_t abi_minor;
  uint32_t size;
  modrun_concern concern;
  const char *name;
  const char *version;
  const char *description;
  uint64_t caps; /* reserved, 0 */

  /* Parent, at load: is this backend usable here? c->id may be NULL. */
  modrun_stage_fn probe;
  /* Parent, before anything changes: refuse config this plugin owns but
   * cannot honour. */
  modrun_stage_fn validate;
  /* Parent, before clone. */
  modrun_stage_fn prepare;
  /* Parent, after clone, child waiting; c->pid is set. */
  modrun_stage_fn parent_after_clone;
  /* Child, in its new mount namespace, before the root is switched. */
  modrun_stage_fn child_rootfs;
  /* Child, after pivot_root (or chroot with --no-pivot). */
  modrun_stage_fn child_after_pivot;
  /* Child, after credentials and capabilities are set, just before exec.
   * Plugins of concern lsm run it earlier, while the child still has all
   * its privileges: before the session keyring is made, before any seccomp
   * filter and before the credentials change. */
  modrun_stage_fn child_before_exec;
  /* Parent, after the user process started. */
  modrun_stage_fn poststart;
  /* Parent, on delete or after a failed create. Must be idempotent and
   * must work from the saved config alone (another process than create). */
  modrun_stage_fn destroy;

  /* Cgroup backends. */
  int (*update) (struct modrun_container *c, void **data, const modrun_json *resources);
  modrun_stage_fn pause;
  modrun_stage_fn resume;
  /* Adds runc's "events --stats" data members to OUT (an object). */
  int (*stats) (struct modrun_container *c, void **data, modrun_json *out);
  int (*kill_all) (struct modrun_container *c, void **data, int signo);
  /* *PIDS is malloc'ed; the core frees it. */
  int (*list_pids) (struct modrun_container *c, void **data, pid_t **pids, size_t *n);

  /* Adds this plugin's part to the spec's features document OUT. */
  int (*features) (struct modrun_container *c, modrun_json *out);

  /* Frees what the plugin keeps in its data slot. Called once, in every
   * process that ran a stage, before the plugin is unloaded, whenever the
   * slot is not NULL. */
  void (*release) (void *data);
};

/* What the core offers plugins. */
struct modrun_services
{
  uint32_t size;
  uint16_t abi_major;
  uint16_t abi_minor;

  void (*log) (const struct modrun_container *c, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

  /* Records the error of the running stage and returns -ERRNUM (-EINVAL
   * when ERRNUM is 0). With ERRNUM set, ": strerror" is appended. */
  int (*error) (struct modrun_container *c, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

  /* Typed reads of member KEY of OBJ. WHERE names OBJ in messages, as a
   * dotted path from the config's root ("" for the root itself). Return 1
   * when present and of the right type, 0 when absent or null (OUT left
   * alone), or a negative value after recording an error that names the
   * document, the field and the type expected. The document is
   * config.json, but in the update op, whose RESOURCES come from the
   * command line, stdin or a file: the error names that source. */
  int (*get_string) (struct modrun_container *c, const modrun_json *obj, const char *where,
                     const char *key, const char **out);
  int (*get_int) (struct modrun_container *c, const modrun_json *obj, const char *where,
                  const char *key, int64_t *out);
  int (*get_bool) (struct modrun_container *c, const modrun_json *obj, const char *where,
                   const char *key, int *out);
  int (*get_array) (struct modrun_container *c, const modrun_json *obj, const char *where,
                    const char *key, const modrun_json **out);
  int (*get_object) (struct modrun_container *c, const modrun_json *obj, const char *where,
                     const char *key, const modrun_json **out);

  /* Writes into BUF the path of NAME inside the container's state
   * directory. Returns 0, or a negative value when it does not fit. */
  int (*state_path) (const struct modrun_container *c, const char *name, char *buf, size_t len);

  /* Building output documents (features, stats). KEY names the member to
   * add to object PARENT; with KEY NULL, PARENT is an array and the value
   * is appended. json_add returns the new, empty object or array (TYPE is
   * MODRUN_JSON_OBJECT or MODRUN_JSON_ARRAY), or NULL when out of memory. */
  modrun_json *(*json_add) (modrun_json *parent, const char *key, modrun_json_type type);
  int (*json_add_string) (modrun_json *parent, const char *key, const char *value);
  int (*json_add_int) (modrun_json *parent, const char *key, int64_t value);
  int (*json_add_bool) (modrun_json *parent, const char *key, int value);
};

#ifdef __cplusplus
}
#endif

#endif
