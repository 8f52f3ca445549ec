#!/bin/bash
# abi: the plugin ABI of the headers against its baseline,
# plugin-api/abi/modrun-plugin-1.abi, through plugin-api/abi/abi-check.sh
# (abidw and abidiff). The current headers pass; copies of them broken on
# purpose in $TEST_TMP fail with abidiff's report or the compiler's message;
# members appended at the end, as a minor release does, pass.
. "$(dirname "$0")/lib.sh"

plan 25

for tool in abidw abidiff cc make; do
  command -v "$tool" >/dev/null || skip_all "$tool is needed (Debian: abigail-tools)"
done
[ "$(uname -m)" = x86_64 ] || skip_all "the baseline records the ABI on x86_64"
unset MAKEFLAGS MFLAGS MAKELEVEL

API=$TOP_SRCDIR/plugin-api
CHECK=$API/abi/abi-check.sh
BASELINE=$API/abi/modrun-plugin-1.abi

# headers NAME FILE SED-SCRIPT [FILE SED-SCRIPT]...: a copy of the headers
# in $TEST_TMP/NAME with each FILE edited; an edit that changes nothing is
# a failed test, so no case below passes by accident.
headers ()
{
  local dir=$TEST_TMP/$1 file
  shift
  rm -rf "$dir" && mkdir -p "$dir" && cp -r "$API/modrun" "$dir/" || bail_out "cannot copy the headers"
  while [ $# -ge 2 ]; do
    file=$dir/modrun/$1
    sed -i -e "$2" "$file"
    if cmp -s "$file" "$API/modrun/$1"; then
      fail "the edit of $1 applies: $2"
    fi
    shift 2
  done
  HEADERS=$dir
}

# check MODE DIR: runs abi-check.sh; sets STATUS and OUT (report and errors).
check ()
{
  CC=cc sh "$CHECK" "$1" "$2" "${3:-$BASELINE}" >"$TEST_TMP/check.out" 2>&1
  STATUS=$?
  OUT=$(cat "$TEST_TMP/check.out")
}

# flagged DESCRIPTION ERE: the last check found an ABI change (abidiff's
# bit 4, no error bit) and its report matches ERE.
flagged ()
{
  if [ $((STATUS & 4)) = 4 ] && [ $((STATUS & 1)) = 0 ]; then
    pass "$1: abidiff reports an ABI change (status $STATUS)"
  else
    fail "$1: abidiff reports an ABI change (status $STATUS)"
    diag "$OUT"
  fi
  assert_match "$OUT" "$2" "$1: the report says \"$2\""
}

# refused DESCRIPTION ERE: the last check could not even build the ABI
# object, and said why.
refused ()
{
  assert_eq "$STATUS" 1 "$1: the check fails" || diag "$OUT"
  assert_match "$OUT" "$2" "$1: the message says \"$2\""
}

# 1. The headers as they are.
[ -s "$BASELINE" ] && pass "the baseline is in the source tree" || fail "the baseline is in the source tree"
check check "$API"
assert_eq "$STATUS" 0 "the current headers keep the baseline's ABI" || diag "$OUT"
make -s -C "$TOP_BUILDDIR/plugin-api" abi-check >"$TEST_TMP/make.out" 2>&1
assert_eq "$?" 0 "make -C plugin-api abi-check passes" || diag "$(cat "$TEST_TMP/make.out")"
make -s -C "$TOP_BUILDDIR/plugin-api" abi-baseline ABI_BASELINE="$TEST_TMP/fresh.abi" \
  >"$TEST_TMP/make.out" 2>&1
ok $? "make -C plugin-api abi-baseline writes a baseline where it is told" ||
  diag "$(cat "$TEST_TMP/make.out")"
abidiff "$BASELINE" "$TEST_TMP/fresh.abi" >"$TEST_TMP/fresh.out" 2>&1
assert_eq "$?" 0 "the baseline is current: the headers add nothing it lacks (else run make -C plugin-api abi-baseline)" ||
  diag "$(cat "$TEST_TMP/fresh.out")"

# 2. Incompatible changes.
headers middle plugin.h 's|^  const char \*version;|  uint32_t flags;\n&|'
check check "$HEADERS"
flagged "a member inserted in the middle of the descriptor" "data member insertion"
assert_match "$OUT" "'uint32_t flags', at offset" "the report names the inserted member"

headers widen plugin.h 's|^typedef uint32_t modrun_concern;|typedef uint64_t modrun_concern;|'
check check "$HEADERS"
flagged "modrun_concern widened to 64 bits" "modrun_concern"

headers jsonwiden json.h 's|^typedef uint32_t modrun_json_type;|typedef uint16_t modrun_json_type;|'
check check "$HEADERS"
flagged "modrun_json_type narrowed to 16 bits" "modrun_json_type"

headers retype plugin.h 's|^  uint64_t clone_flags; |  uint32_t clone_flags; |'
check check "$HEADERS"
flagged "a member of the container that changes type, the struct keeping its size" \
  "modrun_abi_container_members"

headers swap plugin.h 's|^  modrun_stage_fn validate;|  modrun_stage_fn @1;|
  s|^  modrun_stage_fn prepare;|  modrun_stage_fn validate;|; s|^  modrun_stage_fn @1;|  modrun_stage_fn prepare;|'
check check "$HEADERS"
flagged "two stages of the descriptor swapped" "modrun_abi_plugin_members"

headers proto plugin.h 's|const char \*key, int64_t value);|const char *key, int32_t value);|'
check check "$HEADERS"
flagged "a service that changes a parameter's type" "modrun_abi_services_members"

headers removed plugin.h 's|^  void (\*release) (void \*data);||'
check check "$HEADERS"
refused "the last member of the descriptor removed" "has no member named .release."

headers value plugin.h 's|^#define MODRUN_CONCERN_EXTRA ((modrun_concern) 5)|#define MODRUN_CONCERN_EXTRA ((modrun_concern) 7)|'
check check "$HEADERS"
refused "a concern's value changed" "MODRUN_CONCERN_EXTRA changed within ABI major 1"

# 3. A minor release: members appended at the end of every struct.
headers appended \
  plugin.h 's|^  void (\*release) (void \*data);|&\n  int (*checkpoint) (struct modrun_container *c, void **data);|' \
  plugin.h 's|^  uint32_t joined;.*|&\n  const char *annotation_source;|' \
  plugin.h 's|^  int (\*json_add_bool) (modrun_json \*parent, const char \*key, int value);|&\n  int (*json_add_double) (modrun_json *parent, const char *key, double value);|' \
  json.h 's|^  modrun_json \*\*items;.*|&\n  uint64_t flags;|'
check check "$HEADERS"
assert_eq "$STATUS" 0 "members appended at the end of the four structs are accepted" || diag "$OUT"
check dump "$HEADERS" "$TEST_TMP/appended.abi"
refused "a new baseline before the new members are listed in abi-types.c" \
  "a member is missing from its list in abi-types.c"
