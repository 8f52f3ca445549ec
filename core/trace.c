/* The per-plugin, per-stage timings of one command. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"
#include "utils.h"

struct trace_row
{
  char *stage;
  char *plugin;
  bool in_container; /* ran in the container's init or exec'd process */
  bool deferred;     /* runs after the command's end: not timed */
  unsigned int calls;
  uint64_t ns;
};

static struct
{
  bool on;
  char *command;
  uint64_t start;
  struct trace_row *rows; /* in the order of their first record */
  size_t n;
} trace;

uint64_t
mr_trace_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
mr_trace_start (bool on, const char *command)
{
  trace.on = on;
  if (!on)
    return;
  free (trace.command);
  trace.command = mr_xstrdup (command ? command : "modrun");
  trace.start = mr_trace_now ();
}

bool
mr_trace_on (void)
{
  return trace.on;
}

static struct trace_row *
row_for (const char *plugin, const char *stage, bool in_container)
{
  struct trace_row *r;
  size_t i;

  for (i = 0; i < trace.n; i++)
    {
      r = &trace.rows[i];
      if (r->in_container == in_container && strcmp (r->stage, stage) == 0
          && strcmp (r->plugin, plugin) == 0)
        return r;
    }
  trace.rows = mr_xrealloc (trace.rows, (trace.n + 1) * sizeof (*trace.rows));
  r = &trace.rows[trace.n++];
  memset (r, 0, sizeof (*r));
  r->stage = mr_xstrdup (stage);
  r->plugin = mr_xstrdup (plugin);
  r->in_container = in_container;
  return r;
}

/* Child stages run in the container's process only: that is where they
 * are recorded. */
static bool
is_child_stage (const char *stage)
{
  return strncmp (stage, "child_", 6) == 0;
}

void
mr_trace_add (const char *plugin, const char *stage, uint64_t ns)
{
  struct trace_row *r;

  if (!trace.on)
    return;
  r = row_for (plugin, stage, is_child_stage (stage));
  r->calls++;
  r->ns += ns;
}

void
mr_trace_defer (const char *plugin, const char *stage)
{
  if (trace.on)
    row_for (plugin, stage, true)->deferred = true;
}

char *
mr_trace_child_text (void)
{
  char *text = NULL;
  size_t i;

  for (i = 0; trace.on && i < trace.n; i++)
    {
      const struct trace_row *r = &trace.rows[i];
      char *more;

      if (!r->in_container)
        continue;
      more = mr_xasprintf ("%s%s %s %u %" PRIu64 " %d\n", text ? text : "", r->stage, r->plugin,
                           r->calls, r->ns, r->deferred ? 1 : 0);
      free (text);
      text = more;
    }
  return text;
}

void
mr_trace_merge_child_text (const char *text)
{
  cleanup_free char *copy = NULL;
  char *save = NULL, *line;

  if (!trace.on || text == NULL)
    return;
  copy = mr_xstrdup (text);
  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char stage[64], plugin[256];
      unsigned int calls;
      uint64_t ns;
      int deferred;
      struct trace_row *r;

      if (sscanf (line, "%63s %255s %u %" SCNu64 " %d", stage, plugin, &calls, &ns, &deferred) != 5
          || !is_child_stage (stage))
        continue;
      r = row_for (plugin, stage, true);
      r->calls += calls;
      r->ns += ns;
      r->deferred = r->deferred || deferred;
    }
}

static void
format_ms (char *buf, size_t len, uint64_t ns)
{
  snprintf (buf, len, "%" PRIu64 ".%03" PRIu64, ns / 1000000u, ns / 1000u % 1000u);
}

void
mr_trace_print (FILE *f)
{
  static const char *const heads[] = { "STAGE", "PLUGIN", "PROCESS", "CALLS", "MS" };
  size_t width[5], i, k;
  uint64_t total = 0;
  char calls[32], ms[32], all_calls[32], all_ms[32], command_ms[32], label[96];
  unsigned int n_calls = 0;

  if (!trace.on)
    return;
  for (k = 0; k < 5; k++)
    width[k] = strlen (heads[k]);
  width[2] = strlen ("container");
  for (i = 0; i < trace.n; i++)
    {
      const struct trace_row *r = &trace.rows[i];

      if (strlen (r->stage) > width[0])
        width[0] = strlen (r->stage);
      if (strlen (r->plugin) > width[1])
        width[1] = strlen (r->plugin);
      if (!r->deferred)
        {
          total += r->ns;
          n_calls += r->calls;
        }
    }
  snprintf (label, sizeof (label), "(%s)", trace.command);
  if (strlen (label) > width[0])
    width[0] = strlen (label);
  if (strlen ("(plugins)") > width[0])
    width[0] = strlen ("(plugins)");
  snprintf (all_calls, sizeof (all_calls), "%u", n_calls);
  format_ms (all_ms, sizeof (all_ms), total);
  format_ms (command_ms, sizeof (command_ms), mr_trace_now () - trace.start);
  if (strlen (command_ms) > width[4])
    width[4] = strlen (command_ms);

  fprintf (f, "modrun: trace of %s, per plugin and stage\n", trace.command);
  fprintf (f, "%-*s  %-*s  %-*s  %*s  %*s\n", (int)width[0], heads[0], (int)width[1], heads[1],
           (int)width[2], heads[2], (int)width[3], heads[3], (int)width[4], heads[4]);
  for (i = 0; i < trace.n; i++)
    {
      const struct trace_row *r = &trace.rows[i];

      if (r->deferred && r->calls == 0)
        {
          fprintf (
              f,
              "%-*s  %-*s  %-*s  %*s  %*s  not timed: runs right before exec, once the runtime "
              "stopped waiting\n",
              (int)width[0], r->stage, (int)width[1], r->plugin, (int)width[2], "container",
              (int)width[3], "-", (int)width[4], "-");
          continue;
        }
      snprintf (calls, sizeof (calls), "%u", r->calls);
      format_ms (ms, sizeof (ms), r->ns);
      fprintf (f, "%-*s  %-*s  %-*s  %*s  %*s\n", (int)width[0], r->stage, (int)width[1], r->plugin,
               (int)width[2], r->in_container ? "container" : "runtime", (int)width[3], calls,
               (int)width[4], ms);
    }
  fprintf (f, "%-*s  %-*s  %-*s  %*s  %*s\n", (int)width[0], "(plugins)", (int)width[1], "",
           (int)width[2], "", (int)width[3], all_calls, (int)width[4], all_ms);
  fprintf (f, "%-*s  %-*s  %-*s  %*s  %*s\n", (int)width[0], label, (int)width[1], "",
           (int)width[2], "", (int)width[3], "", (int)width[4], command_ms);
  fflush (f);
}
