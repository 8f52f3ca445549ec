#!/bin/bash
# bad-input: every mistake of a user is refused with one line on stderr
# that names the file, field, id or plugin at fault, exit status 1, and
# nothing left behind: no state, no cgroup, no mount, no process.
. "$(dirname "$0")/lib.sh"

plan 87

B=$TEST_TMP/bundle

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

# bad_config DESCRIPTION ERE JQ-FILTER: run refused with this config edit.
bad_config ()
{
  make_bundle "$B" bad
  cfg "$3"
  refused "$1" "$2" run --bundle "$B" bad
}

# 1. config.json that is not JSON or not there.
make_bundle "$B" bad
printf '{\n  "ociVersion": "1.0.2",\n  "process": {"args": [1,, 2]}\n}\n' >"$B/config.json"
refused "malformed JSON" "config\.json: line 3, column [0-9]+" run --bundle "$B" bad
printf '{\n  "ociVersion": "1.0.2",\n  "process": {\n' >"$B/config.json"
refused "truncated JSON" "config\.json: line [34], column [0-9]+: unexpected end of input" \
  run --bundle "$B" bad
rm "$B/config.json"
ln -s /dev/zero "$B/config.json"
refused "a config.json that never ends" "config\.json.*larger than" run --bundle "$B" bad
rm "$B/config.json"
refused "no config.json" "config\.json.*(No such file|does not exist)" run --bundle "$B" bad

# 2. Wrong types name the field.
bad_config "process.args a string" "process\.args: expected .*array.*, got string" \
  '.process.args = "/bin/true"'
bad_config "process.args empty" "process\.args: .*non-empty" '.process.args = []'
bad_config "process.user.uid a string" "process\.user\.uid: expected .*integer.*, got string" \
  '.process.user.uid = "0"'
bad_config "process.env[1] a number" \
  "process\.env\[1\]: expected .*string.*, got (number|integer)" '.process.env[1] = 3'
bad_config "process.cwd relative" "process\.cwd: expected an absolute path" '.process.cwd = "tmp"'
bad_config "root.readonly a string" "root\.readonly: expected .*bool.*, got string" \
  '.root.readonly = "yes"'
# config.md: ociVersion is SemVer 2.0.0; invalid values must be refused.
bad_config "ociVersion not SemVer" 'ociVersion: expected a SemVer version such as "1\.0\.2", got "1\.02\.0"' \
  '.ociVersion = "1.02.0"'
bad_config "ociVersion of another major version" 'ociVersion: "2\.0\.0" is not supported' \
  '.ociVersion = "2.0.0"'
bad_config "linux.personality of an unknown domain" \
  'linux\.personality\.domain: expected "LINUX" or "LINUX32", got "PER_BSD"' \
  '.linux.personality = {domain: "PER_BSD"}'
bad_config "linux.personality with flags" 'linux\.personality\.flags: no flag is supported' \
  '.linux.personality = {domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"]}'
bad_config "linux.personality not an object" 'linux\.personality: expected object, got string' \
  '.linux.personality = "LINUX32"'
bad_config "linux.intelRdt, which modrun cannot apply" 'linux\.intelRdt: Intel RDT is not supported' \
  '.linux.intelRdt = {closID: "x"}'
make_bundle "$B" semver
cfg '.ociVersion = "1.0.2-rc.1+build-5" | .process.args = ["/bin/true"]'
run_ctr semver
assert_eq "$RUN_STATUS" 0 "an ociVersion with pre-release and build parts runs" || diag "$RUN_STDERR"

# 3. What a run cannot do without.
bad_config "missing rootfs" "root\.path: .*nonexistent.* does not exist" \
  '.root.path = "nonexistent"'
bad_config "missing process for run" "config\.json: process.*required" 'del(.process)'
bad_config "a program that does not exist" "/bin/nosuch" '.process.args = ["/bin/nosuch"]'
if [ "$RUNTIME_NAME" = modrun ]; then
  # This host runs neither LSM (lsm.t has the cases with a plugin removed).
  bad_config "an AppArmor profile on a host without AppArmor" \
    'apparmor: .*process\.apparmorProfile is "x", but AppArmor is not enabled' \
    '.process.apparmorProfile = "x"'
  bad_config "an SELinux label on a host without SELinux" \
    'selinux: .*process\.selinuxLabel is "l", but SELinux is not enabled' \
    '.process.selinuxLabel = "l"'
else
  skip "modrun's wording for an LSM label it cannot apply" 6
fi

# 4. Ids.
refused "delete of an unknown id" "nosuch: container does not exist" delete nosuch
refused "an id with a slash" "invalid container ID" run --bundle "$B" ../x

make_bundle "$B" dup
cfg '.process.args = ["/bin/mrtest", "sleep", "60"]'
timeout 30 $MODRUN create --bundle "$B" dup </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$?" 0 "create dup" || diag "$(cat "$TEST_TMP/err")"
timeout 30 $MODRUN create --bundle "$B" dup </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "create of an id in use: exit 1, one line"
assert_match "$(cat "$TEST_TMP/err")" "dup: container with given ID already exists" \
  "create of an id in use: names the id"
assert_eq "$(ctr_status dup)" created "the container with that id is untouched"

# 5. Signals.
timeout 30 $MODRUN kill dup FOO </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "kill with signal FOO: exit 1, one line"
assert_match "$(cat "$TEST_TMP/err")" "signal.*FOO" "kill with signal FOO: names it"
timeout 30 $MODRUN kill dup 99 </dev/null >/dev/null 2>"$TEST_TMP/err"
assert_eq "$? $(grep -c . "$TEST_TMP/err")" "1 1" "kill with signal 99: exit 1, one line"
assert_match "$(cat "$TEST_TMP/err")" "signal.*99" "kill with signal 99: names it"
assert_eq "$(ctr_status dup)" created "an invalid signal leaves the container as it was"
timeout 30 $MODRUN delete --force dup >/dev/null 2>&1
assert_no_leftovers "after delete --force dup: nothing left behind"

# 5b. An empty --root is no directory.
refused "an empty --root" "--root: expected a directory" --root "" list

# 6. Plugins.
make_bundle "$B" bad
if [ "$RUNTIME_NAME" = modrun ]; then
  refused "--plugins naming a plugin that does not exist" 'plugin "nosuch": not found in ' \
    --plugins namespaces=nosuch run --bundle "$B" bad
else
  skip "--plugins is modrun's" 3
fi

assert_eq "$(ls -A "$TEST_ROOT")" "" "the state root is empty"
