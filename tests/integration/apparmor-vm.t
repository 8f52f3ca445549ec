#!/bin/bash
# apparmor-vm: process.apparmorProfile confines the container's process for
# real. In a VM booted with AppArmor on (tests/vm/run-in-vm.sh), a profile
# that denies reading one directory is loaded with apparmor_parser; inside
# the container /proc/self/attr/current names it, the denied read fails
# with EACCES and other reads work; the runtime's own work before exec is
# not confined; a profile the kernel does not have fails create with one
# line and leaves nothing.
#
# On a host that does not run AppArmor the test runs itself inside the VM;
# when the VM cannot run, the test fails, saying so.
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")

aa_enabled ()
{
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ] && ! aa_enabled; then
  . "$HERE/../vm/test-in-vm.sh"
  MODRUN_VM_APPEND="${MODRUN_VM_APPEND:-} apparmor=1 security=apparmor" \
    vm_run_test "the AppArmor VM" -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

aa_enabled || bail_out "AppArmor is not enabled, even in the VM"
if [ ! -d /sys/kernel/security/apparmor ]; then
  mount -t securityfs securityfs /sys/kernel/security ||
    bail_out "cannot mount securityfs for apparmor_parser"
fi
command -v apparmor_parser >/dev/null || bail_out "apparmor_parser is needed (Debian package apparmor)"

plan 29

