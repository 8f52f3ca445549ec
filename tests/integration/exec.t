#!/bin/bash
# exec: a new process in a running container joins its namespaces, cgroups,
# root, seccomp filter and process settings; exits with its own status;
# -d, --pid-file, -p, -t, --preserve-fds, --pidfd-socket; the errors of a
# missing, stopped or paused container.
. "$(dirname "$0")/lib.sh"

B=$TEST_TMP/bundle
make_bundle "$B" ex
cfg '.process.args = ["/bin/mrtest", "sleep", "600"]'

# value KEY TEXT: the value of KEY in a report.
value ()
{
  printf '%s\n' "$2" | sed -n "s/^$1: //p"
}

# xrun ARGS...: runs `modrun exec ARGS` with stdin from /dev/null; sets
# X_STATUS, X_OUT, X_ERR.
xrun ()
{
  timeout 30 $MODRUN exec "$@" </dev/null >"$TEST_TMP/x.out" 2>"$TEST_TMP/x.err"
  X_STATUS=$?
  X_OUT=$(cat "$TEST_TMP/x.out")
  X_ERR=$(cat "$TEST_TMP/x.err")
}

timeout 30 $MODRUN run -d --bundle "$B" ex </dev/null >/dev/null 2>"$TEST_TMP/run.err"
ok $? "a container runs detached" || diag "$(cat "$TEST_TMP/run.err")"
init=$(ctr_pid ex)

# 1. Namespaces, cgroups, root, pid.
xrun ex mrtest report
assert_eq "$X_STATUS" 0 "exec of mrtest report succeeds" || diag "$X_ERR"
for ns in ipc mnt net pid uts cgroup; do
  assert_eq "$(value "ns.$ns" "$X_OUT")" "$(stat -L -c %i "/proc/$init/ns/$ns")" \
    "the process is in the init's $ns namespace"
done
assert_eq "$(value hostname "$X_OUT")" modrun "it sees the container's hostname"
pid=$(value pid "$X_OUT")
[ -n "$pid" ] && [ "$pid" -gt 1 ] && [ "$(value ppid "$X_OUT")" = 0 ]
ok $? "it has a pid of the container's namespace (pid $pid, parent outside it)"
xrun ex mrtest cat /proc/1/cgroup
init_cg=$X_OUT
xrun ex mrtest cat /proc/self/cgroup
assert_eq "$X_OUT" "$init_cg" "it is in the cgroups of the init"
[ -n "$X_OUT" ]
ok $? "and the cgroups list is not empty"
echo "only-in-the-rootfs" >"$B/rootfs/marker"
xrun ex mrtest cat /marker
assert_eq "$X_OUT" "only-in-the-rootfs" "it runs in the container's root"

# 2. Exit status.
xrun ex mrtest exit 7
assert_eq "$X_STATUS" 7 "exec exits with the process's status"
xrun ex mrtest kill-self TERM
assert_eq "$X_STATUS" 143 "a process killed by SIGTERM gives 128+15"


# 3. The process: config.json's, adjusted by the flags, or --process.
xrun ex mrtest report
assert_eq "$(value env "$X_OUT" | grep -v '^HOME=' | sort | tr '\n' ' ')" \
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm " \
  "by default the environment is config.json's"
assert_eq "$(value uid "$X_OUT") $(value cwd "$X_OUT")" "0 /" "and so are the user and cwd"
assert_eq "$(value CapBnd "$X_OUT") $(value CapEff "$X_OUT")" \
  "0000000020000420 0000000020000420" "and the capabilities"
assert_eq "$(value rlimit.RLIMIT_NOFILE "$X_OUT")" "1024 1024" "and the rlimits"
assert_eq "$(value NoNewPrivs "$X_OUT")" 1 "and noNewPrivileges"

xrun -e A=1 -e TERM=dumb --cwd /tmp -u 1000:1000 -g 100 -g 5 --cap CAP_CHOWN ex mrtest report
assert_eq "$X_STATUS" 0 "exec with -e, --cwd, -u, -g and --cap" || diag "$X_ERR"
assert_eq "$(value env "$X_OUT" | grep -v '^HOME=' | sort | tr '\n' ' ')" \
  "A=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb " \
  "-e adds a variable or replaces it"
