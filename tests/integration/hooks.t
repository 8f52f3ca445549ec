#!/bin/bash
# hooks: every kind of OCI hook runs once, in order, in the right namespaces
# and with the state it should see; failing hooks fail create or start and
# leave nothing behind, or only warn for poststart and poststop.
. "$(dirname "$0")/lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" c1
LOGDIR=$TEST_TMP/log
LOG=$LOGDIR/hooks.log
mkdir -p "$LOGDIR"

# The hook: hook.sh KIND LOG [STATUS] appends "KIND STATUS PID MNT-NS PID-NS"
# to LOG, the state's status and pid read from its stdin, and exits STATUS.
# Installed on the host and in the rootfs: startContainer runs after the
# pivot and resolves its path in the container.
cat >"$TEST_TMP/hook.sh" <<'EOF'
#!/bin/sh
state=$(cat)
status=$(printf '%s' "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
pid=$(printf '%s' "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
mnt=$(readlink /proc/self/ns/mnt)
pidns=$(readlink /proc/self/ns/pid)
echo "$1 ${status:-none} ${pid:-none} $mnt $pidns" >>"$2"
exit "${3:-0}"
EOF
chmod 755 "$TEST_TMP/hook.sh"
cp "$TEST_TMP/hook.sh" "$B/rootfs/hook.sh"

HOST_MNT=$(readlink /proc/self/ns/mnt)
HOST_PIDNS=$(readlink /proc/self/ns/pid)

# hooks_config [FAILING-KIND]: one hook of each kind, the one of FAILING-KIND
# exiting 1; the log directory is bound into the container at /hooklog.
hooks_config ()
{
  local fail=${1:-none}
  cfg --arg h "$TEST_TMP/hook.sh" --arg log "$LOG" --arg fail "$fail" '
    def hook($kind; $path; $log):
      { path: $path, args: ([ "hook.sh", $kind, $log ] + (if $kind == $fail then [ "1" ]
                                                           else [] end)),
        env: [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ], timeout: 10 };
    .hooks = {
      prestart: [ hook("prestart"; $h; $log) ],
      createRuntime: [ hook("createRuntime"; $h; $log) ],
      createContainer: [ hook("createContainer"; $h; $log) ],
      startContainer: [ hook("startContainer"; "/hook.sh"; "/hooklog/hooks.log") ],
      poststart: [ hook("poststart"; $h; $log) ],
      poststop: [ hook("poststop"; $h; $log) ]
    }
    | .mounts += [ { destination: "/hooklog", type: "bind", source: ($log | sub("/[^/]*$"; "")),
                     options: [ "rbind", "rw" ] } ]'
}

# rt ARGS...: the runtime with stdio in files, status in $RT_STATUS, stderr
# in $RT_ERR.
rt ()
{
  timeout -k 5 30 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  RT_STATUS=$?
  RT_ERR=$(cat "$TEST_TMP/err")
}

# runc_differs REASON [COUNT]: with runc, skips COUNT test points where
# runc 1.1 differs from the spec, and succeeds.
runc_differs ()
{
  [ "$RUNTIME_NAME" = runc ] || return 1
  skip "runc 1.1 $1" "${2:-1}"
}

# kinds: the kinds logged, in order, on one line.
kinds ()
{
  awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$LOG" 2>/dev/null
}

# field KIND N: field N of KIND's line in the log.
field ()
{
  awk -v k="$1" -v n="$2" '$1 == k { print $n; exit }' "$LOG" 2>/dev/null
}

# 1. The whole lifecycle with one hook of each kind.
hooks_config
cfg '.process.args = ["/bin/mrtest", "wait-signal", "TERM"]'
rt create --bundle "$B" c1
assert_eq "$RT_STATUS" 0 "create with hooks exits 0" || diag "$RT_ERR"
pid=$(ctr_pid c1)
CTR_MNT=$(readlink "/proc/$pid/ns/mnt")
CTR_PIDNS=$(readlink "/proc/$pid/ns/pid")
# runc runs prestart before createRuntime; the spec does not order them.
runc_differs "runs poststart hooks in create" ||
  assert_eq "$(kinds | sed 's/^createRuntime prestart/prestart createRuntime/')" \
    "prestart createRuntime createContainer" "create runs prestart, createRuntime, createContainer"
assert_match "$(field createRuntime 2) $(field createContainer 2)" \
  "^(creating|created) (creating|created)$" "their state says creating or created"
runc_differs "gives createContainer the pid seen in the container" ||
  assert_eq "$(field prestart 3) $(field createRuntime 3) $(field createContainer 3)" \
    "$pid $pid $pid" "their state has the init's pid as seen by the host ($pid)"

rt start c1
assert_eq "$RT_STATUS" 0 "start with hooks exits 0" || diag "$RT_ERR"
wait_status c1 running 5
runc_differs "runs poststart hooks in create, before startContainer" 2 || {
  assert_eq "$(kinds | sed 's/^createRuntime prestart/prestart createRuntime/')" \
    "prestart createRuntime createContainer startContainer poststart" \
    "start runs startContainer then poststart, before it returns"
  assert_eq "$(field poststart 2) $(field poststart 3)" "running $pid" \
    "poststart sees the container running with its pid"
}
runc_differs "gives startContainer the pid seen in the container" ||
  assert_eq "$(field startContainer 3)" "$pid" "startContainer's state has the host's pid"

rt kill c1 KILL
wait_status c1 stopped 10
rt delete c1
assert_eq "$RT_STATUS" 0 "delete with hooks exits 0" || diag "$RT_ERR"
assert_eq "$(kinds | awk '{ print $NF }')" poststop "delete runs poststop, before it returns"
assert_eq "$(field poststop 2)" stopped "poststop sees the container stopped"

for k in prestart createRuntime poststart poststop; do
  assert_eq "$(field $k 4) $(field $k 5)" "$HOST_MNT $HOST_PIDNS" \
    "$k runs in the runtime's mount and PID namespaces"
done
for k in createContainer startContainer; do
  assert_eq "$(field $k 4) $(field $k 5)" "$CTR_MNT $CTR_PIDNS" \
    "$k runs in the container's mount and PID namespaces"
done
assert_eq "$(cat "$LOG" 2>/dev/null | wc -l)" 6 "each hook ran exactly once"
assert_no_leftovers "nothing left after the lifecycle with hooks"

# 2. A failing createRuntime or createContainer hook fails create.
for k in prestart createRuntime createContainer; do
  rm -f "$LOG"
  make_bundle "$B" c1
  cp "$TEST_TMP/hook.sh" "$B/rootfs/hook.sh"
  hooks_config "$k"
  rt create --bundle "$B" c1
  assert_eq "$RT_STATUS $(printf '%s' "$RT_ERR" | grep -c .)" "1 1" \
    "a failing $k hook: create exits 1 with one error line" || diag "$RT_ERR"
  assert_match "$RT_ERR" "hook" "the error names the hook"
  if [ "$RUNTIME_NAME" = modrun ]; then
    assert_match "$RT_ERR" "hook $k\[0\] \($TEST_TMP/hook.sh\): exited with status 1" \
      "the error names the kind, index, path and status"
  fi
  assert_no_match "$(kinds)" "startContainer|poststart" "no hook of start runs"
  assert_no_leftovers "a failing $k hook leaves nothing behind"
done

# 3. A failing startContainer hook fails start; the container stops and
# delete removes it.
rm -f "$LOG"
make_bundle "$B" c1
cp "$TEST_TMP/hook.sh" "$B/rootfs/hook.sh"
hooks_config startContainer
cfg '.process.args = ["/bin/mrtest", "wait-signal", "TERM"]'
rt create --bundle "$B" c1
assert_eq "$RT_STATUS" 0 "create exits 0 when only startContainer will fail" || diag "$RT_ERR"
rt start c1
runc_differs "start exits 0 when a startContainer hook fails" ||
  assert_eq "$RT_STATUS $(printf '%s' "$RT_ERR" | grep -c .)" "1 1" \
    "a failing startContainer hook: start exits 1 with one error line" || diag "$RT_ERR"
assert_match "$RT_ERR" "hook" "the error names the hook"
wait_status c1 stopped 5
assert_eq "$(ctr_status c1)" stopped "the container is stopped, its process never ran"
runc_differs "runs poststart hooks in create" ||
  assert_no_match "$(kinds)" "poststart" "poststart does not run"
rt delete c1
assert_eq "$RT_STATUS" 0 "delete exits 0" || diag "$RT_ERR"
assert_no_leftovers "a failing startContainer hook leaves nothing behind after delete"

# 4. Failing poststart and poststop hooks only warn.
for k in poststart poststop; do
  rm -f "$LOG"
  make_bundle "$B" c1
  cp "$TEST_TMP/hook.sh" "$B/rootfs/hook.sh"
  hooks_config "$k"
  cfg '.process.args = ["/bin/sh", "-c", "exit 7"]'
  if [ "$k" = poststart ] && runc_differs "kills the container when poststart fails" 3; then
    continue
  fi
  run_ctr c1
  assert_eq "$RUN_STATUS" 7 "a failing $k hook: run still exits with the process's status" ||
    diag "$RUN_STDERR"
  runc_differs "logs a failing poststop hook as an error" ||
    assert_match "$RUN_STDERR" "warn.*hook|hook.*warn" "a failing $k hook is a warning"
  assert_no_leftovers "a failing $k hook: run still removes the container"
done


# 5. poststart runs once the process is executed, not merely released: a
# seccomp agent holds the init's execve for a second, and the poststart hook
# must still see the container's program, not the runtime about to exec.
LISTENER=$(dirname "$MRTEST")/seccomp-listener
SOCK=$TEST_TMP/agent.sock
cat >"$TEST_TMP/exe-hook.sh" <<'EOF'
#!/bin/sh
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
readlink "/proc/$pid/exe" >"$1"
EOF
chmod 755 "$TEST_TMP/exe-hook.sh"
make_bundle "$B" c1
timeout 60 "$LISTENER" "$SOCK" "$TEST_TMP/agent.state" continue:1000 >"$TEST_TMP/agent.out" \
  2>"$TEST_TMP/agent.err" &
LISTENER_PID=$!
for ((i = 0; i < 50; i++)); do
  [ -S "$SOCK" ] && break
  sleep 0.1
done
cfg --arg sock "$SOCK" --arg h "$TEST_TMP/exe-hook.sh" --arg out "$TEST_TMP/poststart.exe" '
  .process.args = ["/bin/mrtest", "wait-signal", "TERM"]
  | .linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
                       syscalls: [ { names: [ "execve", "execveat" ], action: "SCMP_ACT_NOTIFY" } ] }
  | .hooks = { poststart: [ { path: $h, args: [ "exe-hook.sh", $out ] } ] }'
rt create --bundle "$B" c1
assert_eq "$RT_STATUS" 0 "create with the init's execve held by a seccomp agent" || diag "$RT_ERR"
rt start c1
assert_eq "$RT_STATUS" 0 "start exits 0" || diag "$RT_ERR"
exe=$(cat "$TEST_TMP/poststart.exe" 2>/dev/null)
assert_match "$exe" "/mrtest$" \
  "poststart runs once the process is executed: it sees /bin/mrtest, not the runtime" ||
  diag "the hook saw: ${exe:-nothing}"
$MODRUN kill c1 TERM 2>/dev/null
wait_status c1 stopped 10
rt delete c1
assert_eq "$RT_STATUS" 0 "delete exits 0" || diag "$RT_ERR"
kill "$LISTENER_PID" 2>/dev/null
wait "$LISTENER_PID" 2>/dev/null
assert_no_leftovers "execve held by an agent: nothing left behind"

done_testing
