#!/bin/bash
# seccomp: linux.seccomp filters what the container's processes may call,
# with errnos, argument conditions, kills and allow lists; SCMP_ACT_NOTIFY
# hands the notification fd and the container process state to an agent
# whose answers the container sees; every profile the plugin cannot honour
# is refused with one line, exit status 1 and nothing left behind.
. "$(dirname "$0")/lib.sh"

plan 142

LISTENER=${LISTENER:-$(dirname "$MRTEST")/seccomp-listener}
[ -x "$LISTENER" ] || bail_out "$LISTENER: no seccomp-listener helper"

B=$TEST_TMP/bundle

# The value of KEY in mrtest's `key: value` output TEXT.
field ()
{
  printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { sub(/^[^:]*: /, ""); print; exit }'
}

# profile JSON [SHELL-COMMAND]: a fresh bundle whose linux.seccomp is
# JSON, running SHELL-COMMAND under /bin/sh (mrtest report by default).
profile ()
{
  make_bundle "$B"
  cfg --argjson sc "$1" --arg cmd "${2:-/bin/mrtest report}" \
    '.linux.seccomp = $sc | .process.args = ["/bin/sh", "-c", $cmd] | .root.readonly = false'
}

deny_mkdir ()
{
  jq -n --arg action "$1" --argjson extra "${2:-{\}}" \
    '{defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{names: ["mkdir", "mkdirat"], action: $action} + $extra]}'
}

# 1. ERRNO with and without errnoRet, and the filter is in place.
profile "$(deny_mkdir SCMP_ACT_ERRNO '{"errnoRet": 42}')" \
  'mkdir /tmp/d 2>&1; test -d /tmp/d && echo made; /bin/mrtest report'
run_ctr e1
assert_eq "$RUN_STATUS" 0 "a container with a seccomp profile runs" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "can't create directory '/tmp/d': No message of desired type" \
  "mkdir fails with the errnoRet of its rule (ENOMSG)"
assert_no_match "$RUN_STDOUT" "^made$" "and makes no directory"
assert_eq "$(field "$RUN_STDOUT" Seccomp)" 2 "Seccomp in /proc/self/status is 2 (filter)"
assert_eq "$RUN_STDERR" "" "nothing on stderr"

profile "$(deny_mkdir SCMP_ACT_ERRNO)" 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched'
run_ctr e2
assert_match "$RUN_STDOUT" "can't create directory '/tmp/d': Operation not permitted" \
  "without errnoRet, a denied syscall fails with EPERM"
assert_match "$RUN_STDOUT" "^touched$" "other syscalls still work"

# Without no_new_privs the filter goes in while the init has CAP_SYS_ADMIN.
profile "$(deny_mkdir SCMP_ACT_ERRNO '{"errnoRet": 42}')" 'mkdir /tmp/d 2>&1; /bin/mrtest report'
cfg '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}'
run_ctr e3
assert_eq "$RUN_STATUS" 0 "a profile without noNewPrivileges runs as a non-root user" ||
  diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "No message of desired type" "and its rule applies"
assert_eq "$(field "$RUN_STDOUT" Seccomp) $(field "$RUN_STDOUT" NoNewPrivs) \
$(field "$RUN_STDOUT" uid)" "2 0 1000" "filter in place, no_new_privs unset, uid 1000"

# 2. Argument conditions. busybox linux32 calls personality(PER_LINUX32 = 8),
# linux64 personality(PER_LINUX = 0).
pers_rule ()
{
  jq -n --argjson args "$1" '{defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", args: $args}]}'
}
pers_cmd='linux32 true 2>/dev/null && echo linux32-ok || echo linux32-denied;
          linux64 true 2>/dev/null && echo linux64-ok || echo linux64-denied'

profile "$(pers_rule '[{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]')" "$pers_cmd"
run_ctr a1
assert_eq "$(echo $RUN_STDOUT)" "linux32-denied linux64-ok" "SCMP_CMP_EQ denies personality(8) only"

profile "$(pers_rule '[{"index": 0, "value": 15, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]')" \
  "$pers_cmd"
run_ctr a2
assert_eq "$(echo $RUN_STDOUT)" "linux32-denied linux64-ok" \
  "SCMP_CMP_MASKED_EQ (arg & 15 == 8) denies personality(8) only"

