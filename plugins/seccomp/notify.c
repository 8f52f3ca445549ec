/* seccomp: handing the notification fd to the agent at listenerPath. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "seccomp-plugin.h"

#define CONFIG "config.json"

/* The runtime connects before the root changes, so the path is the
 * runtime's; the init inherits the connected socket. It also opens a pipe
 * through which the init learns its pid as the runtime sees it, which it
 * cannot see itself in a new PID namespace. */
int
sc_notify_connect (struct modrun_container *c, struct sc_data *d)
{
  const char *path = d->cfg->listener_path;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fds[2];
  int fd;

  if (strlen (path) >= sizeof (addr.sun_path))
    return c->svc->error (c, 0, "%s: linux.seccomp.listenerPath: longer than %zu bytes: `%s`",
                          CONFIG, sizeof (addr.sun_path) - 1, path);
  memcpy (addr.sun_path, path, strlen (path) + 1);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return c->svc->error (c, errno, "socket for the seccomp listener `%s`", path);
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    {
      int ret = c->svc->error (c, errno, "connect to the seccomp listener `%s`", path);

      close (fd);
      return ret;
    }
  d->listener_fd = fd;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return c->svc->error (c, errno, "pipe for the seccomp listener");
  d->pid_rd = fds[0];
  d->pid_wr = fds[1];
  return 0;
}

/* Parent side, once the init exists: the pid goes down the pipe, and the
 * runtime lets go of what only the init needs. */
int
sc_notify_send_pid (struct modrun_container *c, struct sc_data *d)
{
  int pid = (int)c->pid;
  ssize_t n;

  if (d->pid_wr >= 0)
    {
      do
        n = write (d->pid_wr, &pid, sizeof (pid));
      while (n < 0 && errno == EINTR);
      if (n != (ssize_t)sizeof (pid))
        return c->svc->error (c, n < 0 ? errno : EIO, "pass its pid to the container init");
    }
  sc_closep (&d->pid_wr);
  sc_closep (&d->pid_rd);
  sc_closep (&d->listener_fd);
  d->pid_wr = d->pid_rd = d->listener_fd = -1;
  return 0;
}

static int
read_pid (struct modrun_container *c, struct sc_data *d, int *pid)
{
  ssize_t n;

  sc_closep (&d->pid_wr);
  d->pid_wr = -1;
  do
    n = read (d->pid_rd, pid, sizeof (*pid));
  while (n < 0 && errno == EINTR);
  sc_closep (&d->pid_rd);
  d->pid_rd = -1;
  if (n != (ssize_t)sizeof (*pid))
    return c->svc->error (c, n < 0 ? errno : EPIPE, "read the container's pid from the runtime");
  return 0;
}

/* A growing text buffer; FAILED sticks once memory ran out. */
struct text
{
  char *s;
  size_t len;
  size_t cap;
  bool failed;
};

static void
put (struct text *t, const char *s, size_t n)
{
  if (t->failed)
    return;
  if (t->len + n + 1 > t->cap)
    {
      size_t cap = (t->len + n + 1) * 2;
      char *p = realloc (t->s, cap);

      if (p == NULL)
        {
          t->failed = true;
          return;
        }
      t->s = p;
      t->cap = cap;
    }
  memcpy (t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

static void __attribute__ ((format (printf, 2, 3))) putf (struct text *t, const char *fmt, ...)
{
  char buf[64];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t)n >= sizeof (buf))
    t->failed = true;
  else
    put (t, buf, (size_t)n);
}

static void
put_text (struct text *t, const char *s)
{
  put (t, s, strlen (s));
}

/* S as a JSON string, quotes included. */
static void
put_string (struct text *t, const char *s)
{
  const unsigned char *p;

  put (t, "\"", 1);
  for (p = (const unsigned char *)s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          put (t, "\\", 1);
          put (t, (const char *)p, 1);
        }
      else if (*p < 0x20)
        putf (t, "\\u%04x", *p);
      else
        put (t, (const char *)p, 1);
    }
  put (t, "\"", 1);
}

