#!/bin/bash
# cgroups-systemd-ops: what an operator does to a --systemd-cgroup container
# on a cgroup v1 host (hybrid, or legacy with MODRUN_TEST_CG_LAYOUT=legacy),
# with the cgroups-v1 backend: odd device lists kept across a daemon-reload
# or refused before anything changes (at create and at update), exec, ps,
# events, kill --all, pause and resume, two containers in one slice, a
# forced delete of a paused container, and a create failing at each step
# after systemd started the scope.
#
# On a host without systemd, or without v1 hierarchies, the test runs
# itself in a VM booted with systemd (tests/vm/run-in-vm.sh -S -c LAYOUT).
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")
LAYOUT=${MODRUN_TEST_CG_LAYOUT:-hybrid}

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ]; then
  export MODRUN_TEST_CG_LAYOUT=$LAYOUT
  . "$HERE/../vm/test-in-vm.sh"
  vm_run_test "the systemd VM" -S -c "$LAYOUT" -e MODRUN_TEST_CG_LAYOUT -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

[ -e /run/systemd/system ] || bail_out "systemd is not the init even in the VM"
CG=/sys/fs/cgroup
[ -d $CG/memory ] && [ -d $CG/devices ] || bail_out "no cgroup v1 hierarchies under $CG"

RT=$MODRUN
[ "$RUNTIME_NAME" = modrun ] && RT="$MODRUN --plugins cgroups=cgroups-v1"

unit_state ()
{
  systemctl show -p ActiveState --value "$1" 2>/dev/null
}

# Not running, stopping or starting: stopped, failed or unknown.
assert_unit_gone ()
{
  assert_no_match "$(unit_state "$1")" '^(active|activating|deactivating|reloading)$' "$2"
}


# The lines of /proc/PID/cgroup (or of FILE, with -f) not at PATH.
lines_elsewhere ()
{
  local f=/proc/$1/cgroup
  [ "$1" = -f ] && { f=$2; shift; }
  awk -F: -v p="$2" '$3 != p && !($1 == 0 && $3 == "/")' "$f"
}

devlist ()
{
  sort "$CG/devices$1/devices.list" 2>&1 | tr '\n' ',' | sed 's/,$//'
}

SYS=system.slice
N=0
# new_ctr SLICE: a fresh id in ID, its unit in UNIT, its path in P.
new_ctr ()
{
  N=$((N + 1))
  ID=ops$$n$N
  UNIT=modrun-$ID.scope
  case $1 in
    system.slice) P=/system.slice/$UNIT ;;
    modrun-test-ops.slice) P=/modrun.slice/modrun-test.slice/modrun-test-ops.slice/$UNIT ;;
  esac
  cfg --arg p "$1:modrun:$ID" '.linux.cgroupsPath = $p'
}

# create_ctr DESC: --systemd-cgroup create of $ID on $BUNDLE.
create_ctr ()
{
  $RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  ok $? "$1" || diag "$(cat "$TEST_TMP/err")"
}

# nothing_of DESC: no scope, no directory, no state of $ID.
nothing_of ()
{
  assert_unit_gone "$UNIT" "$1: the scope is not running"
  assert_eq "$(cgroup_dirs_of "$P"; ls -d "$TEST_ROOT/$ID" 2>/dev/null)" "" "$1: no directory, no state"
}

make_bundle "$TEST_TMP/bundle"
cfg '.linux.namespaces |= map(select(.type != "cgroup"))
  | .process.args = ["/bin/mrtest", "sleep", "300"]
  | .linux.devices = [{"path": "/dev/mrdenied", "type": "c", "major": 10, "minor": 200}]'
BASE=$(cat "$BUNDLE/config.json")