# jq rounds integers beyond 2^53: the mask is written in afterwards.
profile "$(pers_rule '[{"index": 0, "value": "MASK", "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]')" \
  "$pers_cmd"
sed -i 's/"MASK"/18446744073709551615/' "$B/config.json"
run_ctr a2b
assert_eq "$(echo $RUN_STDOUT)" "linux32-denied linux64-ok" \
  "a mask of 2^64 - 1 is read exactly"

profile "$(pers_rule '[{"index": 0, "value": 4, "op": "SCMP_CMP_GT"}]')" "$pers_cmd"
run_ctr a3
assert_eq "$(echo $RUN_STDOUT)" "linux32-denied linux64-ok" "SCMP_CMP_GT 4 denies personality(8)"

profile "$(pers_rule '[{"index": 0, "value": 8, "op": "SCMP_CMP_NE"}]')" "$pers_cmd"
run_ctr a4
assert_eq "$(echo $RUN_STDOUT)" "linux32-ok linux64-denied" "SCMP_CMP_NE 8 denies personality(0)"

profile "$(pers_rule '[{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                      {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]')" "$pers_cmd"
run_ctr a5
assert_eq "$(echo $RUN_STDOUT)" "linux32-denied linux64-denied" \
  "two conditions on the same argument are two rules: either one denies"

# Conditions on distinct arguments must all hold: setpriority(PRIO_PROCESS,
# pid 1, 5) is denied, another nice value or another pid is not.
profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["setpriority"],
          "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"},
                                              {"index": 2, "value": 5, "op": "SCMP_CMP_EQ"}]}]}' \
  'sleep 2 & renice 5 -p $! >/dev/null 2>&1 && echo a-ok || echo a-denied; kill $!
   renice 5 -p 1 >/dev/null 2>&1 && echo b-ok || echo b-denied
   renice 6 -p 1 >/dev/null 2>&1 && echo c-ok || echo c-denied'
run_ctr a6
assert_eq "$(echo $RUN_STDOUT)" "a-ok b-denied c-ok" \
  "conditions on two arguments deny only when both hold"

# 3. An allow list under a default ERRNO still runs the helper; the rest
# fails with defaultErrnoRet.
allow='["arch_prctl", "brk", "close", "close_range", "execve", "exit", "exit_group", "fcntl",
        "fstat", "getcwd", "getdents64", "getegid", "geteuid", "getgid", "getgroups", "getpid",
        "getppid", "getrandom", "getresgid", "getresuid", "getuid", "ioctl", "lseek", "mmap",
        "mprotect", "munmap", "newfstatat", "openat", "prlimit64", "read", "readlink",
        "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "set_robust_list",
        "set_tid_address", "setfsgid", "setfsuid", "statx", "umask", "uname", "write"]'
make_bundle "$B"
cfg --argjson allow "$allow" '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 38, syscalls: [{names: $allow, action: "SCMP_ACT_ALLOW"}]}'
run_ctr l1
assert_eq "$RUN_STATUS" 0 "an allow list with defaultAction SCMP_ACT_ERRNO runs mrtest" ||
  diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" Seccomp)" 2 "with the filter in place"
cfg '.process.args = ["/bin/mrtest", "keyring"]'
run_ctr l2
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 error: ENOSYS" \
  "a syscall off the list (keyctl) fails with defaultErrnoRet 38 (ENOSYS)"

# 4. Kills and traps: the init dies of SIGSYS, run exits 128 + 31.
for action in SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_KILL SCMP_ACT_TRAP; do
  make_bundle "$B"
  cfg --argjson sc "$(deny_mkdir $action)" \
    '.linux.seccomp = $sc | .process.args = ["/bin/mkdir", "/tmp/d"]'
  run_ctr k1
  assert_eq "$RUN_STATUS" 159 "$action on mkdir: the init dies of SIGSYS (exit 159)"
done
assert_no_leftovers "nothing left behind by killed containers"

# 5. SCMP_ACT_LOG lets the syscall through; SCMP_ACT_ERRNO as default with
# rules doing the same are fine.
profile "$(deny_mkdir SCMP_ACT_LOG)" 'mkdir /tmp/d && test -d /tmp/d && echo made'
run_ctr g1
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 made" "SCMP_ACT_LOG lets mkdir through"

