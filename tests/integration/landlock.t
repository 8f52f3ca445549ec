#!/bin/bash
# landlock: the annotation run.modrun.landlock restricts the container's
# processes on the filesystem: writes, reads and executions outside its
# rules fail with EACCES inside the container, while the runtime's own
# steps (the exec fifo of create and start) are not bound; the plugin is
# loaded only for a container that asks; a malformed annotation, a path
# missing in the container, a selection without the plugin or a process
# that could not restrict itself are refused with one line, exit status 1
# and nothing left behind.
. "$(dirname "$0")/lib.sh"

plan 82

B=$TEST_TMP/bundle
ANN=run.modrun.landlock

if ! $MODRUN features | jq -e --arg a "$ANN" '.annotations[$a]' >/dev/null; then
  skip_all "the landlock plugin is not usable here (no Landlock in the kernel?)"
fi

# The value of KEY in `key: value` lines.
field ()
{
  printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { sub(/^[^:]*: /, ""); print; exit }'
}

# ll_bundle RULES SHELL-COMMAND: a fresh bundle with a writable root whose
# process runs SHELL-COMMAND under /bin/sh, with the annotation set to
# RULES unless RULES is "-".
ll_bundle ()
{
  make_bundle "$B"
  cfg --arg cmd "$2" '.root.readonly = false | .process.args = ["/bin/sh", "-c", $cmd]'
  # A directory anyone may write to, outside /tmp: only Landlock denies it.
  mkdir -m 1777 "$B/rootfs/pub"
  if [ "$1" != - ]; then
    cfg --arg a "$ANN" --arg r "$1" '.annotations[$a] = $r'
  fi
}

# The plugins state.json records for container ID.
recorded_plugins ()
{
  jq -r .plugins "$TEST_ROOT/$1/state.json" 2>/dev/null
}

# refused DESCRIPTION ERE ARGS...: the runtime with ARGS exits 1 with one
# line on stderr matching ERE and leaves nothing behind.
refused ()
{
  local desc=$1 ere=$2 err
  shift 2
  timeout -k 5 30 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "$desc: exit 1, one line on stderr" ||
    diag "stderr:" "$(cat "$TEST_TMP/err")"
  err=$(cat "$TEST_TMP/err")
  assert_match "$err" "$ere" "$desc: the message says \"$ere\""
  assert_no_leftovers "$desc: nothing left behind"
}

probe='echo "tmp: $(mrtest write /tmp/f hello)"
       echo "etc: $(mrtest write /etc/f x 2>&1)"
       echo "root: $(mrtest write /f x 2>&1)"
       echo "pub: $(mrtest write /pub/f x 2>&1)"
       echo "mkdir: $(mkdir /newdir 2>&1 && echo ok)"
       echo "read: $(mrtest cat /etc/passwd | head -n 1)"
       echo "readback: $(mrtest cat /tmp/f)"'

# 1. Read everything, write /tmp only.
ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' "$probe"
run_ctr rw
assert_eq "$RUN_STATUS" 0 "a container with Landlock rules runs" || diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" tmp)" ok "a write beneath a read_write path works"
assert_eq "$(field "$RUN_STDOUT" readback)" hello "and reads back"
assert_eq "$(field "$RUN_STDOUT" etc)" "error: EACCES" "a write to /etc fails with EACCES"
assert_eq "$(field "$RUN_STDOUT" root)" "error: EACCES" "a write to / fails with EACCES"
assert_eq "$(field "$RUN_STDOUT" pub)" "error: EACCES" \
  "a write to a world-writable directory outside the rules fails with EACCES"
assert_match "$(field "$RUN_STDOUT" mkdir)" "Permission denied" "mkdir / fails with EACCES"
assert_eq "$(field "$RUN_STDOUT" read)" "root:x:0:0:root:/root:/bin/sh" \
  "a read beneath a read_only path works"
