#!/bin/bash
# cgroups-systemd-scope: with --systemd-cgroup on a cgroup v2 host whose
# init is systemd, the container's cgroup is the transient scope
# "prefix-name.scope" in its slice, made by systemd with the init in it and
# the limits on it; later commands need no flag; delete, a finished run
# and a failed create stop the scope, but not the scope of another
# container that a create asked for again.
#
# Elsewhere the test runs itself in a VM booted with systemd as its init
# (tests/vm/run-in-vm.sh -S); when the VM cannot run, the test fails,
# saying so.
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ] &&
  { [ ! -e /run/systemd/system ] || [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; }; then
  . "$HERE/../vm/test-in-vm.sh"
  vm_run_test "the systemd VM" -S -e MODRUN_TEST_SCOPE_BACKEND -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

[ -e /run/systemd/system ] || bail_out "systemd is not the init even in the VM"
CG=/sys/fs/cgroup
[ "$(stat -fc %T $CG)" = cgroup2fs ] || bail_out "$CG is not cgroup2"

# MODRUN_TEST_SCOPE_BACKEND picks the backend: cgroups-v2 by default.
BACKEND=${MODRUN_TEST_SCOPE_BACKEND:-cgroups-v2}
if [ "$RUNTIME_NAME" = modrun ]; then
  $MODRUN --plugins cgroups=$BACKEND plugins 2>/dev/null | grep -Eq "^$BACKEND +cgroups .* yes .* ok\$" ||
    skip_all "the $BACKEND plugin is not built"
  MODRUN="$MODRUN --plugins cgroups=$BACKEND"
fi
plan 31
# A nested slice: systemd puts modrun-test-sd.slice in modrun-test.slice,
# in modrun.slice.
SLICE=modrun-test-sd.slice
SLICE_PATH=/modrun.slice/modrun-test.slice/$SLICE
ID=sd$$
UNIT=modrun-$ID.scope
DIR=$CG$SLICE_PATH/$UNIT

make_bundle "$TEST_TMP/bundle"
cfg --arg p "$SLICE:modrun:$ID" '.linux.cgroupsPath = $p
  | .linux.resources.memory = {"limit": 33554432, "reservation": 16777216}
  | .linux.resources.pids = {"limit": 32}
  | .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 50000}
  | .linux.namespaces |= map(select(.type != "cgroup"))
  | .process.args = ["/bin/sh", "-c", "sleep 300"]'

unit_state ()
{
  systemctl show -p ActiveState --value "$1" 2>/dev/null
}

# Every limit file systemd writes again at a reload, one line.
limits_of ()
{
  local f
  for f in memory.max memory.high memory.low memory.min memory.swap.max pids.max cpu.weight \
    cpu.max io.weight; do
    printf '%s=%s ' "$f" "$(head -n 1 "$DIR/$f" 2>/dev/null)"
  done
}

# 1. create: the scope, with the init in it and the limits on it.
$MODRUN --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create with --systemd-cgroup and $SLICE:modrun:$ID" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(unit_state "$UNIT")" active "systemd runs the scope $UNIT"
pid=$(ctr_pid "$ID")
assert_eq "$(grep '^0::' "/proc/$pid/cgroup")" "0::$SLICE_PATH/$UNIT" \
  "the init is in the scope's cgroup, in the slice's nested cgroup"
assert_eq "$(cat "$DIR/memory.max" 2>/dev/null)" 33554432 "memory.max of the scope"
assert_eq "$(cat "$DIR/pids.max" 2>/dev/null)" 32 "pids.max of the scope"
assert_eq "$(systemctl show -p MemoryMax --value "$UNIT") $(systemctl show -p TasksMax --value "$UNIT")" \
  "33554432 32" "systemd keeps the limits as the scope's own properties"
assert_eq "$(systemctl show -p Delegate --value "$UNIT")" yes "the scope is delegated"
limits=$(limits_of)
assert_match "$limits" "memory.low=16777216 .* cpu.max=20000 50000 " "the other limits are written" ||
  diag "$limits"
