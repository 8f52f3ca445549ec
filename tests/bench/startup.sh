#!/bin/bash
# Startup benchmark: N sequential foreground `run`s of a container whose
# process is `true`, with modrun and, when installed, crun and runc, on the
# same bundle. Prints the median and 90th percentile per runtime and the
# ratios against modrun. modrun also runs once per cgroup backend whose
# probe passes on this host (`modrun plugins --format json`), chosen with
# --plugins cgroups=NAME: rows "modrun:NAME". Not a test: it asserts nothing.
#
# Usage: tests/bench/startup.sh [-n N] [-m MODRUN] [-p PLUGIN_PATH]
#
# crun refuses hybrid cgroup hosts whose cgroup2 has a controller, so every
# runtime runs inside one private mount namespace where the cgroup2
# controller list is hidden behind /dev/null. Containers go in cgroups under
# /modrun-test-bench-PID/, removed at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
n=100
modrun=${MODRUN:-$top/_build/core/modrun}
plugin_path=${MODRUN_PLUGIN_PATH:-}

while getopts ":n:m:p:h" o; do
  case $o in
    n) n=$OPTARG ;;
    m) modrun=$OPTARG ;;
    p) plugin_path=$OPTARG ;;
    *) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  esac
done

if [ -z "$plugin_path" ]; then
  build=$(cd "$(dirname "$modrun")/.." && pwd)
  for p in "$build"/plugins/*/.libs; do plugin_path=${plugin_path:+$plugin_path:}$p; done
fi
export MODRUN_PLUGIN_PATH=$plugin_path

[ "$(id -u)" = 0 ] || { echo "startup.sh: must run as root" >&2; exit 1; }
[ -x "$modrun" ] || { echo "startup.sh: no modrun at $modrun (build first)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "startup.sh: needs busybox-static" >&2; exit 1; }

# Re-enter in a private mount namespace once.
if [ -z "${MODRUN_BENCH_NS:-}" ]; then
  exec env MODRUN_BENCH_NS=1 unshare -m --propagation private "$0" "$@"
fi

work=$(mktemp -d /tmp/modrun-bench.XXXXXX)
parent=modrun-test-bench-$$
cleanup() {
  local d
  for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/unified/"$parent"; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
  mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
fi

bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
ln -s busybox "$bundle/rootfs/bin/sh"
(cd "$bundle" && "$modrun" spec)
# crun 1.8.1 refuses an ociVersion newer than it knows; every runtime gets
# the same bundle, so it says 1.0.2.
jq --arg cg "/$parent/c" '.ociVersion = "1.0.2" | .process.args = ["/bin/true"] | .process.terminal = false
    | .linux.cgroupsPath = $cg' "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"


# warm NAME BINARY [OPTION...]: one run, not counted; fails when the
# runtime cannot run. OPTIONs go before the command (global options).
warm() {
  local name=$1 bin=$2 root=$work/root-$1
  shift 2
  mkdir -p "$root"
  "$bin" "$@" --root "$root" run --bundle "$bundle" "w-${name//:/_}" >/dev/null 2>&1 || {
    echo "$name: run failed:" >&2
    "$bin" "$@" --root "$root" run --bundle "$bundle" "w2-${name//:/_}" >&2 || true
    return 1
  }
}

# once NAME BINARY I [OPTION...]: one timed run, its microseconds appended
# to NAME's list.
once() {
  local name=$1 bin=$2 i=$3 t0 t1
  shift 3
  t0=${EPOCHREALTIME/./}
  "$bin" "$@" --root "$work/root-$name" run --bundle "$bundle" "b-${name//:/_}-$i" >/dev/null 2>&1
  t1=${EPOCHREALTIME/./}
  echo $((t1 - t0)) >> "$work/$name.raw"
}

median_us() { awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$1"; }
p90_us() { awk '{a[NR]=$1} END {i=int(NR*0.9); if (i<1) i=1; print a[i]}' "$1"; }

# Per entry: its name, binary and global options (one word at most).
declare -a names=() bins=() opts=()
warm modrun "$modrun" && names+=(modrun) && bins+=("$modrun") && opts+=("")
for backend in $("$modrun" plugins --format json |
  jq -r '.[] | select(.concern == "cgroups" and .probe == "ok") | .name'); do
  if warm "modrun:$backend" "$modrun" "--plugins=cgroups=$backend"; then
    names+=("modrun:$backend")
    bins+=("$modrun")
    opts+=("--plugins=cgroups=$backend")
  fi
done
for rt in crun runc; do
  if command -v "$rt" >/dev/null && warm "$rt" "$(command -v "$rt")"; then
    names+=("$rt")
    bins+=("$(command -v "$rt")")
    opts+=("")
  fi
done
# Interleaved, so that whatever else the machine does weighs on every
# runtime alike.
for ((i = 0; i < n; i++)); do
  for ((k = 0; k < ${#names[@]}; k++)); do
    # shellcheck disable=SC2086
    once "${names[k]}" "${bins[k]}" "$i" ${opts[k]}
  done
done
for name in "${names[@]}"; do
  sort -n "$work/$name.raw" > "$work/$name.times"
done

echo "startup: $n sequential foreground runs of /bin/true, same bundle, $(nproc) cores"
printf '%-24s %12s %12s\n' runtime median_ms p90_ms
for name in "${names[@]}"; do
  m=$(median_us "$work/$name.times")
  p=$(p90_us "$work/$name.times")
  awk -v n="$name" -v m="$m" -v p="$p" 'BEGIN {printf "%-24s %12.2f %12.2f\n", n, m/1000, p/1000}'
done
mm=$(median_us "$work/modrun.times")
for name in "${names[@]}"; do
  [ "${name%%:*}" = modrun ] && continue
  o=$(median_us "$work/$name.times")
  awk -v n="$name" -v a="$mm" -v b="$o" 'BEGIN {printf "ratio modrun/%s (median): %.2f\n", n, a/b}'
done
