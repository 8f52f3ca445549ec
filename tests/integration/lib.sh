# lib.sh: the TAP library of modrun's integration tests, sourced by every
# tests/integration/*.t (bash scripts run as root by `make check`).
#
# What a test gets:
#   $MODRUN       the runtime under test with its private state root, to use
#                 unquoted: `$MODRUN run --bundle "$B" c1`.  RUNTIME=runc (or
#                 any runtime name or path) replaces modrun, to check a test
#                 against another runtime.  $RUNTIME_BIN is the bare binary,
#                 $RUNTIME_NAME its base name (modrun, runc, crun...).
#   $MRTEST       the static helper copied into every bundle as /bin/mrtest;
#                 $RECVTTY the console-socket receiver.
#   $TEST_TMP     a private temporary directory, removed at exit.
#   $TEST_ROOT    the runtime's --root (under $TEST_TMP).
#   $CG_PARENT    the cgroup parent of this test: /modrun-test-NAME-PID.
#                 Every cgroup named /modrun-test*-PID (PID of this test) in
#                 any hierarchy is removed at exit.
#   TAP: plan N, ok STATUS DESC, pass DESC, fail DESC, diag MSG..., skip
#        REASON [COUNT], skip_all REASON, bail_out REASON, done_testing.
#   Assertions (one test point each): assert_eq GOT EXPECTED DESC,
#        assert_match TEXT ERE DESC (line by line, like grep -E),
#        assert_no_match TEXT ERE DESC, assert_no_leftovers [DESC].
#   Bundles: make_bundle DIR [ID] builds DIR/rootfs (busybox-static, applet
#        links, /bin/mrtest, /etc/passwd and group) and DIR/config.json (the
#        runtime's default spec with args ["/bin/mrtest", "report"] and
#        linux.cgroupsPath $CG_PARENT/ID, ID defaulting to the base name of
#        DIR), and makes DIR the current bundle $BUNDLE.
#        cfg [JQ-OPTIONS] FILTER edits $BUNDLE/config.json in place.
#   Containers: run_ctr ID [RUN-OPTIONS] runs ID in the foreground on
#        $BUNDLE, stdin from /dev/null, and sets RUN_STATUS, RUN_STDOUT,
#        RUN_STDERR (also kept in $TEST_TMP/run.out and run.err);
#        ctr_status ID, ctr_pid ID, wait_status ID STATUS [SECONDS].
#
# Each test re-executes itself once in a private mount namespace, so no
# mount can leak to the host.  At exit, containers still in $TEST_ROOT are
# killed (pid from their state) and force-deleted, processes left in the
# test's cgroups are killed, its cgroups removed deepest first, mounts under
# $TEST_TMP detached and $TEST_TMP removed; whatever had to be cleaned this
# way is reported as a failed test, followed by a summary line.

TEST_NAME=$(basename "$0" .t)
TEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP integration tests need root"
  exit 0
fi

if [ -z "${MODRUN_TEST_UNSHARED:-}" ]; then
  export MODRUN_TEST_UNSHARED=$$
  exec unshare -m --propagation private -- "$BASH" "$0" "$@"
  echo "Bail out! cannot re-execute $0 inside unshare -m"
  exit 1
fi
# A test run from within another test gets its own namespace too.
unset MODRUN_TEST_UNSHARED

TAP_COUNT=0
TAP_FAILED=0
TAP_SKIPPED=0
TAP_PLANNED=
TAP_DONE=

plan ()
{
  TAP_PLANNED=$1
  echo "1..$1"
}

# ok STATUS DESCRIPTION: a test point that passes when STATUS is 0.
ok ()
{
  local status=$1
  shift
  TAP_COUNT=$((TAP_COUNT + 1))
  if [ "$status" = 0 ]; then
    echo "ok $TAP_COUNT - $*"
    return 0
  fi
  echo "not ok $TAP_COUNT - $*"
  TAP_FAILED=$((TAP_FAILED + 1))
  return 1
}

pass ()
{
  ok 0 "$@"
}