# 1. Odd device lists that systemd can say: a whole major by its driver
# name, a block device, every character device for mknod only. They are
# written, kept across a daemon-reload, and a device the list leaves out
# stays closed to the container.
new_ctr $SYS
cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "access": "rw"},
      {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"},
      {"allow": true, "type": "c", "access": "m"},
      {"allow": false, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]'
create_ctr "odd devices: create"
before=$(devlist "$P")
assert_match "$before" "c 1:\\* rw" "odd devices: a whole major is written" || diag "$before"
assert_match "$before" "b 7:0 r" "odd devices: a block device is written"
assert_match "$before" "c \\*:\\* m" "odd devices: mknod of every char device is written"
assert_no_match "$before" "10:200" "odd devices: the denied device is not in the list"
out=$($RT exec "$ID" /bin/mrtest open /dev/mrdenied r 2>/dev/null)
assert_eq "$out" "error: EPERM" "odd devices: the container cannot open the denied device"
systemctl daemon-reload
assert_eq "$(devlist "$P")" "$before" "odd devices: a daemon-reload keeps the device list"
out=$($RT exec "$ID" /bin/mrtest open /dev/mrdenied r 2>/dev/null)
assert_eq "$out" "error: EPERM" "odd devices: after a daemon-reload the denied device stays closed"
out=$($RT exec "$ID" /bin/mrtest open /dev/null w 2>/dev/null)
assert_eq "$out" "ok" "odd devices: after a daemon-reload /dev/null (major 1) opens"

# 2. update of the devices of a running container: kept across a reload.
echo '{"devices": [{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]}' |
  $RT update -r - "$ID" 2>"$TEST_TMP/err"
ok $? "devices update: deny /dev/null on a running container" || diag "$(cat "$TEST_TMP/err")"
after=$(devlist "$P")
out=$($RT exec "$ID" /bin/mrtest open /dev/null w 2>/dev/null)
assert_eq "$out" "error: EPERM" "devices update: /dev/null is closed" || diag "$after"
systemctl daemon-reload
assert_eq "$(devlist "$P")" "$after" "devices update: a daemon-reload keeps the updated list"
out=$($RT exec "$ID" /bin/mrtest open /dev/null w 2>/dev/null)
assert_eq "$out" "error: EPERM" "devices update: /dev/null stays closed after a daemon-reload"

# 3. An update systemd cannot say is refused and changes nothing: the
# kernel's list stays what systemd keeps.
after=$(devlist "$P")
for rule in '{"allow": true, "type": "c", "major": 42, "access": "rw"}' \
  '{"allow": true, "type": "c", "minor": 7, "access": "rw"}'; do
  echo "{\"devices\": [$rule]}" | $RT update -r - "$ID" >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "refused update $rule: exits 1" || diag "$(cat "$TEST_TMP/err")"
  assert_match "$(cat "$TEST_TMP/err")" 'linux\.resources\.devices\[0\]: --systemd-cgroup cannot keep a rule' \
    "refused update $rule: the error names the rule" ||
    diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(devlist "$P")" "$after" "refused update $rule: the kernel's device list is unchanged"
  systemctl daemon-reload
  assert_eq "$(wc -l <"$TEST_TMP/err")" 1 "refused update $rule: one line" || diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(devlist "$P")" "$after" "refused update $rule: and stays so across a daemon-reload"
done

# 4. At create, the same rules are refused before systemd starts a scope.
SAVED=$(cat "$BUNDLE/config.json")
SAVED_ID=$ID SAVED_UNIT=$UNIT SAVED_P=$P
for rule in '{"allow": true, "type": "b", "major": 42, "access": "r"}' \
  '{"allow": true, "type": "c", "major": -1, "minor": 3, "access": "rw"}'; do
  printf '%s' "$BASE" >"$BUNDLE/config.json"
  new_ctr $SYS
  cfg --argjson r "$rule" '.linux.resources.devices = [{"allow": false, "access": "rwm"}, $r]'
  $RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "refused create $rule: exits 1"
  assert_match "$(cat "$TEST_TMP/err")" 'linux\.resources\.devices\[1\]: --systemd-cgroup cannot keep a rule' \
    "refused create $rule: names the rule" || diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(unit_state "$UNIT")" inactive "refused create $rule: no scope was started"
  nothing_of "refused create $rule"
done
printf '%s' "$SAVED" >"$BUNDLE/config.json"
ID=$SAVED_ID UNIT=$SAVED_UNIT P=$SAVED_P

# 5. exec lands in the scope in every hierarchy; ps, events, kill --all.
$RT exec "$ID" /bin/mrtest cat /proc/self/cgroup >"$TEST_TMP/out" 2>&1
assert_eq "$(lines_elsewhere -f "$TEST_TMP/out" "$P")" "" \
  "exec: the process is in the scope in every hierarchy" || diag "$(cat "$TEST_TMP/out")"
$RT exec -d "$ID" /bin/mrtest sleep 300 2>"$TEST_TMP/err"
ok $? "exec -d: a second process" || diag "$(cat "$TEST_TMP/err")"
sleep 0.3
pids=$($RT ps "$ID" 2>&1 | awk 'NR > 1 { print $2 }' | sort -n | tr '\n' ' ')
assert_eq "$(wc -w <<<"$pids")" 2 "ps: lists the init and the exec'd process" || diag "$pids"
assert_match "$(systemctl show -p ControlGroup --value "$UNIT")" "^$P\$" "systemd's scope is the container's cgroup"
timeout 5 $RT events --interval 1s "$ID" >"$TEST_TMP/ev" 2>&1
assert_eq "$(head -n 1 "$TEST_TMP/ev" | jq -r '.type + " " + (.data.pids.current | tostring)' 2>&1)" \
  "stats 2" "events: a stats event counting two processes" || diag "$(head -c 500 "$TEST_TMP/ev")"
$RT kill --all "$ID" KILL 2>"$TEST_TMP/err"
ok $? "kill --all" || diag "$(cat "$TEST_TMP/err")"
wait_status "$ID" stopped 10
assert_eq "$(ctr_status "$ID")" stopped "kill --all: the container stops"
assert_eq "$(cat "$CG/pids$P/cgroup.procs" 2>/dev/null)" "" "kill --all: no process is left"
$RT delete "$ID" 2>"$TEST_TMP/err"
ok $? "delete after kill --all" || diag "$(cat "$TEST_TMP/err")"
nothing_of "delete after kill --all"

# 6. Two containers in one slice: deleting one leaves the other whole.
printf '%s' "$BASE" >"$BUNDLE/config.json"
new_ctr modrun-test-ops.slice
A=$ID A_UNIT=$UNIT A_P=$P
create_ctr "same slice: create the first"
new_ctr modrun-test-ops.slice
create_ctr "same slice: create the second"
B_pid=$(ctr_pid "$ID")
b_dirs=$(cgroup_dirs_of "$P")
$RT delete --force "$A" 2>"$TEST_TMP/err"
ok $? "same slice: delete --force the first" || diag "$(cat "$TEST_TMP/err")"
assert_unit_gone "$A_UNIT" "same slice: the first scope is stopped"
assert_eq "$(unit_state "$UNIT")" active "same slice: the second scope runs"
assert_eq "$(cgroup_dirs_of "$P")" "$b_dirs" "same slice: the second's directories stay"
assert_eq "$(lines_elsewhere "$B_pid" "$P")" "" "same slice: the second's init stays in them"
assert_eq "$(ctr_status "$ID")" created "same slice: the second is still created"
$RT start "$ID" && $RT delete --force "$ID"
ok $? "same slice: the second starts and is deleted"
nothing_of "same slice: the second"

# 7. A second container asking for the scope of a running one is refused,
# and the first keeps its scope and its processes.
new_ctr $SYS
cfg --arg p "$SYS:modrun:$ID" '.linux.cgroupsPath = $p'
create_ctr "same scope: create the first"
first=$ID first_pid=$(ctr_pid "$ID")
ID=${ID}x
$RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "same scope: a second create with the same cgroupsPath exits 1" ||
  diag "$(cat "$TEST_TMP/err")"
assert_eq "$(unit_state "$UNIT")" active "same scope: the first's scope still runs"
assert_eq "$(kill -0 "$first_pid" 2>&1 && lines_elsewhere "$first_pid" "$P")" "" \
  "same scope: the first's init lives on, in its scope everywhere"
assert_eq "$(ls -d "$TEST_ROOT/$ID" 2>/dev/null)" "" "same scope: the second left no state"
$RT delete --force "$first" 2>"$TEST_TMP/err"
ok $? "same scope: delete the first" || diag "$(cat "$TEST_TMP/err")"
nothing_of "same scope: the first"

# 8. delete --force of a paused container.
new_ctr $SYS
create_ctr "paused: create"
$RT start "$ID" && $RT pause "$ID"
ok $? "paused: start and pause"
assert_eq "$(ctr_status "$ID")" paused "paused: the container is paused"
systemctl daemon-reload
assert_eq "$(ctr_status "$ID") $(cat "$CG/freezer$P/freezer.state" 2>&1)" "paused FROZEN" \
  "paused: a daemon-reload leaves it frozen"
timeout 30 $RT delete --force "$ID" 2>"$TEST_TMP/err"
ok $? "paused: delete --force" || diag "$(cat "$TEST_TMP/err")"
nothing_of "paused: delete --force"

# 9. A create failing after systemd started the scope leaves nothing.
for step in memory hook-create-runtime hook-create-container args; do
  printf '%s' "$BASE" >"$BUNDLE/config.json"
  new_ctr $SYS
  case $step in
    memory) cfg '.linux.resources.memory = {"limit": 1048576, "swap": 524288}' ;;
    hook-create-runtime) cfg '.hooks.createRuntime = [{"path": "/bin/false"}]' ;;
    hook-create-container) cfg '.hooks.createContainer = [{"path": "/bin/false"}]' ;;
    args) cfg '.process.args = ["/no/such/binary"]' ;;
  esac
  $RT --systemd-cgroup create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/err"
  st=$?
  if [ "$step" = args ] && [ "$st" = 0 ]; then
    $RT start "$ID" 2>>"$TEST_TMP/err"
    st=1
    wait_status "$ID" stopped 5
    $RT delete "$ID" 2>>"$TEST_TMP/err"
  fi
  assert_eq "$st" 1 "failed create ($step): exits 1" || diag "$(cat "$TEST_TMP/err")"
  nothing_of "failed create ($step)"
done

assert_no_leftovers
done_testing