profile "$(deny_mkdir SCMP_ACT_TRACE '{"errnoRet": 7}')" 'mkdir /tmp/d 2>&1; true'
run_ctr g1b
assert_match "$RUN_STDOUT" "Function not implemented" \
  "SCMP_ACT_TRACE without a tracer makes mkdir fail with ENOSYS"

profile '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
          "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                       {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}' \
  'mkdir /tmp/d 2>&1; /bin/mrtest report'
run_ctr g2
assert_eq "$RUN_STATUS $(field "$RUN_STDOUT" Seccomp)" "0 2" \
  "flags, several architectures and a rule equal to the default are taken" ||
  diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "Operation not permitted" "and the filter applies"

# 6. Unknown syscall names are skipped with one warning.
profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "no_such_call",
          "mkdirat", "other_unknown"], "action": "SCMP_ACT_ERRNO"}]}' 'mkdir /tmp/d 2>&1; true'
run_ctr u1
assert_eq "$RUN_STATUS" 0 "a profile naming unknown syscalls runs"
assert_match "$RUN_STDOUT" "Operation not permitted" "its known syscalls are still denied"
assert_eq "$(printf '%s\n' "$RUN_STDERR" | grep -c .)" 1 "one line on stderr"
assert_match "$RUN_STDERR" "warning.*no_such_call, other_unknown" \
  "the warning names the unknown syscalls"

# 7. Profiles the plugin cannot honour.
# refused DESCRIPTION ERE LINUX-SECCOMP-JSON
refused ()
{
  local err
  make_bundle "$B" bad
  cfg --argjson sc "$3" '.linux.seccomp = $sc'
  timeout -k 5 30 $MODRUN run --bundle "$B" bad </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "$1: exit 1, one line on stderr" ||
    diag "stderr:" "$(cat "$TEST_TMP/err")"
  err=$(cat "$TEST_TMP/err")
  assert_match "$err" "$2" "$1: the message says \"$2\""
  assert_no_leftovers "$1: nothing left behind"
}
refused "unknown action" \
  'linux\.seccomp\.syscalls\[1\]\.action: unknown action "SCMP_ACT_FOO"' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action":
    "SCMP_ACT_ERRNO"}, {"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]}'
refused "unknown default action" 'linux\.seccomp\.defaultAction: unknown action "ALLOW"' \
  '{"defaultAction": "ALLOW"}'
refused "unknown architecture" \
  'linux\.seccomp\.architectures\[1\]: unknown architecture "SCMP_ARCH_Z80"' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_Z80"]}'
refused "unknown operator" \
  'linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op: unknown operator "SCMP_CMP_LIKE"' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action":
    "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_LIKE"}]}]}'
refused "unknown flag" 'linux\.seccomp\.flags\[0\]: unknown flag "SECCOMP_FILTER_FLAG_FAST"' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}'
refused "errnoRet with SCMP_ACT_ALLOW" \
  'linux\.seccomp\.syscalls\[0\]\.errnoRet: SCMP_ACT_ALLOW takes no errno' \
  '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action":
    "SCMP_ACT_ALLOW", "errnoRet": 1}]}'
refused "argument index 6" 'linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: .*0 to 5, got 6' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action":
    "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
refused "SCMP_ACT_NOTIFY without listenerPath" 'linux\.seccomp\.listenerPath: required' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action":
    "SCMP_ACT_NOTIFY"}]}'

# 8. SCMP_ACT_NOTIFY: the agent gets the fd and the state, and its answers
# are what the container sees.
SOCK=$TEST_TMP/agent.sock
LISTENER_PID=
start_listener ()
{
  rm -f "$SOCK" "$TEST_TMP/agent.state"
  timeout 60 "$LISTENER" "$SOCK" "$TEST_TMP/agent.state" "$1" >"$TEST_TMP/agent.out" \
    2>"$TEST_TMP/agent.err" &
  LISTENER_PID=$!
  for ((i = 0; i < 50; i++)); do
    [ -S "$SOCK" ] && return 0
    sleep 0.1
  done
  diag "the seccomp listener did not start: $(cat "$TEST_TMP/agent.err")"
  return 1
}
stop_listener ()
{
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$LISTENER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$LISTENER_PID" 2>/dev/null
  wait "$LISTENER_PID"
  LISTENER_STATUS=$?
}
notify_profile ()
{
  profile "$(jq -n --arg sock "$SOCK" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
    listenerMetadata: "meta=data \"quoted\"",
    syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}')" "$1"
  cfg '.annotations = {"org.example.key": "value"}'
}

