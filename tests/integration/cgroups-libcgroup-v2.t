#!/bin/bash
# cgroups-libcgroup-v2: the resource matrix of the libcgroup backend on a
# cgroup v2 host: limits in cgroup2's files, seen from inside and enforced,
# the device program, update, ps, events --stats, pause, kill --all, delete
# leaving nothing, and refusals.
#
# On a host that is not cgroup v2 only, the test runs itself inside the
# cgroup-v2-only VM (tests/vm/run-in-vm.sh), as cgroups-v2.t does.
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ] &&
  { [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] ||
    awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup") f = 1 } END { exit !f }' \
      /proc/self/mountinfo; }; then
  . "$HERE/../vm/test-in-vm.sh"
  vm_run_test "the cgroup v2 VM" -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

[ "$RUNTIME_NAME" = modrun ] || skip_all "cgroups-libcgroup is a modrun plugin"
$MODRUN --plugins cgroups=cgroups-libcgroup plugins 2>/dev/null |
  grep -Eq '^cgroups-libcgroup +cgroups .* yes .* ok$' ||
  skip_all "the cgroups-libcgroup plugin is not built (no libcgroup)"

CG=/sys/fs/cgroup
[ "$(stat -fc %T $CG)" = cgroup2fs ] || bail_out "$CG is not cgroup2 even in the VM"

plan 44

MODRUN="$MODRUN --plugins cgroups=cgroups-libcgroup"
# Matches lib.sh's clean-up pattern for this test's cgroups.
PARENT=/modrun-test-lcg2-$$

make_bundle "$TEST_TMP/bundle"
RESOURCES='{
  "memory": {"limit": 16777216, "swap": 25165824, "reservation": 8388608},
  "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
  "pids": {"limit": 16},
  "unified": {"memory.high": "15728640"},
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": false, "type": "c", "major": 1, "minor": 7, "access": "rwm"}]
}'
setup_ctr ()
{
  cfg --arg p "$PARENT/$1" --argjson r "$RESOURCES" \
    '.linux.cgroupsPath = $p | .linux.resources = $r'
}

# 1. Seen from inside.
setup_ctr c1
run_ctr c1
assert_eq "$RUN_STATUS" 0 "mrtest report runs under the limits" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "0::/\$" "/proc/self/cgroup shows the cgroup namespace's root"

cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]
     | .linux.namespaces |= map(select(.type != "cgroup"))'
run_ctr c1
assert_match "$RUN_STDOUT" "^0::$PARENT/c1\$" "without a cgroup namespace the full path shows"

cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/status"]'
run_ctr c1
assert_match "$RUN_STDOUT" "^Cpus_allowed_list:[[:space:]]*0\$" "cpuset.cpus applies inside"

# 2. The values in the cgroup files.
setup_ctr c1
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create with limits" || diag "$(cat "$TEST_TMP/err")"
d=$CG$PARENT/c1
assert_eq "$(cat "$d/memory.max")" 16777216 "memory.max is the memory limit"
assert_eq "$(cat "$d/memory.swap.max" 2>&1)" 8388608 "memory.swap.max is swap minus limit"
assert_eq "$(cat "$d/memory.low")" 8388608 "memory.low is the reservation"
assert_eq "$(cat "$d/memory.high")" 15728640 "unified memory.high is written as given"
assert_eq "$(cat "$d/cpu.weight")" 20 "cpu.weight converted from shares 512"
assert_eq "$(cat "$d/cpu.max")" "20000 100000" "cpu.max from quota and period"
assert_eq "$(cat "$d/cpuset.cpus") $(cat "$d/cpuset.mems")" "0 0" "cpuset.cpus and cpuset.mems"
assert_eq "$(cat "$d/pids.max")" 16 "pids.max"
assert_match "$(cat "$CG$PARENT/cgroup.subtree_control")" "memory" \
  "libcgroup delegates the memory controller to the container's cgroup"
pid=$(ctr_pid c1)
assert_eq "$(cat "$d/cgroup.procs")" "$pid" "the init is in the container's cgroup"

# 3. update, ps, events --stats, pause, resume, kill --all, delete.
$MODRUN start c1
sleep 0.5
assert_eq "$(wc -l <"$d/cgroup.procs")" 3 "the init and its two children run in the cgroup"
$MODRUN update --memory 33554432 --pids-limit 20 --cpu-quota 50000 c1 2>"$TEST_TMP/err"
ok $? "update" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(cat "$d/memory.max") $(cat "$d/pids.max") $(cat "$d/cpu.max")" \
  "33554432 20 50000 100000" "update writes memory.max, pids.max and the quota of cpu.max"
