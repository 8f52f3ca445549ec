#!/bin/bash
# sdk: a vendor's plugin, built out of tree against an installed modrun.
# The build tree is installed into a staging directory; the example of
# plugin-api/examples, taken from what `make dist` would ship, is built with
# that install's pkg-config file and installed in a directory of its own;
# the installed modrun then runs it with --plugins +example, and the
# container sees what it wrote. Its refusals and failures read
# "example: STAGE: ..." and leave nothing behind.
. "$(dirname "$0")/lib.sh"

plan 24

for tool in make pkg-config cc realpath; do
  command -v "$tool" >/dev/null || skip_all "$tool is needed"
done
[ -n "${TOP_BUILDDIR:-}" ] && [ -f "$TOP_BUILDDIR/Makefile" ] ||
  bail_out "TOP_BUILDDIR=${TOP_BUILDDIR:-}: not a build tree: run the tests with make check"

INST=$TEST_TMP/inst
DIST=$TEST_TMP/dist
VENDOR=$TEST_TMP/vendor-plugins
umask 022
# The makes below are not part of the make running this test.
unset MAKEFLAGS MFLAGS MAKELEVEL

# 1. The build tree installs into a staging directory.
make -s -C "$TOP_BUILDDIR" install DESTDIR="$INST" >"$TEST_TMP/install.log" 2>&1
ok $? "make install DESTDIR=\$TEST_TMP/inst" || diag "$(tail -20 "$TEST_TMP/install.log")"
PC=$(find "$INST" -name modrun-plugin.pc -path '*/pkgconfig/*' | head -1)
BIN=$(find "$INST" -path '*/bin/modrun' -type f | head -1)
PLUGDIR=$(find "$INST" -type d -path '*/modrun/plugins' | head -1)
assert_match "$PC $BIN $PLUGDIR" "^$INST/.*/modrun-plugin\.pc $INST/.*/bin/modrun $INST/.*/modrun/plugins$" \
  "the install holds modrun-plugin.pc, the modrun binary and the plugins directory"
for h in plugin.h json.h; do
  [ -f "$(dirname "$PC")/../../include/modrun/$h" ] && pass "the install holds modrun/$h" ||
    fail "the install holds modrun/$h"
done

# 2. What a tarball would carry: the example, the SDK's README and the ABI
# baseline with its check.
rel=$(realpath -m --relative-to="$TOP_BUILDDIR" "$DIST")
make -s -C "$TOP_BUILDDIR" distdir distdir="$rel" top_distdir="$rel" >"$TEST_TMP/dist.log" 2>&1
ok $? "make distdir" || diag "$(tail -20 "$TEST_TMP/dist.log")"
missing=
for f in README.md examples/Makefile examples/example.c abi/abi-types.c abi/abi-check.sh \
  abi/abi.suppr abi/modrun-plugin-1.abi; do
  [ -f "$DIST/plugin-api/$f" ] || missing+=" $f"
done
assert_eq "${missing:-none}" none "the distribution carries plugin-api's README, example and ABI files"

# 3. The example builds from the distributed copy with the staged install's
# pkg-config file, as a vendor would build it.
export PKG_CONFIG_LIBDIR=$(dirname "$PC") PKG_CONFIG_SYSROOT_DIR=$INST
unset PKG_CONFIG_PATH
cflags=$(pkg-config --cflags modrun-plugin)
assert_match "$cflags" "^-I$INST/[^ ]*/include *$" "pkg-config --cflags modrun-plugin names the staged headers"
assert_eq "$(pkg-config --variable=plugindir modrun-plugin)" "$PLUGDIR" \
  "pkg-config's plugindir is the staged plugins directory"
cp -r "$DIST/plugin-api/examples" "$TEST_TMP/example"
make -C "$TEST_TMP/example" >"$TEST_TMP/example.log" 2>&1
ok $? "the example builds with its own Makefile" || diag "$(cat "$TEST_TMP/example.log")"
assert_match "$(cat "$TEST_TMP/example.log")" "-I$INST/" "it was compiled against the staged headers"
assert_eq "$(nm -D --defined-only "$TEST_TMP/example/example.so" 2>/dev/null | awk '{ print $3 }' |
  grep -v '^_' | tr '\n' ' ')" "modrun_plugin_entry_example " \
  "it exports its entry symbol and nothing else"
