#!/bin/bash
# cgroups-v2: a container's limits land in its cgroup v2 files, are seen from
# inside and enforced, the device program denies what the config denies,
# pause and kill --all reach every process, delete leaves nothing, and what
# the host cannot enforce is refused up front.
#
# On a host that is not cgroup v2 only, the test runs itself inside a
# cgroup-v2-only VM (tests/vm/run-in-vm.sh); when the VM cannot run, the
# test fails, saying so.
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

CG=/sys/fs/cgroup
[ "$(stat -fc %T $CG)" = cgroup2fs ] || bail_out "$CG is not cgroup2 even in the VM"
avail=$(cat $CG/cgroup.controllers)
for c in cpu cpuset memory pids io; do
  case " $avail " in *" $c "*) ;; *) bail_out "the $c controller is missing in $CG" ;; esac
done

plan 63

if [ "$RUNTIME_NAME" = modrun ]; then
  MODRUN_PROBED=$MODRUN
  MODRUN="$MODRUN --plugins cgroups=cgroups-v2"
fi
# Matches lib.sh's clean-up pattern for this test's cgroups.
PARENT=/modrun-test-cg2-$$

# A block device for io.max: null_blk when the kernel has it.
IODEV=
if modprobe null_blk nr_devices=1 2>/dev/null && [ -r /sys/block/nullb0/dev ]; then
  IODEV=$(cat /sys/block/nullb0/dev)
fi

make_bundle "$TEST_TMP/bundle"
RESOURCES='{
  "memory": {"limit": 16777216, "swap": 25165824, "reservation": 8388608},
  "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
  "pids": {"limit": 16},
  "unified": {"memory.high": "15728640"},
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
}'
setup_ctr ()
{
  cfg --arg p "$PARENT/$1" --argjson r "$RESOURCES" --arg io "$IODEV" \
    '.linux.cgroupsPath = $p | .linux.resources = $r
     | if $io == "" then . else .linux.resources.blockIO = {
         "weight": 500,
         "throttleReadBpsDevice": [{"major": ($io | split(":")[0] | tonumber),
                                    "minor": ($io | split(":")[1] | tonumber),
                                    "rate": 1048576}]} end'
}

# 1. Seen from inside: a cgroup namespace rooted at the container's cgroup.
setup_ctr c1
run_ctr c1
assert_eq "$RUN_STATUS" 0 "mrtest report runs under the limits" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "0::/\$" "/proc/self/cgroup shows the namespace root"

cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/status"]'
run_ctr c1
assert_match "$RUN_STDOUT" "^Cpus_allowed_list:[[:space:]]*0\$" "cpuset.cpus applies inside"

cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]
     | .linux.namespaces |= map(select(.type != "cgroup"))'
run_ctr c1
assert_match "$RUN_STDOUT" "^0::$PARENT/c1\$" "without a cgroup namespace the full path shows"

# 2. The values in the cgroup files.
# The shell gives background jobs /dev/null: the rule denying it is left out.
setup_ctr c1
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]
     | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
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
if [ -n "$IODEV" ]; then
  assert_match "$(cat "$d/io.max")" "^$IODEV rbps=1048576 wbps=max riops=max wiops=max\$" "io.max"
else
  skip "no null_blk device for io.max"
fi
assert_match "$(cat "$CG$PARENT/cgroup.subtree_control")" "memory" \
  "the parent delegates the memory controller"
pid=$(ctr_pid c1)
assert_eq "$(cat "$d/cgroup.procs")" "$pid" "the init is in the container's cgroup"
if command -v bpftool >/dev/null; then
  assert_match "$(bpftool cgroup show "$d" 2>&1)" "cgroup_device|device" \
    "a device program is attached"
else
  fail "a device program is attached: bpftool is needed to see it (tests/run-tests.sh installs it)"
fi

# 3. pause, resume, kill --all, delete.
$MODRUN start c1
# The VM is slow and may be busy: the children come when they come.
for _ in $(seq 100); do
  [ "$(wc -l <"$d/cgroup.procs")" -ge 3 ] && break
  sleep 0.1
done
assert_eq "$(wc -l <"$d/cgroup.procs")" 3 "the init and its two children run in the cgroup"
$MODRUN pause c1 2>"$TEST_TMP/err"
assert_eq "$(cat "$d/cgroup.freeze") $(grep frozen "$d/cgroup.events") $(ctr_status c1)" \
  "1 frozen 1 paused" "pause freezes" || diag "$(cat "$TEST_TMP/err")"
$MODRUN ps --format json c1 >"$TEST_TMP/ps" 2>&1
assert_eq "$(jq length "$TEST_TMP/ps" 2>&1)" 3 "ps lists the three processes" ||
  diag "$(cat "$TEST_TMP/ps")"
$MODRUN resume c1 2>"$TEST_TMP/err"
assert_eq "$(cat "$d/cgroup.freeze") $(grep frozen "$d/cgroup.events") $(ctr_status c1)" \
  "0 frozen 0 running" "resume thaws" || diag "$(cat "$TEST_TMP/err")"
stats=$($MODRUN events --stats c1 2>&1)
assert_eq "$(printf '%s' "$stats" | jq -r .data.pids.current 2>&1)" 3 \
  "events --stats counts the pids" || diag "$stats"
$MODRUN kill --all c1 KILL
wait_status c1 stopped 20
ok $? "kill --all KILL stops the container"
assert_eq "$(cat "$d/cgroup.procs" 2>/dev/null)" "" "no process is left in the cgroup"
$MODRUN delete c1
assert_eq "$(ls -d "$d" 2>/dev/null)" "" "delete removes the cgroup"
assert_eq "$(ls -d "$CG$PARENT" 2>/dev/null)" "" "delete removes the parent it made too"