# A success answer: mkdir returns 0 but, not run, makes no directory.
start_listener 0
notify_profile 'mkdir /tmp/d && echo mkdir-returned-0; test -d /tmp/d && echo made || echo not-made'
$MODRUN create --bundle "$B" n1 </dev/null >"$TEST_TMP/n1.out" 2>"$TEST_TMP/n1.err"
assert_eq "$?" 0 "create with an SCMP_ACT_NOTIFY rule and a listener" ||
  diag "$(cat "$TEST_TMP/n1.err")"
n1_pid=$(ctr_pid n1)
n1_version=$($MODRUN state n1 2>/dev/null | jq -r .ociVersion)
$MODRUN start n1 2>>"$TEST_TMP/n1.err"
wait_status n1 stopped 20 || diag "n1 still $(ctr_status n1)"
$MODRUN delete n1
stop_listener
assert_eq "$(echo $(cat "$TEST_TMP/n1.out"))" "mkdir-returned-0 not-made" \
  "the container sees the listener's answer: mkdir returns 0 and does nothing"
assert_eq "$LISTENER_STATUS" 0 "the listener exits cleanly once the container is gone" ||
  diag "$(cat "$TEST_TMP/agent.err")"
assert_match "$(cat "$TEST_TMP/agent.out")" "^notified: (83|258)$" \
  "the listener was notified of mkdir"
state=$(cat "$TEST_TMP/agent.state" 2>/dev/null)
assert_eq "$(jq -c .fds <<<"$state")" '["seccompFd"]' "the state names the fd seccompFd"
assert_eq "$(jq -r '.pid, .state.pid' <<<"$state" | sort -u)" "$n1_pid" \
  "the state gives the init's pid as the runtime sees it"
assert_eq "$(jq -r .metadata <<<"$state")" 'meta=data "quoted"' \
  "metadata is listenerMetadata, quotes intact"
assert_eq "$(jq -r '[.state.id, .state.bundle, .state.annotations["org.example.key"],
                     .state.ociVersion] | join(" ")' <<<"$state")" "n1 $B value $n1_version" \
  "the container state has the id, bundle, annotations and ociVersion of runtime state"
assert_match "$(jq -r .ociVersion <<<"$state")" '^1\.[0-9]+\.[0-9]+' "and ociVersion at the top"

# An error answer, with the filter loaded before the credentials change.
start_listener 42
notify_profile 'mkdir /tmp/d 2>&1; /bin/mrtest report'
cfg '.process.noNewPrivileges = false | .linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_TSYNC"]'
# Waiting killably for the answer needs Linux 6.0.
if $MODRUN features 2>/dev/null | jq -e '.linux.seccomp.supportedFlags |
     index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null; then
  cfg '.linux.seccomp.flags += ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
fi
run_ctr n2
stop_listener
assert_eq "$RUN_STATUS" 0 "run with a listener, TSYNC, and without noNewPrivileges" ||
  diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "can't create directory '/tmp/d': No message of desired type" \
  "the container sees the listener's errno (ENOMSG)"
assert_eq "$(jq -r .state.status "$TEST_TMP/agent.state" 2>/dev/null)" creating \
  "the fd is handed over during create"
assert_eq "$(field "$RUN_STDOUT" fd.3)" "" "no fd of the runtime's leaks into the container"

refused "listenerPath where nobody listens" 'connect to the seccomp listener .*agent\.sock' \
  "$(jq -n --arg sock "$SOCK" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
    syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}')"

# 9. features.
features=$($MODRUN features 2>/dev/null)
if [ -n "$features" ]; then
  assert_eq "$(jq -r '.linux.seccomp | [.enabled, (.actions | length), (.operators | length),
                       (.knownFlags | length)] | join(" ")' <<<"$features")" "true 9 7 4" \
    "features lists seccomp with its 9 actions, 7 operators and 4 known flags"
  assert_match "$(jq -r '.linux.seccomp.archs[]' <<<"$features")" '^SCMP_ARCH_X86_64$' \
    "features lists the architectures"