ps_pids=$($MODRUN ps --format json c1 | jq -c 'sort')
assert_eq "$ps_pids" "$(sort -n "$d/cgroup.procs" | jq -s -c .)" "ps lists the processes of the cgroup"
stats=$($MODRUN events --stats c1 2>&1)
assert_eq "$(jq -c '[.data.pids.current, .data.pids.limit, .data.memory.usage.limit]' \
  <<<"$stats" 2>&1)" '[3,20,33554432]' "events --stats: pids and the memory limit" || diag "$stats"
$MODRUN pause c1 2>"$TEST_TMP/err"
assert_eq "$(cat "$d/cgroup.freeze") $(grep frozen "$d/cgroup.events") $(ctr_status c1)" \
  "1 frozen 1 paused" "pause freezes" || diag "$(cat "$TEST_TMP/err")"
$MODRUN resume c1 2>"$TEST_TMP/err"
assert_eq "$(cat "$d/cgroup.freeze") $(grep frozen "$d/cgroup.events") $(ctr_status c1)" \
  "0 frozen 0 running" "resume thaws" || diag "$(cat "$TEST_TMP/err")"
$MODRUN kill --all c1 KILL
wait_status c1 stopped 20
ok $? "kill --all KILL stops the container"
assert_eq "$(cat "$d/cgroup.procs" 2>/dev/null)" "" "no process is left in the cgroup"
$MODRUN delete c1
assert_eq "$(ls -d "$d" 2>/dev/null)" "" "delete removes the cgroup"
assert_eq "$(ls -d "$CG$PARENT" 2>/dev/null)" "" "delete removes the parent it made too"

setup_ctr c1
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1 && $MODRUN start c1
wait_status c1 running 10
$MODRUN delete --force c1 2>"$TEST_TMP/err"
ok $? "delete --force of a running container" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(ls -d "$d" 2>/dev/null)" "" "delete --force removes the cgroup"

# A device rule changed by update applies to the running container.
setup_ctr c5
cfg '.process.args = ["/bin/sh", "-c",
       "while :; do /bin/mrtest open /dev/full r >/r.new; mv /r.new /r; sleep 0.1; done"]
     | .root.readonly = false'
$MODRUN create --bundle "$BUNDLE" c5 </dev/null >/dev/null 2>&1 && $MODRUN start c5
poll_result ()
{
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(cat "$BUNDLE/rootfs/r" 2>/dev/null)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
poll_result "error: EPERM"
ok $? "/dev/full is denied before the update" || diag "$(cat "$BUNDLE/rootfs/r" 2>&1)"
echo '{"devices": [{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "r"}]}' \
  >"$TEST_TMP/dev.json"
$MODRUN update -r "$TEST_TMP/dev.json" c5 2>"$TEST_TMP/err"
poll_result "ok"
ok $? "update allowing /dev/full lets the running container read it" ||
  diag "$(cat "$TEST_TMP/err" "$BUNDLE/rootfs/r" 2>&1)"
$MODRUN delete --force c5
rm -f "$BUNDLE/rootfs/r"

# 4. Enforcement.
setup_ctr c2
cfg '.process.args = ["/bin/mrtest", "alloc", "64"]'
run_ctr c2
assert_eq "$RUN_STATUS" 137 "64M touched under a 16M limit is OOM-killed (128+SIGKILL)"

cfg '.process.args = ["/bin/mrtest", "forks", "40"]'
run_ctr c2
n=$(printf '%s\n' "$RUN_STDOUT" | sed -n 's/^forks: //p')
[ -n "$n" ] && [ "$n" -ge 10 ] && [ "$n" -lt 16 ]
ok $? "forks stop at pids.max 16 (made ${n:-none})"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/full", "r"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 error: EPERM" "the device program denies /dev/full"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/null", "w"]
     | .linux.resources.devices += [
         {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
         {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 error: EPERM" "a later deny rule taking w away refuses a write"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/null", "r"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ok" "but a read of the same device is let through"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/zero", "r"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ok" "a default device stays usable"

# 5. Refused: one line, exit 1, nothing left.
refused ()
{
  setup_ctr c3
  cfg "$1"
  $MODRUN run --bundle "$BUNDLE" c3 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  local status=$?
  assert_eq "$status $(grep -c . "$TEST_TMP/err")" "1 1" "$2: exit 1, one error line"
  assert_match "$(cat "$TEST_TMP/err")" "$3" "$2: the message says why"
}
refused '.linux.resources.cpu.realtimeRuntime = 1000' "realtimeRuntime" \
  "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2"
refused '.linux.resources.network = {"classID": 1}' "network" \
  "linux.resources.network: not supported on cgroup v2"
refused '.linux.resources.memory.limit = "1k"' "a string limit" \
  "linux.resources.memory.limit: expected integer, got string"
assert_eq "$(ls -d "$CG$PARENT"/c3 2>/dev/null)" "" "refused configs make no cgroup"

assert_no_leftovers
