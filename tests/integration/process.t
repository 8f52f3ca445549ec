#!/bin/bash
# process: what the container's program sees of config.json's process:
# args, env, cwd, user, umask, capabilities, rlimits, noNewPrivileges,
# oomScoreAdj, a terminal through --console-socket, and no fd of the
# runtime.
. "$(dirname "$0")/lib.sh"

plan 57

B=$TEST_TMP/bundle
make_bundle "$B" p

# report KEY: the value of KEY in the last report.
report ()
{
  printf '%s\n' "$RUN_STDOUT" | sed -n "s/^$1: //p"
}

# run_report ID JQ-FILTER: runs `mrtest report` in a config edited by the
# filter (from the default one) and fails the test point that follows when
# the run itself failed.
run_report ()
{
  make_bundle "$B" p
  cfg "$2" || return 1
  run_ctr "$1"
  if [ "$RUN_STATUS" != 0 ]; then
    diag "run $1: exit $RUN_STATUS: $RUN_STDERR"
    return 1
  fi
}

caps_hex ()
{
  local bits=0 b
  for b in "$@"; do
    bits=$((bits | (1 << b)))
  done
  printf '%016x' "$bits"
}
CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_AUDIT_WRITE=29

# 1. args, PATH lookup, env, cwd.
cfg '.process.args = ["/bin/sh", "-c", "printf \"[%s]\" \"$@\"", "sh", "a b", "", "c\"d"]'
run_ctr args
assert_eq "$RUN_STDOUT" '[a b][][c"d]' "args reach the program one by one, spaces and quotes kept"
cfg '.process.args = ["mrtest", "exit", "3"]'
run_ctr args
assert_eq "$RUN_STATUS" 3 "a relative args[0] is looked up in the PATH of process.env"

run_report env '.process.env = ["A=1", "B=x y=z", "PATH=/bin", "EMPTY="]'
assert_eq "$(report env | grep -v '^HOME=' | sort | tr '\n' ' ')" "A=1 B=x y=z EMPTY= PATH=/bin " \
  "the environment is process.env (plus HOME), values kept whole"
assert_no_match "$(report env)" "TEST_TMP|MODRUN" "nothing of the runtime's environment leaks"

run_report cwd '.process.cwd = "/tmp"'
assert_eq "$(report cwd)" /tmp "cwd is process.cwd"

# 2. user, umask.
run_report user '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [100, 5]}'
assert_eq "$(report uid) $(report euid) $(report suid) $(report fsuid)" "1000 1000 1000 1000" \
  "user.uid sets the real, effective, saved and fs uids"
assert_eq "$(report gid) $(report egid) $(report sgid) $(report fsgid)" "1000 1000 1000 1000" \
  "user.gid sets the real, effective, saved and fs gids"
assert_eq "$(report groups | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" "5 100 " \
  "the supplementary groups are user.additionalGids"

run_report root '.process.user = {"uid": 0, "gid": 0}'
assert_eq "$(report uid) $(report gid) [$(report groups)]" "0 0 []" \
  "uid 0, gid 0, no supplementary group when additionalGids is absent"
assert_eq "$(report umask)" 0022 "umask is 0022 by default"

run_report umask '.process.user.umask = 23'
assert_eq "$(report umask)" 0027 "user.umask 23 (octal 027) is the umask"

# 3. capabilities.
run_report caps-default '.'
expect=$(caps_hex $CAP_AUDIT_WRITE $CAP_KILL $CAP_NET_BIND_SERVICE)
assert_eq "$(report CapBnd)" "$expect" "default bounding set: AUDIT_WRITE, KILL, NET_BIND_SERVICE"
assert_eq "$(report CapEff) $(report CapPrm)" "$expect $expect" \
  "root's effective and permitted sets are the configured ones"
assert_eq "$(report CapInh) $(report CapAmb)" "$(caps_hex) $(caps_hex)" \
  "no inheritable or ambient capability unless configured"

