/* Unit tests of the "slice:prefix:name" form of linux.cgroupsPath. */
#include "config.h"

/* The plugins' source itself: it is built into each cgroup backend and
 * exports nothing to link against. */
#include "systemd-path.c"
#include "tap.h"

static const char *
expand (const char *slice)
{
  static char out[PATH_MAX];
  char err[256];

  if (cgroup_systemd_expand_slice (slice, out, sizeof (out), err, sizeof (err)) < 0)
    return NULL;
  return out;
}

static void
test_expand (void)
{
  is_str (expand ("system.slice"), "/system.slice", "a top-level slice");
  is_str (expand ("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice", "a nested slice");
  is_str (expand ("machine-qemu\\x2d1.slice"), "/machine.slice/machine-qemu\\x2d1.slice",
          "an escaped dash does not nest");
  is_str (expand ("-.slice"), "/", "the root slice");
  ok (expand ("a--b.slice") == NULL, "an empty part is refused");
  ok (expand ("-a.slice") == NULL, "a leading dash is refused");
  ok (expand ("a-.slice") == NULL, "a trailing dash is refused");
  ok (expand ("a.scope") == NULL, "a unit that is not a slice is refused");
  ok (expand (".slice") == NULL, "an empty slice name is refused");
  ok (expand ("a/b.slice") == NULL, "a slash is refused");
}

static void
test_parse (void)
{
  struct cgroup_systemd_unit u;
  char err[256];

  ok (cgroup_systemd_parse ("system.slice:docker:abc", "id", &u, err, sizeof (err)) == 0,
      "slice:prefix:name");
  is_str (u.unit, "docker-abc.scope", "the scope is prefix-name.scope");
  is_str (u.path, "/system.slice/docker-abc.scope", "in the slice's cgroup");

  ok (cgroup_systemd_parse (":crio:xyz", "id", &u, err, sizeof (err)) == 0, "an empty slice");
  is_str (u.slice, "system.slice", "stands for system.slice");
  is_str (u.path, "/system.slice/crio-xyz.scope", "and the scope goes there");

  ok (cgroup_systemd_parse ("kubepods-besteffort-pod1.slice:cri:c1", "id", &u, err, sizeof (err))
          == 0,
      "a nested slice");
  is_str (u.path,
          "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-c1.scope",
          "expands into every level");

  ok (cgroup_systemd_parse ("user.slice::c2", "id", &u, err, sizeof (err)) == 0, "an empty prefix");
  is_str (u.unit, "c2.scope", "names the scope after the name alone");

  ok (cgroup_systemd_parse ("system.slice:x:a-b.slice", "id", &u, err, sizeof (err)) == 0,
      "a name that is a slice");
  is_str (u.unit, "a-b.slice", "is the unit");
  is_str (u.path, "/a.slice/a-b.slice", "placed by its own name");

  ok (cgroup_systemd_parse (NULL, "c3", &u, err, sizeof (err)) == 0, "no cgroupsPath");
  is_str (u.path, "/system.slice/modrun-c3.scope", "is system.slice:modrun:ID");

  ok (cgroup_systemd_parse ("/a/b", "id", &u, err, sizeof (err)) < 0, "a plain path is refused");
  ok (strstr (err, "expected \"slice:prefix:name\"") != NULL, "naming the form expected: %s", err);
  ok (cgroup_systemd_parse ("a:b:c:d", "id", &u, err, sizeof (err)) < 0, "four parts are refused");
  ok (cgroup_systemd_parse ("system.slice:p:", "id", &u, err, sizeof (err)) < 0,
      "an empty name is refused");
  ok (cgroup_systemd_parse ("a--b.slice:p:n", "id", &u, err, sizeof (err)) < 0,
      "a bad slice is refused");
  ok (cgroup_systemd_parse ("system.slice:p:n/x", "id", &u, err, sizeof (err)) < 0,
      "a slash in the name is refused");
}

static void
test_controllers (void)
{
  ok (cgroup_same_controllers ("cpu,cpuacct", "cpuacct,cpu"), "the same controllers, in any order");
  ok (cgroup_same_controllers ("name=systemd", "name=systemd"), "a named hierarchy");
  ok (cgroup_same_controllers ("", ""), "the cgroup2 line");
  ok (!cgroup_same_controllers ("cpu", "cpu,cpuacct"), "fewer names differ");
  ok (!cgroup_same_controllers ("cpu,cpuacct", "cpu"), "more names differ");
  ok (!cgroup_same_controllers ("cpu", "cpuset"), "a name that starts the same differs");
  ok (!cgroup_same_controllers ("", "memory"), "cgroup2 is no v1 hierarchy");
}

static void
test_driver (void)
{
  char name[64];

  ok (cgroup_device_driver (false, 1, name, sizeof (name)) == 0 && strcmp (name, "mem") == 0,
      "character major 1 is the mem driver");
  ok (cgroup_device_driver (false, 4000, name, sizeof (name)) == -ENOENT,
      "a major no driver has is told apart");
}

int
main (void)
{
  test_driver ();
  test_expand ();
  test_controllers ();
  test_parse ();
  return tap_done ();
}