static void
put_member (struct text *t, const char *key, const char *value)
{
  put_string (t, key);
  put (t, ":", 1);
  put_string (t, value);
}

static void
put_annotations (struct text *t, const modrun_json *config)
{
  const modrun_json *ann = modrun_json_get (config, "annotations");
  uint32_t i;
  bool first = true;

  put (t, "{", 1);
  for (i = 0; ann != NULL && ann->type == MODRUN_JSON_OBJECT && i < ann->count; i++)
    {
      if (ann->items[i]->type != MODRUN_JSON_STRING)
        continue;
      if (!first)
        put (t, ",", 1);
      put_member (t, ann->keys[i], ann->items[i]->string);
      first = false;
    }
  put (t, "}", 1);
}

/* The container process state of the spec. The filter goes in during
 * create, or after start when no_new_privs lets it wait until then. */
static char *
process_state (struct modrun_container *c, struct sc_data *d, int pid)
{
  const modrun_json *version = modrun_json_get (c->config, "ociVersion");
  const modrun_json *nnp = modrun_json_path (c->config, "process.noNewPrivileges");
  bool started = nnp != NULL && nnp->type == MODRUN_JSON_BOOL && nnp->boolean;
  struct text t = { 0 };

  put_text (&t, "{");
  put_member (&t, "ociVersion", MODRUN_SPEC_VERSION);
  put_text (&t, ",\"fds\":[\"seccompFd\"]");
  putf (&t, ",\"pid\":%d", pid);
  if (d->cfg->listener_metadata != NULL)
    {
      put_text (&t, ",");
      put_member (&t, "metadata", d->cfg->listener_metadata);
    }
  put_text (&t, ",\"state\":{");
  put_member (&t, "ociVersion",
              version && version->type == MODRUN_JSON_STRING ? version->string : "");
  put_text (&t, ",");
  put_member (&t, "id", c->id ? c->id : "");
  put_text (&t, ",");
  put_member (&t, "status", started ? "created" : "creating");
  putf (&t, ",\"pid\":%d,", pid);
  put_member (&t, "bundle", c->bundle ? c->bundle : "");
  put_text (&t, ",\"annotations\":");
  put_annotations (&t, c->config);
  put_text (&t, "}}");
  if (t.failed)
    {
      free (t.s);
      return NULL;
    }
  return t.s;
}

/* One sendmsg carries the fd and as much of the state as fits; the rest
 * follows without fds. */
static int
send_state (int sock, const char *msg, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
  struct msghdr mh = { 0 };
  struct cmsghdr *cm;
  size_t done;
  ssize_t n;

  memset (&u, 0, sizeof (u));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof (u.buf);
  cm = CMSG_FIRSTHDR (&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  for (done = (size_t)n; done < len; done += (size_t)n)
    {
      n = send (sock, msg + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        n = 0;
      else if (n < 0)
        return -errno;
    }
  return 0;
}

/* Builds the message before the filter goes in, so that what the init
 * does under the filter is little more than the send. */
int
sc_notify_prepare_message (struct modrun_container *c, struct sc_data *d, char **msg)
{
  int pid = 0;
  int ret;

  ret = read_pid (c, d, &pid);
  if (ret < 0)
    return ret;
  *msg = process_state (c, d, pid);
  if (*msg == NULL)
    return c->svc->error (c, ENOMEM, "the container state for the seccomp listener");
  return 0;
}

int
sc_notify_send (struct modrun_container *c, struct sc_data *d, const char *msg, int listener_fd)
{
  int ret = send_state (d->listener_fd, msg, strlen (msg), listener_fd);

  sc_closep (&d->listener_fd);
  d->listener_fd = -1;
  if (ret < 0)
    return c->svc->error (c, -ret, "send the seccomp fd to the listener `%s`",
                          d->cfg->listener_path);
  return 0;
}