assert_eq "$(cat "$B/rootfs/tmp/f" 2>/dev/null)" hello "the write reached the rootfs"
[ ! -e "$B/rootfs/etc/f" ] && [ ! -e "$B/rootfs/f" ] && [ ! -e "$B/rootfs/newdir" ]
ok $? "the denied writes left no file in the rootfs"

# The same process without the annotation writes everywhere: the denials
# above are Landlock's, not the rootfs's.
ll_bundle - "$probe"
run_ctr plain
assert_eq "$(field "$RUN_STDOUT" etc) $(field "$RUN_STDOUT" root) $(field "$RUN_STDOUT" pub) \
$(field "$RUN_STDOUT" mkdir)" "ok ok ok ok" "without the annotation the same writes work"

# 2. Reads outside every rule. A rule on a file grants that file only.
ll_bundle '{"read_only": ["/bin", "/etc/passwd"], "read_write": ["/tmp"]}' \
  'echo "passwd: $(mrtest cat /etc/passwd | head -n 1)"
   echo "group: $(mrtest cat /etc/group 2>&1)"
   echo "lsetc: $(mrtest ls /etc 2>&1)"
   echo "lsbin: $(mrtest ls /bin | grep -c .)"
   echo "proc: $(mrtest cat /proc/self/status 2>&1 | head -n 1)"'
run_ctr ro
assert_eq "$RUN_STATUS" 0 "a container reading little runs" || diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" passwd)" "root:x:0:0:root:/root:/bin/sh" \
  "a file named by a rule is readable"
assert_eq "$(field "$RUN_STDOUT" group)" "error: EACCES" \
  "its neighbour, outside every rule, is not (EACCES)"
assert_eq "$(field "$RUN_STDOUT" lsetc)" "error: EACCES" "nor is the directory listable"
assert_match "$(field "$RUN_STDOUT" lsbin)" "^[1-9][0-9]*$" "a directory named by a rule is"
assert_eq "$(field "$RUN_STDOUT" proc)" "error: EACCES" "/proc outside the rules is not readable"

# 3. Execution: with an execute list, only files beneath it run.
exec_probe='echo "bin: $(mrtest exec /bin/echo run 2>&1)"
            echo "opt: $(mrtest exec /opt/busybox echo run 2>&1)"
            echo "optread: $(mrtest cat /opt/busybox | head -c 4 | tail -c 3)"'
ll_bundle '{"read_only": ["/"], "execute": ["/bin"]}' "$exec_probe"
mkdir -p "$B/rootfs/opt" && cp "$B/rootfs/bin/busybox" "$B/rootfs/opt/busybox"
run_ctr ex
assert_eq "$RUN_STATUS" 0 "a container with an execute list runs" || diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" bin)" run "a binary beneath an execute path runs"
assert_eq "$(field "$RUN_STDOUT" opt)" "error: EACCES" \
  "a binary outside the execute paths does not (EACCES)"
assert_eq "$(field "$RUN_STDOUT" optread)" ELF "though it can be read"

ll_bundle '{"read_only": ["/"]}' "$exec_probe"
mkdir -p "$B/rootfs/opt" && cp "$B/rootfs/bin/busybox" "$B/rootfs/opt/busybox"
run_ctr noexec
assert_eq "$(field "$RUN_STDOUT" opt)" run "without an execute list, execution is not restricted"

ll_bundle '{"read_only": ["/"], "execute": []}' 'echo never'
run_ctr noexec2
assert_eq "$RUN_STATUS $RUN_STDOUT" "127 " "an empty execute list lets not even the process run"
assert_match "$RUN_STDERR" "Permission denied" "its exec fails with EACCES" ||
  diag "$RUN_STDERR"