else
  skip "$RUNTIME_NAME features gives nothing here" 2
fi

# 10. What mrtest's syscall command sees, for the audit of every action,
# operator and flag. getppid and gettid ignore their arguments: a condition
# on any of them decides alone whether the call is filtered.
# calls PROFILE-JSON CALL...: runs mrtest syscall CALL... under PROFILE.
calls ()
{
  make_bundle "$B"
  cfg --argjson sc "$1" --argjson calls "$(printf '%s\n' "${@:2}" | jq -R . | jq -sc .)" \
    '.linux.seccomp = $sc | .process.args = ["/bin/mrtest", "syscall"] + $calls'
  run_ctr c
  [ "$RUN_STATUS" = 0 ] || diag "exit $RUN_STATUS: $RUN_STDERR"
  CALLS=$(echo $RUN_STDOUT)
}

# getppid_rule ERRNO ARGS-JSON: a profile denying getppid when ARGS hold.
getppid_rule ()
{
  jq -n --argjson e "$1" --argjson args "$2" '{defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: $e, args: $args}]}'
}

# Every operator, at the edges of its value; 64-bit values compare whole.
while read -r op value two yes no; do
  arg=$(jq -n --arg op "SCMP_CMP_$op" --argjson v "$value" --arg t "$two" \
    '[{index: 0, value: $v, op: $op} + if $t == "-" then {} else {valueTwo: ($t | tonumber)} end]')
  # shellcheck disable=SC2046
  calls "$(getppid_rule 42 "$arg")" $(for a in ${yes//,/ }; do echo "getppid:$a"; done) \
    $(for a in ${no//,/ }; do echo "getppid:$a"; done)
  expected=$( (for a in ${yes//,/ }; do echo "getppid:$a: error ENOMSG"; done
    for a in ${no//,/ }; do echo "getppid:$a: ok"; done) | xargs)
  [ "$two" = - ] && two= || two=" ($two)"
  assert_eq "$CALLS" "$expected" "SCMP_CMP_$op $value$two: denies $yes, lets $no through"
done <<'EOF_OPS'
EQ 10 - 10 9,11
NE 10 - 9,11 10
LT 10 - 9,0 10,11
LE 10 - 10,9 11
GE 10 - 10,11 9
GT 10 - 11 10,9
LT 4294967296 - 4294967295 4294967296
GT 4294967295 - 4294967296 4294967295
MASKED_EQ 240 48 0x35,0x130 0x45,0x05
EOF_OPS

# Conditions on three arguments of one entry must all hold (AND).
calls "$(getppid_rule 42 '[{"index": 0, "value": 10, "op": "SCMP_CMP_GE"},
                           {"index": 1, "value": 5, "op": "SCMP_CMP_LT"},
                           {"index": 5, "value": 1, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]')" \
  getppid:10:4:0:0:0:1 getppid:10:5:0:0:0:1 getppid:9:4:0:0:0:1 getppid:10:4:0:0:0:2
assert_eq "$CALLS" "getppid:10:4:0:0:0:1: error ENOMSG getppid:10:5:0:0:0:1: ok \
getppid:9:4:0:0:0:1: ok getppid:10:4:0:0:0:2: ok" \
  "conditions on arguments 0, 1 and 5 of one entry deny only when all three hold"

# Several entries for one syscall: any one that matches applies (OR), each
# with its own errno.
calls '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
        {"names": ["getppid", "gettid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33,
         "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]}' \
  getppid:1:0 getppid:0:2 getppid:0:0 gettid:0:2 gettid:1:0
assert_eq "$CALLS" "getppid:1:0: error ENOMSG getppid:0:2: error EDOM getppid:0:0: ok \
gettid:0:2: error EDOM gettid:1:0: ok" \
  "two entries for getppid: either one denies, with its own errnoRet"

# An entry without conditions next to one with: every call is denied.
calls '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
        {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33}]}' \
  getppid:1 getppid:0 gettid
assert_match "$CALLS" "^getppid:1: error E(NOMSG|DOM) getppid:0: error EDOM gettid: ok$" \
  "an unconditional entry for getppid next to a conditional one denies every call"

# defaultErrnoRet is the default's errno only: a rule without errnoRet
# still gives EPERM.
calls "$(jq -n --argjson allow "$allow" '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 33,
  syscalls: [{names: $allow, action: "SCMP_ACT_ALLOW"},
             {names: ["sched_yield"], action: "SCMP_ACT_ERRNO"}]}')" sched_yield gettid
assert_eq "$CALLS" "sched_yield: error EPERM gettid: error EDOM" \
  "defaultErrnoRet 33 for unlisted calls, EPERM for a rule without errnoRet"

# Actions: TRAP raises a SIGSYS the process catches, with the syscall's
# number and code SYS_SECCOMP; the killing ones told apart in a thread.
calls '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"],
        "action": "SCMP_ACT_TRAP"}]}' getppid:5 gettid
assert_eq "$CALLS" "getppid:5: SIGSYS syscall=110 data=0 code=1 gettid: ok" \
  "SCMP_ACT_TRAP: a SIGSYS for getppid (110) with code SYS_SECCOMP; the process goes on"

for action in SCMP_ACT_KILL_THREAD SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_TRAP; do
  make_bundle "$B"
  cfg --arg a "$action" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["getppid"], action: $a}]}
    | .process.args = ["/bin/mrtest", "thread-syscall", "getppid"]'
  run_ctr t
  case $action in
    SCMP_ACT_KILL_PROCESS) expected="159 " what="kills the whole process" ;;
    SCMP_ACT_TRAP) expected="0 getppid: SIGSYS syscall=110 data=0 code=1 process: alive"
      what="signals the thread, the process goes on" ;;
    *) expected="0 process: alive" what="kills the thread only" ;;
  esac
  assert_eq "$RUN_STATUS $(echo $RUN_STDOUT)" "$expected" "$action in a second thread: $what"
