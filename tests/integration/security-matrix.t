#!/bin/bash
# security-matrix: the same containers run with each security plugin off
# and on, alone and all together, under two process profiles (root with
# no_new_privs; a user with extra groups, ambient capabilities, rlimits and
# no no_new_privs). Inside, mrtest reports what the process sees. A plugin
# changes only what it is for (seccomp: the Seccomp fields and the syscalls
# it filters; landlock: file access; apparmor: the LSM label); capabilities,
# ids, groups, rlimits, no_new_privs and the rest are identical to the run
# without it. A config asking for a plugin that the selection removes is
# refused.
#
# A plugin is a row. To add one, write
#   row_usable_NAME      sets WHY to why the row cannot run here, or to nothing
#   row_on_NAME          edits the current bundle's config to ask for it
#   row_check_NAME PROFILE OFF ON
#                        asserts what it changes, OFF and ON being mrtest's
#                        output without and with it
# set ROW_CHANGES[NAME] to the aspects (see `aspect`) it may change, and add
# NAME to ROWS. The seccomp row always runs; the others run when their
# plugin is in the build (a usable entry in `modrun plugins`, or
# plugins/NAME/.libs/NAME.so under the build tree).
. "$(dirname "$0")/lib.sh"

B=$TEST_TMP/bundle
ROWS=${MATRIX_ROWS:-"seccomp landlock apparmor"}
declare -A ROW_CHANGES=([seccomp]="seccomp syscalls" [landlock]="fs" [apparmor]="lsm")
ASPECTS="creds rlimits nnp process seccomp syscalls fs lsm"

# What the container runs: a report, syscalls that the seccomp row filters
# by number and by argument, and, last, a write that the landlock row denies.
CALLS="getppid sched_yield getpriority:2:0 getpriority:0:0 personality:0xffffffff"
# shellcheck disable=SC2086
ARGS=$(jq -cn --arg calls "$CALLS" '["/bin/mrtest", "report", "--", "syscall"]
  + ($calls | split(" ")) + ["--", "write", "/tmp/matrix-probe", "x"]')

field ()
{
  printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { sub(/^[^:]*: /, ""); print; exit }'
}

# aspect NAME OUTPUT: the lines of mrtest's OUTPUT that make up one aspect
# of what the process sees.
aspect ()
{
  case $1 in
    creds) printf '%s\n' "$2" |
      grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|e?uid|suid|fsuid|e?gid|sgid|fsgid|groups):' ;;
    rlimits) printf '%s\n' "$2" | grep -E '^rlimit\.' ;;
    nnp) printf '%s\n' "$2" | grep -E '^NoNewPrivs:' ;;
    process) printf '%s\n' "$2" | grep -E '^(hostname|umask|cwd|env|oom_score_adj):' ;;
    seccomp) printf '%s\n' "$2" | grep -E '^Seccomp(_filters)?:' ;;
    syscalls) printf '%s\n' "$2" | grep -E '^(getppid|sched_yield|getpriority|personality)[^ ]*: ' ;;
    fs) printf '%s\n' "$2" | tail -n 1 ;;
    lsm) printf '%s\n' "$2" | grep -E '^lsm\.current:' ;;
  esac
}

# --- the process profiles (columns) ---

profile_root ()
{
  cfg --argjson args "$ARGS" '.process.args = $args | .root.readonly = false'
}

# A user with supplementary groups, an ambient capability, its own rlimits
# and umask, and no no_new_privs: the seccomp filter is then loaded while
# the init still has the capabilities to do so without it (Landlock refuses
# this profile: see refused_here).
profile_user ()
{
  cfg --argjson args "$ARGS" '.process.args = $args | .root.readonly = false
    | .process.user = {uid: 1000, gid: 1000, additionalGids: [100, 5], umask: 23}
    | .process.noNewPrivileges = false
    | .process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}
    | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 256, hard: 512},
                          {type: "RLIMIT_CORE", soft: 0, hard: 0},
                          {type: "RLIMIT_NPROC", soft: 4000, hard: 5000}]'
}

