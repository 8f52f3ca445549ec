/* Small helpers every part of the core uses: errors, cleanup, files. */
#ifndef MODRUN_UTILS_H
#define MODRUN_UTILS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The error object: a negative errno-style return goes with it. The message
 * is what the user reads; it names the thing and what was expected. */
typedef struct mr_error
{
  int errnum;
  char *msg;
} mr_error;

/* Records *ERR (when ERR is not NULL and *ERR is still empty) and returns
 * -ERRNUM, or -EINVAL when ERRNUM is 0. With ERRNUM set, ": strerror" is
 * appended to the message. */
int mr_fail (mr_error **err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
int mr_vfail (mr_error **err, int errnum, const char *fmt, va_list ap)
  __attribute__ ((format (printf, 3, 0)));

/* Puts PREFIX ": " in front of the message of *ERR. */
void mr_error_prefix (mr_error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void mr_error_free (mr_error *err);

void mr_freep (void *p);
void mr_closep (int *fd);
void mr_fclosep (FILE **f);
void mr_error_freep (mr_error **err);

#define cleanup_free __attribute__ ((cleanup (mr_freep)))
#define cleanup_close __attribute__ ((cleanup (mr_closep)))
#define cleanup_file __attribute__ ((cleanup (mr_fclosep)))
#define cleanup_error __attribute__ ((cleanup (mr_error_freep)))

/* Hands ownership on: returns the value and leaves the variable empty. */
#define mr_steal_ptr(p)                                                                   \
  ({                                                                                      \
    __typeof__ (p) mr_tmp_ = (p);                                                         \
    (p) = NULL;                                                                           \
    mr_tmp_;                                                                              \
  })
#define mr_steal_fd(fd)                                                                   \
  ({                                                                                      \
    int mr_tmpfd_ = (fd);                                                                 \
    (fd) = -1;                                                                            \
    mr_tmpfd_;                                                                            \
  })

/* Allocation that cannot fail: aborts the runtime when memory is gone. */
void *mr_xmalloc (size_t n);
void *mr_xzalloc (size_t n);
void *mr_xrealloc (void *p, size_t n);
char *mr_xstrdup (const char *s);
char *mr_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Whole-file reads and writes. mr_write_file_atomic writes a temporary file
 * beside PATH and renames it over PATH. */
int mr_read_file (const char *path, char **out, size_t *len, mr_error **err);
int mr_read_file_at (int dirfd, const char *path, char **out, size_t *len, mr_error **err);
int mr_write_file (const char *path, const void *data, size_t len, mode_t mode, mr_error **err);
int mr_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                          mr_error **err);
/* Writes a small value into an existing file (procfs, sysfs, cgroupfs). */
int mr_write_value (const char *path, const char *value, mr_error **err);

/* Writes all of BUF, retrying on EINTR and short writes. */
int mr_write_all (int fd, const void *buf, size_t len);
/* Reads exactly LEN bytes; returns 0, -EPIPE on early EOF, or -errno. */
int mr_read_all (int fd, void *buf, size_t len);

/* mkdir -p with MODE for each missing component. */
int mr_mkdir_p (const char *path, mode_t mode, mr_error **err);
/* rm -rf of a directory tree; ENOENT is not an error. */
int mr_rm_rf (const char *path, mr_error **err);

/* Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat),
 * or 0 when PID does not exist. *ZOMBIE (may be NULL) is set for a process
 * that has exited but not been reaped. */
unsigned long long mr_proc_start_time (pid_t pid, int *zombie);

/* Current time as RFC 3339 with nanoseconds, UTC ("2026-12-04T13:40:00.123456789Z"). */
char *mr_now_rfc3339 (void);

#endif