done

# SCMP_ACT_LOG lets the call through and the kernel logs it; the LOG flag
# has the kernel log an ERRNO action too, which it does not otherwise.
# audit_lines SYSCALL-NR CODE: how many such seccomp audit records the
# kernel log holds.
audit_lines ()
{
  dmesg 2>/dev/null | grep -c "type=1326 .*comm=\"mrtest\" .* syscall=$1 .*code=$2"
}
# logged SYSCALL-NR CODE PROFILE CALL: runs CALL under PROFILE until the
# kernel log shows a new record of it. The kernel prints audit records
# under the global printk rate limit (10 in 5 seconds by default), which
# other tests may be using up: up to three tries, 5 seconds apart.
logged ()
{
  local try before
  for try in 1 2 3; do
    before=$(audit_lines "$1" "$2")
    calls "$3" "$4"
    [ "$(audit_lines "$1" "$2")" -gt "$before" ] && { LOGGED=1; return; }
    sleep 5
  done
  LOGGED=0
}
if dmesg >/dev/null 2>&1; then
  logged 110 0x7ffc0000 '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"],
                          "action": "SCMP_ACT_LOG"}]}' getppid
  assert_eq "$CALLS $LOGGED" "getppid: ok 1" "SCMP_ACT_LOG: getppid works and the kernel logs it"
  before=$(audit_lines 186 0x50000)
  calls '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["gettid"],
          "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}' gettid
  unflagged="$CALLS $((before == $(audit_lines 186 0x50000)))"
  logged 186 0x50000 '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
          "syscalls": [{"names": ["gettid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}' gettid
  assert_eq "$unflagged / $CALLS $LOGGED" "gettid: error ENOMSG 1 / gettid: error ENOMSG 1" \
    "SECCOMP_FILTER_FLAG_LOG: the denied gettid is logged with it only"
else
  skip "the kernel log cannot be read here" 2
fi

# Every flag of the spec alone, on this kernel that has them all; waiting
# killably without a listener has nothing to wait for.
for flag in TSYNC LOG SPEC_ALLOW WAIT_KILLABLE_RECV; do
  calls "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_$flag\"],
          \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"}]}" getppid gettid
  assert_eq "$RUN_STATUS $CALLS" "0 getppid: error EPERM gettid: ok" \
    "SECCOMP_FILTER_FLAG_$flag alone: the filter loads and applies"
done

# Architectures: on x86_64 every little-endian one of the spec goes in one
# filter; a big-endian one cannot, and is refused by name.
if [ "$(uname -m)" = x86_64 ]; then
  calls '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64",
          "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
          "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
          "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64"],
          "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}' getppid gettid
  assert_eq "$RUN_STATUS $CALLS" "0 getppid: error EPERM gettid: ok" \
    "the ten little-endian architectures of the spec in one filter"
  wrong=
  for arch in MIPS MIPS64 MIPS64N32 PARISC PARISC64 PPC PPC64 S390 S390X; do
    make_bundle "$B" bad
    cfg --arg a "SCMP_ARCH_$arch" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86", $a]}'
    timeout -k 5 30 $MODRUN run --bundle "$B" bad </dev/null >/dev/null 2>"$TEST_TMP/err"
    status=$?
    grep -q "^.*linux\.seccomp\.architectures\[1\]: SCMP_ARCH_$arch is big-endian, and a filter \
for this host (SCMP_ARCH_X86_64) can only hold little-endian architectures$" "$TEST_TMP/err" &&
      [ "$status" = 1 ] && [ "$(grep -c . "$TEST_TMP/err")" = 1 ] ||
      wrong+=" $arch (exit $status: $(cat "$TEST_TMP/err"))"
  done
  assert_eq "$wrong" "" "each of the nine big-endian architectures is refused, one line naming it"
  assert_no_leftovers "nothing left behind by the refused architectures"
else
  skip "architecture checks are written for x86_64" 3
fi

# 11. More profiles refused at create.
refused "defaultErrnoRet with SCMP_ACT_ALLOW" \
  'linux\.seccomp\.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}'
refused "errnoRet beyond 4095" \
  'linux\.seccomp\.syscalls\[0\]\.errnoRet: expected an integer from 0 to 4095, got 4096' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action":
    "SCMP_ACT_ERRNO", "errnoRet": 4096}]}'