# What each profile's run without plugins must show, so that a comparison
# of two equally wrong runs does not pass.
check_profile_root ()
{
  local out=$1
  assert_eq "$(field "$out" uid) $(field "$out" gid) $(field "$out" NoNewPrivs)" "0 0 1" \
    "root: uid 0, gid 0, no_new_privs set"
  assert_eq "$(field "$out" CapEff) $(field "$out" CapBnd)" \
    "0000000020000420 0000000020000420" "root: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE"
  assert_eq "$(field "$out" rlimit.RLIMIT_NOFILE)" "1024 1024" "root: RLIMIT_NOFILE 1024"
}

check_profile_user ()
{
  local out=$1
  assert_eq "$(field "$out" uid) $(field "$out" gid) $(field "$out" groups | tr ' ' '\n' |
    sort -n | xargs) $(field "$out" NoNewPrivs) $(field "$out" umask)" "1000 1000 5 100 0 0027" \
    "user: uid and gid 1000, groups 5 and 100, no_new_privs unset, umask 0027"
  assert_eq "$(field "$out" CapAmb) $(field "$out" CapEff) $(field "$out" CapInh) \
$(field "$out" CapBnd)" "0000000000000400 0000000000000400 0000000000000400 0000000000000421" \
    "user: CAP_NET_BIND_SERVICE ambient and effective, CAP_CHOWN and CAP_KILL only bounding"
  assert_eq "$(field "$out" rlimit.RLIMIT_NOFILE), $(field "$out" rlimit.RLIMIT_CORE), \
$(field "$out" rlimit.RLIMIT_NPROC)" "256 512, 0 0, 4000 5000" "user: its three rlimits"
}

# --- the rows ---

row_usable_seccomp ()
{
  WHY=
}

row_on_seccomp ()
{
  cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
      {names: ["sched_yield"], action: "SCMP_ACT_ERRNO", errnoRet: 42},
      {names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 33,
       args: [{index: 0, value: 2, op: "SCMP_CMP_EQ"}]}]}'
}

row_check_seccomp ()
{
  local p=$1 off=$2 on=$3
  assert_eq "$(field "$off" Seccomp) $(field "$on" Seccomp)" "0 2" \
    "$p, seccomp: Seccomp 0 without the plugin, 2 with it"
  assert_eq "$(field "$on" Seccomp_filters)" "$(($(field "$off" Seccomp_filters) + 1))" \
    "$p, seccomp: one more filter in Seccomp_filters"
  assert_eq "$(aspect syscalls "$off" | grep -vc ': ok$')" 0 \
    "$p, seccomp: without the plugin every probed syscall works"
  assert_eq "$(aspect syscalls "$on" | xargs)" "getppid: ok sched_yield: error ENOMSG \
getpriority:2:0: error EDOM getpriority:0:0: ok personality:0xffffffff: ok" \
    "$p, seccomp: filtered syscalls fail with their errnoRet, by number and by argument; others work"
}

