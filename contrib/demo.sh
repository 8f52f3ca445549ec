#!/bin/bash
# One command, as root on Debian 12: install the build dependencies, build
# modrun, make a demo bundle with a busybox-static rootfs, and run a
# container that prints what it sees from inside.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/_build
"$top/contrib/install-deps.sh" >/dev/null

cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
make -s -j"$(nproc)" >/dev/null

modrun=$build/core/modrun
# Both cgroups backends: Debian 12 boots cgroup v2 only unless told not to.
plugins=$build/plugins/namespaces/.libs:$build/plugins/mounts/.libs
plugins=$plugins:$build/plugins/cgroups-v2/.libs:$build/plugins/cgroups-v1/.libs
plugins=$plugins:$build/plugins/seccomp/.libs:$build/plugins/landlock/.libs
plugins=$plugins:$build/plugins/apparmor/.libs:$build/plugins/selinux/.libs
export MODRUN_PLUGIN_PATH=$plugins

bundle=$(mktemp -d /tmp/modrun-demo.XXXXXX)
cleanup() {
  local d
  for d in /sys/fs/cgroup/*/modrun-demo-$$; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$bundle"
  rmdir /run/modrun-demo 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh cat hostname echo; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$modrun" spec)
jq --arg cg "/modrun-demo-$$/demo" '
  .hostname = "modrun-demo"
  | .process.terminal = false
  | .process.args = ["/bin/sh", "-c",
      "echo \"hostname: $(hostname)\"; echo \"pid: $$\"; echo cgroup:; cat /proc/self/cgroup"]
  | .linux.cgroupsPath = $cg' "$bundle/config.json" > "$bundle/config.new"
mv "$bundle/config.new" "$bundle/config.json"

echo "$("$modrun" --version | head -1), bundle $bundle"
"$modrun" --root /run/modrun-demo run --bundle "$bundle" "demo-$$"
