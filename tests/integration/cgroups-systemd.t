#!/bin/bash
# cgroups-systemd: --systemd-cgroup and the "slice:prefix:name" form of
# linux.cgroupsPath. Where systemd is not the init, one clear line, exit 1,
# nothing left behind; a plain path with the flag is refused by its form.
. "$(dirname "$0")/lib.sh"

plan 11

make_bundle "$TEST_TMP/bundle"
cfg '.process.args = ["/bin/true"]'

# Every cgroups backend this host can use says it can make systemd scopes.
if [ "$RUNTIME_NAME" = modrun ]; then
  said=
  for b in cgroups-v1 cgroups-v2 cgroups-libcgroup; do
    $MODRUN --plugins cgroups=$b plugins 2>/dev/null | grep -Eq "^$b +cgroups .* yes" || continue
    said+="$b=$($MODRUN --plugins cgroups=$b features 2>/dev/null | jq -c .linux.cgroup.systemd) "
  done
  assert_match "$said" "^cgroups-v1=true ([a-z0-9-]+=true )*$" \
    "features: linux.cgroup.systemd is true for each backend" ||
    diag "$said"
else
  skip "features of modrun's backends"
fi

# systemd_run ID CGROUPS-PATH: a foreground run with --systemd-cgroup.
systemd_run ()
{
  cfg --arg p "$2" '.linux.cgroupsPath = $p'
  $MODRUN --systemd-cgroup run --bundle "$BUNDLE" "$1" </dev/null >"$TEST_TMP/out" \
    2>"$TEST_TMP/err"
  STATUS=$?
  ERR=$(cat "$TEST_TMP/err")
}

# Nothing of ID: no state, and no cgroup named after it in any hierarchy.
assert_nothing_of ()
{
  local left
  left=$(ls -d "$TEST_ROOT/$1" 2>/dev/null
    for h in $(cgroup_hierarchies); do find "$h" -maxdepth 3 -name "*$1*" 2>/dev/null; done)
  assert_eq "$left" "" "$2: nothing left behind"
}

ID=sd$$
if [ ! -e /run/systemd/system ]; then
  systemd_run "$ID" "system.slice:modrun-test:$ID"
  assert_eq "$STATUS $(grep -c . <<<"$ERR")" "1 1" "slice:prefix:name without systemd: exit 1, one line" ||
    diag "$ERR"
  assert_match "$ERR" "--systemd-cgroup: systemd is not running on this host" \
    "the message names the flag and why"
  assert_match "$ERR" "modrun-test-$ID\.scope" "and the scope the path names"
  assert_nothing_of "$ID" "without systemd"
  systemd_run "$ID" ""
  assert_match "$ERR" "the scope modrun-$ID\.scope" "no cgroupsPath names the scope modrun-ID"
else
  skip "systemd runs here: making the scope is not tested" 5
fi

systemd_run "$ID" "$CG_PARENT/$ID"
assert_eq "$STATUS $(grep -c . <<<"$ERR")" "1 1" "a plain path with --systemd-cgroup: exit 1, one line" ||
  diag "$ERR"
assert_match "$ERR" "linux\.cgroupsPath: \"$CG_PARENT/$ID\": expected \"slice:prefix:name\" with --systemd-cgroup" \
  "the message names the form expected"
assert_nothing_of "$ID" "a plain path"
systemd_run "$ID" "a--b.slice:p:$ID"
assert_match "$ERR" "linux\.cgroupsPath: \"a--b\.slice\": a slice name has no empty part" \
  "a slice name systemd refuses is refused"

assert_no_leftovers
