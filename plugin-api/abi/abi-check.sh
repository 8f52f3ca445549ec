#!/bin/sh
# abi-check.sh: the plugin ABI of a set of headers, written as a baseline or
# compared with one (libabigail's abidw and abidiff).
#
#   abi-check.sh dump INCLUDEDIR OUT.abi
#   abi-check.sh check INCLUDEDIR BASELINE.abi
#
# INCLUDEDIR holds modrun/plugin.h and modrun/json.h. abi-types.c, next to
# this script, is built against them as a shared object with debug
# information; abidw writes the ABI of what it exports, restricted to the
# types the headers define.
#
# check prints abidiff's report and exits with abidiff's status: 0 when the
# headers keep the baseline's ABI (members appended at the end of a struct
# allowed, see abi.suppr), else a bit field: 1 error, 2 usage error, 4 the
# ABI changed, 8 the change is incompatible by abidiff's own rules. A set of
# headers abi-types.c does not build against (a constant changed, a member
# renamed or removed) exits 1 with the compiler's messages.
# Environment: CC (default cc), ABIDW, ABIDIFF.

set -u

here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
ABIDW=${ABIDW:-abidw}
ABIDIFF=${ABIDIFF:-abidiff}

usage ()
{
  echo "usage: abi-check.sh dump|check INCLUDEDIR FILE.abi" >&2
  exit 2
}

[ $# = 3 ] || usage
mode=$1
include=$(cd "$2" 2>/dev/null && pwd) || {
  echo "abi-check.sh: $2: no such directory" >&2
  exit 1
}
abi=$3
[ -f "$include/modrun/plugin.h" ] || {
  echo "abi-check.sh: $include: no modrun/plugin.h in it" >&2
  exit 1
}
case $mode in
  dump) dump_flags=-DMODRUN_ABI_DUMP ;;
  check) dump_flags= ;;
  *) usage ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/modrun-abi.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Built from a copy in WORK under a relative name, so that no path of this
# machine ends up in the ABI file.
cp "$here/abi-types.c" "$work/abi-types.c" || exit 1
if ! (cd "$work" && $CC -g -O0 -fPIC -shared -fvisibility=hidden -Wall -Wextra \
  -Wno-unused-parameter -Werror $dump_flags -I"$include" abi-types.c -o abi-types.so); then
  echo "abi-check.sh: abi-types.c does not build against the headers in $include" >&2
  exit 1
fi
"$ABIDW" --headers-dir "$include/modrun" --drop-private-types --no-corpus-path \
  --no-comp-dir-path --no-show-locs --out-file "$work/new.abi" "$work/abi-types.so" || {
  echo "abi-check.sh: abidw failed on the ABI object" >&2
  exit 1
}

if [ "$mode" = dump ]; then
  cp "$work/new.abi" "$abi.tmp" && mv "$abi.tmp" "$abi" || exit 1
  echo "abi-check.sh: wrote $abi"
  exit 0
fi

[ -f "$abi" ] || {
  echo "abi-check.sh: $abi: no such baseline" >&2
  exit 1
}
"$ABIDIFF" --suppressions "$here/abi.suppr" "$abi" "$work/new.abi"