run_report caps-user '.process.user = {"uid": 1000, "gid": 1000}
  | .process.capabilities = {
      "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
      "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
assert_eq "$(report CapBnd)" "$(caps_hex $CAP_CHOWN $CAP_KILL $CAP_NET_BIND_SERVICE)" \
  "a non-root user: the bounding set as configured"
assert_eq "$(report CapAmb) $(report CapInh)" "$(caps_hex $CAP_KILL) $(caps_hex $CAP_KILL)" \
  "a non-root user: ambient and inheritable as configured"
assert_eq "$(report CapEff) $(report CapPrm)" "$(caps_hex $CAP_KILL) $(caps_hex $CAP_KILL)" \
  "a non-root user keeps the ambient capability through exec"

run_report caps-none '.process.capabilities = {}'
assert_eq "$(report CapBnd) $(report CapEff)" "$(caps_hex) $(caps_hex)" \
  "empty capability sets: the program has none"

# 4. rlimits, noNewPrivileges, oomScoreAdj.
# Limits are only lowered: CAP_SYS_RESOURCE may be missing from the bounding
# set of the test host.  jq turns 2^64-1 into a double: written after jq.
make_bundle "$B" p
cfg '.process.rlimits = [
    {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
    {"type": "RLIMIT_CORE", "soft": 1024, "hard": 2048},
    {"type": "RLIMIT_FSIZE", "soft": "U64MAX", "hard": "U64MAX"}]'
sed -i 's/"U64MAX"/18446744073709551615/g' "$B/config.json"
run_ctr rlimits
[ "$RUN_STATUS" = 0 ] || diag "run rlimits: exit $RUN_STATUS: $RUN_STDERR"
assert_eq "$(report rlimit.RLIMIT_NOFILE)" "100 200" "RLIMIT_NOFILE soft and hard"
assert_eq "$(report rlimit.RLIMIT_CORE)" "1024 2048" "RLIMIT_CORE soft and hard"
assert_eq "$(report rlimit.RLIMIT_FSIZE)" "unlimited unlimited" "RLIMIT_FSIZE 2^64-1 is unlimited"

run_report nnp '.process.noNewPrivileges = true'
assert_eq "$(report NoNewPrivs)" 1 "noNewPrivileges true sets no_new_privs"
run_report nnp '.process.noNewPrivileges = false'
assert_eq "$(report NoNewPrivs)" 0 "noNewPrivileges false leaves it unset"

host_oom=$(cat /proc/self/oom_score_adj)
run_report oom '.process.oomScoreAdj = 500'
assert_eq "$(report oom_score_adj)" 500 "oomScoreAdj 500 (host: $host_oom)"
run_report oom 'del(.process.oomScoreAdj)'
assert_eq "$(report oom_score_adj)" "$host_oom" "without oomScoreAdj the runtime's value is kept"

# 5. fds: only stdio, unless --preserve-fds.
exec 7<"$B/config.json"
run_report fds '.'
fds=$(printf '%s\n' "$RUN_STDOUT" | sed -n 's/^fd\.\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' ')
assert_eq "$fds" "0 1 2 " "only fds 0, 1 and 2 are open in the container (a caller's fd 7 too)"
exec 7<&-

exec 3<"$B/config.json"
run_report fds '.'
assert_eq "$(printf '%s\n' "$RUN_STDOUT" | grep -c '^fd\.3:')" 0 \
  "an fd 3 of the caller is not passed without --preserve-fds"
make_bundle "$B" p
run_ctr fds --preserve-fds 1
assert_match "$RUN_STDOUT" "^fd\.3: .*config\.json" "--preserve-fds 1 passes fd 3"
assert_eq "$(printf '%s\n' "$RUN_STDOUT" | grep -c '^fd\.4:')" 0 "and nothing beyond it"
exec 3<&-
run_ctr fds --preserve-fds 100000
assert_eq "$RUN_STATUS|$RUN_STDERR" \
  "1|$RUNTIME_NAME: --preserve-fds: expected 0 to 4096, got 100000" \
  "--preserve-fds beyond the limit: exit 1, one line without an errno text"
assert_no_leftovers "--preserve-fds beyond the limit leaves nothing behind"

# The same through create and start, the output in a file.
make_bundle "$B" p
timeout 30 $MODRUN create --bundle "$B" fds </dev/null >"$TEST_TMP/fds.out" 2>&1 &&
  timeout 30 $MODRUN start fds >/dev/null 2>&1 && wait_status fds stopped 10
fds=$(sed -n 's/^fd\.\([0-9]*\):.*/\1/p' "$TEST_TMP/fds.out" | sort -n | tr '\n' ' ')
assert_eq "$fds" "0 1 2 " "after create and start too, only fds 0, 1 and 2 are open"
timeout 30 $MODRUN delete --force fds >/dev/null 2>&1

# Gaps stay gaps: with fd 3 open, 4 closed and 5 open, --preserve-fds 3
# passes 3 and 5, and the container sees nothing at 4.
fd_list ()
{
  printf '%s\n' "$1" | sed -n 's/^fd\.\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' '
}
exec 3<"$B/config.json" 4<&- 5<"$B/config.json"
make_bundle "$B" p
run_ctr fds --preserve-fds 3
assert_eq "$(fd_list "$RUN_STDOUT")" "0 1 2 3 5 " "run --preserve-fds 3 with fd 4 closed: 3 and 5 pass"

make_bundle "$B" p
timeout 30 $MODRUN create --bundle "$B" --preserve-fds 3 fds </dev/null >"$TEST_TMP/fds.out" 2>&1 &&
  timeout 30 $MODRUN start fds >/dev/null 2>&1 && wait_status fds stopped 10
assert_eq "$(fd_list "$(cat "$TEST_TMP/fds.out")")" "0 1 2 3 5 " \
  "create --preserve-fds 3 and start: the same fds, the gap kept"
timeout 30 $MODRUN delete --force fds >/dev/null 2>&1

# Socket activation: LISTEN_FDS fds, when LISTEN_PID is the runtime's pid,
# pass on with LISTEN_FDS=N and LISTEN_PID=1 in the container; the fds of
# --preserve-fds come after them.
listen_run ()
{
  local pid_value=$1
  shift
  make_bundle "$B" p
  timeout 60 bash -c 'export LISTEN_FDS=2 LISTEN_PID='"$pid_value"'; exec "$@"' listen \
    $MODRUN run --bundle "$B" "$@" lfd </dev/null >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err"
  RUN_STATUS=$?
  RUN_STDOUT=$(cat "$TEST_TMP/run.out")
}
listen_run '$$'
assert_eq "$RUN_STATUS" 0 "run with LISTEN_FDS=2 set for it" || diag "$(cat "$TEST_TMP/run.err")"
assert_eq "$(fd_list "$RUN_STDOUT")" "0 1 2 3 " "LISTEN_FDS=2 passes fds 3 and 4 (4 closed: a gap)"
assert_eq "$(report env | grep '^LISTEN_' | sort | tr '\n' ' ')" "LISTEN_FDS=2 LISTEN_PID=1 " \
  "the container gets LISTEN_FDS=2 and LISTEN_PID=1"
exec 4<"$B/config.json" 6<"$B/config.json"
listen_run '$$' --preserve-fds 2
assert_eq "$(fd_list "$RUN_STDOUT")" "0 1 2 3 4 5 6 " \
  "LISTEN_FDS=2 and --preserve-fds 2: fds 3 to 6 pass"
exec 6<&-
listen_run 1
assert_eq "$(fd_list "$RUN_STDOUT")" "0 1 2 " "LISTEN_PID of another process: no fd passes"
assert_eq "$(report env | grep -c '^LISTEN_')" 0 "and no LISTEN_ variable is set"
exec 3<&- 4<&- 5<&-

# 6. A terminal through --console-socket.
make_bundle "$B" p
cfg '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}
     | .process.args = ["/bin/mrtest", "tty"]'
SOCK=$TEST_TMP/console.sock
timeout 60 "$RECVTTY" "$SOCK" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
recvpid=$!
for _ in $(seq 50); do
  [ -S "$SOCK" ] && break
  sleep 0.1
done
timeout 30 $MODRUN create --bundle "$B" --console-socket "$SOCK" tty </dev/null >/dev/null \
  2>"$TEST_TMP/create.err"
if ! assert_eq "$?" 0 "create with terminal true and --console-socket"; then
  diag "$(cat "$TEST_TMP/create.err")"
  kill "$recvpid" 2>/dev/null
fi
timeout 30 $MODRUN start tty >/dev/null 2>&1
wait_status tty stopped 10
wait "$recvpid"
assert_eq "$?" 0 "the console socket received a terminal master" ||
  diag "$(cat "$TEST_TMP/tty.err")"
tty_out=$(tr -d '\r' <"$TEST_TMP/tty.out")
assert_match "$tty_out" "^stdin-tty: yes$" "stdin is a terminal"
assert_eq "$(sed -n 's/^stdout-tty: //p; s/^stderr-tty: //p' <<<"$tty_out" | tr '\n' ' ')" \
  "yes yes " "stdout and stderr are the terminal too"
assert_eq "$(sed -n 's/^stdin-rows: //p; s/^stdin-cols: //p' <<<"$tty_out" | tr '\n' ' ')" \
  "30 100 " "the terminal has process.consoleSize"
sid=$(sed -n 's/^sid: //p' <<<"$tty_out")
fg=$(sed -n 's/^foreground-pgrp: //p' <<<"$tty_out")
[ -n "$sid" ] && [ "$fg" = "$sid" ]
ok $? "the terminal is the controlling one, the program in its foreground (sid ${sid:-?})"
assert_match "$tty_out" "^stdin-ttyname: /dev/pts/[0-9]+$" "the terminal is a /dev/pts one"
timeout 30 $MODRUN delete --force tty >/dev/null 2>&1

# 7. A foreground run with a terminal follows the size of ours.
make_bundle "$B" p
cfg '.process.terminal = true | .process.args = ["/bin/mrtest", "winch"]'
timeout 60 "$(dirname "$MRTEST")/ptyrun" 25 80 waiting-winch 50 132 \
  $MODRUN run --bundle "$B" winch >"$TEST_TMP/winch.out" 2>&1
assert_eq "$?" 0 "run with a terminal, on a terminal that is resized"
winch=$(tr -d '\r' <"$TEST_TMP/winch.out")
assert_match "$winch" "^size: 25 80$" "the container's terminal starts with the size of ours"
assert_match "$winch" "^resized: 50 132$" "and follows ours when it changes (SIGWINCH)"

# 8. A foreground run with a terminal passes signals on, and outlives a
# reader of its output that went away.
make_bundle "$B" p
cfg '.process.terminal = true | .process.args = ["/bin/mrtest", "wait-signal", "TERM"]'
$MODRUN run --bundle "$B" fwd </dev/null >"$TEST_TMP/fwd.out" 2>&1 &
runpid=$!
for _ in $(seq 100); do
  grep -q '^waiting: SIGTERM' "$TEST_TMP/fwd.out" 2>/dev/null && break
  sleep 0.1
done
kill -TERM "$runpid"
wait "$runpid"
assert_eq "$?" 0 "run with a terminal: SIGTERM reaches the process, whose status is run's"
assert_match "$(tr -d '\r' <"$TEST_TMP/fwd.out")" "^signal: SIGTERM$" "the process got SIGTERM"
assert_eq "$(ctr_status fwd)" "" "and the container is deleted"

cfg '.process.args = ["/bin/sh", "-c",
  "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i + 1)); done; exit 7"]'
(
  sleep 0.3
  timeout 30 $MODRUN run --bundle "$B" pipe </dev/null 2>"$TEST_TMP/pipe.err"
  echo "$?" >"$TEST_TMP/pipe.status"
) | head -c 1 >/dev/null
wait_status pipe "" 10
assert_eq "$(cat "$TEST_TMP/pipe.status")|$(cat "$TEST_TMP/pipe.err")" "7|" \
  "run with a terminal, its stdout a pipe closed early: the process's status, no error"

# 9. linux.personality: the init runs in the domain asked, which uname -m
# shows (an x86_64 kernel says i686 under LINUX32).
if [ "$(uname -m)" = x86_64 ]; then
  make_bundle "$B" pers
  cfg '.process.args = ["/bin/uname", "-m"] | .linux.personality = {domain: "LINUX32"}'
  run_ctr pers
  assert_eq "$RUN_STATUS $RUN_STDOUT" "0 i686" "linux.personality LINUX32: uname -m says i686"
  cfg '.linux.personality = {domain: "LINUX"}'
  run_ctr pers
  assert_eq "$RUN_STATUS $RUN_STDOUT" "0 x86_64" "linux.personality LINUX: uname -m says x86_64"
else
  skip "linux.personality: the test knows the names of x86_64 only" 2
fi

assert_no_leftovers
