/* The state directory: ROOT/ID/ with state.json, config.json (the copy
 * taken at create), exec.fifo while the container is created, and a lock. */
#ifndef MODRUN_STATE_H
#define MODRUN_STATE_H

#include <sys/types.h>

#include <modrun/json.h>

#include "utils.h"

enum mr_status
{
  MR_STATUS_CREATING,
  MR_STATUS_CREATED,
  MR_STATUS_RUNNING,
  MR_STATUS_PAUSED,
  MR_STATUS_STOPPED,
};

struct mr_state
{
  char *id;
  pid_t pid;
  unsigned long long start_time; /* of pid, to tell a reused pid */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;   /* "" for root, as runc */
  char *plugins; /* comma-separated list the container was created with */
  char *oci_version;
  unsigned int options; /* MODRUN_OPT_* */
  modrun_json *annotations; /* owned, may be NULL */
};

/* Checks an id: non-empty, at most 1024 bytes of [A-Za-z0-9_+.-], not "." or "..". */
int mr_state_check_id (const char *id, mr_error **err);

/* ROOT/ID; the caller frees. */
char *mr_state_dir (const char *root, const char *id);

/* Creates ROOT (0700) if needed and ROOT/ID exclusively; fails with
 * "container with given ID already exists" when it is there. */
int mr_state_create_dir (const char *root, const char *id, char **dir, mr_error **err);

/* Takes an exclusive flock on the container's directory; returns the fd. */
int mr_state_lock (const char *dir, mr_error **err);

/* Loads ROOT/ID/state.json; "container does not exist" when absent. */
int mr_state_load (const char *root, const char *id, struct mr_state **out, mr_error **err);
int mr_state_save (const char *dir, const struct mr_state *st, mr_error **err);
void mr_state_free (struct mr_state *st);

/* The status the container is in now. */
enum mr_status mr_state_status (const char *dir, const struct mr_state *st);
const char *mr_status_name (enum mr_status s);

/* The spec's state document (ociVersion, id, status, pid, bundle,
 * annotations) plus runc's rootfs, created and owner. */
modrun_json *mr_state_to_json (const struct mr_state *st, enum mr_status status);
/* The same, as compact JSON text (what hooks read on stdin); malloc'ed. */
char *mr_state_text (const struct mr_state *st, enum mr_status status);



/* start's half of the exec fifo: waits (while PID lives) for the init to
 * reach the fifo, lets it go on to exec, and removes the fifo. */
int mr_state_release_fifo (const char *dir, const struct mr_state *st, mr_error **err);
#endif