# 4. The plugin is loaded for a container that asks, and only then.
# create_start ID [GLOBAL-OPTIONS]: create, start and wait for ID on
# $BUNDLE; its process writes what it has to say into /tmp/out.
create_start ()
{
  local id=$1
  shift
  $MODRUN "$@" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>"$TEST_TMP/err"
  assert_eq "$? $(cat "$TEST_TMP/err")" "0 " "$id: create"
  PLUGINS=$(recorded_plugins "$id")
  $MODRUN start "$id" >/dev/null 2>&1
  wait_status "$id" stopped
  ok $? "$id: start, and the container runs to its end"
  $MODRUN delete "$id" >/dev/null 2>&1
}

ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' 'mrtest write /etc/f x >/tmp/out'
create_start with
assert_match "$PLUGINS" "(^|,)landlock(,|$)" "the state records the landlock plugin"
assert_eq "$(cat "$B/rootfs/tmp/out")" "error: EACCES" "the rules apply after create and start"

ll_bundle - 'true'
$MODRUN create --bundle "$B" without </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(cat "$TEST_TMP/err")" "0 " "create without the annotation"
assert_no_match "$(recorded_plugins without)" "landlock" "the state has no landlock plugin" ||
  diag "$(recorded_plugins without)"
$MODRUN delete --force without >/dev/null 2>&1
assert_no_leftovers "create and delete, with and without rules, leave nothing"

ll_bundle - 'mrtest write /etc/f x >/tmp/out'
create_start plus --plugins +landlock
assert_match "$PLUGINS" "(^|,)landlock(,|$)" "+landlock loads the plugin without the annotation"
assert_eq "$(cat "$B/rootfs/tmp/out")" ok "which then restricts nothing"

# 5. A container asking for Landlock never runs without it.
ll_bundle '{"read_only": ["/"]}' true
refused "--plugins -landlock" "annotations\.run\.modrun\.landlock is set, but the plugin selection has no landlock plugin" \
  --plugins -landlock run --bundle "$B" minus
MODRUN_PLUGINS=-landlock refused "MODRUN_PLUGINS=-landlock" "no landlock plugin: refusing" \
  run --bundle "$B" minus

# 6. Bad annotations, refused before anything changes.
bad_rules ()
{
  ll_bundle "$2" true
  refused "$1" "$3" run --bundle "$B" bad
}
bad_rules "malformed JSON" '{"read_only": ["/"' \
  '^modrun: landlock: validate: annotation run\.modrun\.landlock: not valid JSON at offset 18: expected'
bad_rules "unknown member" '{"read_only": ["/"], "write": ["/tmp"]}' \
  'annotation run\.modrun\.landlock: unknown member "write", expected read_only, read_write or execute'
bad_rules "relative path" '{"read_write": ["/tmp", "data"]}' \
  'annotation run\.modrun\.landlock: read_write\[1\]: "data" is not an absolute path'
bad_rules "a string for a list" '{"execute": "/bin"}' \
  'annotation run\.modrun\.landlock: execute: expected an array of absolute paths, got string'
bad_rules "a number in a list" '{"read_only": [1]}' \
  'annotation run\.modrun\.landlock: read_only\[0\]: expected a string \(an absolute path\), got number'
bad_rules "not an object" '["/"]' \
  'annotation run\.modrun\.landlock: the document: expected a JSON object of path lists, got array'

# 7. A path the container lacks fails create, not start.
ll_bundle '{"read_only": ["/"], "read_write": ["/data"]}' true
refused "a missing path" \
  'landlock: child_after_pivot: annotation run\.modrun\.landlock: read_write: "/data" does not exist in the container' \
  create --bundle "$B" missing

# 8. Without no_new_privs the process must keep CAP_SYS_ADMIN to restrict
# itself.
ll_bundle '{"read_only": ["/"]}' true
cfg '.process.noNewPrivileges = false'
refused "noNewPrivileges false" \
  'annotation run\.modrun\.landlock: Landlock needs process\.noNewPrivileges true, or CAP_SYS_ADMIN in process\.capabilities\.effective' \
  run --bundle "$B" nnp

ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' "$probe; grep NoNewPrivs /proc/self/status"
cfg '.process.noNewPrivileges = false
     | .process.capabilities |= map_values(. + ["CAP_SYS_ADMIN"])'
