/* namespaces: the init's side, between its clone and the exec. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "namespaces.h"

static int
join (struct modrun_container *c, struct ns_config *cfg, enum ns_kind k)
{
  struct ns_entry *e = &cfg->ns[k];

  if (setns (e->fd, ns_kinds[k].flag) < 0)
    return -errno;
  close (e->fd);
  e->fd = -1;
  c->svc->log (c, MODRUN_LOG_DEBUG, "namespaces: child_rootfs: joined %s namespace %s",
               ns_kinds[k].label, e->path);
  return 0;
}

static int
join_failed (struct modrun_container *c, struct ns_config *cfg, enum ns_kind k, int err)
{
  return c->svc->error (c, -err, "linux.namespaces[%u].path: join %s namespace \"%s\"",
                        cfg->ns[k].index, ns_kinds[k].label, cfg->ns[k].path);
}

/* Joins the cgroup, mount and user namespaces given by path. The others
 * were entered by the runtime for the clone. A namespace that belongs to
 * the joined user namespace may only be enterable from inside it, one of
 * the host only from outside: each is tried first as we are, then again
 * from within the user namespace. */
static int
join_namespaces (struct modrun_container *c, struct ns_config *cfg)
{
  static const enum ns_kind order[] = { NS_CGROUP, NS_MNT };
  bool retry[NS_COUNT] = { false };
  size_t i;
  int ret;

  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    {
      enum ns_kind k = order[i];

      if (!ns_joined (cfg, k))
        continue;
      ret = join (c, cfg, k);
      if (ret == -EPERM && ns_joined (cfg, NS_USER))
        retry[k] = true;
      else if (ret < 0)
        return join_failed (c, cfg, k, ret);
    }

  if (!ns_joined (cfg, NS_USER))
    return 0;
  ret = join (c, cfg, NS_USER);
  if (ret < 0)
    return join_failed (c, cfg, NS_USER, ret);

  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    if (retry[order[i]] && (ret = join (c, cfg, order[i])) < 0)
      return join_failed (c, cfg, order[i], ret);
  return 0;
}

static int
become_root (struct modrun_container *c, struct ns_config *cfg)
{
  if (!cfg->ns[NS_USER].present)
    return 0;
  if (setresgid (0, 0, 0) < 0)
    return c->svc->error (
        c, errno, "become gid 0 in the user namespace (is gid 0 mapped in linux.gidMappings?)");
  if (setresuid (0, 0, 0) < 0)
    return c->svc->error (
        c, errno, "become uid 0 in the user namespace (is uid 0 mapped in linux.uidMappings?)");
  return 0;
}

static void
describe_flags (int flags, char *buf, size_t len)
{
  size_t used = 0;
  int k;

  buf[0] = '\0';
  for (k = 0; k < NS_COUNT && used < len; k++)
    if (flags & ns_kinds[k].flag)
      used
          += (size_t)snprintf (buf + used, len - used, "%s%s", used ? ", " : "", ns_kinds[k].label);
}

static int
write_time_offsets (struct modrun_container *c, struct ns_config *cfg, int fd)
{
  char buf[128];
  size_t len = 0;
  ssize_t w;

  if (cfg->monotonic.present)
    len += (size_t)snprintf (buf + len, sizeof (buf) - len, "monotonic %lld %lld\n",
                             (long long)cfg->monotonic.secs, (long long)cfg->monotonic.nanosecs);
  if (cfg->boottime.present)
    len += (size_t)snprintf (buf + len, sizeof (buf) - len, "boottime %lld %lld\n",
                             (long long)cfg->boottime.secs, (long long)cfg->boottime.nanosecs);
  w = write (fd, buf, len);
  if (w < 0)
    return c->svc->error (c, errno, "linux.timeOffsets: write /proc/self/timens_offsets");
  if ((size_t)w != len)
    return c->svc->error (c, EIO, "linux.timeOffsets: short write to /proc/self/timens_offsets");
  return 0;
}

/* The runtime's fds are close-on-exec; these go now all the same, so that
 * no namespace of the runtime's stays within reach of the init. */
static void
close_inherited (struct ns_config *cfg)
{
  int k;

  for (k = 0; k < NS_COUNT; k++)
    {
      if (cfg->ns[k].fd >= 0)
        close (cfg->ns[k].fd);
      if (cfg->saved.fd[k] >= 0)
        close (cfg->saved.fd[k]);
      cfg->ns[k].fd = -1;
      cfg->saved.fd[k] = -1;
    }
}