refused "no names" 'linux\.seccomp\.syscalls\[0\]\.names: required' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}'
refused "a negative value" 'linux\.seccomp\.syscalls\[0\]\.args\[0\]\.value: expected an unsigned' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action":
    "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}'
refused "SCMP_ACT_NOTIFY as the default" \
  'linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY cannot be the default' \
  '{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/nonexistent"}'
refused "listenerMetadata without listenerPath" \
  'linux\.seccomp\.listenerMetadata: set without linux\.seccomp\.listenerPath' \
  '{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}'

long_path=/$(printf 'l%.0s' {1..120})/agent.sock
refused "a listenerPath too long for a unix socket" \
  'linux\.seccomp\.listenerPath: longer than 107 bytes: `/l+/agent\.sock`' \
  "$(jq -n --arg sock "$long_path" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
    syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}')"

# Without an SCMP_ACT_NOTIFY rule, listenerPath is ignored, as the spec says.
calls '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent/agent.sock",
        "listenerMetadata": "unused", "syscalls": [{"names": ["getppid"],
        "action": "SCMP_ACT_ERRNO"}]}' getppid
assert_eq "$RUN_STATUS $CALLS" "0 getppid: error EPERM" \
  "listenerPath where nobody listens is ignored when no rule notifies"

# An entry whose names are all unknown is skipped whole, with the warning.
calls '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_call"],
        "action": "SCMP_ACT_KILL"}, {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}' getppid
assert_eq "$RUN_STATUS $CALLS" "0 getppid: error EPERM" \
  "an entry naming only unknown syscalls is skipped, the others apply"
assert_match "$RUN_STDERR" "warning.*unknown syscalls skipped: no_such_call$" \
  "and the warning names it"

