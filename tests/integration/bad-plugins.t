#!/bin/bash
# bad-plugins: a plugin that is broken, built for another ABI, crashes or
# fails a stage, or sits where others could change it, never runs the
# container: modrun exits 1 with one line on stderr naming the plugin, and
# leaves no state, cgroup, mount or process behind. The plugins are built
# from tests/unit/broken/plugin.c, the unit tests' plugin of many shapes.
. "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || skip_all "cc is needed to build the test plugins"

LIB=$TEST_TMP/plugins
mkdir -p "$LIB" && chmod 0755 "$LIB"

# build DIR NAME [CC-OPTIONS...]: DIR/NAME.so from the broken plugin.
build ()
{
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir" &&
    cc -shared -fPIC -I"$TOP_SRCDIR/plugin-api" -DP_IDENT="${name//[-.]/_}" -DP_NAME="\"$name\"" \
      "$@" "$TOP_SRCDIR/tests/unit/broken/plugin.c" -o "$dir/$name.so" &&
    chmod 0755 "$dir/$name.so" || bail_out "cannot build the test plugin $name"
}

build "$LIB" badmagic -DP_MAGIC=0xdeadbeef
build "$LIB" newminor -DP_MINOR=MODRUN_ABI_MINOR+1
build "$LIB" othermajor -DP_MAJOR=MODRUN_ABI_MAJOR+1
build "$LIB" noentry -DP_NO_ENTRY
build "$LIB" small -DP_SIZE=20
build "$LIB" crashy -DP_PROBE_CRASH
build "$LIB" probefail -DP_PROBE_FAIL
build "$LIB" vcrash -DP_VALIDATE_CRASH
build "$LIB" good
build "$LIB" afterclone -DP_DESTROY_OK
build "$TEST_TMP/groupdir" good && chmod 0775 "$TEST_TMP/groupdir"
build "$TEST_TMP/userdir" good && chown 1000:1000 "$TEST_TMP/userdir"
build "$LIB" worldw && chmod 0757 "$LIB/worldw.so"
build "$LIB" notroot && chown 1000:1000 "$LIB/notroot.so"

export MODRUN_CONFIG=$TEST_TMP/no-modrun.conf
touch "$MODRUN_CONFIG"
BASE_PATH=$MODRUN_PLUGIN_PATH
make_bundle "$TEST_TMP/b" bad

# refused DESCRIPTION SELECTION ERE [PLUGIN-PATH]: a run with --plugins
# SELECTION exits 1, with one line on stderr that matches ERE, and leaves
# nothing behind.
refused ()
{
  local MODRUN="$MODRUN --plugins $2"
  MODRUN_PLUGIN_PATH=${4:-$BASE_PATH:$LIB} run_ctr bad
  assert_eq "$RUN_STATUS $(grep -c . <<<"$RUN_STDERR")" "1 1" "$1: exit 1, one line on stderr" ||
    diag "stderr:" "$RUN_STDERR"
  assert_match "$RUN_STDERR" "$3" "$1: the message says \"$3\""
  assert_no_leftovers "$1: nothing left behind"
}

refused "wrong magic" +badmagic \
  "plugin \"badmagic\" \\($LIB/badmagic\\.so\\): modrun_plugin_entry_badmagic is not a modrun plugin descriptor \\(magic 0xdeadbeef\\)"
refused "a newer minor" +newminor "plugin \"newminor\" .*: built for plugin ABI 1\\.[1-9][0-9]*, this modrun supports 1\\."
refused "another major" +othermajor "plugin \"othermajor\" .*: built for plugin ABI 2\\.[0-9]+, this modrun supports 1\\."
refused "no entry symbol" +noentry "plugin \"noentry\" .*: no entry symbol modrun_plugin_entry_noentry"
refused "a descriptor too small" +small "plugin \"small\" .*: descriptor size 20 is smaller than"
refused "a crashing probe" +crashy "plugin \"crashy\": probe crashed \\(Segmentation fault\\)"
refused "a failing probe" +probefail "probefail: probe: needs a frobnicator on this host"
refused "a crashing validate" +vcrash "plugin \"vcrash\": validate crashed \\(Segmentation fault\\)"
refused "a stage failing once the init exists" +afterclone \
  "afterclone: parent_after_clone: failed: Input/output error"
refused "a plugin named by path" "+$LIB/badmagic.so" "plugin \"badmagic\" \\($LIB/badmagic\\.so\\): .*magic 0xdeadbeef"
refused "a world-writable plugin file" +worldw "plugin \"worldw\" .*: file is writable by others"
refused "a plugin file not owned by root" +notroot "plugin \"notroot\" .*: file is owned by uid 1000, not root"
refused "a plugin in a group-writable directory" +good \
  "plugin \"good\" .*: directory $TEST_TMP/groupdir is writable by its group" "$BASE_PATH:$TEST_TMP/groupdir"
refused "a plugin in a directory not owned by root" +good \
  "plugin \"good\" .*: directory $TEST_TMP/userdir is owned by uid 1000, not root" "$BASE_PATH:$TEST_TMP/userdir"
# A config that asks for namespaces or mounts never runs without the plugin
# that makes them (it would run in the runtime's namespaces, unmasked).
refused "a selection without the namespaces plugin" -namespaces \
  "config.json: linux.namespaces is set, but the plugin selection has no namespaces plugin"
refused "a selection without the mounts plugin" -mounts \
  "config.json: mounts is set, but the plugin selection has no mounts plugin"

done_testing
