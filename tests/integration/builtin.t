#!/bin/bash
# builtin: plugins linked into the binary (--enable-builtin-plugins) serve
# containers with no plugin file around, win over files of the same name,
# and leave room for external plugins named by path, which are still
# checked. In a build without built-ins, an empty plugin path is an error.
. "$(dirname "$0")/lib.sh"

[ "$RUNTIME_NAME" = modrun ] || skip_all "built-in plugins are modrun's"

B=$TEST_TMP/bundle
make_bundle "$B"
EMPTY=$TEST_TMP/no-plugins
mkdir -p "$EMPTY"
ERR=$TEST_TMP/err
TREE=$TOP_BUILDDIR/plugins
# Every plugin of the tree this build made (a shared object too).
IN_TREE=$(cd "$TREE" && ls -- */.libs/*.so 2>/dev/null | sed 's|.*/||; s|\.so$||' | sort)

plan $((14 + $(wc -w <<<"$IN_TREE")))

rt ()
{
  timeout -k 5 60 $MODRUN "$@" </dev/null >"$TEST_TMP/out" 2>"$ERR"
  RT_STATUS=$?
  RT_OUT=$(cat "$TEST_TMP/out")
  RT_ERR=$(cat "$ERR")
}

# recorded ID: the plugins the state of container ID records.
recorded ()
{
  jq -r .plugins "$TEST_ROOT/$1/state.json" 2>&1
}

if ! grep -q '^#define MODRUN_BUILTIN_PLUGINS 1' "$TOP_BUILDDIR/config.h"; then
  MODRUN_PLUGIN_PATH=$EMPTY rt plugins
  assert_eq "$RT_STATUS $(grep -c . <<<"$RT_OUT")" "0 1" \
    "without built-ins, plugins lists nothing for an empty plugin path (its header only)"
  MODRUN_PLUGIN_PATH=$EMPTY run_ctr c1
  assert_eq "$RUN_STATUS $(grep -c . <<<"$RUN_STDERR")" "1 1" \
    "without built-ins, a run with an empty plugin path: exit 1, one error line"
  assert_match "$RUN_STDERR" "plugin \"namespaces\": not found in $EMPTY\$" \
    "the error names the first plugin missing and the path searched"
  assert_no_leftovers
  skip "not a built-in build (configure --enable-builtin-plugins)" $((TAP_PLANNED - TAP_COUNT))
  exit 0
fi

# 1. The list: every plugin of the tree is built in.
MODRUN_PLUGIN_PATH=$EMPTY rt plugins --format json
assert_eq "$RT_STATUS" 0 "plugins with an empty plugin path exits 0" || diag "$RT_ERR"
for p in $IN_TREE; do
  assert_eq "$(jq -r --arg n "$p" '[.[] | select(.name == $n) | .path] | join(" ")' <<<"$RT_OUT")" \
    built-in "plugins: $p is built in"
done
MODRUN_PLUGIN_PATH=$EMPTY rt plugins
assert_match "$RT_OUT" '^namespaces +namespaces +[^ ]+ +1\.[0-9]+ +yes +built-in +ok$' \
  "plugins (table): \"built-in\" in the PATH column"

# 2. Containers run from the binary alone.
MODRUN_PLUGIN_PATH=$EMPTY run_ctr c1
assert_eq "$RUN_STATUS" 0 "a container runs with an empty plugin path" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" '^pid: 1$' "it is pid 1 of its own namespace"

cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
MODRUN_PLUGIN_PATH=$EMPTY run_ctr c2
assert_eq "$RUN_STATUS" 0 "a container with a seccomp filter runs with an empty plugin path" ||
  diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" '^cwd: error EPERM$' "the built-in seccomp plugin applied its filter"
cfg 'del(.linux.seccomp)'

MODRUN_PLUGIN_PATH=$EMPTY rt create --bundle "$B" c3
assert_match "$(recorded c3)" '^namespaces,cgroups-v[12],mounts$' \
  "the state records the built-ins by name"
CG=$(recorded c3 | cut -d, -f2)
MODRUN_PLUGIN_PATH=$EMPTY rt delete --force c3
assert_eq "$RT_STATUS" 0 "delete finds the recorded built-ins" || diag "$RT_ERR"

# 3. A built-in wins over a file of its name: the file is not even opened,
# so a directory that would be refused is no obstacle.
OPEN=$TEST_TMP/open
mkdir -p "$OPEN" && chmod 0777 "$OPEN"
for p in $IN_TREE; do cp "$TREE/$p/.libs/$p.so" "$OPEN/"; done
MODRUN_PLUGIN_PATH=$OPEN run_ctr c4
assert_eq "$RUN_STATUS" 0 "files named like the built-ins in a world-writable directory are not used" ||
  diag "$RUN_STDERR"
MODRUN_PLUGIN_PATH=$TREE/namespaces/.libs:$TREE/mounts/.libs rt plugins --format json
assert_eq "$(jq -r '[.[] | select(.path != "built-in") | "\(.name):\(.used)"] | join(" ")' \
  <<<"$RT_OUT")" "namespaces:false mounts:false" \
  "plugins: files of a built-in's name are listed, unused"

# 4. An external plugin named by path loads beside the built-ins, and is
# checked as ever.
MODRUN_PLUGIN_PATH=$EMPTY rt --plugins "cgroups=$TREE/$CG/.libs/$CG.so" create --bundle "$B" c5
assert_eq "$(recorded c5)" "namespaces,$TREE/$CG/.libs/$CG.so,mounts" \
  "an external plugin by path beside the built-ins, recorded by its path" || diag "$RT_ERR"
MODRUN_PLUGIN_PATH=$EMPTY rt delete --force c5
assert_eq "$RT_STATUS" 0 "delete loads the external plugin again" || diag "$RT_ERR"
MODRUN_PLUGIN_PATH=$EMPTY rt --plugins "cgroups=$OPEN/$CG.so" run --bundle "$B" c6
assert_match "$RT_STATUS $RT_ERR" "^1 .*plugin \"$CG\" \\($OPEN/$CG.so\\): directory $OPEN is writable by others\$" \
  "an external plugin in a world-writable directory is still refused"
assert_no_leftovers