# 12. features: the shape of features-linux.md, with the spec's names.
if [ -n "$features" ]; then
  assert_eq "$(jq -c '.linux.seccomp | keys' <<<"$features")" \
    '["actions","archs","enabled","knownFlags","operators","supportedFlags"]' \
    "features: linux.seccomp has enabled, actions, operators, archs, knownFlags, supportedFlags"
  assert_eq "$(jq -r '.linux.seccomp.actions | sort | join(" ")' <<<"$features")" \
    "SCMP_ACT_ALLOW SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD \
SCMP_ACT_LOG SCMP_ACT_NOTIFY SCMP_ACT_TRACE SCMP_ACT_TRAP" "features: the spec's nine actions"
  assert_eq "$(jq -r '.linux.seccomp.operators | sort | join(" ")' <<<"$features")" \
    "SCMP_CMP_EQ SCMP_CMP_GE SCMP_CMP_GT SCMP_CMP_LE SCMP_CMP_LT SCMP_CMP_MASKED_EQ SCMP_CMP_NE" \
    "features: the spec's seven operators"
  assert_eq "$(jq -r '.linux.seccomp.archs | sort | join(" ")' <<<"$features")" \
    "SCMP_ARCH_AARCH64 SCMP_ARCH_ARM SCMP_ARCH_MIPS SCMP_ARCH_MIPS64 SCMP_ARCH_MIPS64N32 \
SCMP_ARCH_MIPSEL SCMP_ARCH_MIPSEL64 SCMP_ARCH_MIPSEL64N32 SCMP_ARCH_PARISC SCMP_ARCH_PARISC64 \
SCMP_ARCH_PPC SCMP_ARCH_PPC64 SCMP_ARCH_PPC64LE SCMP_ARCH_RISCV64 SCMP_ARCH_S390 \
SCMP_ARCH_S390X SCMP_ARCH_X32 SCMP_ARCH_X86 SCMP_ARCH_X86_64" \
    "features: the spec's nineteen architectures"
  assert_eq "$(jq -r '.linux.seccomp | [.knownFlags, .supportedFlags] | map(sort | join(" "))
                      | join(" / ")' <<<"$features")" \
    "SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW SECCOMP_FILTER_FLAG_TSYNC \
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV / SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW \
SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" \
    "features: the spec's four flags, all supported by this kernel"
else
  skip "$RUNTIME_NAME features gives nothing here" 5
fi

# 13. A kernel without some filter flags, emulated by old-kernel, which
# makes seccomp(2) refuse them as such a kernel does: the runtime leaves
# them out of supportedFlags and refuses a profile asking for them, at once.
OLD_KERNEL=$(dirname "$MRTEST")/old-kernel
# on_old_kernel MASK DESCRIPTION ERE PROFILE-JSON: a run refused there.
on_old_kernel ()
{
  make_bundle "$B" old
  cfg --argjson sc "$4" '.linux.seccomp = $sc'
  timeout -k 5 30 "$OLD_KERNEL" "$1" $MODRUN run --bundle "$B" old </dev/null \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "$2: exit 1, one line on stderr" ||
    diag "stderr:" "$(cat "$TEST_TMP/err")"
  assert_match "$(cat "$TEST_TMP/err")" "$3" "$2: the message says \"$3\""
  assert_no_leftovers "$2: nothing left behind"
}
if [ "$RUNTIME_NAME" = modrun ] && "$OLD_KERNEL" 0x4 true; then
  assert_eq "$("$OLD_KERNEL" 0x24 $MODRUN features | jq -c '.linux.seccomp |
      [(.knownFlags | length), .supportedFlags]')" \
    '[4,["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG"]]' \
    "without SPEC_ALLOW and WAIT_KILLABLE_RECV, features supports the other two flags"
  on_old_kernel 0x4 "SPEC_ALLOW on a kernel without it" \
    'linux\.seccomp\.flags\[1\]: SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported by this kernel' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
      "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}'
  on_old_kernel 0x20 "WAIT_KILLABLE_RECV on a kernel without it" \
    'linux\.seccomp\.flags\[0\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by this kernel' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}'
  # TSYNC next to a listener needs TSYNC_ESRCH: refused before any agent
  # is contacted (none listens at that path).
  on_old_kernel 0x10 "TSYNC with SCMP_ACT_NOTIFY on a kernel without TSYNC_ESRCH" \
    'linux\.seccomp\.flags: TSYNC with SCMP_ACT_NOTIFY needs Linux 5\.7' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
      "listenerPath": "/nonexistent/agent.sock",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
  # The flags it has still work there.
  make_bundle "$B" old
  cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG"], syscalls: [{names: ["getppid"], action: "SCMP_ACT_ERRNO"}]}
    | .process.args = ["/bin/mrtest", "syscall", "getppid"]'
  timeout -k 5 30 "$OLD_KERNEL" 0x24 $MODRUN run --bundle "$B" old </dev/null \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(cat "$TEST_TMP/out")" "0 getppid: error EPERM" \
    "the flags that kernel has still load" || diag "$(cat "$TEST_TMP/err")"
else
  skip "no old-kernel emulation for $RUNTIME_NAME on $(uname -m)" 11
fi