PROFILE=modrun-test-deny-$$
cat >"$TEST_TMP/profile" <<EOF
profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  unix,
  ptrace,
  mount,
  umount,
  pivot_root,
  deny /secret/** rw,
}
EOF
apparmor_parser --replace --skip-cache "$TEST_TMP/profile" 2>"$TEST_TMP/err" ||
  bail_out "apparmor_parser cannot load the test profile: $(cat "$TEST_TMP/err")"
unload_profile ()
{
  apparmor_parser --remove "$TEST_TMP/profile" >/dev/null 2>&1
}

B=$TEST_TMP/bundle
READS='cat /proc/self/attr/current; echo; /bin/mrtest open /secret/file; /bin/mrtest open /etc/passwd'
bundle ()
{
  make_bundle "$B" "$1"
  mkdir -p "$B/rootfs/secret" && echo hidden >"$B/rootfs/secret/file"
  cfg --arg cmd "$READS" '.process.args = ["/bin/sh", "-c", $cmd]'
}

# 1. Under the profile.
bundle a1
cfg --arg p "$PROFILE" '.process.apparmorProfile = $p'
run_ctr a1
assert_eq "$RUN_STATUS" 0 "a container with an AppArmor profile runs" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^$PROFILE \\(enforce\\)\$" \
  "/proc/self/attr/current names the profile, in enforce mode"
assert_match "$RUN_STDOUT" "^error: EACCES\$" "reading /secret/file fails with EACCES"
assert_match "$RUN_STDOUT" "^ok\$" "reading /etc/passwd works"

# 2. The same container without a profile: unconfined, everything readable,
# so the points above could fail.
bundle a2
run_ctr a2
assert_eq "$RUN_STATUS" 0 "the container runs without a profile" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^unconfined\$" "without a profile the process is unconfined"
assert_eq "$(grep -c '^ok$' <<<"$RUN_STDOUT")" 2 "without a profile both reads work"

# 3. The profile is for the process, not for the runtime: the init waiting
# for start is unconfined.
bundle a3
cfg --arg p "$PROFILE" '.process.apparmorProfile = $p'
$MODRUN create --bundle "$B" a3 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create with a profile" || diag "$(cat "$TEST_TMP/err")"
pid=$(ctr_pid a3)
assert_eq "$(cat "/proc/$pid/attr/current" 2>&1)" unconfined "the waiting init is unconfined"
$MODRUN start a3 >/dev/null 2>"$TEST_TMP/err"
ok $? "start" || diag "$(cat "$TEST_TMP/err")"
wait_status a3 stopped 10
ok $? "the process ran and exited"
$MODRUN delete a3 >/dev/null 2>&1

# 4. With a seccomp filter and without no_new_privs, as a non-root user:
# the filter goes in before the credentials change, the profile before it;
# both apply.
bundle a4
cfg --arg p "$PROFILE" '.process.apparmorProfile = $p | .process.noNewPrivileges = false
  | .process.user = {uid: 1000, gid: 1000}
  | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                      syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}
  | .process.args[2] += "; mkdir /tmp/d 2>&1; grep ^Seccomp: /proc/self/status"'
MODRUN="$MODRUN --debug --log $TEST_TMP/a4.log" run_ctr a4
assert_eq "$RUN_STATUS" 0 "profile and seccomp without no_new_privs, as uid 1000" ||
  diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^$PROFILE \\(enforce\\)\$" "the profile applies"
assert_match "$RUN_STDOUT" "^error: EACCES\$" "and denies /secret/file"
assert_match "$RUN_STDOUT" "^Seccomp:[[:space:]]+2\$" "the seccomp filter applies too"
if [ "$RUNTIME_NAME" = modrun ]; then
  order=$(grep -oE '(apparmor|seccomp): child_before_exec' "$TEST_TMP/a4.log" | tr '\n' ' ')
  assert_eq "$order" "apparmor: child_before_exec seccomp: child_before_exec " \
    "the profile is set before the filter is loaded" || diag "$(cat "$TEST_TMP/a4.log")"
else
  skip "the debug trace is modrun's"
fi

# 5. A profile and an SELinux label: the host runs AppArmor, not SELinux,
# so the apparmor plugin serves.
bundle a6
cfg --arg p "$PROFILE" '.process.apparmorProfile = $p
  | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
run_ctr a6
assert_eq "$RUN_STATUS" 0 "with an SELinux label too, the container runs" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^$PROFILE \\(enforce\\)\$" "under the AppArmor profile"

# 6. A profile the kernel does not have: create fails, nothing is left.
bundle a5
cfg '.process.apparmorProfile = "modrun-test-no-such-profile"'
$MODRUN create --bundle "$B" a5 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "a profile that is not loaded: create fails with status 1"
if [ "$RUNTIME_NAME" = modrun ]; then
  assert_eq "$(wc -l <"$TEST_TMP/err")" 1 "one line of error" || diag "$(cat "$TEST_TMP/err")"
  assert_match "$(cat "$TEST_TMP/err")" \
    'apparmor: child_before_exec: process.apparmorProfile: profile "modrun-test-no-such-profile" is not loaded' \
    "the error names the profile" || true
else
  skip "the message is modrun's" 2
fi
assert_no_leftovers "the failed create left nothing behind"

# 6b. exec: a process exec'd into a container with a profile runs under
# it; --apparmor names another one.
if [ "$RUNTIME_NAME" = modrun ]; then
  bundle a8
  cfg --arg p "$PROFILE" '.process.apparmorProfile = $p | .process.args = ["/bin/sleep", "60"]'
  $MODRUN run --detach --bundle "$B" a8 </dev/null >/dev/null 2>"$TEST_TMP/err"
  ok $? "run --detach with a profile" || diag "$(cat "$TEST_TMP/err")"
  out=$($MODRUN exec a8 /bin/sh -c "$READS" 2>"$TEST_TMP/err")
  assert_match "$out" "^$PROFILE \\(enforce\\)\$" "exec: the process runs under the container's profile" ||
    diag "$(cat "$TEST_TMP/err")"
  assert_match "$out" "^error: EACCES\$" "exec: reading /secret/file fails with EACCES"
  sed -e "s/^profile $PROFILE /profile $PROFILE-open /" -e '/deny /d' "$TEST_TMP/profile" \
    >"$TEST_TMP/profile-open"
  apparmor_parser --replace --skip-cache "$TEST_TMP/profile-open" 2>"$TEST_TMP/err" ||
    diag "apparmor_parser: $(cat "$TEST_TMP/err")"
  out=$($MODRUN exec --apparmor "$PROFILE-open" a8 /bin/sh -c "$READS" 2>"$TEST_TMP/err")
  assert_match "$out" "^$PROFILE-open \\(enforce\\)\$" \
    "exec --apparmor: the process runs under the profile named" || diag "$(cat "$TEST_TMP/err")"
  assert_eq "$(grep -c '^ok$' <<<"$out")" 2 "exec --apparmor: that profile lets both reads work"
  apparmor_parser --remove "$TEST_TMP/profile-open" >/dev/null 2>&1
  $MODRUN delete --force a8 >/dev/null 2>&1
else
  skip "exec with AppArmor: modrun's cases" 5
fi
# 7. features, on a host that runs AppArmor too.
F=$($MODRUN features 2>/dev/null)
assert_eq "$(jq -c .linux.apparmor <<<"$F")" '{"enabled":true}' "features: linux.apparmor is enabled"

unload_profile
assert_no_leftovers
