#!/bin/bash
# lifecycle: create, start, state, kill, delete, run, run -d, list, the
# errors of ids that exist or not and of containers not running, --log in
# JSON, --version.
. "$(dirname "$0")/lib.sh"

plan 62

B=$TEST_TMP/bundle
make_bundle "$B"
ERR=$TEST_TMP/err

# rt ARGS...: the runtime with stdio in files (a container inheriting a pipe
# would hold it open), status in $RT_STATUS, stderr in $RT_ERR.
rt ()
{
  timeout -k 5 30 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$ERR"
  RT_STATUS=$?
  RT_OUT=$(tr -d '\0' <"$TEST_TMP/out")
  RT_ERR=$(cat "$ERR")
}

# expect_error DESCRIPTION ERE ARGS...: exit 1 and one line on stderr
# matching ERE.
expect_error ()
{
  local desc=$1 ere=$2
  shift 2
  rt "$@"
  assert_eq "$RT_STATUS $(printf '%s' "$RT_ERR" | grep -c .)" "1 1" "$desc: exit 1, one error line"
  assert_match "$RT_ERR" "$ere" "$desc: says \"$ere\""
}

# 1. create, state, start, kill, delete.
cfg --arg cg "$CG_PARENT/c1" '.process.args = ["/bin/mrtest", "wait-signal", "TERM"]
                              | .linux.cgroupsPath = $cg'
rt create --bundle "$B" --pid-file "$TEST_TMP/c1.pid" c1
assert_eq "$RT_STATUS" 0 "create exits 0" || diag "$RT_ERR"
state=$($MODRUN state c1 2>/dev/null)
assert_eq "$(jq -r '[.id, .status, .bundle] | join(" ")' <<<"$state")" "c1 created $B" \
  "state after create: id, status created, bundle"
pid=$(jq -r .pid <<<"$state")
assert_match "$(jq -r .ociVersion <<<"$state")" "^1\.[0-9]+\.[0-9]+" "state has an ociVersion"
assert_eq "$(cat "$TEST_TMP/c1.pid" 2>/dev/null)" "$pid" "the pid file holds the state's pid"
[ "$pid" -gt 0 ] 2>/dev/null && [ -d "/proc/$pid" ]
ok $? "the init process of the created container exists (pid $pid)"
assert_no_match "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" "mrtest" \
  "before start, the user's program is not executed yet"

rt start c1
assert_eq "$RT_STATUS" 0 "start exits 0" || diag "$RT_ERR"
wait_status c1 running 5
assert_eq "$(ctr_status c1)" running "state after start: running"
sleep 0.2
assert_match "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" "^/bin/mrtest wait-signal TERM" \
  "after start, the init runs the user's program"

rt kill c1
assert_eq "$RT_STATUS" 0 "kill (SIGTERM by default) exits 0" || diag "$RT_ERR"
wait_status c1 stopped 10
assert_eq "$(ctr_status c1)" stopped "state after the program got SIGTERM and exited: stopped"

expect_error "kill of a stopped container" "container not running" kill c1 KILL

rt delete c1
assert_eq "$RT_STATUS" 0 "delete exits 0" || diag "$RT_ERR"
expect_error "state after delete" "container does not exist" state c1
assert_eq "$(ls "$TEST_ROOT")" "" "delete removes the state directory"
assert_eq "$(ls -d /sys/fs/cgroup/*"$CG_PARENT"/c1 2>/dev/null)" "" "delete removes the cgroups"

# 2. run in the foreground: exit codes.
cfg --arg cg "$CG_PARENT/r" '.process.args = ["/bin/mrtest", "exit", "7"]
                             | .linux.cgroupsPath = $cg'
run_ctr r1
assert_eq "$RUN_STATUS" 7 "run exits with the program's exit code (7)"
cfg '.process.args = ["/bin/mrtest", "report"]'
run_ctr r2
assert_eq "$RUN_STATUS" 0 "run exits 0 when the program does" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^pid: 1$" "run passes the program's stdout; it is pid 1 in there"
assert_eq "$RUN_STDERR" "" "a successful run writes nothing on stderr"

# Without a pid namespace, the program can kill itself with any signal.
cfg '.process.args = ["/bin/mrtest", "kill-self", "USR1"]
     | .linux.namespaces |= map(select(.type != "pid"))'
run_ctr r3
assert_eq "$RUN_STATUS" 138 "run of a program killed by SIGUSR1 exits 128+10"

cfg '.process.args = ["/bin/mrtest", "sleep", "30"]
     | .linux.namespaces += [{"type": "pid"}]'
timeout -k 5 30 $MODRUN run --bundle "$B" r4 </dev/null >/dev/null 2>"$ERR" &
runpid=$!
wait_status r4 running 10
rt kill r4 KILL
wait "$runpid"
assert_eq "$?" 137 "run of a program killed by SIGKILL from kill exits 128+9"
assert_eq "$(ls "$TEST_ROOT")" "" "run deletes its containers when they exit"

