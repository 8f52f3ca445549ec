/* Logging: text (runc's logfmt shape) or JSON lines with level, msg, time.
 * Warnings and errors also reach stderr; debug lines only with --debug. */
#ifndef MODRUN_LOG_H
#define MODRUN_LOG_H

#include <modrun/plugin.h> /* MODRUN_LOG_* levels */

#include "utils.h"

/* FILE may be NULL (stderr only). JSON selects --log-format json. */
int mr_log_init (const char *file, int json, int debug, mr_error **err);
int mr_log_debug_enabled (void);
void mr_log (int level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void mr_vlog (int level, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
/* The one line a failed command prints: "modrun: MSG" on stderr, and an
 * error record in the log file when there is one. */
void mr_log_fatal (const mr_error *err);

#endif