# A reload of systemd writes the scope's properties into its files again.
systemctl daemon-reload
assert_eq "$(limits_of)" "$limits" "a daemon-reload keeps every limit"

# 2. Later commands find the scope without the flag.
$MODRUN start "$ID"
sleep 0.3
ps_out=$($MODRUN ps --format json "$ID" 2>&1)
assert_match "$ps_out" "\\b$pid\\b" "ps without --systemd-cgroup lists the init" || diag "$ps_out"
stats=$($MODRUN events --stats "$ID" 2>&1)
assert_eq "$(jq -r .data.pids.current <<<"$stats" 2>/dev/null)" 1 \
  "events --stats without the flag reads the scope" || diag "$stats"
$MODRUN update --pids-limit 40 "$ID"
assert_eq "$(cat "$DIR/pids.max")" 40 "update without the flag writes into the scope"
$MODRUN update --cpu-share 256 "$ID"
limits=$(limits_of)
systemctl daemon-reload
assert_eq "$(limits_of)" "$limits" "a daemon-reload keeps what update wrote"
echo '{"cpu": {"idle": 1}}' | $MODRUN update -r - "$ID" 2>"$TEST_TMP/err"
systemctl daemon-reload
assert_eq "$(cat "$DIR/cpu.idle" 2>&1)" 1 "an idle cgroup stays idle after a daemon-reload" ||
  diag "$(cat "$TEST_TMP/err")"

# 3. delete stops the scope; systemd removes its cgroup.
$MODRUN delete --force "$ID" 2>"$TEST_TMP/err"
ok $? "delete --force without the flag" || diag "$(cat "$TEST_TMP/err")"
assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' "the scope is stopped"
assert_eq "$(ls -d "$DIR" "$TEST_ROOT/$ID" 2>/dev/null)" "" "no cgroup, no state"

# 4. A foreground run.
cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]'
$MODRUN --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
assert_eq "$?" 0 "run with --systemd-cgroup" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(cat "$TEST_TMP/out")" "0::$SLICE_PATH/$UNIT" "the process sees its scope"
assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' "the scope is gone after the run"
assert_eq "$(ls -d "$DIR" 2>/dev/null)" "" "and its cgroup"

# 5. A create that fails after systemd made the scope stops it.
cfg '.linux.resources.cpu = {"cpus": "4095"} | .process.args = ["/bin/true"]'
$MODRUN --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "a cpuset the kernel refuses fails the create" || diag "$(cat "$TEST_TMP/err")"
assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' "the scope is stopped"
assert_eq "$(ls -d "$DIR" "$TEST_ROOT/$ID" 2>/dev/null)" "" "no cgroup, no state"

# 6. A slice as the name is refused up front.
cfg --arg p "$SLICE:modrun:x.slice" '.linux.cgroupsPath = $p | del(.linux.resources.cpu)'
$MODRUN --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_match "$(cat "$TEST_TMP/err")" "a slice as the name is not supported" \
  "a slice as the name is refused"

# 7. A second container asking for the scope of a running one is refused;
# the first keeps its scope and its init.
cfg --arg p "$SLICE:modrun:$ID" '.linux.cgroupsPath = $p | .process.args = ["/bin/mrtest", "sleep", "300"]'
$MODRUN --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create the scope's owner" || diag "$(cat "$TEST_TMP/err")"
pid=$(ctr_pid "$ID")
$MODRUN --systemd-cgroup create --bundle "$BUNDLE" "${ID}x" </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "a second create with the same cgroupsPath exits 1" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(unit_state "$UNIT") $(grep '^0::' "/proc/$pid/cgroup" 2>&1)" "active 0::$SLICE_PATH/$UNIT" \
  "the owner's scope runs on, with its init in it"
assert_eq "$(ls -d "$TEST_ROOT/${ID}x" 2>/dev/null)" "" "the second left no state"
$MODRUN delete --force "$ID" 2>"$TEST_TMP/err"
ok $? "delete the owner" || diag "$(cat "$TEST_TMP/err")"

assert_no_leftovers
