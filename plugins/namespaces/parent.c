/* namespaces: the runtime's side. Namespaces given by path are opened and
 * checked before anything is cloned. The PID, time, network, IPC and UTS
 * namespaces to join are entered by the runtime itself just for the clone,
 * so that the init starts in them whatever user namespace it is cloned
 * into, and the runtime returns to its own right after. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "namespaces.h"

/* Joined by the runtime around the clone. */
static const enum ns_kind parent_joins[] = { NS_PID, NS_TIME, NS_NET, NS_IPC, NS_UTS };

static const char *
type_of_nstype (int type)
{
  int k;

  for (k = 0; k < NS_COUNT; k++)
    if (ns_kinds[k].flag == type)
      return ns_kinds[k].type;
  return "unknown";
}

static int
open_namespace (struct modrun_container *c, struct ns_entry *e, enum ns_kind k)
{
  int type;

  e->fd = open (e->path, O_RDONLY | O_CLOEXEC);
  if (e->fd < 0)
    return c->svc->error (c, errno, "linux.namespaces[%u].path: open \"%s\"", e->index, e->path);
  type = ioctl (e->fd, NS_GET_NSTYPE);
  if (type < 0 && (errno == ENOTTY || errno == EINVAL))
    return c->svc->error (
        c, 0, "linux.namespaces[%u].path: \"%s\" is not a namespace file, expected type \"%s\"",
        e->index, e->path, ns_kinds[k].type);
  if (type < 0)
    return c->svc->error (c, errno, "linux.namespaces[%u].path: type of namespace \"%s\"", e->index,
                          e->path);
  if (type != ns_kinds[k].flag)
    return c->svc->error (
        c, 0, "linux.namespaces[%u].path: \"%s\" is a namespace of type \"%s\", expected \"%s\"",
        e->index, e->path, type_of_nstype (type), ns_kinds[k].type);
  return 0;
}

/* A sysctl written in a namespace the runtime itself is in would change
 * the host. */
static int
check_sysctl_targets (struct modrun_container *c, struct ns_config *cfg)
{
  size_t i;

  for (i = 0; i < cfg->n_sysctls; i++)
    {
      const struct ns_sysctl *s = &cfg->sysctls[i];
      const struct ns_entry *e = &cfg->ns[s->needs];
      char own[64];
      struct stat a, b;

      if (e->fd < 0)
        continue;
      snprintf (own, sizeof (own), "/proc/self/ns/%s", ns_kinds[s->needs].proc);
      if (fstat (e->fd, &a) < 0 || stat (own, &b) < 0)
        return c->svc->error (c, errno, "linux.sysctl: \"%s\": compare \"%s\" with %s", s->name,
                              e->path, own);
      if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return c->svc->error (
            c, 0,
            "linux.sysctl: \"%s\" would change the host: \"%s\" is the runtime's own %s namespace",
            s->name, e->path, ns_kinds[s->needs].label);
    }
  return 0;
}

static int
join_for_clone (struct modrun_container *c, struct ns_config *cfg, enum ns_kind k)
{
  /* What children are created in, which for PID and time namespaces is
   * not necessarily where the runtime itself runs. */
  const char *own = k == NS_PID    ? "pid_for_children"
                    : k == NS_TIME ? "time_for_children"
                                   : ns_kinds[k].proc;
  struct ns_entry *e = &cfg->ns[k];
  char path[64];

  snprintf (path, sizeof (path), "/proc/self/ns/%s", own);
  cfg->saved.fd[k] = open (path, O_RDONLY | O_CLOEXEC);
  if (cfg->saved.fd[k] < 0)
    return c->svc->error (c, errno, "open %s", path);
  if (setns (e->fd, ns_kinds[k].flag) < 0)
    return c->svc->error (c, errno, "linux.namespaces[%u].path: join %s namespace \"%s\"", e->index,
                          ns_kinds[k].label, e->path);
  return 0;
}

static void
add_clone_flags (struct modrun_container *c, struct ns_config *cfg)
{
  static const enum ns_kind by_clone[] = { NS_PID, NS_MNT, NS_NET, NS_IPC, NS_UTS, NS_USER };
  static const enum ns_kind after_user[] = { NS_MNT, NS_NET, NS_IPC, NS_UTS };
  size_t i;

  if (ns_new (cfg, NS_CGROUP))
    cfg->unshare_in_child |= ns_kinds[NS_CGROUP].flag;
  if (ns_new (cfg, NS_TIME))
    cfg->unshare_in_child |= ns_kinds[NS_TIME].flag;

  if (!ns_joined (cfg, NS_USER))
    {
      for (i = 0; i < sizeof (by_clone) / sizeof (by_clone[0]); i++)
        if (ns_new (cfg, by_clone[i]))
          c->clone_flags |= (uint64_t)ns_kinds[by_clone[i]].flag;
      return;
    }

  /* A namespace belongs to the user namespace of the process creating it:
   * with a user namespace joined by path, the init creates its own
   * namespaces once it is in there. The mount namespace is also made at
   * clone so that the root is switched with pivot_root; that first copy is
   * left behind when the init unshares again. */
  if (ns_new (cfg, NS_MNT))
    c->clone_flags |= CLONE_NEWNS;
  for (i = 0; i < sizeof (after_user) / sizeof (after_user[0]); i++)
    if (ns_new (cfg, after_user[i]))
      cfg->unshare_in_child |= ns_kinds[after_user[i]].flag;
}