# Whether the build's plugin NAME is usable: sets WHY as row_usable does,
# and adds the plugin's directory to the search path when it is not in it.
plugin_usable ()
{
  local name=$1 so list
  WHY="a plugin of modrun's"
  [ "$RUNTIME_NAME" = modrun ] || return
  list=$($MODRUN plugins --format json 2>/dev/null)
  if ! jq -e --arg n "$name" 'any(.[]; .name == $n)' <<<"$list" >/dev/null 2>&1; then
    so=${TOP_BUILDDIR:-/nonexistent}/plugins/$name/.libs/$name.so
    WHY="no $name plugin in this build"
    [ -f "$so" ] || return
    MODRUN_PLUGIN_PATH=${MODRUN_PLUGIN_PATH:+$MODRUN_PLUGIN_PATH:}$(dirname "$so")
    export MODRUN_PLUGIN_PATH
    list=$($MODRUN plugins --format json 2>/dev/null)
  fi
  WHY=$(jq -r --arg n "$name" 'first(.[] | select(.name == $n)) |
    if .usable then "" else "the \($n) plugin is not usable here: \(.probe)" end' <<<"$list")
}

# Landlock: everything may be read, /bin executed and /dev written; the
# write to /tmp that the container makes last is denied.
row_usable_landlock ()
{
  plugin_usable landlock
}

row_on_landlock ()
{
  cfg --arg rules '{"read_only": ["/"], "read_write": ["/dev"], "execute": ["/bin"]}' \
    '.annotations["run.modrun.landlock"] = $rules'
}

row_check_landlock ()
{
  local p=$1 off=$2 on=$3
  assert_eq "$(aspect fs "$off") / $(aspect fs "$on")" "ok / error: EACCES" \
    "$p, landlock: writing /tmp works without it, fails with EACCES with it"
}

# AppArmor: a profile of this test that allows everything, loaded for the
# test; the container's label is its name.
AA_PROFILE=modrun-matrix-$$
AA_LOADED=
row_usable_apparmor ()
{
  plugin_usable apparmor
  [ -n "$WHY" ] && return
  WHY="AppArmor is not enabled on this host"
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || return
  WHY="no apparmor_parser"
  command -v apparmor_parser >/dev/null || return
  WHY="apparmor_parser cannot load $AA_PROFILE"
  printf 'profile %s flags=(attach_disconnected,mediate_deleted) {\n  %s\n}\n' "$AA_PROFILE" \
    'file, capability, network, signal, ptrace, mount, umount, pivot_root, unix, dbus,' |
    apparmor_parser -r >/dev/null 2>&1 || return
  AA_LOADED=1
  WHY=
}

row_on_apparmor ()
{
  cfg --arg p "$AA_PROFILE" '.process.apparmorProfile = $p'
}

row_check_apparmor ()
{
  local p=$1 off=$2 on=$3
  assert_match "$(aspect lsm "$on")" "^lsm\.current: $AA_PROFILE \(enforce\)$" \
    "$p, apparmor: the process runs confined by the profile" ||
    diag "without it: $(aspect lsm "$off")"
}

unload_apparmor ()
{
  [ -n "$AA_LOADED" ] && printf 'profile %s {}\n' "$AA_PROFILE" | apparmor_parser -R 2>/dev/null
  AA_LOADED=
}

# --- running the matrix ---

# run_matrix PROFILE ROW...: a fresh bundle of PROFILE with the ROWS on;
# sets OUT to what the container printed.
run_matrix ()
{
  local p=$1 row
  shift
  make_bundle "$B" "m-$p"
  "profile_$p"
  for row in "$@"; do
    "row_on_$row"
  done
  run_ctr "m-$p"
  OUT=$RUN_STDOUT
  # The last command is a write a row may deny: the status is 1 then.
  if [ "$RUN_STATUS" != 0 ] && [ "$RUN_STATUS" != 1 ]; then
    diag "run $p with [$*]: exit $RUN_STATUS" "$RUN_STDERR"
  fi
}

# The aspects no row of the list changes must equal the run without them.
check_unchanged ()
{
  local label=$1 off=$2 on=$3 a row changed=" "
  shift 3
  for row in "$@"; do
    changed+="${ROW_CHANGES[$row]} "
  done
  for a in $ASPECTS; do
    [[ $changed == *" $a "* ]] && continue
    assert_eq "$(aspect "$a" "$on")" "$(aspect "$a" "$off")" "$label: $a as without it" ||
      diag "$(diff <(aspect "$a" "$off") <(aspect "$a" "$on"))"
  done
}

# What the container wrote on stderr, less the denial of the last write
# that a row may cause on purpose (that denial is checked by its row).
expected_stderr ()
{
  printf '%s\n' "$RUN_STDERR" | grep -v -x 'mrtest: /tmp/matrix-probe: Permission denied'
}

# refused_here PROFILE ROW: Landlock can only restrict a process that has
# no_new_privs or CAP_SYS_ADMIN; the user profile has neither, and the
# landlock plugin refuses such a container at create rather than set
# no_new_privs behind the user's back. Checks that refusal; true when the
# row was refused.
refused_here ()
{
  [ "$RUNTIME_NAME" = modrun ] && [ "$1" = user ] && [ "$2" = landlock ] || return 1
  assert_eq "$RUN_STATUS $(grep -c . <<<"$RUN_STDERR")" "1 1" \
    "$1, $2: refused, exit 1, one line" || diag "$RUN_STDERR"
  assert_match "$RUN_STDERR" "landlock.*noNewPrivileges" \
    "$1, $2: the error names landlock and noNewPrivileges"
  assert_no_leftovers "$1, $2: nothing left behind"
  return 0
}

trap 'unload_apparmor; cleanup_test' EXIT
AVAILABLE=
declare -A WHY_NOT
for row in $ROWS; do
  "row_usable_$row"
  WHY_NOT[$row]=$WHY
  if [ -z "$WHY" ]; then
    AVAILABLE+=" $row"
  else
    diag "row $row: ${WHY_NOT[$row]}"
  fi
done

for p in root user; do
  run_matrix "$p"
  off=$OUT
  [ "$p" = root ] && off_root=$OUT
  assert_eq "$RUN_STATUS $(aspect fs "$off")" "0 ok" "$p: runs without security plugins" ||
    diag "$RUN_STDERR"
  assert_eq "$RUN_STDERR" "" "$p: nothing on stderr without plugins"
  "check_profile_$p" "$off"

  for row in $ROWS; do
    if [[ " $AVAILABLE " != *" $row "* ]]; then
      skip "row $row: ${WHY_NOT[$row]}"
      continue
    fi
    run_matrix "$p" "$row"
    if refused_here "$p" "$row"; then
      continue
    fi
    assert_eq "$(expected_stderr)" "" "$p, $row: runs, nothing on stderr"
    "row_check_$row" "$p" "$off" "$OUT"
    check_unchanged "$p, $row" "$off" "$OUT" "$row"
  done

  # All the rows at once: each does its part, the rest stays as it was.
  rows=
  for row in $AVAILABLE; do
    [ "$p" = user ] && [ "$row" = landlock ] && continue
    rows+=" $row"
  done
  [ "$(wc -w <<<"$rows")" -ge 2 ] || continue
  # shellcheck disable=SC2086
  run_matrix "$p" $rows
  assert_eq "$(expected_stderr)" "" "$p, all of [$rows ]: runs, nothing on stderr"
  for row in $rows; do
    "row_check_$row" "$p, all" "$off" "$OUT"
  done
  # shellcheck disable=SC2086
  check_unchanged "$p, all" "$off" "$OUT" $rows
done

# A config that asks for a plugin the selection removes is refused: never
# run with less isolation than asked.
for row in $AVAILABLE; do
  [ "$RUNTIME_NAME" = modrun ] || break
  make_bundle "$B" refused
  profile_root
  "row_on_$row"
  timeout -k 5 30 $MODRUN --plugins "-$row" run --bundle "$B" refused </dev/null \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" \
    "$row asked for, --plugins -$row: exit 1, one line on stderr" ||
    diag "stderr:" "$(cat "$TEST_TMP/err")"
  assert_match "$(cat "$TEST_TMP/err")" "$row" "$row asked for, --plugins -$row: the error names it"
  assert_no_leftovers "$row asked for, --plugins -$row: nothing left behind"
done

# Removing a plugin the config does not ask for changes nothing.
if [ "$RUNTIME_NAME" = modrun ]; then
  make_bundle "$B" m-minus
  profile_root
  timeout -k 5 30 $MODRUN --plugins -seccomp run --bundle "$B" m-minus </dev/null \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  assert_eq "$?" 0 "--plugins -seccomp with no linux.seccomp runs" || diag "$(cat "$TEST_TMP/err")"
  check_unchanged "root, --plugins -seccomp" "$off_root" "$(cat "$TEST_TMP/out")"
fi
assert_no_leftovers
done_testing
