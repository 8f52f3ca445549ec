#!/bin/bash
# cgroups-leftovers: after delete, after a create that fails at any point,
# after kill --all, no cgroup the runtime made stays, in any hierarchy; a
# cgroup it did not make stays. The cgroupsPath is nested, so that the
# runtime makes the parents too.
. "$(dirname "$0")/lib.sh"

plan 20

# The cgroups under the test's parent, in every hierarchy, the parent
# itself included (the runtime made it); then the state directories.
left_behind ()
{
  local h
  for h in $(cgroup_hierarchies); do
    [ -d "$h$CG_PARENT" ] && find "$h$CG_PARENT" -type d
  done
  ls -A "$TEST_ROOT"
}

assert_clean ()
{
  local left
  left=$(left_behind)
  assert_eq "$left" "" "$1: no cgroup in any hierarchy, no state"
}

make_bundle "$TEST_TMP/bundle"
BASE=$(cat "$BUNDLE/config.json")
# setup JQ-FILTER: the base config with a nested path and FILTER applied.
setup ()
{
  printf '%s\n' "$BASE" >"$BUNDLE/config.json"
  cfg --arg p "$CG_PARENT/a/b/c" '.linux.cgroupsPath = $p
    | .linux.resources.memory = {"limit": 33554432} | .linux.resources.pids = {"limit": 64}
    | '"$1"
}

# 1. create, start, delete.
setup '.process.args = ["/bin/sh", "-c", "sleep 300"]'
$MODRUN create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create" || diag "$(cat "$TEST_TMP/err")"
made=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/a/b/c" ] || echo "$h"; done)
assert_eq "$made" "" "the nested cgroup exists in every hierarchy"
$MODRUN start c1
$MODRUN delete --force c1
ok $? "delete --force of the running container"
assert_clean "delete --force"

# 2. A foreground run that ends.
setup '.process.args = ["/bin/true"]'
run_ctr c2
assert_eq "$RUN_STATUS" 0 "run" || diag "$RUN_STDERR"
assert_clean "run"

# 3. kill --all, then delete.
setup '.process.args = ["/bin/sh", "-c", "sleep 300 & sleep 300 & sleep 300"]'
$MODRUN create --bundle "$BUNDLE" c3 </dev/null >/dev/null 2>&1
$MODRUN start c3
sleep 0.3
$MODRUN kill --all c3 KILL
ok $? "kill --all KILL"
wait_status c3 stopped 10
ok $? "the container stops"
$MODRUN delete c3
ok $? "delete"
assert_clean "kill --all and delete"

# 4. A value the kernel refuses when prepare writes it, after the cgroups
# were made.
setup '.linux.resources.cpu = {"cpus": "4095"}'
$MODRUN create --bundle "$BUNDLE" c4 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "create with a cpuset the kernel refuses fails" || diag "$(cat "$TEST_TMP/err")"
assert_clean "a value refused by the kernel"

# 5. A failure in the init, after it joined its cgroups.
setup '.process.args = ["/nonexistent"]'
$MODRUN create --bundle "$BUNDLE" c5 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "create with a missing executable fails" || diag "$(cat "$TEST_TMP/err")"
assert_clean "a failure in the init"

# 6. A failure of another plugin, with a cgroup the runtime did not make:
# the cgroup stays, empty.
for h in $(cgroup_hierarchies); do mkdir -p "$h$CG_PARENT/a/b/c"; done
setup '.linux.namespaces |= map(if .type == "network" then . + {"path": "/proc/self/ns/nonexistent"}
  else . end)'
$MODRUN create --bundle "$BUNDLE" c6 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "create with a namespace path that does not exist fails" ||
  diag "$(cat "$TEST_TMP/err")"
kept=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/a/b/c" ] || echo "$h"; done)
assert_eq "$kept" "" "the cgroup made before the runtime stays"
setup '.process.args = ["/bin/true"]'
run_ctr c7
assert_eq "$RUN_STATUS" 0 "a run in that cgroup" || diag "$RUN_STDERR"
kept=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/a/b/c" ] || echo "$h"; done)
assert_eq "$kept" "" "the cgroup made before the runtime stays after the run"
for h in $(cgroup_hierarchies); do
  rmdir "$h$CG_PARENT/a/b/c" "$h$CG_PARENT/a/b" "$h$CG_PARENT/a" "$h$CG_PARENT"
done
assert_clean "no more than what the test made"

assert_no_leftovers
