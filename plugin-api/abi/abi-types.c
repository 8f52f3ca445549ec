/* The plugin ABI, made visible to abidw.
 *
 * No library of modrun exports the plugin ABI: it lives in the headers
 * alone. Built as a shared object with debug information, this file exports
 * functions whose parameters are every public type, so that the object's
 * DWARF describes every struct, typedef and function pointer type of
 * <modrun/plugin.h> and <modrun/json.h>. abi-check.sh dumps it into the
 * baseline modrun-plugin-1.abi, or compares a fresh build against that
 * baseline with abidiff.
 *
 * The values of the macros are not in DWARF; those a built plugin carries
 * (magic, major, concerns, levels, flags, commands, JSON types) are frozen
 * for major 1 below, so that changing one fails the build of this file.
 * Adding a value is allowed; the minor is not frozen, since a minor bump is
 * what it is for. */
#include <modrun/plugin.h>

#define FROZEN(name, value) _Static_assert((name) == (value), #name " changed within ABI major 1")

FROZEN (MODRUN_PLUGIN_MAGIC, 0x4d524e50u);
FROZEN (MODRUN_ABI_MAJOR, 1);

FROZEN (MODRUN_CONCERN_NAMESPACES, 1);
FROZEN (MODRUN_CONCERN_CGROUPS, 2);
FROZEN (MODRUN_CONCERN_MOUNTS, 3);
FROZEN (MODRUN_CONCERN_LSM, 4);
FROZEN (MODRUN_CONCERN_EXTRA, 5);
FROZEN (MODRUN_CONCERN_SECCOMP, 6);

FROZEN (MODRUN_LOG_ERROR, 0);
FROZEN (MODRUN_LOG_WARNING, 1);
FROZEN (MODRUN_LOG_INFO, 2);
FROZEN (MODRUN_LOG_DEBUG, 3);

FROZEN (MODRUN_OPT_NO_PIVOT, 1u << 0);
FROZEN (MODRUN_OPT_NO_NEW_KEYRING, 1u << 1);
FROZEN (MODRUN_OPT_SYSTEMD_CGROUP, 1u << 2);

FROZEN (MODRUN_CMD_NONE, 0u);
FROZEN (MODRUN_CMD_CREATE, 1u);
FROZEN (MODRUN_CMD_RUN, 2u);
FROZEN (MODRUN_CMD_START, 3u);
FROZEN (MODRUN_CMD_STATE, 4u);
FROZEN (MODRUN_CMD_KILL, 5u);
FROZEN (MODRUN_CMD_DELETE, 6u);
FROZEN (MODRUN_CMD_EXEC, 7u);
FROZEN (MODRUN_CMD_UPDATE, 8u);
FROZEN (MODRUN_CMD_PAUSE, 9u);
FROZEN (MODRUN_CMD_RESUME, 10u);
FROZEN (MODRUN_CMD_PS, 11u);
FROZEN (MODRUN_CMD_EVENTS, 12u);
FROZEN (MODRUN_CMD_FEATURES, 13u);
FROZEN (MODRUN_CMD_PLUGINS, 14u);

FROZEN (MODRUN_JSON_NULL, 0);
FROZEN (MODRUN_JSON_BOOL, 1);
FROZEN (MODRUN_JSON_INTEGER, 2);
FROZEN (MODRUN_JSON_DOUBLE, 3);
FROZEN (MODRUN_JSON_STRING, 4);
FROZEN (MODRUN_JSON_ARRAY, 5);
FROZEN (MODRUN_JSON_OBJECT, 6);

/* The entry symbol's spelling is part of the ABI too. */
_Static_assert(sizeof (MODRUN_PLUGIN_ENTRY_PREFIX) == sizeof ("modrun_plugin_entry_"),
               "MODRUN_PLUGIN_ENTRY_PREFIX changed within ABI major 1");

/* Every member of every public struct, in order. abidiff sees a struct
 * through pointers, and a comparison that lets members be appended (see
 * abi.suppr) would also let a member change its type or place while the
 * struct keeps its size. So each member is also a parameter of its own: its
 * type, and its offset as the length of an array, are then compared
 * outside the struct: in abidiff's report, parameters 2k-1 and 2k of
 * modrun_abi_STRUCT_members are the type and the offset of member k. A
 * member added in a minor release is appended to its list, and *_LAST
 * updated, when the baseline is refreshed; a dump refuses an incomplete
 * list. */
/* clang-format off */
#define PLUGIN_MEMBERS(X) \
  X (magic)               \
  X (abi_major)           \
  X (abi_minor)           \
  X (size)                \
  X (concern)             \
  X (name)                \
  X (version)             \
  X (description)         \
  X (caps)                \
  X (probe)               \
  X (validate)            \
  X (prepare)             \
  X (parent_after_clone)  \
  X (child_rootfs)        \
  X (child_after_pivot)   \
  X (child_before_exec)   \
  X (poststart)           \
  X (destroy)             \
  X (update)              \
  X (pause)               \
  X (resume)              \
  X (stats)               \
  X (kill_all)            \
  X (list_pids)           \
  X (features)            \
  X (release)
