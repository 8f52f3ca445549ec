#!/bin/bash
# operations: features, ps, update, events, pause and resume of a created
# container, and their errors on unknown ids, containers not running and
# bad input.
. "$(dirname "$0")/lib.sh"

plan 101

B=$TEST_TMP/bundle
make_bundle "$B"
ERR=$TEST_TMP/err

rt ()
{
  timeout -k 5 30 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$ERR"
  RT_STATUS=$?
  RT_OUT=$(tr -d '\0' <"$TEST_TMP/out")
  RT_ERR=$(cat "$ERR")
}

# rt_in INPUT ARGS...: rt with INPUT on stdin.
rt_in ()
{
  local input=$1
  shift
  printf '%s' "$input" | timeout -k 5 30 $MODRUN "$@" >"$TEST_TMP/out" 2>"$ERR"
  RT_STATUS=$?
  RT_OUT=$(cat "$TEST_TMP/out")
  RT_ERR=$(cat "$ERR")
}

# expect_error DESCRIPTION ERE ARGS...: exit 1 and one line on stderr
# matching ERE.
expect_error ()
{
  local desc=$1 ere=$2
  shift 2
  rt "$@"
  assert_eq "$RT_STATUS $(printf '%s' "$RT_ERR" | grep -c .)" "1 1" "$desc: exit 1, one error line"
  assert_match "$RT_ERR" "$ere" "$desc: says \"$ere\""
}

# cg_value ID V1-CONTROLLER V1-FILE V2-FILE: a file of the container's
# cgroup, from its v1 hierarchy or else from the unified one.
cg_value ()
{
  local m
  m=$(awk -v c="$2" '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) != "cgroup") next
      n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' \
    /proc/self/mountinfo)
  if [ -n "$m" ]; then
    cat "$m$CG_PARENT/$1/$3" 2>&1
  else
    cat "/sys/fs/cgroup$CG_PARENT/$1/$4" 2>&1
  fi
}

# 1. features.
rt features
assert_eq "$RT_STATUS" 0 "features exits 0" || diag "$RT_ERR"
F=$RT_OUT
jq -e 'type == "object"' <<<"$F" >/dev/null
ok $? "features prints a JSON object"
if [ "$RUNTIME_NAME" = modrun ]; then
  assert_eq "$(jq -r '"\(.ociVersionMin) \(.ociVersionMax)"' <<<"$F")" "1.0.0 1.3.0" \
    "features: ociVersionMin and ociVersionMax"
else
  assert_eq "$(jq -r .ociVersionMin <<<"$F")" "1.0.0" "features: ociVersionMin"
fi
assert_eq "$(jq -r '.hooks | join(",")' <<<"$F")" \
  "prestart,createRuntime,createContainer,startContainer,poststart,poststop" "features: hooks"
assert_eq "$(jq -r '[.linux.namespaces[] | select(. == "pid" or . == "network" or . == "mount"
                     or . == "ipc" or . == "uts" or . == "user" or . == "cgroup")] | length' \
  <<<"$F")" 7 "features: linux.namespaces has the seven kinds"
assert_eq "$(jq -r '.linux.capabilities | index("CAP_SYS_ADMIN") != null
                    and index("CAP_CHOWN") == 0' <<<"$F")" true \
  "features: linux.capabilities, CAP_CHOWN first, CAP_SYS_ADMIN in"
jq -e '.mountOptions | index("rbind") != null' <<<"$F" >/dev/null
ok $? "features: mountOptions has rbind"
jq -e '.linux.cgroup | has("v1") and has("v2")' <<<"$F" >/dev/null
ok $? "features: linux.cgroup says v1 and v2"
jq -e '.linux.seccomp | has("enabled")' <<<"$F" >/dev/null
ok $? "features: linux.seccomp says whether it is enabled"
if [ "$RUNTIME_NAME" = modrun ]; then
  assert_match "$(jq -r '.annotations["run.modrun.plugins"]' <<<"$F")" \
    "^namespaces@[^,]+,cgroups-v[12]@[^,]+,mounts@[^,]+" \
    "features: the run.modrun.plugins annotation names the plugins with their versions"
  assert_eq "$(sed -n 2p <<<"$F")" '    "ociVersionMin": "1.0.0",' \
    "features: pretty-printed with four spaces, as runc prints it"
