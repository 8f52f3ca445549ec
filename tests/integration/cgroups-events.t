#!/bin/bash
# cgroups-events: `events` (without --stats) reports {"type":"oom","id":ID}
# as soon as the container's cgroup counts an OOM kill, between two usage
# reports, and ends when the container stops.
. "$(dirname "$0")/lib.sh"

plan 13

make_bundle "$TEST_TMP/bundle"
cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'

# wait_line FILE ERE SECONDS: polls until a line of FILE matches.
wait_line ()
{
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_gone PID SECONDS: polls until process PID has exited.
wait_gone ()
{
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# 1. A process of the container is OOM-killed; the init lives on. The
# usage comes every 5 s (the default interval), the OOM within a second.
cfg '.process.args = ["/bin/sh", "-c", "sleep 1; /bin/mrtest alloc 64; sleep 300"]'
$MODRUN create --bundle "$BUNDLE" o1 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create o1 under a 16M limit" || diag "$(cat "$TEST_TMP/err")"
timeout 60 $MODRUN events o1 >"$TEST_TMP/ev1" 2>"$TEST_TMP/ev1.err" &
ev=$!
wait_line "$TEST_TMP/ev1" '"type":"stats"' 5
ok $? "events prints the usage at once" || diag "$(cat "$TEST_TMP/ev1.err")"
start=$(date +%s%N)
$MODRUN start o1
wait_line "$TEST_TMP/ev1" '"type":"oom"' 4
ok $? "an OOM kill is reported" || diag "$(cat "$TEST_TMP/ev1" "$TEST_TMP/ev1.err")"
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -lt 3500 ]
ok $? "within a second of the kill, before the next usage report (${took} ms after start)"
assert_eq "$(grep '"type":"oom"' "$TEST_TMP/ev1")" '{"type":"oom","id":"o1"}' \
  "the OOM event has runc's shape"
assert_eq "$(grep -c '"type":"stats"' "$TEST_TMP/ev1")" 1 "no second usage report yet"
assert_eq "$(ctr_status o1)" running "the init survives its child's OOM kill"
$MODRUN kill o1 KILL
wait_gone "$ev" 5
ok $? "events ends when the container stops"
wait "$ev"
assert_eq "$?" 0 "and exits 0"
$MODRUN delete o1

# 2. The init itself is OOM-killed: reported before events ends.
cfg '.process.args = ["/bin/sh", "-c", "sleep 1; exec /bin/mrtest alloc 64"]'
$MODRUN create --bundle "$BUNDLE" o2 </dev/null >/dev/null 2>"$TEST_TMP/err"
timeout 60 $MODRUN events --interval 10s o2 >"$TEST_TMP/ev2" 2>"$TEST_TMP/ev2.err" &
ev=$!
wait_line "$TEST_TMP/ev2" '"type":"stats"' 5
$MODRUN start o2
wait_gone "$ev" 8
ok $? "events ends when the OOM-killed init is gone"
assert_eq "$(grep -v '"type":"stats"' "$TEST_TMP/ev2")" '{"type":"oom","id":"o2"}' \
  "the kill of the init is reported" || diag "$(cat "$TEST_TMP/ev2.err")"
$MODRUN delete o2

# 3. No OOM, no OOM event.
cfg '.process.args = ["/bin/sh", "-c", "/bin/mrtest alloc 4; sleep 1"]'
$MODRUN create --bundle "$BUNDLE" o3 </dev/null >/dev/null 2>"$TEST_TMP/err"
timeout 60 $MODRUN events --interval 200ms o3 >"$TEST_TMP/ev3" 2>"$TEST_TMP/ev3.err" &
ev=$!
wait_line "$TEST_TMP/ev3" '"type":"stats"' 5
$MODRUN start o3
wait_gone "$ev" 8
assert_eq "$(grep -vc '"type":"stats"' "$TEST_TMP/ev3")" 0 \
  "a container that stays under its limit gets usage reports only" ||
  diag "$(cat "$TEST_TMP/ev3" "$TEST_TMP/ev3.err")"
$MODRUN delete o3

assert_no_leftovers
