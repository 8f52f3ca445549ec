#!/bin/bash
# cgroups-paths: where linux.cgroupsPath puts a container, whichever cgroup
# backend the host gets. A relative path is taken from the root of every
# hierarchy, not from the cgroup the runtime runs in; a cgroup that another
# container's processes already use is refused.
. "$(dirname "$0")/lib.sh"

plan 19

# Every hierarchy's mount point and the cgroup path of $1 in it, from
# /proc/PID/cgroup: "MOUNT PATH" lines.
cgroup_dirs_of ()
{
  local line ctrl path mnt
  while IFS= read -r line; do
    ctrl=${line#*:}
    ctrl=${ctrl%%:*}
    path=${line#*:*:}
    if [ -z "$ctrl" ]; then
      mnt=$(awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup2") { print $5; exit } }' \
        /proc/self/mountinfo)
    else
      mnt=$(awk -v c="$ctrl" '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) != "cgroup") next
          n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' \
        /proc/self/mountinfo)
    fi
    [ -n "$mnt" ] && echo "$mnt $path"
  done <"/proc/$1/cgroup"
}

# run_in_cgroup CGROUP COMMAND...: runs COMMAND from cgroup CGROUP (made in
# every hierarchy), as a runtime started by a service in its own cgroup is.
run_in_cgroup ()
{
  local cg=$1 h
  shift
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h$cg" || return 1
    if [ -f "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h${cg%/*}/cpuset.cpus" && cat "$h/cpuset.mems" >"$h${cg%/*}/cpuset.mems" &&
        cat "$h/cpuset.cpus" >"$h$cg/cpuset.cpus" && cat "$h/cpuset.mems" >"$h$cg/cpuset.mems" ||
        return 1
    fi
  done
  # shellcheck disable=SC2016
  sh -c 'cg=$1; shift; for h in $HIERARCHIES; do echo $$ >"$h$cg/cgroup.procs" || exit 99; done
         exec "$@"' sh "$cg" "$@"
}
HIERARCHIES=$(cgroup_hierarchies | tr '\n' ' ')
export HIERARCHIES

# Removes the runtime's cgroups of run_in_cgroup, once it has left them.
remove_runtime_cgroup ()
{
  local h
  for h in $(cgroup_hierarchies); do
    rmdir "$h$1" 2>/dev/null
  done
}

make_bundle "$TEST_TMP/bundle"
# No cgroup namespace: the container sees its full path in /proc/self/cgroup.
cfg '.linux.namespaces |= map(select(.type != "cgroup"))'

# 1. A relative path, from a runtime that runs in a cgroup of its own.
REL=${CG_PARENT#/}/rel
cfg --arg p "$REL" '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 16}
  | .process.args = ["/bin/sh", "-c", "sleep 300"]'
run_in_cgroup "$CG_PARENT/runtime" $MODRUN create --bundle "$BUNDLE" r1 </dev/null \
  >/dev/null 2>"$TEST_TMP/err"
ok $? "create with the relative cgroupsPath $REL" || diag "$(cat "$TEST_TMP/err")"
pid=$(ctr_pid r1)
dirs=$(cgroup_dirs_of "$pid")
diag "$dirs"
assert_match "$dirs" " $CG_PARENT/rel\$" "the init is in $CG_PARENT/rel"
assert_no_match "$dirs" " (.*/runtime/.*|/)\$" \
  "in no hierarchy is it below the runtime's own cgroup, nor at the root"
missing=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/rel" ] || echo "$h"; done)
assert_eq "$missing" "" "the cgroup exists in every hierarchy"
pids=$(for h in $(cgroup_hierarchies); do
  [ -f "$h$CG_PARENT/rel/pids.max" ] && cat "$h$CG_PARENT/rel/pids.max"; done)
assert_eq "$pids" 16 "pids.max of the relative cgroup is the limit given"
$MODRUN kill r1 KILL
wait_status r1 stopped 10
$MODRUN delete r1
ok $? "delete"
gone=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/rel" ] && echo "$h"; done)
assert_eq "$gone" "" "delete removes the relative cgroup in every hierarchy"
remove_runtime_cgroup "$CG_PARENT/runtime"

# 2. The same relative path from the host's own cgroup lands in the same
# place: the path never depends on where the runtime runs.
cfg '.process.args = ["/bin/mrtest", "cat", "/proc/self/cgroup"]'
run_ctr r2
assert_eq "$RUN_STATUS" 0 "run r2 with the relative path from the test's cgroup" ||
  diag "$RUN_STDERR"
assert_no_match "$(grep -v ":$CG_PARENT/rel\$" <<<"$RUN_STDOUT")" . \
  "every line of /proc/self/cgroup names $CG_PARENT/rel"

# 3. Two containers on one cgroupsPath: the second is refused while the
# first has processes there, and the first keeps its cgroup.
cfg --arg p "$CG_PARENT/shared" '.linux.cgroupsPath = $p
  | .process.args = ["/bin/sh", "-c", "sleep 300"]'
$MODRUN create --bundle "$BUNDLE" s1 </dev/null >/dev/null 2>"$TEST_TMP/err"
ok $? "create s1 in $CG_PARENT/shared" || diag "$(cat "$TEST_TMP/err")"
$MODRUN create --bundle "$BUNDLE" s2 </dev/null >/dev/null 2>"$TEST_TMP/err"
status=$?
err=$(cat "$TEST_TMP/err")
assert_eq "$status $(grep -c . <<<"$err")" "1 1" "create s2 in the same cgroup: exit 1, one line" ||
  diag "$err"
assert_match "$err" "$CG_PARENT/shared.*not empty: 1 process" \
  "the error names the cgroup and the processes in it"
assert_eq "$($MODRUN state s2 2>/dev/null)" "" "no state is left of s2"
pid=$(ctr_pid s1)
assert_match "$(cgroup_dirs_of "$pid")" " $CG_PARENT/shared\$" "s1 keeps its cgroup"
# The parent of a cgroup in use is in use too: its kill --all would reach s1.
cfg --arg p "$CG_PARENT" '.linux.cgroupsPath = $p'
$MODRUN create --bundle "$BUNDLE" s4 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 1 "create s4 in the parent of s1's cgroup fails"
assert_match "$(cat "$TEST_TMP/err")" "cgroup $CG_PARENT is not empty: 1 process" \
  "the error names the parent and counts s1's process"
$MODRUN delete --force s1

# An empty cgroup that exists already is taken, and left in place.
for h in $(cgroup_hierarchies); do mkdir -p "$h$CG_PARENT/pre"; done
cfg --arg p "$CG_PARENT/pre" '.linux.cgroupsPath = $p | .process.args = ["/bin/true"]'
run_ctr s3
assert_eq "$RUN_STATUS" 0 "a container runs in an empty cgroup made before it" ||
  diag "$RUN_STDERR"
kept=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT/pre" ] || echo "$h"; done)
assert_eq "$kept" "" "delete leaves the cgroup it did not make"
for h in $(cgroup_hierarchies); do rmdir "$h$CG_PARENT/pre"; done

assert_no_leftovers