fail ()
{
  ok 1 "$@"
}

# diag MESSAGE...: each line of the message as a TAP comment.
diag ()
{
  printf '%s\n' "$@" | sed 's/^/# /'
}

# skip REASON [COUNT]
skip ()
{
  local i
  for ((i = 0; i < ${2:-1}; i++)); do
    TAP_COUNT=$((TAP_COUNT + 1))
    TAP_SKIPPED=$((TAP_SKIPPED + 1))
    echo "ok $TAP_COUNT # SKIP $1"
  done
}

skip_all ()
{
  echo "1..0 # SKIP $*"
  TAP_DONE=skipped
  exit 0
}

bail_out ()
{
  echo "Bail out! $*"
  TAP_FAILED=$((TAP_FAILED + 1))
  TAP_DONE=bailed
  exit 1
}

done_testing ()
{
  if [ -z "$TAP_PLANNED" ]; then
    plan "$TAP_COUNT"
  fi
}

assert_eq ()
{
  if [ "$1" = "$2" ]; then
    pass "$3"
  else
    fail "$3"
    diag "     got: $1" "expected: $2"
    return 1
  fi
}

assert_match ()
{
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then
    pass "$3"
  else
    fail "$3"
    diag "text not matching /$2/:" "$1"
    return 1
  fi
}

assert_no_match ()
{
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then
    fail "$3"
    diag "text matching /$2/:" "$1"
    return 1
  else
    pass "$3"
  fi
}

# The runtime under test.
if [ -n "${RUNTIME:-}" ]; then
  RUNTIME_BIN=$(command -v "$RUNTIME") || bail_out "RUNTIME=$RUNTIME: not found"
elif [ -n "${MODRUN:-}" ]; then
  RUNTIME_BIN=$MODRUN
else
  bail_out "neither MODRUN nor RUNTIME is set: run the tests with make check"
fi
[ -x "$RUNTIME_BIN" ] || bail_out "$RUNTIME_BIN: not an executable"
RUNTIME_NAME=$(basename "$RUNTIME_BIN")
[ -n "${MRTEST:-}" ] && [ -x "$MRTEST" ] || bail_out "MRTEST=${MRTEST:-}: no mrtest helper"
RECVTTY=${RECVTTY:-$(dirname "$MRTEST")/recvtty}
BUSYBOX=${BUSYBOX:-/bin/busybox}
command -v jq >/dev/null || bail_out "jq is needed by the tests"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/modrun-test-$TEST_NAME.XXXXXX") ||
  bail_out "cannot create a temporary directory"
TEST_ROOT=$TEST_TMP/root
mkdir -p "$TEST_ROOT"
MODRUN="$RUNTIME_BIN --root $TEST_ROOT"
CG_PARENT=/modrun-test-$TEST_NAME-$$
BUNDLE=
export TEST_TMP TEST_ROOT MRTEST RECVTTY

# Mount points of every cgroup hierarchy (v1 controllers, named ones, v2).
cgroup_hierarchies ()
{
  awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2")
         print $5 }' /proc/self/mountinfo | sort -u
}

# cgroup_dirs_of PATH: the directory PATH in every mounted hierarchy, where
# it exists, one a line.
cgroup_dirs_of ()
{
  local h
  for h in $(cgroup_hierarchies); do
    [ -d "$h$1" ] && echo "$h$1"
  done
}

# The cgroup parents of this test: /modrun-test*-PID in every hierarchy.
test_cgroup_parents ()
{
  local h d
  for h in $(cgroup_hierarchies); do
    for d in "$h"/modrun-test*-$$; do
      [ -d "$d" ] && echo "$d"
    done
  done
}

