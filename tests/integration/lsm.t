#!/bin/bash
# lsm: the AppArmor and SELinux plugins on a host that runs neither LSM (the
# test skips itself on a host that runs one). A profile or a label the host
# cannot apply is refused, as runc and crun refuse it: one line naming the
# field, exit status 1, nothing left behind. linux.mountLabel is left out
# of the mounts, as crun does. `features` says both are built in, which is
# what the spec asks of it. The AppArmor profile applied for real is in
# apparmor-vm.t.
. "$(dirname "$0")/lib.sh"

if grep -qx 'nodev[[:space:]]selinuxfs' /proc/filesystems ||
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
  skip_all "this host runs AppArmor or SELinux: the test is for a host without them"
fi

plan 34

B=$TEST_TMP/bundle
AA='.process.apparmorProfile = "modrun-test-profile"'
SE='.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
ML='.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
is_modrun ()
{
  [ "$RUNTIME_NAME" = modrun ]
}

# expect_refusal ID DESCRIPTION ERE: create fails with status 1 and one line
# matching ERE; nothing is left behind.
expect_refusal ()
{
  local id=$1 what=$2 ere=$3 out st
  $MODRUN create --bundle "$B" "$id" </dev/null >/dev/null 2>"$TEST_TMP/err"
  st=$?
  out=$(cat "$TEST_TMP/err")
  assert_eq "$st" 1 "$what: create fails with status 1"
  if is_modrun; then
    assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "$what: one line of error" || diag "$out"
    assert_match "$out" "$ere" "$what: the error names the field and why" || true
  else
    skip "the message is modrun's" 2
  fi
  assert_no_leftovers "$what: nothing left behind"
}

# 1. An AppArmor profile on a host without AppArmor.
make_bundle "$B" c1
cfg "$AA"
expect_refusal c1 "apparmorProfile" \
  '^modrun: apparmor: probe: config.json: process.apparmorProfile is "modrun-test-profile", but AppArmor is not enabled on this host: '

run_ctr c1
assert_eq "$RUN_STATUS" 1 "apparmorProfile: run fails with status 1 too"
assert_eq "$RUN_STDOUT" "" "apparmorProfile: the process never ran"

# 2. An SELinux label on a host without SELinux.
make_bundle "$B" c2
cfg "$SE"
expect_refusal c2 "selinuxLabel" \
  '^modrun: selinux: probe: config.json: process.selinuxLabel is "system_u:system_r:container_t:s0:c1,c2", but SELinux is not enabled on this host$'

# 3. Both: the first whose LSM the host runs would serve; here neither does,
# and the error says why for each.
make_bundle "$B" c3
cfg "$AA | $SE"
expect_refusal c3 "apparmorProfile and selinuxLabel" \
  'AppArmor is not enabled on this host.*; selinux: probe: .*SELinux is not enabled on this host$'

# 4. Without the plugin that would apply it, the profile is refused all the
# same, never dropped.
if is_modrun; then
  make_bundle "$B" c4
  cfg "$AA"
  $MODRUN --plugins -apparmor create --bundle "$B" c4 </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "--plugins -apparmor: create fails with status 1"
  assert_eq "$(cat "$TEST_TMP/err")" 'modrun: config.json: process.apparmorProfile is "modrun-test-profile", but no lsm plugin is selected to apply it' \
    "--plugins -apparmor: the profile is refused, not dropped"
  cfg "del(.process.apparmorProfile) | $SE"
  $MODRUN --plugins lsm=apparmor create --bundle "$B" c4 </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$?" 1 "--plugins lsm=apparmor with an SELinux label: create fails"
  assert_match "$(cat "$TEST_TMP/err")" \
    'process.selinuxLabel is ".*", but the lsm plugin selected, "apparmor", does not apply it$' \
    "--plugins lsm=apparmor: the label is refused, not dropped" || true
  assert_no_leftovers "the refused selections left nothing behind"
else
  skip "plugin selection is modrun's" 5
fi

# 5. Empty fields ask for nothing: the container runs, and no LSM plugin is
# even loaded.
make_bundle "$B" c5
cfg '.process.apparmorProfile = "" | .process.selinuxLabel = ""
     | .process.args = ["/bin/mrtest", "cat", "/proc/self/mountinfo"]'
$MODRUN create --bundle "$B" c5 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "empty apparmorProfile and selinuxLabel: create succeeds" || diag "$(cat "$TEST_TMP/err")"
if is_modrun; then
  plugins=$(jq -r .plugins "$TEST_ROOT/c5/state.json" 2>/dev/null)
  assert_no_match "$plugins" 'apparmor|selinux' "no LSM plugin serves a container that asks for none" ||
    diag "plugins: $plugins"
else
  skip "the state's plugins are modrun's"
fi
$MODRUN delete --force c5 >/dev/null 2>&1

# 6. A profile of the wrong type is refused by name.
make_bundle "$B" c6
cfg '.process.apparmorProfile = 7'
$MODRUN create --bundle "$B" c6 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "apparmorProfile of type number: create fails with status 1"
out=$(cat "$TEST_TMP/err")
if is_modrun; then
  assert_match "$out" 'process.apparmorProfile: expected string' \
    "apparmorProfile of type number: the error names the field" || true
else
  skip "the message is modrun's"
fi

# 7. linux.mountLabel without SELinux: the container runs and no mount
# carries a context.
make_bundle "$B" c7
cfg "$ML"' | .process.args = ["/bin/mrtest", "cat", "/proc/self/mountinfo"]'
run_ctr c7
assert_eq "$RUN_STATUS" 0 "mountLabel without SELinux: the container runs" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" ' /dev rw,.* - tmpfs ' "mountLabel without SELinux: /dev is a tmpfs" || true
assert_no_match "$RUN_STDOUT" 'context=' "mountLabel without SELinux: no mount has a context= option"
assert_no_leftovers "mountLabel: nothing left behind"

# 8. features: both plugins say they are built in, whatever the host.
F=$($MODRUN features 2>"$TEST_TMP/err")
ok $? "features succeeds" || diag "$(cat "$TEST_TMP/err")"
assert_eq "$(jq -c .linux.apparmor <<<"$F")" '{"enabled":true}' "features: linux.apparmor is enabled"
assert_eq "$(jq -c .linux.selinux <<<"$F")" '{"enabled":true}' "features: linux.selinux is enabled"
if is_modrun; then
  assert_match "$(jq -r '.annotations["run.modrun.plugins"]' <<<"$F")" \
    '(^|,)apparmor@[^,]+,(.+,)?selinux@[^,]+(,|$)' "features: the annotation names both LSM plugins" || true
  F=$($MODRUN --plugins -apparmor,-selinux features 2>/dev/null)
  assert_eq "$(jq -c '[.linux.apparmor, .linux.selinux]' <<<"$F")" \
    '[{"enabled":false},{"enabled":false}]' "features without the LSM plugins: both disabled"
  P=$($MODRUN plugins --format json 2>/dev/null)
  # unique: with built-in plugins, the files of the same names are listed too.
  assert_eq "$(jq -c '[.[] | select(.concern == "lsm") | [.name, .usable]] | unique' <<<"$P")" \
    '[["apparmor",true],["selinux",true]]' "plugins lists both as usable LSM plugins"
else
  skip "the annotation and the plugin list are modrun's" 3
fi

assert_no_leftovers
