# cgroups-v1-matrix.sh: the resource matrix of a cgroup backend on a host
# whose controllers are cgroup v1 (or hybrid), sourced by a test after
# lib.sh. The backend writes the v1 files the matrix reads back, whatever
# way it takes to write them.
#
# The sourcing test sets:
#   CG_BACKEND      the plugin, passed as `--plugins cgroups=$CG_BACKEND`
#   CG_UNIFIED      "joined" when the backend also puts the container in the
#                   cgroup2 hierarchy of a hybrid host, "" when it does not
#   CG_NO_HUGETLB   the message refusing hugepageLimits where hugetlb is not
#                   a v1 controller

# The mount point of v1 controller $1, from mountinfo.
v1_mount ()
{
  awk -v c="$1" '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) != "cgroup") next
      n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' \
    /proc/self/mountinfo
}

MEM=$(v1_mount memory)
CPU=$(v1_mount cpu)
CPUSET=$(v1_mount cpuset)
PIDS=$(v1_mount pids)
DEVICES=$(v1_mount devices)
FREEZER=$(v1_mount freezer)
for m in "$MEM" "$CPU" "$CPUSET" "$PIDS" "$DEVICES" "$FREEZER"; do
  [ -n "$m" ] || skip_all "memory, cpu, cpuset, pids, devices and freezer are not all cgroup v1 here"
done

plan 49

if [ "$RUNTIME_NAME" = modrun ]; then
  MODRUN="$MODRUN --plugins cgroups=$CG_BACKEND"
fi
# Matches lib.sh's clean-up pattern for this test's cgroups.
PARENT=/modrun-test-cg-$$

make_bundle "$TEST_TMP/bundle"
RESOURCES='{
  "memory": {"limit": 16777216, "swap": 16777216, "reservation": 8388608},
  "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
  "pids": {"limit": 16},
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": false, "type": "c", "major": 1, "minor": 7, "access": "rwm"}]
}'
# Without a cgroup namespace the container sees its full path in
# /proc/self/cgroup, which tells which cgroup it was put in.
setup_ctr ()
{
  cfg --arg p "$PARENT/$1" --argjson r "$RESOURCES" \
    '.linux.cgroupsPath = $p | .linux.resources = $r
     | .linux.namespaces |= map(select(.type != "cgroup"))'
}

# 1. The cgroups, seen from inside.
setup_ctr c1
run_ctr c1
assert_eq "$RUN_STATUS" 0 "mrtest report runs under the limits"
assert_match "$RUN_STDOUT" ":memory:$PARENT/c1\$" "/proc/self/cgroup names the memory cgroup"
assert_match "$RUN_STDOUT" ":pids:$PARENT/c1\$" "/proc/self/cgroup names the pids cgroup"
if [ "$CG_UNIFIED" = joined ]; then
  assert_match "$RUN_STDOUT" "0::$PARENT/c1\$" "the cgroup2 line of a hybrid host names it too"
else
  assert_no_match "$RUN_STDOUT" "0::$PARENT/c1\$" "the cgroup2 hierarchy of a hybrid host is left alone"
fi

cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/status"]'
run_ctr c1
assert_match "$RUN_STDOUT" "^Cpus_allowed_list:[[:space:]]*0\$" "cpuset.cpus applies inside"

# 2. The values in the host's cgroup files.
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create with limits" || diag "$(cat "$TEST_TMP/err")"
d=$PARENT/c1
assert_eq "$(cat "$MEM$d/memory.limit_in_bytes")" 16777216 "memory.limit_in_bytes"
if [ -f "$MEM$d/memory.memsw.limit_in_bytes" ]; then
  assert_eq "$(cat "$MEM$d/memory.memsw.limit_in_bytes")" 16777216 "memory.memsw.limit_in_bytes"
else
  skip "no swap accounting on this host"
fi
assert_eq "$(cat "$MEM$d/memory.soft_limit_in_bytes")" 8388608 "memory.soft_limit_in_bytes"
assert_eq "$(cat "$CPU$d/cpu.shares") $(cat "$CPU$d/cpu.cfs_quota_us")" "512 20000" \
  "cpu.shares and cpu.cfs_quota_us"
assert_eq "$(cat "$CPUSET$d/cpuset.cpus") $(cat "$CPUSET$d/cpuset.mems")" "0 0" \
  "cpuset.cpus and cpuset.mems"
assert_eq "$(cat "$PIDS$d/pids.max")" 16 "pids.max"
devs=$(cat "$DEVICES$d/devices.list")
assert_match "$devs" "^c 1:5 rwm\$" "devices.list allows the default /dev/zero"
assert_no_match "$devs" "^(c 1:7 |a )" "devices.list keeps the denied /dev/full out"
pid=$(ctr_pid c1)
assert_match "$(cat "$MEM$d/cgroup.procs")" "^$pid\$" "the init is in the memory cgroup"