# delete --force of a running container kills it through cgroup.kill.
setup_ctr c1
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]
     | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1 && $MODRUN start c1
wait_status c1 running 10
$MODRUN delete --force c1 2>"$TEST_TMP/err"
ok $? "delete --force of a running container" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(ls -d "$d" 2>/dev/null)" "" "delete --force removes the cgroup"

# 4. update.
setup_ctr c4
cfg '.process.args = ["/bin/sleep", "300"]'
$MODRUN create --bundle "$BUNDLE" c4 </dev/null >/dev/null 2>&1
$MODRUN update --pids-limit 20 --memory 33554432 c4 2>"$TEST_TMP/err"
ok $? "update" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(cat "$CG$PARENT/c4/pids.max") $(cat "$CG$PARENT/c4/memory.max")" "20 33554432" \
  "update changes pids.max and memory.max"
$MODRUN delete --force c4 >/dev/null 2>&1

# 5. Enforcement.
setup_ctr c2
cfg '.process.args = ["/bin/mrtest", "alloc", "64"]'
run_ctr c2
assert_eq "$RUN_STATUS" 137 "64M touched under a 16M limit is OOM-killed (128+SIGKILL)"

cfg '.process.args = ["/bin/mrtest", "forks", "40"]'
run_ctr c2
n=$(printf '%s\n' "$RUN_STDOUT" | sed -n 's/^forks: //p')
[ -n "$n" ] && [ "$n" -ge 10 ] && [ "$n" -lt 16 ]
ok $? "forks stop at pids.max 16 (made ${n:-none})"
assert_match "$RUN_STDOUT" "^fork-error: EAGAIN\$" "the failed fork says EAGAIN"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/null", "w"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 error: EPERM" "opening /dev/null denied by a rule fails"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/zero", "r"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ok" "a default device stays usable"

cfg '.linux.resources.devices = [{"allow": true, "access": "rwm"}]
     | .process.args = ["/bin/mrtest", "open", "/dev/null", "w"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ok" "an allow-all rule lets /dev/null open"

# 6. Probing picks cgroups-v2 on a cgroup v2 host.
if [ -n "${MODRUN_PROBED:-}" ]; then
  setup_ctr c5
  cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]
       | .linux.namespaces |= map(select(.type != "cgroup"))'
  timeout 60 $MODRUN_PROBED run --bundle "$BUNDLE" c5 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(cat "$TEST_TMP/out")" "0 0::$PARENT/c5" \
    "without --plugins, probing picks cgroups-v2" ||
    diag "$(cat "$TEST_TMP/err")"
else
  skip "probing is modrun's" 1
fi

# 7. What the host cannot enforce or the config gets wrong is refused: one
# line, exit 1, nothing left.
refused ()
{
  setup_ctr c3
  cfg "$1"
  $MODRUN run --bundle "$BUNDLE" c3 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  local status=$?
  assert_eq "$status $(grep -c . "$TEST_TMP/err")" "1 1" "$2: exit 1, one error line"
  assert_match "$(cat "$TEST_TMP/err")" "$3" "$2: the message says why"
}
refused '.linux.resources.unified = {"memory/../x.max": "1"}' "a unified key with a slash" \
  'linux.resources.unified: "memory/../x.max": expected "<controller>.<file>"'
refused '.linux.resources.unified = {"net_cls.classid": "1"}' "an unknown controller" \
  'unknown controller "net_cls"'
refused '.linux.resources.cpu.realtimeRuntime = 1000' "realtimeRuntime" \
  "linux.resources.cpu.realtimeRuntime, realtimePeriod: not supported on cgroup v2"
refused '.linux.resources.memory.limit = "1k"' "a string limit" \
  "linux.resources.memory.limit: expected integer, got string"
assert_eq "$(ls -d "$CG$PARENT"/c3 2>/dev/null)" "" "refused configs make no cgroup"

# 8. Every cgroup v1 field that cgroup v2 has no file for is refused, never
# dropped; -1 (no limit) asks for nothing and runs.
refused '.linux.resources.memory.kernel = 50593792' "memory.kernel" \
  "linux.resources.memory.kernel: not supported on cgroup v2"
refused '.linux.resources.memory.kernelTCP = 50593792' "memory.kernelTCP" \
  "linux.resources.memory.kernelTCP: not supported on cgroup v2"
refused '.linux.resources.memory.disableOOMKiller = true' "memory.disableOOMKiller" \
  "linux.resources.memory.disableOOMKiller: not supported on cgroup v2"
refused '.linux.resources.memory.swappiness = 10' "memory.swappiness" \
  "linux.resources.memory.swappiness: not supported on cgroup v2"
refused '.linux.resources.memory.useHierarchy = false' "memory.useHierarchy false" \
  "linux.resources.memory.useHierarchy: false is not supported on cgroup v2"
refused '.linux.resources.network = {"classID": 1048577}' "network.classID" \
  "linux.resources.network: not supported on cgroup v2"
refused '.linux.resources.blockIO = {"leafWeight": 500}' "blockIO.leafWeight" \
  "linux.resources.blockIO.leafWeight: not supported on cgroup v2"
setup_ctr c4
cfg '.linux.resources.memory.kernel = -1 | .linux.resources.memory.kernelTCP = -1
  | .process.args = ["/bin/true"]'
run_ctr c4
assert_eq "$RUN_STATUS" 0 "memory.kernel and kernelTCP -1 run" || diag "$RUN_STDERR"
assert_eq "$(ls -d "$CG$PARENT"/c3 "$CG$PARENT"/c4 2>/dev/null)" "" \
  "refused configs make no cgroup, a run removes its own"

assert_no_leftovers