int
ns_child_rootfs (struct modrun_container *c, struct ns_config *cfg)
{
  int offsets_fd = -1;
  int ret;

  /* Opened before a mount namespace is joined, which may have no /proc;
   * the file stays bound to this process either way. */
  if (cfg->monotonic.present || cfg->boottime.present)
    {
      offsets_fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      if (offsets_fd < 0)
        return c->svc->error (c, errno, "linux.timeOffsets: open /proc/self/timens_offsets");
    }

  ret = join_namespaces (c, cfg);
  if (ret == 0)
    ret = become_root (c, cfg);
  if (ret == 0 && cfg->unshare_in_child != 0 && unshare (cfg->unshare_in_child) < 0)
    {
      char what[128];

      describe_flags (cfg->unshare_in_child, what, sizeof (what));
      ret = c->svc->error (c, errno, "linux.namespaces: create the %s namespaces", what);
    }
  /* Offsets are taken only while no process is in the new time namespace;
   * the exec moves the init into it. */
  if (ret == 0 && offsets_fd >= 0)
    ret = write_time_offsets (c, cfg, offsets_fd);
  if (offsets_fd >= 0)
    close (offsets_fd);
  close_inherited (cfg);
  return ret;
}

static int
loopback_up (struct modrun_container *c)
{
  struct ifreq ifr;
  int fd, ret = 0;

  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return c->svc->error (c, errno, "bring up lo in the new network namespace: socket");
  memset (&ifr, 0, sizeof (ifr));
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    ret = c->svc->error (c, errno, "bring up lo in the new network namespace: read its flags");
  else if (!(ifr.ifr_flags & IFF_UP))
    {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
        ret = c->svc->error (c, errno, "bring up lo in the new network namespace");
    }
  close (fd);
  return ret;
}

static int
write_sysctl (struct modrun_container *c, int procsys, const struct ns_sysctl *s)
{
  const char *rel = s->file + strlen ("/proc/sys/");
  size_t len = strlen (s->value);
  ssize_t w;
  int fd;

  fd = openat (procsys, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return c->svc->error (c, errno, "linux.sysctl: \"%s\": open %s", s->name, s->file);
  w = write (fd, s->value, len);
  if (w < 0)
    {
      int saved = errno;

      close (fd);
      return c->svc->error (c, saved, "linux.sysctl: \"%s\": write \"%s\" to %s", s->name, s->value,
                            s->file);
    }
  close (fd);
  if ((size_t)w != len)
    return c->svc->error (c, EIO, "linux.sysctl: \"%s\": short write to %s", s->name, s->file);
  c->svc->log (c, MODRUN_LOG_DEBUG, "namespaces: child_after_pivot: %s = %s", s->name, s->value);
  return 0;
}

static int
write_sysctls (struct modrun_container *c, struct ns_config *cfg)
{
  struct statfs st;
  size_t i;
  int procsys, ret = 0;

  if (cfg->n_sysctls == 0)
    return 0;
  procsys = open ("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (procsys < 0)
    return c->svc->error (
        c, errno, "linux.sysctl: open /proc/sys in the container (is proc mounted on /proc?)");
  if (fstatfs (procsys, &st) < 0 || st.f_type != PROC_SUPER_MAGIC)
    {
      close (procsys);
      return c->svc->error (
          c, 0, "linux.sysctl: /proc/sys is not a proc filesystem; expected proc mounted on /proc");
    }
  for (i = 0; i < cfg->n_sysctls && ret == 0; i++)
    ret = write_sysctl (c, procsys, &cfg->sysctls[i]);
  close (procsys);
  return ret;
}

int
ns_child_after_pivot (struct modrun_container *c, struct ns_config *cfg)
{
  int ret;

  if (cfg->hostname && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return c->svc->error (c, errno, "hostname: set \"%s\"", cfg->hostname);
  if (cfg->domainname && setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
    return c->svc->error (c, errno, "domainname: set \"%s\"", cfg->domainname);
  if (ns_new (cfg, NS_NET))
    {
      ret = loopback_up (c);
      if (ret < 0)
        return ret;
    }
  return write_sysctls (c, cfg);
}
