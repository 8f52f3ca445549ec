#!/bin/bash
# security-matrix-vm: the AppArmor row of security-matrix.t, which needs a
# kernel running AppArmor. On a host that does not run it, security-matrix.t
# runs in a VM booted with AppArmor on (tests/vm/run-in-vm.sh) with the
# seccomp and apparmor rows (MATRIX_ROWS), so that the profile is checked
# alone, with the filter, and against the runs without either. On a host
# that runs AppArmor, security-matrix.t covers the row itself.
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP integration tests need root"
  exit 0
fi
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
  echo "1..0 # SKIP this host runs AppArmor: security-matrix.t has the apparmor row"
  exit 0
fi

share=()
src=$(cd "$HERE/../.." && pwd)
if [ -n "${TOP_BUILDDIR:-}" ]; then
  case "$(cd "$TOP_BUILDDIR" && pwd)/" in
    "$src"/*) share=(-s "$src") ;;
    *) share=(-s "$TOP_BUILDDIR") ;;
  esac
fi
export MATRIX_ROWS="seccomp apparmor" MODRUN_TEST_IN_VM=1
MODRUN_VM_APPEND="${MODRUN_VM_APPEND:-} apparmor=1 security=apparmor" \
  "$HERE/../vm/run-in-vm.sh" "${share[@]}" -e MODRUN -e MODRUN_PLUGIN_PATH -e MRTEST \
  -e RECVTTY -e RUNTIME -e BUSYBOX -e TOP_SRCDIR -e TOP_BUILDDIR -e MODRUN_TEST_IN_VM \
  -e MATRIX_ROWS \
  bash -c 'mountpoint -q /sys/kernel/security ||
             mount -t securityfs securityfs /sys/kernel/security || exit 125
           exec bash "$1"' security-matrix-vm "$HERE/security-matrix.t"
status=$?
case $status in
  124) echo "Bail out! the AppArmor VM (tests/vm/run-in-vm.sh) timed out" ;;
  125) echo "Bail out! the AppArmor VM (tests/vm/run-in-vm.sh) could not run: see above" ;;
esac
exit "$status"
