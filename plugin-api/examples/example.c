/* example: a modrun plugin built out of tree, against the installed
 * <modrun/plugin.h> alone.
 *
 * It writes /run/vendor-example inside the container, once the root is
 * switched: a line with the container's id and, when the annotation
 * org.example.greeting is set, a line with its text. Everything it does
 * goes through the descriptor and the services table:
 *
 *   validate            reads and checks its annotation, and refuses a
 *                       config where /run would not be writable;
 *   prepare             (parent) formats what it will write into its data
 *                       slot, which the container's init inherits;
 *   child_after_pivot   (init) writes the file;
 *   release             frees the slot. */
#define _GNU_SOURCE /* asprintf */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <modrun/plugin.h>

#define EXAMPLE_FILE "/run/vendor-example"
#define EXAMPLE_ANNOTATION "org.example.greeting"
#define EXAMPLE_GREETING_MAX 200

/* The greeting of the config, or NULL: 1 when set, 0 when not, negative
 * after an error recorded through the services. */
static int
example_greeting (struct modrun_container *c, const char **out)
{
  const struct modrun_services *svc = c->svc;
  const modrun_json *annotations = NULL;
  int ret;

  *out = NULL;
  ret = svc->get_object (c, c->config, "", "annotations", &annotations);
  if (ret <= 0)
    return ret;
  return svc->get_string (c, annotations, "annotations", EXAMPLE_ANNOTATION, out);
}

/* Whether the config mounts something on /run. */
static int
example_has_run_mount (const modrun_json *config)
{
  const modrun_json *mounts = modrun_json_get (config, "mounts");
  uint32_t i;

  for (i = 0; mounts != NULL && i < mounts->count; i++)
    {
      const modrun_json *dest = modrun_json_get (modrun_json_at (mounts, i), "destination");

      if (dest != NULL && dest->type == MODRUN_JSON_STRING
          && (strcmp (dest->string, "/run") == 0 || strcmp (dest->string, "/run/") == 0))
        return 1;
    }
  return 0;
}

static int
example_validate (struct modrun_container *c, void **data)
{
  const struct modrun_services *svc = c->svc;
  const modrun_json *root;
  const char *greeting;
  int readonly = 0;
  int ret;

  ret = example_greeting (c, &greeting);
  if (ret < 0)
    return ret;
  if (greeting != NULL && (strlen (greeting) > EXAMPLE_GREETING_MAX || strchr (greeting, '\n')))
    return svc->error (c, 0,
                       "annotations." EXAMPLE_ANNOTATION ": expected one line of at most %d bytes",
                       EXAMPLE_GREETING_MAX);

  ret = svc->get_object (c, c->config, "", "root", &root);
  if (ret > 0)
    ret = svc->get_bool (c, root, "root", "readonly", &readonly);
  if (ret < 0)
    return ret;
  if (readonly && !example_has_run_mount (c->config))
    return svc->error (c, 0,
                       "root.readonly is true and nothing is mounted on /run: " EXAMPLE_FILE
                       " could not be written");
  return 0;
}

static int
example_prepare (struct modrun_container *c, void **data)
{
  const char *greeting;
  char *text;
  int ret;

  ret = example_greeting (c, &greeting);
  if (ret < 0)
    return ret;
  if (asprintf (&text, "container: %s\n%s%s%s", c->id, greeting ? "greeting: " : "",
                greeting ? greeting : "", greeting ? "\n" : "")
      < 0)
    return c->svc->error (c, ENOMEM, "prepare the text of " EXAMPLE_FILE);
  *data = text;
  c->svc->log (c, MODRUN_LOG_DEBUG, "will write %zu bytes to " EXAMPLE_FILE, strlen (text));
  return 0;
}

static int
example_child_after_pivot (struct modrun_container *c, void **data)
{
  const char *text = *data;
  size_t len = strlen (text);
  ssize_t n;
  int fd;

  /* A file the image already has is not ours to overwrite. */
  fd = open (EXAMPLE_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return c->svc->error (c, errno, "create " EXAMPLE_FILE);
  n = write (fd, text, len);
  if (n < 0 || (size_t)n != len)
    {
      int err = n < 0 ? errno : EIO;

      close (fd);
      return c->svc->error (c, err, "write " EXAMPLE_FILE);
    }
  if (close (fd) < 0)
    return c->svc->error (c, errno, "close " EXAMPLE_FILE);
  return 0;
}

static void
example_release (void *data)
{
  free (data);
}

MODRUN_PLUGIN_EXPORT const struct modrun_plugin MODRUN_PLUGIN_ENTRY (example) = {
  MODRUN_PLUGIN_HEAD,
  .concern = MODRUN_CONCERN_EXTRA,
  .name = "example",
  .version = "1.0",
  .description = "writes " EXAMPLE_FILE " with the container id (an out-of-tree example)",
  .validate = example_validate,
  .prepare = example_prepare,
  .child_after_pivot = example_child_after_pivot,
  .release = example_release,
};