else
  skip "run.modrun.plugins is modrun's" 2
fi
rt features --help
[ "$RT_STATUS" = 0 ] && grep -q "features" <<<"$RT_OUT"
ok $? "features --help"
expect_error "features with an argument" "unexpected argument|requires exactly 0" features extra

# 2. ps.
cfg --arg cg "$CG_PARENT/p1" \
  '.process.args = ["/bin/sh", "-c", "sleep 101 & sleep 102 & exec /bin/mrtest wait-signal TERM"]
   | .linux.cgroupsPath = $cg'
rt run -d --bundle "$B" p1
assert_eq "$RT_STATUS" 0 "run -d p1 with two children" || diag "$RT_ERR"
init=$(ctr_pid p1)
for ((i = 0; i < 50; i++)); do
  [ "$(tr '\0' ' ' <"/proc/$init/cmdline" 2>/dev/null)" = "/bin/mrtest wait-signal TERM " ] &&
    break
  sleep 0.1
done
rt ps --format json p1
assert_eq "$RT_STATUS" 0 "ps --format json exits 0" || diag "$RT_ERR"
assert_eq "$(jq -c "[length, index($init) != null, (map(type) | unique)]" <<<"$RT_OUT" 2>&1)" \
  '[3,true,["number"]]' "ps --format json: the three pids, the init's among them" ||
  diag "$RT_OUT"
kids=$(pgrep -P "$init" | sort -n | tr '\n' ' ')
assert_eq "$(jq -r "map(select(. != $init)) | sort | map(tostring) | join(\" \")" \
  <<<"$RT_OUT") " "$kids" "ps --format json: the children started by sh"

rt ps p1
assert_eq "$RT_STATUS" 0 "ps exits 0" || diag "$RT_ERR"
assert_match "$(head -1 <<<"$RT_OUT")" "^UID +PID +PPID +C +STIME +TTY +TIME +CMD$" \
  "ps: the header of ps -ef"
assert_eq "$(sed 1d <<<"$RT_OUT" | awk '{ print $2 }' | sort -n | tr '\n' ' ')" \
  "$(jq -r 'sort | map(tostring) | join(" ")' <<<"$(timeout 10 $MODRUN ps -f json p1)") " \
  "ps: one line for each process of the container"
assert_match "$RT_OUT" "sleep 102$" "ps: a child's command line"

if [ "$RUNTIME_NAME" = modrun ]; then
  rt ps p1 -- -o pid,comm
else
  rt ps p1 -o pid,comm
fi
assert_eq "$RT_STATUS $(head -1 <<<"$RT_OUT" | awk '{ $1 = $1; print }')" "0 PID COMMAND" \
  "ps ID -- -o pid,comm: the options go to ps" || diag "$RT_ERR"
assert_eq "$(sed 1d <<<"$RT_OUT" | awk '{ print $2 }' | sort | tr '\n' ' ')" \
  "mrtest sleep sleep " "ps ID -- -o pid,comm: the container's commands"
expect_error "ps whose output has no PID column" "PID" ps p1 -o comm
expect_error "ps --format yaml" "table.*json|invalid format" ps --format yaml p1

# 3. events --stats.
rt events --stats p1
assert_eq "$RT_STATUS" 0 "events --stats exits 0" || diag "$RT_ERR"
assert_eq "$(jq -c '[.type, .id, (.data.memory | type), .data.pids.current]' <<<"$RT_OUT" 2>&1)" \
  '["stats","p1","object",3]' "events --stats: type, id, data.memory and data.pids" ||
  diag "$RT_OUT"
assert_eq "$(wc -l <<<"$RT_OUT")" 1 "events --stats prints one line"

