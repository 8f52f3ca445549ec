/* modrun spec: a starter config.json, the same document runc writes, with
 * the rootless variant for a container run by an unprivileged user. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lifecycle.h"

/* An error whose message says it all: ERRNUM is kept for callers that test
 * it but not spelled out after the message. */
static int __attribute__ ((format (printf, 3, 4)))
fail_plain (mr_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  mr_vfail (err, 0, fmt, ap);
  va_end (ap);
  if (err != NULL && *err != NULL && (*err)->errnum == 0)
    (*err)->errnum = errnum;
  return -errnum;
}

static void
add_strings (modrun_json *parent, const char *key, const char *const *values)
{
  modrun_json *arr = mr_json_add (parent, key, MODRUN_JSON_ARRAY);

  for (; *values; values++)
    mr_json_add_string (arr, NULL, *values);
}

static void
add_mount (modrun_json *mounts, const char *dest, const char *type, const char *source,
           const char *const *options)
{
  modrun_json *m = mr_json_add (mounts, NULL, MODRUN_JSON_OBJECT);

  mr_json_add_string (m, "destination", dest);
  mr_json_add_string (m, "type", type);
  mr_json_add_string (m, "source", source);
  if (options != NULL)
    add_strings (m, "options", options);
}

static void
add_process (modrun_json *root)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[]
      = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  static const char *const sets[] = { "bounding", "effective", "permitted", "ambient", NULL };
  modrun_json *process = mr_json_add (root, "process", MODRUN_JSON_OBJECT);
  modrun_json *user, *capabilities, *rlimits, *nofile;
  size_t i;

  mr_json_add_bool (process, "terminal", 1);
  user = mr_json_add (process, "user", MODRUN_JSON_OBJECT);
  mr_json_add_int (user, "uid", 0);
  mr_json_add_int (user, "gid", 0);
  add_strings (process, "args", args);
  add_strings (process, "env", env);
  mr_json_add_string (process, "cwd", "/");

  capabilities = mr_json_add (process, "capabilities", MODRUN_JSON_OBJECT);
  for (i = 0; sets[i]; i++)
    add_strings (capabilities, sets[i], caps);

  rlimits = mr_json_add (process, "rlimits", MODRUN_JSON_ARRAY);
  nofile = mr_json_add (rlimits, NULL, MODRUN_JSON_OBJECT);
  mr_json_add_string (nofile, "type", "RLIMIT_NOFILE");
  mr_json_add_int (nofile, "hard", 1024);
  mr_json_add_int (nofile, "soft", 1024);
  mr_json_add_bool (process, "noNewPrivileges", 1);
}