# 3. run -d, list, duplicate ids, delete of a running container.
cfg --arg cg "$CG_PARENT/d1" '.process.args = ["/bin/mrtest", "sleep", "60"]
                              | .linux.cgroupsPath = $cg'
SECONDS=0
rt run -d --bundle "$B" --pid-file "$TEST_TMP/d1.pid" d1
assert_eq "$RT_STATUS" 0 "run -d exits 0" || diag "$RT_ERR"
[ "$SECONDS" -lt 10 ]
ok $? "run -d returns while the container runs"
assert_eq "$(ctr_status d1)" running "after run -d: running"
assert_eq "$(cat "$TEST_TMP/d1.pid" 2>/dev/null)" "$(ctr_pid d1)" "run -d writes the pid file"

rt list
assert_eq "$RT_STATUS" 0 "list exits 0"
assert_match "$(head -1 <<<"$RT_OUT")" "^ID +PID +STATUS +BUNDLE +CREATED +OWNER$" "list header"
assert_match "$RT_OUT" "^d1 +$(ctr_pid d1) +running +$B " "list: a row for d1"
rt list -f json
assert_eq "$(jq -r '.[] | "\(.id) \(.status) \(.pid) \(.bundle)"' <<<"$RT_OUT" 2>&1)" \
  "d1 running $(ctr_pid d1) $B" "list -f json"
rt list -q
assert_eq "$RT_OUT" d1 "list -q prints the ids only"

cfg --arg cg "$CG_PARENT/d2" '.linux.cgroupsPath = $cg'
expect_error "create with an id in use" "container with given ID already exists" \
  create --bundle "$B" d1
expect_error "run with an id in use" "container with given ID already exists" \
  run -d --bundle "$B" d1
assert_eq "$(ctr_status d1)" running "the container whose id was reused still runs"

expect_error "delete of a running container without --force" "not stopped|running" delete d1
assert_eq "$(ctr_status d1)" running "it still runs"
d1pid=$(ctr_pid d1)
rt delete --force d1
assert_eq "$RT_STATUS" 0 "delete --force of a running container exits 0" || diag "$RT_ERR"
sleep 0.2
[ ! -d "/proc/$d1pid" ] || grep -q '^State:.*Z' "/proc/$d1pid/status"
ok $? "delete --force killed its process"

# 4. Unknown ids.
expect_error "state of an unknown id" "container does not exist" state nosuch
expect_error "kill of an unknown id" "container does not exist" kill nosuch KILL
expect_error "start of an unknown id" "container does not exist" start nosuch

# 5. delete of a created container.
cfg --arg cg "$CG_PARENT/c5" '.linux.cgroupsPath = $cg'
rt create --bundle "$B" c5
if [ "$RUNTIME_NAME" = runc ]; then
  skip "runc deletes a created container without --force" 2
else
  expect_error "delete of a created container without --force" "not stopped: created" delete c5
fi
rt delete --force c5
assert_eq "$RT_STATUS:$(ls "$TEST_ROOT")" 0: "delete --force of a created container" ||
  diag "$RT_ERR"

# 6. --log --log-format json, --version.
LOG=$TEST_TMP/log.json
timeout 30 $MODRUN --log "$LOG" --log-format json state nosuch >/dev/null 2>&1
jq -e -s 'length > 0 and all(has("level") and has("msg") and has("time"))' "$LOG" >/dev/null
ok $? "--log-format json: every log line is an object with level, msg and time" ||
  diag "$(cat "$LOG" 2>&1)"
assert_match "$(jq -r '"\(.level) \(.msg)"' "$LOG" 2>&1)" "^error .*container does not exist" \
  "--log-format json: the error is logged"

rt --version
assert_match "$(head -1 <<<"$RT_OUT")" "^$RUNTIME_NAME version [0-9]+\.[0-9]+" \
  "--version: first line names the runtime and its version"
if [ "$RUNTIME_NAME" = modrun ]; then
  assert_eq "$(sed -n 2p <<<"$RT_OUT")" "spec: 1.3.0" "--version: the spec version comes next"
else
  assert_match "$RT_OUT" "^spec: [0-9]+\.[0-9]+\.[0-9]+" "--version: the spec version"
fi

# 7. --no-pivot and --no-new-keyring change how the init is set up, not
# what the program sees of its root.
cfg --arg cg "$CG_PARENT/c7" '.linux.cgroupsPath = $cg | .process.args = ["/bin/mrtest", "keyring"]'
rt run --bundle "$B" --no-pivot np7
assert_eq "$RT_STATUS" 0 "run --no-pivot: the program runs in its rootfs" || diag "$RT_ERR"

assert_eq "$(ls "$TEST_ROOT")" "" "run --no-pivot: nothing left after the run"
rt run --bundle "$B" kr7
assert_match "$RT_OUT" "^keyring: keyring;.*;kr7$" "a new session keyring named after the container" ||
  diag "$RT_OUT $RT_ERR"
rt run --bundle "$B" --no-new-keyring nk7
assert_no_match "$RT_OUT" ";nk7$" "--no-new-keyring: no keyring of the container's own" ||
  diag "$RT_OUT $RT_ERR"

assert_no_leftovers