#define PLUGIN_LAST release

#define CONTAINER_MEMBERS(X) \
  X (size)                   \
  X (command)                \
  X (svc)                    \
  X (id)                     \
  X (bundle)                 \
  X (state_dir)              \
  X (rootfs)                 \
  X (config)                 \
  X (pid)                    \
  X (options)                \
  X (clone_flags)            \
  X (core)                   \
  X (cgroup_fd)              \
  X (born_in_cgroup)         \
  X (join_fds)               \
  X (n_join_fds)             \
  X (joined)
#define CONTAINER_LAST joined

#define SERVICES_MEMBERS(X) \
  X (size)                  \
  X (abi_major)             \
  X (abi_minor)             \
  X (log)                   \
  X (error)                 \
  X (get_string)            \
  X (get_int)               \
  X (get_bool)              \
  X (get_array)             \
  X (get_object)            \
  X (state_path)            \
  X (json_add)              \
  X (json_add_string)       \
  X (json_add_int)          \
  X (json_add_bool)
#define SERVICES_LAST json_add_bool

#define JSON_MEMBERS(X) \
  X (type)              \
  X (count)             \
  X (boolean)           \
  X (integer)           \
  X (number)            \
  X (string)            \
  X (length)            \
  X (keys)              \
  X (items)
#define JSON_LAST items
/* clang-format on */

#define MEMBER_TYPE(S, m) __typeof__ (((S *)0)->m)
#define MEMBER_PARAMS(S, m) MEMBER_TYPE (S, m) m, const char (*m##_at)[offsetof (S, m) + 1],

#define PLUGIN_PARAMS(m) MEMBER_PARAMS (struct modrun_plugin, m)
#define CONTAINER_PARAMS(m) MEMBER_PARAMS (struct modrun_container, m)
#define SERVICES_PARAMS(m) MEMBER_PARAMS (struct modrun_services, m)
#define JSON_PARAMS(m) MEMBER_PARAMS (modrun_json, m)

#ifdef MODRUN_ABI_DUMP
/* The listed members end where the struct does (up to its alignment). */
#define ENDS_AT(S, m)                                                                              \
  ((offsetof (S, m) + sizeof (MEMBER_TYPE (S, m)) + _Alignof(S) - 1) / _Alignof(S) * _Alignof(S))
#define COMPLETE(S, m)                                                                             \
  _Static_assert(ENDS_AT (S, m) == sizeof (S), #S ": a member is missing from its list in "        \
                                                  "abi-types.c")
COMPLETE (struct modrun_plugin, PLUGIN_LAST);
COMPLETE (struct modrun_container, CONTAINER_LAST);
COMPLETE (struct modrun_services, SERVICES_LAST);
COMPLETE (modrun_json, JSON_LAST);
#endif

MODRUN_PLUGIN_EXPORT void modrun_abi_plugin (const struct modrun_plugin *p);
MODRUN_PLUGIN_EXPORT void modrun_abi_container (const struct modrun_container *c);
MODRUN_PLUGIN_EXPORT void modrun_abi_services (const struct modrun_services *s);
MODRUN_PLUGIN_EXPORT void modrun_abi_json (const modrun_json *j);
MODRUN_PLUGIN_EXPORT void modrun_abi_stage (modrun_stage_fn fn);
MODRUN_PLUGIN_EXPORT void modrun_abi_values (modrun_concern concern, modrun_json_type type);
MODRUN_PLUGIN_EXPORT void modrun_abi_plugin_members (PLUGIN_MEMBERS (PLUGIN_PARAMS) int end);
MODRUN_PLUGIN_EXPORT void
modrun_abi_container_members (CONTAINER_MEMBERS (CONTAINER_PARAMS) int end);
MODRUN_PLUGIN_EXPORT void modrun_abi_services_members (SERVICES_MEMBERS (SERVICES_PARAMS) int end);
MODRUN_PLUGIN_EXPORT void modrun_abi_json_members (JSON_MEMBERS (JSON_PARAMS) int end);

/* The bodies are empty: only the signatures matter. */
void
modrun_abi_plugin (const struct modrun_plugin *p)
{
}

void
modrun_abi_container (const struct modrun_container *c)
{
}

void
modrun_abi_services (const struct modrun_services *s)
{
}

void
modrun_abi_json (const modrun_json *j)
{
}

void
modrun_abi_stage (modrun_stage_fn fn)
{
}

void
modrun_abi_values (modrun_concern concern, modrun_json_type type)
{
}

void
modrun_abi_plugin_members (PLUGIN_MEMBERS (PLUGIN_PARAMS) int end)
{
}

void
modrun_abi_container_members (CONTAINER_MEMBERS (CONTAINER_PARAMS) int end)
{
}

void
modrun_abi_services_members (SERVICES_MEMBERS (SERVICES_PARAMS) int end)
{
}

void
modrun_abi_json_members (JSON_MEMBERS (JSON_PARAMS) int end)
{
}
