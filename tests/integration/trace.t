#!/bin/bash
# trace: MODRUN_TRACE=1 (or --debug) ends a command with a table, on
# stderr, of the time each plugin spent loading, probing and in each stage,
# those the container's init or exec'd process ran included; without it
# stderr stays clean.
. "$(dirname "$0")/lib.sh"

[ "$RUNTIME_NAME" = modrun ] || skip_all "the trace table is modrun's"
unset MODRUN_TRACE

plan 28

B=$TEST_TMP/bundle
make_bundle "$B"
ERR=$TEST_TMP/err
MS='[0-9]+\.[0-9]{3}'

# row STAGE PLUGIN PROCESS: the ERE of a timed row of the table.
row ()
{
  printf '^%s +%s +%s +[0-9]+ +%s$' "$1" "$2" "$3" "$MS"
}

rt ()
{
  timeout -k 5 60 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$ERR"
  RT_STATUS=$?
  RT_OUT=$(cat "$TEST_TMP/out")
  RT_ERR=$(cat "$ERR")
}

# 1. Without a trace, nothing on stderr.
run_ctr c0
assert_eq "$RUN_STATUS:$RUN_STDERR" "0:" "without MODRUN_TRACE, a run writes nothing on stderr"

# 2. A traced run with a seccomp filter that applies before start
# (noNewPrivileges false), so that every plugin has a child stage.
cfg '.process.noNewPrivileges = false
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
MODRUN_TRACE=1 run_ctr c1
assert_eq "$RUN_STATUS" 0 "a traced run exits 0" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" '^cwd: error EPERM$' "the container ran with its filter"
assert_match "$RUN_STDERR" '^modrun: trace of run, per plugin and stage$' "the table is titled"
assert_match "$RUN_STDERR" '^STAGE +PLUGIN +PROCESS +CALLS +MS$' "the table has its header"

# The run deleted c1: the plugins it used are those a create picks.
cfg ".linux.cgroupsPath = \"$CG_PARENT/c2\""
rt create --bundle "$B" c2
PLUGINS=$(jq -r .plugins "$TEST_ROOT/c2/state.json")
rt delete --force c2
assert_match "$PLUGINS" '^namespaces,cgroups-v[12],mounts,seccomp$' "the plugins of the run"
CG=$(cut -d, -f2 <<<"$PLUGINS")
missing=
for p in ${PLUGINS//,/ }; do
  for s in load validate; do
    grep -Eq "$(row "$s" "$p" runtime)" <<<"$RUN_STDERR" || missing="$missing $s/$p"
  done
done
# namespaces has no probe.
for p in "$CG" mounts seccomp; do
  grep -Eq "$(row probe "$p" runtime)" <<<"$RUN_STDERR" || missing="$missing probe/$p"
done
assert_eq "$missing" "" "load, probe and validate of every plugin, timed, in the runtime"
assert_match "$RUN_STDERR" "$(row prepare "$CG" runtime)" "prepare of the cgroups plugin"
assert_match "$RUN_STDERR" "$(row prepare seccomp runtime)" "prepare of seccomp (its filter built)"
assert_match "$RUN_STDERR" "$(row parent_after_clone "$CG" runtime)" \
  "parent_after_clone of the cgroups plugin"
assert_match "$RUN_STDERR" "$(row child_rootfs mounts container)" "child_rootfs of mounts, in the init"
assert_match "$RUN_STDERR" "$(row child_rootfs namespaces container)" \
  "child_rootfs of namespaces, in the init"
assert_match "$RUN_STDERR" "$(row child_after_pivot mounts container)" \
  "child_after_pivot of mounts, in the init"
assert_match "$RUN_STDERR" "$(row child_before_exec seccomp container)" \
  "child_before_exec of seccomp, timed in the init before start"
assert_match "$RUN_STDERR" "$(row destroy "$CG" runtime)" "destroy of the cgroups plugin, when run deletes"
assert_match "$RUN_STDERR" "^\\(plugins\\) +[0-9]+ +$MS\$" "the plugins' total"
assert_match "$RUN_STDERR" "^\\(run\\) +$MS\$" "the whole command's time"
ROWS=$(grep -E '^[a-z_]+ +[^ ]+ +(runtime|container) ' <<<"$RUN_STDERR")
assert_eq "$(grep -Evc " (runtime|container) +[0-9]+ +$MS\$" <<<"$ROWS")" 0 \
  "every row of the table has its calls and time" || diag "$ROWS"

# 3. With noNewPrivileges, seccomp loads its filter after start, in the
# init: listed, and said not timed, rather than left out.
cfg '.process.noNewPrivileges = true'
cfg ".linux.cgroupsPath = \"$CG_PARENT/c3\""
rt create --bundle "$B" c3
MODRUN_TRACE=1 rt start c3
assert_eq "$RT_STATUS" 0 "a traced start exits 0" || diag "$RT_ERR"
assert_match "$RT_ERR" '^\(start\) +[0-9]+\.[0-9]{3}$' "start has its table"
cfg ".linux.cgroupsPath = \"$CG_PARENT/c4\""
# Landlock, an extra plugin, also restricts the process after start.
LANDLOCK=
if $MODRUN features | jq -e '.annotations["run.modrun.landlock"]' >/dev/null 2>&1; then
  LANDLOCK=yes
  cfg '.annotations["run.modrun.landlock"] = "{\"read_only\": [\"/\"]}"'
fi
MODRUN_TRACE=1 rt --log "$TEST_TMP/log" create --bundle "$B" c4
assert_match "$RT_ERR" '^child_before_exec +seccomp +container +- +- +not timed: runs right before exec, once the runtime stopped waiting$' \
  "create lists the seccomp stage that runs after start, untimed"
if [ -n "$LANDLOCK" ]; then
  assert_match "$RT_ERR" '^child_before_exec +landlock +container +- +- +not timed: runs right before exec, once the runtime stopped waiting$' \
    "and landlock's" || diag "$RT_ERR"
else
  skip "the landlock plugin is not usable here"
fi
rt delete --force c3
rt delete --force c4

# 4. exec: what the new process runs in the container comes back too.
cfg ".linux.cgroupsPath = \"$CG_PARENT/c5\" | .process.args = [\"/bin/sleep\", \"60\"]"
rt run -d --bundle "$B" c5
MODRUN_TRACE=1 rt exec c5 /bin/true
assert_eq "$RT_STATUS" 0 "a traced exec exits 0" || diag "$RT_ERR"
assert_match "$RT_ERR" '^\(exec\) +[0-9]+\.[0-9]{3}$' "exec has its table"
if [ -n "$LANDLOCK" ]; then
  assert_match "$RT_ERR" "$(row child_before_exec landlock container)" \
    "exec: landlock's stage in the new process, timed"
else
  skip "the landlock plugin is not usable here"
fi
assert_match "$RT_ERR" '^child_before_exec +seccomp +container +- +- +not timed: runs right before exec, once the runtime stopped waiting$' \
  "exec: seccomp's stage after ready (no_new_privs), listed untimed"
rt delete --force c5

# 5. --debug prints it too.
rt --debug delete c3
assert_match "$RT_ERR" '^\(delete\) +[0-9]+\.[0-9]{3}$' "--debug: the table, even for a failed delete"

assert_no_leftovers