assert_eq "$(value cwd "$X_OUT")" /tmp "--cwd sets the working directory"
assert_eq "$(value uid "$X_OUT") $(value gid "$X_OUT")" "1000 1000" "-u UID:GID sets the ids"
assert_eq "$(value groups "$X_OUT" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" "5 100 " \
  "-g adds supplementary groups"
assert_eq "$(value CapBnd "$X_OUT")" 0000000020000421 "--cap CAP_CHOWN joins the bounding set"
xrun --cap CAP_CHOWN ex mrtest report
assert_eq "$(value CapEff "$X_OUT")" 0000000020000421 "and the effective one"

cat >"$TEST_TMP/process.json" <<'JSON'
{ "args": ["/bin/mrtest", "report"], "cwd": "/home", "env": ["ONLY=this"],
  "user": {"uid": 1000, "gid": 100},
  "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 50, "hard": 60}] }
JSON
xrun -p "$TEST_TMP/process.json" ex
assert_eq "$X_STATUS" 0 "exec --process process.json" || diag "$X_ERR"
assert_eq "$(value env "$X_OUT" | grep -v '^HOME=' | tr '\n' ' ')" "ONLY=this " \
  "--process replaces the environment"
assert_eq "$(value cwd "$X_OUT") $(value uid "$X_OUT") $(value gid "$X_OUT")" "/home 1000 100" \
  "--process sets cwd and user"
assert_eq "$(value rlimit.RLIMIT_NOFILE "$X_OUT")" "50 60" "--process sets rlimits"
assert_eq "$(value CapBnd "$X_OUT")" 0000000020000420 \
  "capabilities left out of --process are config.json's"
assert_eq "$(value NoNewPrivs "$X_OUT")" 0 "noNewPrivileges left out of --process is false"

# 4. Detached, with a pid file.
xrun -d --pid-file "$TEST_TMP/x.pid" ex mrtest sleep 600
assert_eq "$X_STATUS:$X_OUT" "0:" "exec -d returns at once, printing nothing"
xpid=$(cat "$TEST_TMP/x.pid" 2>/dev/null)
[ -n "$xpid" ] && [ "$(stat -L -c %i "/proc/$xpid/ns/pid")" = "$(stat -L -c %i "/proc/$init/ns/pid")" ]
ok $? "the pid file names the process, which runs in the container (pid ${xpid:-none})"
assert_match "$(tr '\0' ' ' <"/proc/$xpid/cmdline" 2>/dev/null)" "^mrtest sleep 600" \
  "and runs the command asked"
[ -n "$xpid" ] && kill -KILL "$xpid"

# 5. Errors.
xrun nosuch mrtest report
assert_eq "$X_STATUS" 1 "exec into an unknown container exits 1"
assert_match "$X_ERR" "container does not exist" "and says the container does not exist"
xrun ex nosuch-program
assert_eq "$X_STATUS" 1 "a missing program fails exec with status 1"
assert_match "$X_ERR" 'exec: "nosuch-program": executable file not found in \$PATH' \
  "and names the program"
assert_eq "$(echo "$X_ERR" | wc -l)" 1 "in one line"
xrun ex
assert_match "$X_STATUS:$X_ERR" "^1:.*a command to run is required" "exec without a command"

# refused ERE DESCRIPTION EXEC-ARGS...: exec fails with status 1 and one
# line matching ERE, and no process of it is left in the container.
refused ()
{
  local ere=$1 desc=$2 before after
  shift 2
  before=$(timeout 30 $MODRUN ps --format json ex)
  xrun "$@"
  after=$(timeout 30 $MODRUN ps --format json ex)
  if [ "$X_STATUS" = 1 ] && [ "$(printf '%s\n' "$X_ERR" | wc -l)" = 1 ] &&
    printf '%s\n' "$X_ERR" | grep -Eq -- "$ere" && [ "$before" = "$after" ]; then
    pass "$desc"
  else
    fail "$desc"
    diag "status $X_STATUS, stderr: $X_ERR" "processes before: $before, after: $after"
  fi
}
refused '--user: uid: expected a number' "-u abc is refused" -u abc ex mrtest report
refused '--user: gid: expected a number' "-u 0:x is refused" -u 0:x ex mrtest report
refused 'additional-gids: expected a number' "-g -1 is refused" -g -1 ex mrtest report
refused '^[a-z]+: exec: --cwd: expected an absolute path, got "tmp"$' \
  "a relative --cwd is refused naming the option" --cwd tmp ex mrtest report
refused '^[a-z]+: exec: --cap: unknown capability "CAP_NOPE"$' \
  "an unknown --cap is refused naming the option" -c CAP_NOPE ex mrtest report
refused 'nosuch\.json' "a missing --process file is named" -p "$TEST_TMP/nosuch.json" ex
refused 'either --process or a command' "--process and a command together are refused" \
  -p "$TEST_TMP/process.json" ex mrtest report
refused '--console-socket was given but the process has no terminal' \
  "--console-socket without a terminal is refused" --console-socket "$TEST_TMP/s" ex mrtest report
refused 'apparmorProfile is "x", but the container has no lsm plugin' \
  "an AppArmor profile no plugin can apply is refused" --apparmor x ex mrtest report
refused 'preserve-fds: expected a non-negative integer' "--preserve-fds -1 is refused" \
  --preserve-fds -1 ex mrtest report
refused 'exec: "/nosuch": stat /nosuch' "a missing absolute program is named" ex /nosuch

timeout 30 $MODRUN pause ex
xrun ex mrtest report
assert_match "$X_STATUS:$X_ERR" "^1:.*cannot exec in a paused container" \
  "exec into a paused container is refused"
timeout 30 $MODRUN resume ex

B2=$TEST_TMP/bundle2
make_bundle "$B2" done
cfg '.process.args = ["/bin/mrtest", "exit", "0"]'
timeout 30 $MODRUN run -d --bundle "$B2" done </dev/null >/dev/null 2>&1
wait_status done stopped 10
xrun done mrtest report
assert_match "$X_STATUS:$X_ERR" "^1:.*cannot exec in a stopped container" \
  "exec into a stopped container is refused with runc's words"
timeout 30 $MODRUN delete done >/dev/null 2>&1
B=$TEST_TMP/bundle

# 6. Concurrent execs.
for i in 1 2 3 4 5; do
  timeout 30 $MODRUN exec ex mrtest exit $i </dev/null >/dev/null 2>"$TEST_TMP/c$i.err" &
  cpids[$i]=$!
done
statuses=
for i in 1 2 3 4 5; do
  wait "${cpids[$i]}"
  statuses+="$? "
done
assert_eq "$statuses" "1 2 3 4 5 " "five concurrent execs each exit with their own status" ||
  diag "$(cat "$TEST_TMP"/c*.err)"

# 7. File descriptors: stdio only, or exactly what --preserve-fds passes.
exec 7<"$B/config.json"
xrun ex mrtest report
fds=$(printf '%s\n' "$X_OUT" | sed -n 's/^fd\.\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' ')
assert_eq "$fds" "0 1 2 " "only fds 0, 1 and 2 reach the process (not the caller's fd 7)"
exec 7<&-
exec 3<&- 4<"$B/config.json"
xrun --preserve-fds 2 ex mrtest report
fds=$(printf '%s\n' "$X_OUT" | sed -n 's/^fd\.\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' ')
assert_eq "$fds" "0 1 2 4 " "--preserve-fds 2 with fd 3 closed: fd 4 passes, 3 stays a gap"
assert_match "$X_OUT" "^fd\.4: .*config\.json" "fd 4 is the caller's"
exec 4<&-

# 8. The runtime in the container never runs from the binary on the host.
$MODRUN exec ex mrtest sleep 5 </dev/null >/dev/null 2>&1 &
mpid=$!
exe=
for _ in $(seq 50); do
  exe=$(readlink "/proc/$mpid/exe")
  [[ $exe == /memfd:* ]] && break
  sleep 0.1
done
assert_match "$exe" "^/memfd:" "exec runs from a sealed in-memory copy of the runtime"
if (echo garbage >>"/proc/$mpid/exe") 2>/dev/null; then
  fail "that copy cannot be written"
else
  pass "that copy cannot be written"
fi
{ kill -KILL "$mpid"; wait "$mpid"; } 2>/dev/null

# 9. Terminals.
xrun -t ex mrtest tty
tty_out=$(tr -d '\r' <<<"$X_OUT")
assert_match "$tty_out" "^stdin-tty: yes$" "exec -t in the foreground: the process has a terminal"
assert_match "$tty_out" "^stdout-tty: yes$" "its output reaches our stdout through the terminal"
xrun ex mrtest tty
assert_match "$X_OUT" "^stdin-tty: no$" "without -t no terminal (the init's config has none)"

# tty_receiver: starts recvtty on $SOCK, output in tty.out. The socket of
# an earlier receiver is removed first: recvtty leaves it behind, and the
# wait would find it at once and let the runtime connect to a socket that
# nobody listens on any more.
SOCK=$TEST_TMP/console.sock
# socket_receiver OUT PROGRAM SOCKET [ARG...]: starts PROGRAM listening on
# SOCKET, its output in OUT (FILE.out) and its errors in FILE.err; returns
# once the socket is there, with PROGRAM's pid in recvpid.
socket_receiver ()
{
  local out=$1 prog=$2
  shift 2
  rm -f "$1"
  timeout 60 "$prog" "$@" >"$out" 2>"${out%.out}.err" &
  recvpid=$!
  for _ in $(seq 50); do
    [ -S "$1" ] && break
    sleep 0.1
  done
}
tty_receiver ()
{
  socket_receiver "$TEST_TMP/tty.out" "$RECVTTY" "$SOCK"
}
tty_receiver
xrun -t -d --console-socket "$SOCK" ex mrtest tty
assert_eq "$X_STATUS" 0 "exec -t -d --console-socket" || diag "$X_ERR"
wait "$recvpid"
assert_eq "$?" 0 "the console socket received the terminal" || diag "$(cat "$TEST_TMP/tty.err")"
assert_match "$(tr -d '\r' <"$TEST_TMP/tty.out")" "^stdin-ttyname: /dev/pts/[0-9]+$" \
  "the process's terminal is a /dev/pts one of the container"
xrun -t -d ex mrtest tty
assert_match "$X_STATUS:$X_ERR" "^1:.*--console-socket" "-t -d without --console-socket is refused"

# Window size: consoleSize of --process, and the size of our terminal,
# followed when it changes.
PTYRUN=$(dirname "$MRTEST")/ptyrun
cat >"$TEST_TMP/tty.json" <<'JSON'
{ "args": ["/bin/mrtest", "tty"], "cwd": "/", "terminal": true,
  "consoleSize": {"height": 33, "width": 111} }
JSON
tty_receiver
xrun -d --console-socket "$SOCK" -p "$TEST_TMP/tty.json" ex
# A failed exec never connects: the receiver would wait for a minute.
[ "$X_STATUS" = 0 ] || { diag "exec --process with consoleSize: $X_ERR"; kill "$recvpid"; }
wait "$recvpid"
assert_eq "$(tr -d '\r' <"$TEST_TMP/tty.out" | sed -n 's/^stdin-rows: //p; s/^stdin-cols: //p' |
  tr '\n' ' ')" "33 111 " "exec --process with consoleSize: the terminal has that size"

timeout 60 "$PTYRUN" 20 70 waiting-winch 40 120 $MODRUN exec -t ex mrtest winch \
  >"$TEST_TMP/winch.out" 2>&1
assert_eq "$?" 0 "exec -t on a terminal that is resized"
winch=$(tr -d '\r' <"$TEST_TMP/winch.out")
assert_match "$winch" "^size: 20 70$" "the process's terminal starts with the size of ours"
assert_match "$winch" "^resized: 40 120$" "and follows ours when it changes (SIGWINCH)"

# 10. A seccomp filter of the container applies to exec'd processes.
B3=$TEST_TMP/bundle3
make_bundle "$B3" sc
cfg '.process.args = ["/bin/mrtest", "sleep", "600"]
  | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                      syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO"}]}'
timeout 30 $MODRUN run -d --bundle "$B3" sc </dev/null >/dev/null 2>"$TEST_TMP/run.err"
ok $? "a container with a seccomp filter runs" || diag "$(cat "$TEST_TMP/run.err")"
xrun sc mrtest report
assert_eq "$X_STATUS" 0 "exec in it succeeds" || diag "$X_ERR"
assert_eq "$(value Seccomp "$X_OUT") $(value cwd "$X_OUT")" "2 error EPERM" \
  "the exec'd process is under the container's filter (getcwd fails)"
timeout 30 $MODRUN delete --force sc >/dev/null 2>&1

# An SCMP_ACT_NOTIFY rule: the exec'd process's filter fd goes to the
# listener too, and its answer is what the process sees.
LISTENER=$(dirname "$MRTEST")/seccomp-listener
ASOCK=$TEST_TMP/agent.sock
# listener ERRNO NAME: a listener answering ERRNO, output in $TEST_TMP/NAME.*
listener ()
{
  rm -f "$ASOCK"
  timeout 60 "$LISTENER" "$ASOCK" "$TEST_TMP/$2.state" "$1" >"$TEST_TMP/$2.out" \
    2>"$TEST_TMP/$2.err" &
  lpids+=" $!"
  for _ in $(seq 50); do
    [ -S "$ASOCK" ] && break
    sleep 0.1
  done
}
lpids=
make_bundle "$B3" sc
cfg --arg sock "$ASOCK" '.process.args = ["/bin/mrtest", "sleep", "600"] | .root.readonly = false
  | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
                      syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
listener 0 agent1
timeout 30 $MODRUN run -d --bundle "$B3" sc </dev/null >/dev/null 2>"$TEST_TMP/run.err"
ok $? "a container with an SCMP_ACT_NOTIFY rule runs" || diag "$(cat "$TEST_TMP/run.err")"
listener 42 agent2
xrun sc /bin/sh -c 'mkdir /tmp/d 2>&1; echo "status $?"'
assert_match "$X_OUT" "No message of desired type" \
  "the exec'd process gets the answer of the listener it was handed to (ENOMSG)" ||
  diag "$X_ERR" "$(cat "$TEST_TMP/agent2.err")"
assert_eq "$(jq -r .state.id "$TEST_TMP/agent2.state" 2>/dev/null)" sc \
  "that listener received the container's state"
timeout 30 $MODRUN delete --force sc >/dev/null 2>&1
wait $lpids

# 11. --pidfd-socket on exec, create and run.
RECVPIDFD=$(dirname "$MRTEST")/recvpidfd
# receiver SOCKET [kill]: starts recvpidfd on SOCKET, output in SOCKET.out.
receiver ()
{
  socket_receiver "$1.out" "$RECVPIDFD" "$@"
}
PSOCK=$TEST_TMP/pidfd.sock
receiver "$PSOCK"
xrun -d --pid-file "$TEST_TMP/x.pid" --pidfd-socket "$PSOCK" ex mrtest sleep 600
assert_eq "$X_STATUS" 0 "exec -d --pidfd-socket" || diag "$X_ERR"
wait "$recvpid"
assert_eq "$?" 0 "the socket received a pidfd" || diag "$(cat "$PSOCK.err")"
assert_eq "$(value pid "$(cat "$PSOCK.out")")" "$(cat "$TEST_TMP/x.pid")" \
  "the pidfd is the exec'd process's"
kill -KILL "$(cat "$TEST_TMP/x.pid")"

make_bundle "$TEST_TMP/bundle4" pf
cfg '.process.args = ["/bin/mrtest", "sleep", "600"]'
receiver "$PSOCK" kill
timeout 30 $MODRUN create --bundle "$TEST_TMP/bundle4" --pidfd-socket "$PSOCK" \
  --pid-file "$TEST_TMP/pf.pid" pf </dev/null >/dev/null 2>"$TEST_TMP/create.err"
assert_eq "$?" 0 "create --pidfd-socket" || diag "$(cat "$TEST_TMP/create.err")"
pfpid=$(cat "$TEST_TMP/pf.pid")
wait "$recvpid"
assert_eq "$(cat "$PSOCK.out" | tr '\n' ' ')" "pid: $pfpid exited: yes " \
  "the pidfd is the init's: SIGKILL through it ends the container"
wait_status pf stopped 10
ok $? "the container is stopped"
timeout 30 $MODRUN delete --force pf >/dev/null 2>&1

receiver "$PSOCK"
timeout 30 $MODRUN run -d --bundle "$TEST_TMP/bundle4" --pidfd-socket "$PSOCK" pf \
  </dev/null >/dev/null 2>"$TEST_TMP/run.err"
assert_eq "$?" 0 "run -d --pidfd-socket" || diag "$(cat "$TEST_TMP/run.err")"
wait "$recvpid"
assert_eq "$(value pid "$(cat "$PSOCK.out")")" "$(ctr_pid pf)" "run sends the init's pidfd too"
timeout 30 $MODRUN delete --force pf >/dev/null 2>&1

xrun -d --pidfd-socket "$TEST_TMP/nosuch.sock" ex mrtest sleep 600
assert_match "$X_STATUS:$X_ERR" "^1:.*pidfd socket .*nosuch\.sock" \
  "a pidfd socket nobody listens on fails exec, naming it"

# 12. A created container (its process not started yet) takes execs too.
make_bundle "$TEST_TMP/bundle5" cr
cfg '.process.noNewPrivileges = false'
timeout 30 $MODRUN create --bundle "$TEST_TMP/bundle5" cr </dev/null >/dev/null 2>&1
xrun cr mrtest report
assert_eq "$X_STATUS" 0 "exec into a created container" || diag "$X_ERR"
assert_eq "$(value ns.pid "$X_OUT")" "$(stat -L -c %i "/proc/$(ctr_pid cr)/ns/pid")" \
  "the process is in the init's pid namespace"
assert_eq "$(ctr_status cr)" created "the container is still created"
assert_eq "$(value NoNewPrivs "$X_OUT")" 0 "noNewPrivileges false in config.json: no_new_privs unset"
xrun --no-new-privs cr mrtest report
assert_eq "$(value NoNewPrivs "$X_OUT")" 1 "--no-new-privs sets it"
timeout 30 $MODRUN delete --force cr >/dev/null 2>&1

# 13. A container with a user namespace: the process joins it last and is
# root there, an unprivileged user of the host.
chmod 0711 "$TEST_TMP"
make_bundle "$TEST_TMP/bundle6" us
cfg '.process.args = ["/bin/mrtest", "sleep", "600"]
     | .linux.namespaces += [{"type": "user"}]
     | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
     | .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
timeout 30 $MODRUN run -d --bundle "$TEST_TMP/bundle6" us </dev/null >/dev/null 2>"$TEST_TMP/run.err"
ok $? "a container with a user namespace runs" || diag "$(cat "$TEST_TMP/run.err")"
uinit=$(ctr_pid us)
timeout 30 $MODRUN exec -d --pid-file "$TEST_TMP/us.pid" -u 1000:1000 us mrtest sleep 600 \
  </dev/null >/dev/null 2>"$TEST_TMP/x.err"
assert_eq "$?" 0 "exec -u 1000:1000 into it" || diag "$(cat "$TEST_TMP/x.err")"
upid=$(cat "$TEST_TMP/us.pid" 2>/dev/null)
assert_eq "$(stat -L -c %i "/proc/$upid/ns/user" 2>/dev/null)" \
  "$(stat -L -c %i "/proc/$uinit/ns/user")" "the process is in the container's user namespace"
assert_eq "$(stat -c '%u %g' "/proc/$upid" 2>/dev/null)" "101000 201000" \
  "uid and gid 1000 inside are the mapped ones on the host"
[ -n "$upid" ] && kill -KILL "$upid"
timeout 30 $MODRUN delete --force us >/dev/null 2>&1

timeout 30 $MODRUN delete --force ex >/dev/null 2>&1
assert_no_leftovers
done_testing
