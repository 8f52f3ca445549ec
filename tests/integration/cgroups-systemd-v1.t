#!/bin/bash
# cgroups-systemd-v1: --systemd-cgroup on a host whose init is systemd and
# whose controllers are on cgroup v1 hierarchies, hybrid (cgroup2 on
# /sys/fs/cgroup/unified) or, with MODRUN_TEST_CG_LAYOUT=legacy, v1 only.
# systemd makes the transient scope "prefix-name.scope" and its directories
# in the controllers it manages; the runtime makes the others at the same
# path; every limit is written, kept by systemd as the scope's properties
# (a daemon-reload leaves them), changed by update; delete, a finished run
# and a failed create stop the scope and leave no directory anywhere.
#
# On a host without systemd, or without v1 hierarchies, the test runs
# itself in a VM booted with systemd (tests/vm/run-in-vm.sh -S -c LAYOUT);
# when the VM cannot run, the test fails, saying so.
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")
LAYOUT=${MODRUN_TEST_CG_LAYOUT:-hybrid}

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ]; then
  export MODRUN_TEST_CG_LAYOUT=$LAYOUT
  . "$HERE/../vm/test-in-vm.sh"
  vm_run_test "the systemd VM" -S -c "$LAYOUT" -e MODRUN_TEST_CG_LAYOUT -e MODRUN_TEST_SLICES \
    -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

[ -e /run/systemd/system ] || bail_out "systemd is not the init even in the VM"
CG=/sys/fs/cgroup
[ -d $CG/memory ] && [ -d $CG/devices ] || bail_out "no cgroup v1 hierarchies under $CG"
if [ "$LAYOUT" = legacy ]; then
  [ -d $CG/systemd ] && [ ! -d $CG/unified ] || bail_out "$CG is not laid out as legacy"
else
  [ "$(stat -fc %T $CG/unified 2>/dev/null)" = cgroup2fs ] || bail_out "$CG/unified is not cgroup2"
fi

BACKENDS=(cgroups-v1)
if [ "$RUNTIME_NAME" = modrun ] && $MODRUN --plugins cgroups=cgroups-libcgroup plugins 2>/dev/null |
  grep -Eq '^cgroups-libcgroup +cgroups .* yes .* ok$'; then
  BACKENDS+=(cgroups-libcgroup)
fi

unit_state ()
{
  systemctl show -p ActiveState --value "$1" 2>/dev/null
}

# The lines of /proc/PID/cgroup, hierarchy by hierarchy, not at PATH.
lines_elsewhere ()
{
  awk -F: -v p="$2" '$3 != p && !($1 == 0 && $3 == "/")' "/proc/$1/cgroup"
}


# The limits as the kernel holds them, one line.
limits_of ()
{
  local d=$1
  echo "mem=$(cat $CG/memory$d/memory.limit_in_bytes) pids=$(cat $CG/pids$d/pids.max)" \
    "soft=$(cat $CG/memory$d/memory.soft_limit_in_bytes)" \
    "shares=$(cat $CG/cpu$d/cpu.shares) quota=$(cat $CG/cpu$d/cpu.cfs_quota_us)" \
    "period=$(cat $CG/cpu$d/cpu.cfs_period_us)" \
    "devices=$(sort $CG/devices$d/devices.list | tr '\n' ',')"
}

# A new nested slice, where systemd leaves the devices controller to the
# runtime, and system.slice, where it manages it: MODRUN_TEST_SLICES.
read -r -a SLICES <<<"${MODRUN_TEST_SLICES:-nested system}"
RUNS=()
for s in "${SLICES[@]}"; do
  RUNS+=("${BACKENDS[@]/%/ $s}")