# 3. update, ps, events --stats, pause, resume, kill --all, delete.
$MODRUN start c1
sleep 0.3
assert_eq "$(wc -l <"$PIDS$d/cgroup.procs")" 3 "the init and its two children run in the cgroup"
$MODRUN update --memory 33554432 --memory-swap 33554432 --pids-limit 20 --cpu-shares 256 c1 \
  2>"$TEST_TMP/err"
ok $? "update" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(cat "$MEM$d/memory.limit_in_bytes") $(cat "$PIDS$d/pids.max") $(cat "$CPU$d/cpu.shares")" \
  "33554432 20 256" "update writes memory.limit_in_bytes, pids.max and cpu.shares"
assert_eq "$(cat "$CPU$d/cpu.cfs_quota_us")" 20000 "update leaves what it does not name"
$MODRUN update --pids-limit 1k c1 2>"$TEST_TMP/err"
assert_eq "$? $(cat "$PIDS$d/pids.max")" "1 20" "a bad update fails and changes nothing"
ps_pids=$($MODRUN ps --format json c1 | jq -c 'sort')
assert_eq "$ps_pids" "$(sort -n "$PIDS$d/cgroup.procs" | jq -s -c .)" \
  "ps lists the processes of the cgroup"
stats=$($MODRUN events --stats c1)
assert_eq "$(jq -c '[.type, .data.pids.current, .data.pids.limit, .data.memory.usage.limit]' \
  <<<"$stats")" '["stats",3,20,33554432]' "events --stats: pids and the memory limit"
assert_match "$(jq -r '.data.cpu.usage.total > 0' <<<"$stats")" "^true\$" \
  "events --stats: the cpu usage"
$MODRUN pause c1
assert_eq "$(cat "$FREEZER$d/freezer.state") $(ctr_status c1)" "FROZEN paused" "pause freezes"
$MODRUN resume c1
assert_eq "$(cat "$FREEZER$d/freezer.state") $(ctr_status c1)" "THAWED running" "resume thaws"
$MODRUN kill --all c1 KILL
wait_status c1 stopped 10
ok $? "kill --all KILL stops the container"
assert_eq "$(cat "$PIDS$d/cgroup.procs" 2>/dev/null)" "" "no process is left in the cgroup"
$MODRUN delete c1
assert_eq "$(ls -d /sys/fs/cgroup/*"$d" 2>/dev/null)" "" "delete removes every c1 cgroup"
assert_eq "$(ls -d /sys/fs/cgroup/*"$PARENT" 2>/dev/null)" "" \
  "delete removes the parent it made for c1 too"

setup_ctr c1
cfg '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1 && $MODRUN start c1
wait_status c1 running 10
$MODRUN delete --force c1 2>"$TEST_TMP/err"
ok $? "delete --force of a running container" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(ls -d /sys/fs/cgroup/*"$d" 2>/dev/null)" "" "delete --force removes every c1 cgroup"

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
assert_match "$RUN_STDOUT" "^fork-error: EAGAIN\$" "the failed fork says EAGAIN"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/null", "w"]
     | .linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 3}]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 error: EPERM" "opening /dev/null denied by a rule fails"

cfg '.process.args = ["/bin/mrtest", "open", "/dev/zero", "r"]'
run_ctr c2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ok" "a default device stays usable"

# 5. What the host cannot enforce is refused: one line, exit 1, nothing left.
refused ()
{
  setup_ctr c3
  cfg "$1"
  $MODRUN run --bundle "$BUNDLE" c3 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  local status=$?
  assert_eq "$status $(grep -c . "$TEST_TMP/err")" "1 1" "$2: exit 1, one error line"
  assert_match "$(cat "$TEST_TMP/err")" "$3" "$2: the message says why"
}
refused '.linux.resources.unified = {"memory.max": "1"}' "unified" \
  "linux.resources.unified: only supported by cgroup v2 backends"
if [ -z "$(v1_mount hugetlb)" ]; then
  refused '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]' \
    "hugepageLimits" "$CG_NO_HUGETLB"
else
  skip "hugetlb is mounted as cgroup v1 here" 2
fi
refused '.linux.resources.memory.limit = "1k"' "a string limit" \
  "linux.resources.memory.limit: expected integer, got string"
assert_eq "$(ls -d /sys/fs/cgroup/*"$PARENT"/c3 2>/dev/null)" "" "refused configs make no cgroup"

# 6. A create that fails once its cgroups exist leaves none of them.
setup_ctr c4
cfg '.process.args = ["/bin/no-such-program"]'
$MODRUN create --bundle "$BUNDLE" c4 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "a create whose program is missing fails"
assert_eq "$(ls -d /sys/fs/cgroup/*"$PARENT"/c4 /sys/fs/cgroup/*"$PARENT" 2>/dev/null)" "" \
  "the failed create leaves no cgroup"
assert_eq "$($MODRUN list -q)" "" "the failed create leaves no container"

assert_no_leftovers