run_ctr sysadmin
assert_eq "$RUN_STATUS" 0 "with CAP_SYS_ADMIN and no no_new_privs it runs" || diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" pub) $(field "$RUN_STDOUT" tmp)" "error: EACCES ok" \
  "and the rules apply"
assert_match "$RUN_STDOUT" "NoNewPrivs:[[:space:]]+0" "no_new_privs stays unset"

# A process of another user, and one in a user namespace, restrict
# themselves the same way.
ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' "$probe; id -u"
cfg '.process.user = {uid: 1000, gid: 1000}'
run_ctr user
assert_eq "$(field "$RUN_STDOUT" tmp) $(field "$RUN_STDOUT" pub) $(tail -n 1 <<<"$RUN_STDOUT")" \
  "ok error: EACCES 1000" "a process of uid 1000 is restricted" || diag "$RUN_STDERR"

chmod 0711 "$TEST_TMP"
ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' "$probe"
cfg '.linux.namespaces += [{"type": "user"}]
     | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
chown -R 100000:100000 "$B/rootfs/tmp"
run_ctr userns
assert_eq "$(field "$RUN_STDOUT" tmp) $(field "$RUN_STDOUT" pub)" "ok error: EACCES" \
  "a process in a new user namespace is restricted" || diag "$RUN_STDERR"

# 9. With a seccomp filter too: Landlock goes in first, then the filter.
ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' \
  "$probe; echo \"mkdirtmp: \$(mkdir /tmp/d 2>&1 && echo ok)\"; grep Seccomp: /proc/self/status"
cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
       syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
run_ctr both
assert_eq "$RUN_STATUS" 0 "Landlock rules and a seccomp filter together" || diag "$RUN_STDERR"
assert_eq "$(field "$RUN_STDOUT" tmp) $(field "$RUN_STDOUT" etc)" "ok error: EACCES" \
  "the Landlock rules apply"
assert_match "$(field "$RUN_STDOUT" mkdirtmp)" "No message of desired type" \
  "and so does the filter"
assert_match "$RUN_STDOUT" "^Seccomp:[[:space:]]+2$" "Seccomp in /proc/self/status is 2 (filter)"

# 10. features tells the annotation and the kernel's ABI.
feat=$($MODRUN features)
assert_eq "$(jq -r --arg a "$ANN" '.annotations[$a]' <<<"$feat")" "read_only,read_write,execute" \
  "features names the annotation and its members"
assert_match "$(jq -r --arg a "$ANN.abi" '.annotations[$a]' <<<"$feat")" '^[1-9][0-9]*$' \
  "features tells the Landlock ABI"
assert_match "$(jq -r '.annotations["run.modrun.plugins"]' <<<"$feat")" "landlock@" \
  "and lists the plugin among those used"

# 11. A process that `modrun exec` starts in the container is under the
# same rules as the init.
ll_bundle '{"read_only": ["/"], "read_write": ["/tmp"]}' 'sleep 60'
cfg '.process.noNewPrivileges = true'
$MODRUN run --detach --bundle "$BUNDLE" ll-exec </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(cat "$TEST_TMP/err")" "0 " "ll-exec: run --detach"
out=$($MODRUN exec ll-exec /bin/mrtest write /etc/exec-probe x 2>/dev/null)
assert_eq "$? $out" "1 error: EACCES" \
  "exec: a write outside the rules fails with EACCES"
out=$($MODRUN exec ll-exec /bin/mrtest write /tmp/exec-probe x 2>&1)
assert_eq "$? $out" "0 ok" "exec: a write under read_write works"
assert_eq "$(grep -c . "$B/rootfs/etc/exec-probe" 2>/dev/null || echo absent)" absent \
  "exec: nothing was written outside the rules"
$MODRUN delete --force ll-exec >/dev/null 2>&1

assert_no_leftovers