# Everything this test left behind, one line each; empty when clean.
list_leftovers ()
{
  local d h id parents pid
  for d in "$TEST_ROOT"/*/; do
    [ -d "$d" ] || continue
    id=$(basename "$d")
    echo "state directory of container $id: $d"
  done
  parents=$(test_cgroup_parents)
  if [ -n "$parents" ]; then
    # Each cgroup once, with the hierarchies holding it.
    for d in $parents; do
      h=${d%/modrun-test*}
      find "$d" -mindepth 1 -type d | sed "s|^$h\(/.*\)|\1 $(basename "$h")|"
    done | awk '{ h[$1] = h[$1] " " $2 } END { for (c in h) print "cgroup " c " (in" h[c] ")" }' |
      sort
    for pid in $(find $parents -name cgroup.procs -exec cat {} + 2>/dev/null | sort -nu); do
      echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    done
  fi
  awk -v t="$TEST_TMP" 'index($5, t) == 1 { print "mount " $5 }' /proc/self/mountinfo
}

# assert_no_leftovers [DESCRIPTION]: no container state, no cgroup below
# the test's parents, no process in them, no mount under $TEST_TMP.
assert_no_leftovers ()
{
  local left
  left=$(list_leftovers)
  if [ -z "$left" ]; then
    pass "${1:-nothing left behind}"
  else
    fail "${1:-nothing left behind}"
    diag "left behind:" "$left"
    return 1
  fi
}

ctr_status ()
{
  $MODRUN state "$1" 2>/dev/null | jq -r .status 2>/dev/null
}

ctr_pid ()
{
  $MODRUN state "$1" 2>/dev/null | jq -r .pid 2>/dev/null
}

# wait_status ID STATUS [SECONDS]: polls until the container has STATUS.
wait_status ()
{
  local i
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    [ "$(ctr_status "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# The cleaning at exit: kill, delete, detach, remove; report what it found.
cleanup_test ()
{
  local left d id pid h i passed
  trap - EXIT
  [ "$TAP_DONE" = skipped ] && { rm -rf "$TEST_TMP"; exit 0; }
  left=$(list_leftovers)

  for d in "$TEST_ROOT"/*/; do
    [ -d "$d" ] || continue
    id=$(basename "$d")
    pid=$(ctr_pid "$id")
    case $(ctr_status "$id") in
      created|running|paused|creating)
        [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null && kill -KILL "$pid" 2>/dev/null ;;
    esac
    timeout 30 $MODRUN delete --force "$id" >/dev/null 2>&1
    rm -rf "$d"
  done
  for d in $(test_cgroup_parents); do
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
    for pid in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
      kill -KILL "$pid" 2>/dev/null
    done
  done
  for d in $(test_cgroup_parents); do
    for h in $(find "$d" -depth -type d); do
      [ -f "$h/freezer.state" ] && echo THAWED >"$h/freezer.state" 2>/dev/null
      for ((i = 0; i < 50; i++)); do
        rmdir "$h" 2>/dev/null && break
        [ -d "$h" ] || break
        sleep 0.1
      done
      [ -d "$h" ] && left+=$'\n'"cgroup $h cannot be removed"
    done
  done
  awk -v t="$TEST_TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r d; do umount -l "$d" 2>/dev/null; done
  rm -rf "$TEST_TMP"

  if [ "$TAP_DONE" != bailed ] && [ -n "$left" ]; then
    fail "the test left nothing behind at exit"
    diag "left behind (now cleaned):" "$left"
  fi
  if [ -z "$TAP_PLANNED" ] && [ "$TAP_DONE" != bailed ]; then
    plan "$TAP_COUNT"
  elif [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_COUNT" ]; then
    diag "planned $TAP_PLANNED tests but ran $TAP_COUNT"
    TAP_FAILED=$((TAP_FAILED + 1))
  fi
  passed=$((TAP_COUNT - TAP_FAILED - TAP_SKIPPED))
  diag "$TEST_NAME: $passed passed, $TAP_FAILED failed, $TAP_SKIPPED skipped ($RUNTIME_NAME)"
  # Failed test points are in the TAP stream already; a non-zero status
  # says the script itself went wrong: it bailed out or ran other than its
  # plan (ended early, say).
  if [ "$TAP_DONE" = bailed ] ||
    { [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_COUNT" ]; }; then
    exit 1
  fi
  exit 0
}
trap cleanup_test EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The root filesystem: a template built once per test, copied per bundle.
make_rootfs ()
{
  local r=$1 applet
  mkdir -p "$r"/{bin,dev,etc,proc,sys,tmp,root,home/user} || return 1
  cp "$BUSYBOX" "$r/bin/busybox" && cp "$MRTEST" "$r/bin/mrtest" || return 1
  for applet in $("$BUSYBOX" --list); do
    [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"
  done
  chmod 1777 "$r/tmp"
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
tty:x:5:
user:x:1000:
users:x:100:user
nogroup:x:65534:
EOF
}

# The default configuration, as `runc spec` writes it, for a test container.
default_config ()
{
  jq -n --arg cg "$1" '{
  ociVersion: "1.0.2",
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: [ "/bin/mrtest", "report" ],
    env: [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "TERM=xterm" ],
    cwd: "/",
    capabilities: {
      bounding: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      effective: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      permitted: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    rlimits: [ { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 } ],
    noNewPrivileges: true
  },
  root: { path: "rootfs", readonly: true },
  hostname: "modrun",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs",
      options: [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { destination: "/dev/pts", type: "devpts", source: "devpts",
      options: [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm",
      options: [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
      options: [ "nosuid", "noexec", "nodev" ] },
    { destination: "/sys", type: "sysfs", source: "sysfs",
      options: [ "nosuid", "noexec", "nodev", "ro" ] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
      options: [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
  ],
  linux: {
    cgroupsPath: $cg,
    resources: { devices: [ { allow: false, access: "rwm" } ] },
    namespaces: [ { type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" },
                  { type: "mount" }, { type: "cgroup" } ],
    maskedPaths: [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                   "/proc/sched_debug", "/sys/firmware", "/proc/scsi" ],
    readonlyPaths: [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                     "/proc/sysrq-trigger" ]
  }
}'
}

# make_bundle DIR [ID]
make_bundle ()
{
  local dir=$1 id=${2:-$(basename "$1")}
  if [ ! -d "$TEST_TMP/.rootfs" ]; then
    make_rootfs "$TEST_TMP/.rootfs.new" && mv "$TEST_TMP/.rootfs.new" "$TEST_TMP/.rootfs" ||
      bail_out "cannot build a root filesystem from $BUSYBOX and $MRTEST"
  fi
  mkdir -p "$dir" && rm -rf "$dir/rootfs" && cp -a "$TEST_TMP/.rootfs" "$dir/rootfs" &&
    default_config "$CG_PARENT/$id" >"$dir/config.json" ||
    bail_out "cannot make the bundle $dir"
  BUNDLE=$dir
}

# cfg [JQ-OPTIONS] FILTER: edits the current bundle's config.json; a filter
# that fails is a failed test, so a test never runs on a config it did not
# mean.
cfg ()
{
  local file=$BUNDLE/config.json
  [ -n "$BUNDLE" ] || bail_out "cfg: no bundle: call make_bundle first"
  if jq "$@" "$file" >"$file.new" 2>"$TEST_TMP/cfg.err"; then
    mv "$file.new" "$file"
  else
    rm -f "$file.new"
    fail "cfg ${*: -1}"
    diag "$(cat "$TEST_TMP/cfg.err")"
    return 1
  fi
}

# run_ctr ID [RUN-OPTIONS...]: a foreground run, at most $RUN_TIMEOUT
# seconds (60 by default).
run_ctr ()
{
  local id=$1
  shift
  timeout -k 10 "${RUN_TIMEOUT:-60}" $MODRUN run --bundle "$BUNDLE" "$@" "$id" \
    </dev/null >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err"
  RUN_STATUS=$?
  RUN_STDOUT=$(cat "$TEST_TMP/run.out")
  RUN_STDERR=$(cat "$TEST_TMP/run.err")
  if [ "$RUN_STATUS" = 124 ]; then
    diag "run $id: timed out after ${RUN_TIMEOUT:-60} seconds"
  fi
  return 0
}
