/* Tracing: the time each plugin spends in each stage of one command, for
 * `--debug` or MODRUN_TRACE=1, printed as a table on stderr at its end. */
#ifndef MODRUN_TRACE_H
#define MODRUN_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Starts the trace of COMMAND (may be NULL) when ON; a command that is not
 * traced records nothing. */
void mr_trace_start (bool on, const char *command);
bool mr_trace_on (void);

/* Monotonic nanoseconds. */
uint64_t mr_trace_now (void);

/* One call of STAGE of PLUGIN that took NS nanoseconds, in the runtime. */
void mr_trace_add (const char *plugin, const char *stage, uint64_t ns);
/* Notes that STAGE of PLUGIN runs in the container's process after the
 * runtime stopped waiting for it (right before exec): it is listed, but not
 * timed. */
void mr_trace_defer (const char *plugin, const char *stage);

/* In the container's process (the init, or the process exec starts): the
 * records of the stages it ran itself (child_*), as text
 * for the sync socket, or NULL when there are none. The parent merges that
 * text into its own trace. */
char *mr_trace_child_text (void);
void mr_trace_merge_child_text (const char *text);

/* The table, on F; nothing when the command is not traced. */
void mr_trace_print (FILE *f);

#endif
