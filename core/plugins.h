/* Finding, loading, checking and driving plugins. */
#ifndef MODRUN_PLUGINS_H
#define MODRUN_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>

#include <modrun/plugin.h>

#include "utils.h"

struct mr_plugin
{
  const struct modrun_plugin *desc;
  char *name;
  char *path; /* file it came from, or "built-in" */
  void *handle; /* lt_dlhandle */
  void *data;   /* the plugin's per-container slot */
  int by_path;  /* named by a path, which the state then records */
};

struct mr_plugin_set
{
  struct mr_plugin *items; /* sorted by concern */
  size_t n;
};

/* The state of one container the stages see; c.core points at this. */
struct mr_container_core
{
  mr_error *err; /* set by services->error during a stage */
  const char *stage;
  const char *plugin;
  /* What the JSON the plugins read came from, as messages about its
   * fields name it: NULL for config.json; update sets the name of its
   * resources ("stdin", the -r file, "command line"). */
  const char *source;
};

const struct modrun_services *mr_services (void);

/* Initialises C for container ID (may be NULL), pointing at CORE. */
void mr_container_init (struct modrun_container *c, struct mr_container_core *core);

/* Loads the plugins this container needs. SELECTION is --plugins (or NULL),
 * resolved against MODRUN_PLUGINS, the configuration file and probing.
 * CONFIG may be NULL (commands without a container). */
int mr_plugins_select (const char *selection, const modrun_json *config,
                       struct mr_plugin_set *set, mr_error **err);
/* For `features`: the plugins SELECTION would choose for each LSM field of
 * config.json (an AppArmor profile, an SELinux label), whether or not this
 * host has that LSM enabled. */
int mr_plugins_select_lsm (const char *selection, struct mr_plugin_set *set, mr_error **err);
/* Loads exactly the plugins named in a comma-separated list, as recorded in
 * a container's state. */
int mr_plugins_load_list (const char *names, struct mr_plugin_set *set, mr_error **err);
/* Loads one plugin by name or path; checks its ABI. */
int mr_plugin_load (const char *name_or_path, struct mr_plugin *out, mr_error **err);
/* "namespaces,cgroups-v1,mounts" */
char *mr_plugins_names (const struct mr_plugin_set *set);
void mr_plugins_unload (struct mr_plugin_set *set);

/* Offsets of the stage pointers, for mr_plugins_run. */
#define MR_STAGE(field) offsetof (struct modrun_plugin, field), #field

/* Calls stage FIELD of every plugin that has it, in concern order, and
 * stops at the first failure: the error reads "PLUGIN: STAGE: message". */
int mr_plugins_run (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                    const char *stage, mr_error **err);
/* The same for the plugins of CONCERN only (ONLY true), or for all the
 * others (ONLY false). */
int mr_plugins_run_concern (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                            const char *stage, modrun_concern concern, bool only,
                            mr_error **err);
/* The same for the plugins whose concern is in CONCERNS, a mask of
 * MR_CONCERN_BIT values. */
#define MR_CONCERN_BIT(concern) ((concern) < 32 ? 1u << (concern) : 0u)
int mr_plugins_run_concerns (struct mr_plugin_set *set, struct modrun_container *c, size_t offset,
                             const char *stage, uint32_t concerns, mr_error **err);
/* For the trace: stage FIELD of the plugins whose concern is in CONCERNS
 * (MR_CONCERN_BIT values) will run after the command's end, untimed. */
void mr_plugins_trace_defer (struct mr_plugin_set *set, size_t offset, const char *stage,
                             uint32_t concerns);
/* Destroy in reverse order; every plugin runs even when one fails; the
 * first error is returned. */
int mr_plugins_destroy (struct mr_plugin_set *set, struct modrun_container *c, mr_error **err);
/* The plugin of CONCERN in SET, or NULL. */
struct mr_plugin *mr_plugins_find (struct mr_plugin_set *set, modrun_concern concern);

/* "modrun plugins": lists every plugin file in the plugin path with what it
 * is, whether its probe passes here and whether SELECTION (--plugins, may be
 * NULL) would use it. FORMAT is "table" (or NULL) or "json". */
#define MODRUN_HAVE_PLUGINS_CMD 1
int mr_plugins_cmd (const char *selection, const char *format, mr_error **err);

#endif