make -C "$TEST_TMP/example" install PLUGINDIR="$VENDOR" >>"$TEST_TMP/example.log" 2>&1
assert_eq "$(stat -c '%U %a' "$VENDOR" "$VENDOR/example.so" 2>&1 | tr '\n' ' ')" "root 755 root 755 " \
  "make install puts it in a root-owned 0755 directory, as a root-owned 0755 file"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# From here on, the installed modrun with the staged plugins and the
# vendor's directory.
export MODRUN_PLUGIN_PATH=$PLUGDIR:$VENDOR
export MODRUN_CONFIG=$TEST_TMP/no-modrun.conf
touch "$MODRUN_CONFIG"
MODRUN="$BIN --root $TEST_ROOT"

# with_example COMMAND...: COMMAND with the example selected.
with_example ()
{
  local MODRUN="$MODRUN --plugins +example"
  "$@"
}

# 4. modrun plugins lists it.
json=$($MODRUN --plugins +example plugins --format json 2>"$TEST_TMP/plugins.err")
ok $? "modrun plugins --format json" || diag "$(cat "$TEST_TMP/plugins.err")"
assert_eq "$(jq -c '[.[] | select(.name == "example") | {concern, version, abi, path, usable, used}]' \
  <<<"$json")" \
  "[{\"concern\":\"extra\",\"version\":\"1.0\",\"abi\":\"1.1\",\"path\":\"$VENDOR/example.so\",\"usable\":true,\"used\":true}]" \
  "the example is listed: concern extra, its version and ABI, its path, usable, used with +example"
# A build with --enable-builtin-plugins installs no plugin file: the tree's
# plugins are in the binary.
NS_PATH=$PLUGDIR/namespaces.so
grep -q '^#define MODRUN_BUILTIN_PLUGINS 1' "$TOP_BUILDDIR/config.h" && NS_PATH=built-in
assert_eq "$(jq -r '.[] | select(.name == "namespaces") | .path' <<<"$json")" "$NS_PATH" \
  "the tree's plugins are listed from the staged directory (or as built in)"

# 5. It acts inside the container.
make_bundle "$TEST_TMP/b" sdk1
cfg '.process.args = ["/bin/cat", "/run/vendor-example"]
     | .mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]}]
     | .annotations = {"org.example.greeting": "hello from a vendor"}'
with_example run_ctr sdk1
assert_eq "$RUN_STATUS" 0 "a container runs with --plugins +example" || diag "$RUN_STDERR"
assert_eq "$RUN_STDOUT" $'container: sdk1\ngreeting: hello from a vendor' \
  "inside, /run/vendor-example holds the container id and the annotation's greeting"
assert_no_leftovers "the run left nothing behind"
run_ctr sdk1
assert_eq "$RUN_STATUS $RUN_STDOUT" "1 " "without the plugin, the file is not there" ||
  diag "$RUN_STDERR"

# refused DESCRIPTION ERE: run sdk2 with +example fails with one line
# matching ERE and leaves nothing.
refused ()
{
  with_example run_ctr sdk2
  assert_eq "$RUN_STATUS $(grep -c . <<<"$RUN_STDERR")" "1 1" "$1: exit 1, one line on stderr" ||
    diag "stderr:" "$RUN_STDERR"
  assert_match "$RUN_STDERR" "$2" "$1: the message says \"$2\""
}

# 6. Its validate refuses what it cannot honour; a failure in the init is
# reported with the stage, and the create it ends leaves nothing.
make_bundle "$TEST_TMP/b2" sdk2
refused "a read-only root without /run" \
  "example: validate: root\.readonly is true and nothing is mounted on /run"
cfg '.root.readonly = false'
mkdir -p "$TEST_TMP/b2/rootfs/run" && echo image >"$TEST_TMP/b2/rootfs/run/vendor-example"
refused "a file the image already has" \
  "example: child_after_pivot: create /run/vendor-example: File exists"
assert_no_leftovers "the failed runs left nothing behind"
