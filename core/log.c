/* Logging for the CLI: one-line messages on stderr, and with --log records
 * in logfmt (the text shape runc's callers parse) or one JSON object per
 * line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug;

int
mr_log_init (const char *file, int json, int debug, mr_error **err)
{
  log_json = json != 0;
  log_debug = debug != 0;
  if (log_fd >= 0)
    {
      close (log_fd);
      log_fd = -1;
    }
  if (file == NULL || *file == '\0')
    return 0;
  log_fd = open (file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return mr_fail (err, errno, "--log: open `%s`", file);
  return 0;
}

int
mr_log_debug_enabled (void)
{
  return log_debug;
}

static const char *
level_name (int level)
{
  switch (level)
    {
    case MODRUN_LOG_ERROR:
      return "error";
    case MODRUN_LOG_WARNING:
      return "warning";
    case MODRUN_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

/* Seconds precision, as the records of runc's logger. */
static void
format_time (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Length of the valid UTF-8 sequence at S (1 to 4), or 0 when it is not
 * one. */
static size_t
utf8_length (const unsigned char *s)
{
  size_t n, i;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4;
  else
    return 0;
  for (i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0)
    return 0;
  if (n == 3 && s[0] == 0xed && s[1] >= 0xa0)
    return 0;
  if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
    return 0;
  if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
    return 0;
  return n;
}

/* A logfmt value goes bare only when it is made of the characters logrus
 * leaves unquoted; anything else is a Go-style quoted string. */
static bool
logfmt_bare (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    {
      char ch = *s;

      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
            || strchr ("-._/@^+", ch) != NULL))
        return false;
    }
  return true;
}

static void
logfmt_value (FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;

  if (logfmt_bare (s))
    {
      fputs (s, out);
      return;
    }
  fputc ('"', out);
  while (*p)
    {
      size_t n = utf8_length (p);

      if (n == 0)
        {
          fprintf (out, "\\x%02x", *p);
          p++;
          continue;
        }
      if (n > 1)
        {
          fwrite (p, 1, n, out);
          p += n;
          continue;
        }
      switch (*p)
        {
        case '"':
          fputs ("\\\"", out);
          break;
        case '\\':
          fputs ("\\\\", out);
          break;
        case '\a':
          fputs ("\\a", out);
          break;
        case '\b':
          fputs ("\\b", out);
          break;
        case '\f':
          fputs ("\\f", out);
          break;
        case '\n':
          fputs ("\\n", out);
          break;
        case '\r':
          fputs ("\\r", out);
          break;
        case '\t':
          fputs ("\\t", out);
          break;
        case '\v':
          fputs ("\\v", out);
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            fprintf (out, "\\x%02x", *p);
          else
            fputc (*p, out);
        }
      p++;
    }
  fputc ('"', out);
}

/* Builds the whole record first so that one write() appends it: records of
 * concurrent modrun processes sharing a log never interleave. */
static void
write_record (int level, const char *msg)
{
  char now[64];
  char *buf = NULL;
  size_t len = 0;
  FILE *out;

  format_time (now, sizeof (now));
  out = open_memstream (&buf, &len);
  if (out == NULL)
    return;
  if (log_json)
    {
      cleanup_free char *qmsg = mr_json_quote (msg);

      fprintf (out, "{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s\"}\n", level_name (level), qmsg,
               now);
    }
  else
    {
      fputs ("time=", out);
      logfmt_value (out, now);
      fprintf (out, " level=%s msg=", level_name (level));
      logfmt_value (out, msg);
      fputc ('\n', out);
    }
  if (fclose (out) == 0)
    mr_write_all (log_fd, buf, len);
  free (buf);
}

static void
write_stderr (int level, const char *msg)
{
  const char *tag = "";

  if (level == MODRUN_LOG_WARNING)
    tag = "warning: ";
  else if (level == MODRUN_LOG_INFO)
    tag = "info: ";
  else if (level == MODRUN_LOG_DEBUG)
    tag = "debug: ";
  dprintf (STDERR_FILENO, "modrun: %s%s\n", tag, msg);
}

static void
log_message (int level, const char *msg)
{
  if (level == MODRUN_LOG_DEBUG && !log_debug)
    return;
  if (log_fd >= 0)
    write_record (level, msg);
  /* Errors and warnings always reach the terminal; the chatter of --debug
   * goes there only when there is no log file to hold it. */
  if (level <= MODRUN_LOG_WARNING || (log_fd < 0 && log_debug))
    write_stderr (level, msg);
}

void
mr_vlog (int level, const char *fmt, va_list ap)
{
  char *msg = NULL;
  int saved = errno;

  if (level == MODRUN_LOG_DEBUG && !log_debug)
    return;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  log_message (level, msg);
  free (msg);
  errno = saved;
}

void
mr_log (int level, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  mr_vlog (level, fmt, ap);
  va_end (ap);
}

void
mr_log_fatal (const mr_error *err)
{
  log_message (MODRUN_LOG_ERROR, err && err->msg ? err->msg : "unknown error");
}