done
plan $((${#RUNS[@]} * 30 + 1))

for run in "${RUNS[@]}"; do
  backend=${run% *}
  if [ "${run#* }" = nested ]; then
    SLICE=modrun-test-sd.slice
    SLICE_PATH=/modrun.slice/modrun-test.slice/$SLICE
    DEVS="runtime's, policy auto"
  else
    SLICE=system.slice
    SLICE_PATH=/system.slice
    DEVS="systemd's, policy strict /dev/char/10:200 rw"
  fi
  what="$backend in $SLICE"
  RT=$MODRUN
  [ "$RUNTIME_NAME" = modrun ] && RT="$MODRUN --plugins cgroups=$backend"
  ID=sd$$${backend#cgroups-}${run#* }
  ID=${ID//-/}
  UNIT=modrun-$ID.scope
  P=$SLICE_PATH/$UNIT

  make_bundle "$TEST_TMP/bundle"
  cfg --arg p "$SLICE:modrun:$ID" '.linux.cgroupsPath = $p
    | .linux.resources.memory = {"limit": 33554432, "reservation": 16777216} | .linux.resources.pids = {"limit": 32}
    | .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 50000}
    | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 200,
                                    "access": "rw"}]
    | .linux.namespaces |= map(select(.type != "cgroup"))
    | .process.args = ["/bin/sh", "-c", "sleep 300"]'

  # 1. create: the scope, the init in it in every hierarchy.
  $RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  ok $? "$what: create with --systemd-cgroup and $SLICE:modrun:$ID" || diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(unit_state "$UNIT")" active "$what: systemd runs the scope $UNIT"
  assert_eq "$(systemctl show -p Delegate --value "$UNIT")" yes "$what: the scope is delegated"
  pid=$(ctr_pid "$ID")
  assert_eq "$(lines_elsewhere "$pid" "$P")" "" \
    "$what: the init is at $P in every hierarchy, systemd's and the others" ||
    diag "$(cat "/proc/$pid/cgroup")"
  assert_match "$(grep -E ':(name=systemd|):' "/proc/$pid/cgroup" | head -n 1)" ":$P\$" \
    "$what: systemd tracks the init in the scope"
  assert_eq "$(cat $CG/cpuset$P/cpuset.cpus 2>/dev/null)" "$(cat $CG/cpuset/cpuset.cpus)" \
    "$what: the cpuset directory the runtime made has the host's cpus"
  want="mem=33554432 pids=32 soft=16777216 shares=512 quota=20000 period=50000"
  limits=$(limits_of "$P" 2>&1)
  assert_match "$limits" "^$want devices=" "$what: the limits are written" || diag "$limits"
  assert_match "$limits" "c 10:200 rw," "$what: the device list holds the config's rule"
  assert_no_match "$limits" "a \\*:\\* rwm" "$what: and not every device"
  assert_eq "$(systemctl show -p MemoryMax --value "$UNIT") $(systemctl show -p TasksMax --value "$UNIT")" \
    "33554432 32" "$what: systemd keeps memory and pids limits as the scope's properties"
  # systemd manages the devices controller of a scope in a slice where
  # some unit has a device policy (system.slice here), not in a new slice.
  if grep -Eqx "($CG/devices| *devices )$P" "$TEST_ROOT/$ID/$backend.created"; then
    devs="runtime's, policy $(systemctl show -p DevicePolicy --value "$UNIT")"
  else
    devs="systemd's, policy $(systemctl show -p DevicePolicy --value "$UNIT")"
    devs+=" $(systemctl show -p DeviceAllow --value "$UNIT" | grep -o '/dev/char/10:200 rw')"
  fi
  assert_eq "$devs" "$DEVS" "$what: the devices directory is $DEVS"


  # 2. A reload of systemd writes the scope's properties again: they are
  # the container's, so nothing changes.
  systemctl daemon-reload
  assert_eq "$(limits_of "$P" 2>&1)" "$limits" "$what: a daemon-reload keeps every limit"

  # 3. Later commands need no flag; update is told to systemd too.
  $RT start "$ID"
  ps_out=$($RT ps --format json "$ID" 2>&1)
  assert_match "$ps_out" "\\b$pid\\b" "$what: ps without the flag lists the init" || diag "$ps_out"
  stats=$($RT events --stats "$ID" 2>&1)
  assert_eq "$(jq -r .data.pids.current <<<"$stats" 2>/dev/null)" 1 \
    "$what: events --stats without the flag reads the scope" || diag "$stats"
  $RT update --memory 67108864 --pids-limit 40 --cpu-share 256 --cpu-quota 30000 "$ID" 2>"$TEST_TMP/err"
  ok $? "$what: update without the flag" || diag "$(cat "$TEST_TMP/err")"
  systemctl daemon-reload
  limits=$(limits_of "$P" 2>&1)
  assert_match "$limits" "^mem=67108864 pids=40 soft=16777216 shares=256 quota=30000 period=50000 " \
    "$what: the update stays after a daemon-reload" || diag "$limits"
  $RT pause "$ID" && $RT resume "$ID"
  ok $? "$what: pause and resume"

  # 4. delete stops the scope; no directory stays, systemd's or ours.
  $RT delete --force "$ID" 2>"$TEST_TMP/err"
  ok $? "$what: delete --force without the flag" || diag "$(cat "$TEST_TMP/err")"
  assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' \
    "$what: the scope is stopped"
  assert_eq "$(cgroup_dirs_of "$P"; ls -d "$TEST_ROOT/$ID" 2>/dev/null)" "" \
    "$what: no directory in any hierarchy, no state"

  # 5. A foreground run: the process sees its scope.
  cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]'
  $RT --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$?" 0 "$what: run with --systemd-cgroup" || diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(awk -F: -v p="$P" '$3 != p && !($1 == 0 && $3 == "/")' "$TEST_TMP/out")" "" \
    "$what: the process is in the scope in every hierarchy" || diag "$(cat "$TEST_TMP/out")"
  assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' \
    "$what: the scope is gone after the run"
  assert_eq "$(cgroup_dirs_of "$P")" "" "$what: and its directories"

  # 6. A create that fails after systemd made the scope stops it.
  cfg '.linux.resources.cpu = {"cpus": "4095"} | .process.args = ["/bin/true"]'
  $RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "$what: a cpuset the kernel refuses fails the create" ||
    diag "$(cat "$TEST_TMP/err")"
  assert_no_match "$(unit_state "$UNIT")" '^(active|activating|deactivating)$' \
    "$what: the scope is stopped"
  assert_eq "$(cgroup_dirs_of "$P"; ls -d "$TEST_ROOT/$ID" 2>/dev/null)" "" \
    "$what: no directory, no state"

  # 7. A device list systemd cannot keep is refused, naming the rule.
  cfg 'del(.linux.resources.cpu) | .linux.resources.devices = [{"allow": true, "access": "rwm"},
        {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
  $RT --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "$what: a deny after allow-all exits 1"
  assert_match "$(cat "$TEST_TMP/err")" 'devices\[1\]: --systemd-cgroup cannot keep a deny rule' \
    "$what: and says which rule systemd cannot keep"
  assert_eq "$(unit_state "$UNIT")" inactive "$what: no scope was started"
done

assert_no_leftovers