static void
add_mounts (modrun_json *root, bool rootless)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const shm[]
      = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_bind[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  modrun_json *mounts = mr_json_add (root, "mounts", MODRUN_JSON_ARRAY);

  add_mount (mounts, "/proc", "proc", "proc", NULL);
  add_mount (mounts, "/dev", "tmpfs", "tmpfs", dev);
  if (rootless)
    {
      /* Without a mapping for gid 5 in the user namespace, devpts refuses
       * the option; the whole rest of the list stays. */
      static const char *const pts_rootless[]
          = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };

      add_mount (mounts, "/dev/pts", "devpts", "devpts", pts_rootless);
    }
  else
    add_mount (mounts, "/dev/pts", "devpts", "devpts", pts);
  add_mount (mounts, "/dev/shm", "tmpfs", "shm", shm);
  add_mount (mounts, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  /* A fresh sysfs needs a network namespace owned by the container's user
   * namespace; a rootless container keeps the host's network, so it gets a
   * read-only bind of the host's /sys instead. */
  if (rootless)
    add_mount (mounts, "/sys", "none", "/sys", sys_bind);
  else
    add_mount (mounts, "/sys", "sysfs", "sysfs", sys);
  add_mount (mounts, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
}

static void
add_id_mapping (modrun_json *linux_, const char *key, unsigned int host_id)
{
  modrun_json *arr = mr_json_add (linux_, key, MODRUN_JSON_ARRAY);
  modrun_json *m = mr_json_add (arr, NULL, MODRUN_JSON_OBJECT);

  mr_json_add_int (m, "containerID", 0);
  mr_json_add_int (m, "hostID", host_id);
  mr_json_add_int (m, "size", 1);
}

static void
add_linux (modrun_json *root, bool rootless)
{
  static const char *const masked[] = { "/proc/acpi",
                                        "/proc/asound",
                                        "/proc/kcore",
                                        "/proc/keys",
                                        "/proc/latency_stats",
                                        "/proc/timer_list",
                                        "/proc/timer_stats",
                                        "/proc/sched_debug",
                                        "/sys/firmware",
                                        "/proc/scsi",
                                        NULL };
  static const char *const readonly[]
      = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  modrun_json *linux_ = mr_json_add (root, "linux", MODRUN_JSON_OBJECT);
  modrun_json *namespaces;
  const char *const *names;

  if (rootless)
    {
      add_id_mapping (linux_, "uidMappings", (unsigned int)geteuid ());
      add_id_mapping (linux_, "gidMappings", (unsigned int)getegid ());
    }
  else
    {
      modrun_json *resources = mr_json_add (linux_, "resources", MODRUN_JSON_OBJECT);
      modrun_json *devices = mr_json_add (resources, "devices", MODRUN_JSON_ARRAY);
      modrun_json *deny = mr_json_add (devices, NULL, MODRUN_JSON_OBJECT);

      mr_json_add_bool (deny, "allow", 0);
      mr_json_add_string (deny, "access", "rwm");
    }

  namespaces = mr_json_add (linux_, "namespaces", MODRUN_JSON_ARRAY);
  for (names = rootless ? ns_rootless : ns; *names; names++)
    {
      modrun_json *n = mr_json_add (namespaces, NULL, MODRUN_JSON_OBJECT);

      mr_json_add_string (n, "type", *names);
    }
  add_strings (linux_, "maskedPaths", masked);
  add_strings (linux_, "readonlyPaths", readonly);
}

static modrun_json *
build_spec (bool rootless)
{
  modrun_json *root = mr_json_new (MODRUN_JSON_OBJECT);
  modrun_json *rootfs;

  mr_json_add_string (root, "ociVersion", MODRUN_SPEC_VERSION);
  add_process (root);
  rootfs = mr_json_add (root, "root", MODRUN_JSON_OBJECT);
  mr_json_add_string (rootfs, "path", "rootfs");
  mr_json_add_bool (rootfs, "readonly", 1);
  mr_json_add_string (root, "hostname", "modrun");
  add_mounts (root, rootless);
  add_linux (root, rootless);
  return root;
}

/* The serializer indents with two spaces; the file is indented with tabs
 * as runc writes it. Only leading spaces change: no string in the
 * document holds a newline. */
static char *
indent_with_tabs (const char *text)
{
  char *out = mr_xmalloc (strlen (text) + 1);
  char *o = out;
  bool line_start = true;

  while (*text)
    {
      if (line_start && text[0] == ' ' && text[1] == ' ')
        {
          *o++ = '\t';
          text += 2;
          continue;
        }
      line_start = *text == '\n';
      *o++ = *text++;
    }
  *o = '\0';
  return out;
}

int
mr_spec (const char *bundle, bool rootless, mr_error **err)
{
  cleanup_json modrun_json *spec = build_spec (rootless);
  cleanup_free char *path = mr_xasprintf ("%s/config.json", bundle ? bundle : ".");
  cleanup_free char *text = NULL;
  cleanup_free char *tabbed = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;
  int ret;

  ret = mr_json_serialize (spec, 1, &text, &len, err);
  if (ret < 0)
    return ret;
  while (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  tabbed = indent_with_tabs (text);

  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return fail_plain (err, EEXIST, "File config.json exists. Remove it first.");
      return mr_fail (err, errno, "spec: create `%s`", path);
    }
  ret = mr_write_all (fd, tabbed, strlen (tabbed));
  if (ret < 0)
    {
      ret = mr_fail (err, -ret, "spec: write `%s`", path);
      unlink (path);
      return ret;
    }
  return 0;
}