# 4. update.
rt update --memory 32m --pids-limit 20 p1
assert_eq "$RT_STATUS" 0 "update --memory 32m --pids-limit 20" || diag "$RT_ERR"
assert_eq "$(cg_value p1 memory memory.limit_in_bytes memory.max) $(cg_value p1 pids pids.max pids.max)" \
  "33554432 20" "update sets the memory and pids limits"
echo '{"memory": {"limit": 50331648}, "pids": {"limit": 30}}' >"$TEST_TMP/res.json"
rt update -r "$TEST_TMP/res.json" p1
assert_eq "$RT_STATUS" 0 "update -r FILE" || diag "$RT_ERR"
assert_eq "$(cg_value p1 memory memory.limit_in_bytes memory.max) $(cg_value p1 pids pids.max pids.max)" \
  "50331648 30" "update -r FILE sets the limits of the file"
rt_in '{"pids": {"limit": 40}}' update -r - p1
assert_eq "$RT_STATUS" 0 "update -r -" || diag "$RT_ERR"
assert_eq "$(cg_value p1 memory memory.limit_in_bytes memory.max) $(cg_value p1 pids pids.max pids.max)" \
  "50331648 40" "update -r - changes the pids limit only"
if [ "$RUNTIME_NAME" = modrun ]; then
  assert_eq "$(jq -c '.linux.resources | [.memory.limit, .pids.limit]' "$TEST_ROOT/p1/config.json")" \
    "[50331648,40]" "update records the limits in the state's config.json"
else
  skip "the state's config.json is modrun's"
fi
assert_eq "$($MODRUN events --stats p1 2>&1 | jq .data.pids.limit)" 40 \
  "events --stats reports the new pids limit"

# expect_bad_resources DESCRIPTION SOURCE ERE ARGS...: exit 1, one error
# line matching ERE that names SOURCE (modrun; runc names none) and never
# config.json, which the update did not read.
expect_bad_resources ()
{
  local desc=$1 source=$2 ere=$3
  shift 3
  assert_eq "$RT_STATUS $(printf '%s' "$RT_ERR" | grep -c .)" "1 1" "$desc: exit 1, one error line"
  assert_match "$RT_ERR" "$ere" "$desc: says what is wrong" || diag "$RT_ERR"
  assert_no_match "$RT_ERR" "config\.json" "$desc: does not blame config.json"
  if [ "$RUNTIME_NAME" = modrun ]; then
    assert_match "$RT_ERR" "update: $source: " "$desc: names $source" || diag "$RT_ERR"
  else
    skip "$RUNTIME_NAME names no source"
  fi
}
rt_in '{"memory": ' update -r - p1
expect_bad_resources "update -r - with bad JSON" stdin "line 1|unexpected EOF"
rt_in '[1]' update -r - p1
expect_bad_resources "update -r - with an array" stdin "object|array"
rt_in '{"pids": {"limit": "x"}}' update -r - p1
expect_bad_resources "update -r - with a string for pids.limit" stdin "pids\.limit"
printf '{"pids": {"limit": 7}' >"$TEST_TMP/bad.json"
rt update -r "$TEST_TMP/bad.json" p1
expect_bad_resources "update -r FILE with bad JSON" "$TEST_TMP/bad.json" "line 1|unexpected EOF"
echo '{"pids": {"limit": true}}' >"$TEST_TMP/bad.json"
rt update -r "$TEST_TMP/bad.json" p1
expect_bad_resources "update -r FILE with a boolean for pids.limit" "$TEST_TMP/bad.json" \
  "pids\.limit"
expect_error "update with a bad size" "memory.*12x" update --memory 12x p1
expect_error "update -r with a missing file" "nosuch.json" update -r "$TEST_TMP/nosuch.json" p1
assert_eq "$(cg_value p1 pids pids.max pids.max)" 40 "failed updates leave the limits alone"

# 5. events until the container stops.
rt kill p1 TERM
wait_status p1 stopped 10
if [ "$RUNTIME_NAME" = modrun ]; then
  expect_error "ps of a stopped container" "container not running" ps p1
else
  skip "runc lists no process of a stopped container" 2
fi
expect_error "update of a stopped container" "container not running" update --pids-limit 5 p1
rt delete p1