int
ns_parent_prepare (struct modrun_container *c, struct ns_config *cfg)
{
  size_t i;
  int k, ret;

  for (k = 0; k < NS_COUNT; k++)
    if (ns_joined (cfg, (enum ns_kind)k) && cfg->ns[k].fd < 0)
      {
        ret = open_namespace (c, &cfg->ns[k], (enum ns_kind)k);
        if (ret < 0)
          return ret;
      }
  ret = check_sysctl_targets (c, cfg);
  if (ret < 0)
    return ret;

  add_clone_flags (c, cfg);

  for (i = 0; i < sizeof (parent_joins) / sizeof (parent_joins[0]); i++)
    if (ns_joined (cfg, parent_joins[i]))
      {
        ret = join_for_clone (c, cfg, parent_joins[i]);
        if (ret < 0)
          return ret;
        c->svc->log (c, MODRUN_LOG_DEBUG,
                     "namespaces: prepare: joined %s namespace %s for the clone",
                     ns_kinds[parent_joins[i]].label, cfg->ns[parent_joins[i]].path);
      }
  return 0;
}

/* Back to the runtime's own namespaces. Returns the first errno, 0 when
 * all went well. */
static int
restore_own (struct ns_config *cfg, enum ns_kind *failed)
{
  int k, first = 0;

  for (k = 0; k < NS_COUNT; k++)
    {
      if (cfg->saved.fd[k] < 0)
        continue;
      if (setns (cfg->saved.fd[k], ns_kinds[k].flag) < 0 && first == 0)
        {
          first = errno;
          *failed = (enum ns_kind)k;
        }
      close (cfg->saved.fd[k]);
      cfg->saved.fd[k] = -1;
    }
  return first;
}

static void
close_joined (struct ns_config *cfg)
{
  int k;

  for (k = 0; k < NS_COUNT; k++)
    if (cfg->ns[k].fd >= 0)
      {
        close (cfg->ns[k].fd);
        cfg->ns[k].fd = -1;
      }
}

void
ns_parent_release (struct ns_config *cfg)
{
  enum ns_kind failed = NS_PID;

  restore_own (cfg, &failed);
  close_joined (cfg);
}

static int
write_id_map (struct modrun_container *c, const char *key, const char *file,
              const struct ns_id_map *maps, size_t n)
{
  char path[64];
  char *buf;
  size_t len = 0, i;
  ssize_t w;
  int fd, saved;

  buf = malloc (n * 40 + 1);
  if (buf == NULL)
    return c->svc->error (c, ENOMEM, "linux.%s", key);
  for (i = 0; i < n; i++)
    len += (size_t)sprintf (buf + len, "%u %u %u\n", maps[i].container_id, maps[i].host_id,
                            maps[i].size);

  snprintf (path, sizeof (path), "/proc/%d/%s", (int)c->pid, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      saved = errno;
      free (buf);
      return c->svc->error (c, saved, "linux.%s: open %s", key, path);
    }
  /* The kernel takes a map in a single write only. */
  w = write (fd, buf, len);
  saved = errno;
  close (fd);
  free (buf);
  if (w < 0)
    return c->svc->error (c, saved, "linux.%s: write %s", key, path);
  if ((size_t)w != len)
    return c->svc->error (c, EIO, "linux.%s: short write to %s", key, path);
  return 0;
}

int
ns_parent_after_clone (struct modrun_container *c, struct ns_config *cfg)
{
  enum ns_kind failed = NS_PID;
  int err, ret;

  err = restore_own (cfg, &failed);
  close_joined (cfg);
  if (err != 0)
    return c->svc->error (c, err, "return to the runtime's own %s namespace",
                          ns_kinds[failed].label);

  if (!ns_new (cfg, NS_USER))
    return 0;
  ret = write_id_map (c, "uidMappings", "uid_map", cfg->uid_maps, cfg->n_uid_maps);
  if (ret < 0)
    return ret;
  return write_id_map (c, "gidMappings", "gid_map", cfg->gid_maps, cfg->n_gid_maps);
}
