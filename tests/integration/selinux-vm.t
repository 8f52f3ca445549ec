#!/bin/bash
# selinux-vm: the SELinux plugin and linux.mountLabel on a kernel that runs
# SELinux, in a VM booted with `security=selinux` (tests/vm/run-in-vm.sh).
#
# First without a policy, where SELinux confines nothing (every context
# reads "kernel", the kernel refuses context= on mounts) and counts as off:
# a container with process.selinuxLabel is refused with one line saying
# so; one with linux.mountLabel runs, its mounts made without context=.
#
# Then with Debian's policy loaded (selinux-policy-default, permissive):
# the container's process runs in the label, its file system mounts carry
# the mount label but proc, sysfs and mqueue, which do not take one.
#
# On a host that does not run SELinux the test runs itself inside the VM;
# when the VM cannot run, the test fails, saying so.
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")

se_enabled ()
{
  grep -qx 'nodev[[:space:]]selinuxfs' /proc/filesystems
}

if [ -z "${MODRUN_TEST_IN_VM:-}" ] && [ "$(id -u)" = 0 ] && ! se_enabled; then
  . "$HERE/../vm/test-in-vm.sh"
  MODRUN_VM_APPEND="${MODRUN_VM_APPEND:-} security=selinux" \
    vm_run_test "the SELinux VM" -- bash "$SELF" "$@"
fi

. "$HERE/lib.sh"

se_enabled || bail_out "SELinux is not enabled, even in the VM"
[ "$RUNTIME_NAME" = modrun ] || skip_all "the debug trace checked here is modrun's"

plan 19

[ "$(tr -d '\0' </proc/self/attr/current)" = kernel ] ||
  bail_out "SELinux has a policy loaded here: this test is for SELinux without one"

LABEL=system_u:system_r:container_t:s0:c1,c2
MLABEL=system_u:object_r:container_file_t:s0:c1,c2
B=$TEST_TMP/bundle

# 1. A label is refused.
make_bundle "$B" s1
cfg --arg l "$LABEL" '.process.selinuxLabel = $l'
$MODRUN create --bundle "$B" s1 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "selinuxLabel without a policy: create fails with status 1"
assert_eq "$(cat "$TEST_TMP/err")" \
  "modrun: selinux: probe: config.json: process.selinuxLabel is \"$LABEL\", but SELinux is enabled on this host but has no policy loaded" \
  "the error says SELinux has no policy"
assert_no_leftovers "the refused create left nothing behind"

# 2. A mount label is left out, and the container runs.
make_bundle "$B" s2
cfg --arg m "$MLABEL" '.linux.mountLabel = $m
   | .process.args = ["/bin/mrtest", "cat", "/proc/self/mountinfo"]'
MODRUN="$MODRUN --debug --log $TEST_TMP/s2.log" run_ctr s2
assert_eq "$RUN_STATUS" 0 "mountLabel without a policy: the container runs" || diag "$RUN_STDERR"
assert_no_match "$RUN_STDOUT" "context=" "no mount has a context= option"
log=$(cat "$TEST_TMP/s2.log")
assert_match "$log" "linux.mountLabel left out: SELinux is enabled on this host but has no policy loaded" \
  "the debug trace says why the label was left out" || diag "$log"
assert_match "$(grep -F 'on `/dev`, data' <<<"$log")" 'data \\?"mode=755,size=65536k\\?"' \
  "the /dev tmpfs gets only its own options" || diag "$log"

# 3. Without the fields, nothing changes.
make_bundle "$B" s3
run_ctr s3
assert_eq "$RUN_STATUS" 0 "a container without LSM fields runs" || diag "$RUN_STDERR"

# 4. features.
assert_eq "$($MODRUN features 2>/dev/null | jq -c .linux.selinux)" '{"enabled":true}' \
  "features: linux.selinux is enabled"
assert_no_leftovers "nothing left behind without a policy"

# 5. With a policy. Types of Debian's policy: unconfined_t for the process,
# tmpfs_t for the mounts, with MCS categories.
if ! command -v load_policy >/dev/null || [ ! -d /etc/selinux/default/policy ]; then
  skip "no SELinux policy to load (Debian packages selinux-policy-default, policycoreutils)" 9
  exit 0
fi
mkdir -p /sys/fs/selinux
mountpoint -q /sys/fs/selinux || mount -t selinuxfs selinuxfs /sys/fs/selinux ||
  bail_out "cannot mount selinuxfs"
printf 'SELINUX=permissive\nSELINUXTYPE=default\n' >/etc/selinux/config ||
  bail_out "cannot write the guest's /etc/selinux/config"
load_policy -i >"$TEST_TMP/err" 2>&1 || bail_out "load_policy: $(cat "$TEST_TMP/err")"
[ "$(cat /sys/fs/selinux/enforce)" = 0 ] || bail_out "the policy loaded is enforcing"

PLABEL=system_u:system_r:unconfined_t:s0:c1,c2
PMLABEL=system_u:object_r:tmpfs_t:s0:c1,c2
make_bundle "$B" s4
cfg --arg l "$PLABEL" --arg m "$PMLABEL" '.process.selinuxLabel = $l | .linux.mountLabel = $m
   | .process.args = ["/bin/sh", "-c", "cat /proc/self/attr/current; echo; cat /proc/self/mountinfo"]'
run_ctr s4
assert_eq "$RUN_STATUS" 0 "with a policy, a container with selinuxLabel and mountLabel runs" ||
  diag "$RUN_STDERR"
assert_eq "$(head -n 1 <<<"$RUN_STDOUT" | tr -d '\0')" "$PLABEL" \
  "the process runs in the label (/proc/self/attr/current)"
# line DEST: the mountinfo line of DEST.
line ()
{
  awk -v d="$1" '$5 == d' <<<"$RUN_STDOUT"
}
for d in /dev /dev/pts /dev/shm; do
  assert_match "$(line $d)" "context=\"$PMLABEL\"" "$d carries the mount label" || diag "$(line $d)"
done
for d in /proc /sys /dev/mqueue; do
  l=$(line $d)
  [ -n "$l" ] && assert_no_match "$l" "context=" "$d carries none" ||
    { fail "$d carries none"; diag "no mount on $d:" "$RUN_STDOUT"; }
done

assert_no_leftovers