cfg --arg cg "$CG_PARENT/e1" '.process.args = ["/bin/mrtest", "sleep", "2"]
                              | .linux.cgroupsPath = $cg'
rt run -d --bundle "$B" e1
if [ "$RUNTIME_NAME" = modrun ]; then
  timeout 20 $MODRUN events --interval 300ms e1 >"$TEST_TMP/events" 2>"$ERR"
  assert_eq "$?" 0 "events exits 0 when the container stops" || diag "$(cat "$ERR")"
  n=$(jq -s 'map(select(.type == "stats" and .id == "e1")) | length' "$TEST_TMP/events")
  [ "$(wc -l <"$TEST_TMP/events")" = "$n" ] && [ "$n" -ge 3 ] && [ "$n" -le 12 ]
  ok $? "events --interval 300ms: a stats line about every 300ms ($n in 2s)"
else
  skip "runc events goes on after the container stops" 2
  wait_status e1 stopped 10
fi
rt delete e1
expect_error "events with a bad interval" "interval.*5x|5x.*interval" events --interval 5x e1

# 6. Unknown ids.
expect_error "ps of an unknown id" "container does not exist" ps nosuch
expect_error "update of an unknown id" "container does not exist" update --memory 1m nosuch
expect_error "events of an unknown id" "container does not exist" events --stats nosuch

# 7. pause and resume of a container that is created but not started: it
# is paused while frozen, created again after resume, and start waits for
# the resume.
freezer ()
{
  case $(cg_value "$1" freezer freezer.state cgroup.freeze) in
    FROZEN | 1) echo frozen ;;
    THAWED | 0) echo thawed ;;
    *) echo "unknown: $(cg_value "$1" freezer freezer.state cgroup.freeze)" ;;
  esac
}
cfg --arg cg "$CG_PARENT/pc" '.process.args = ["/bin/mrtest", "wait-signal", "TERM"]
                              | .linux.cgroupsPath = $cg'
rt create --bundle "$B" pc
assert_eq "$RT_STATUS $(ctr_status pc)" "0 created" "create pc" || diag "$RT_ERR"
rt pause pc
assert_eq "$RT_STATUS $(ctr_status pc) $(freezer pc)" "0 paused frozen" \
  "pause of a created container freezes it, and state says paused" || diag "$RT_ERR"
expect_error "pause of a paused container" "container not running" pause pc
expect_error "start of a paused created container" \
  "cannot start a container in the paused state" start pc
assert_eq "$(ctr_status pc) $(freezer pc)" "paused frozen" "a refused start leaves it paused"
rt resume pc
assert_eq "$RT_STATUS $(ctr_status pc) $(freezer pc)" "0 created thawed" \
  "resume of a paused created container thaws it, and state says created again" ||
  diag "$RT_ERR"
expect_error "resume of a created container" "container not paused" resume pc
rt start pc
assert_eq "$RT_STATUS" 0 "start after resume" || diag "$RT_ERR"
wait_status pc running 10
ok $? "the started container runs"
rt pause pc
assert_eq "$RT_STATUS $(ctr_status pc) $(freezer pc)" "0 paused frozen" \
  "pause of the running container" || diag "$RT_ERR"
expect_error "start of a paused running container" \
  "cannot start a container in the paused state" start pc
rt resume pc
assert_eq "$RT_STATUS $(ctr_status pc) $(freezer pc)" "0 running thawed" \
  "resume of the running container" || diag "$RT_ERR"
rt kill pc TERM
wait_status pc stopped 10
ok $? "the container ends on TERM after pause and resume"
rt delete pc
assert_eq "$RT_STATUS" 0 "delete pc" || diag "$RT_ERR"

rt create --bundle "$B" pc
rt pause pc
assert_eq "$RT_STATUS $(ctr_status pc)" "0 paused" "pause of a second created container" ||
  diag "$RT_ERR"
expect_error "delete of a paused created container" "not stopped" delete pc
rt delete --force pc
assert_eq "$RT_STATUS $(ctr_status pc)" "0 " "delete --force of a paused created container" ||
  diag "$RT_ERR"

assert_no_leftovers
