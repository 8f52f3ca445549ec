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

export MATRIX_ROWS="seccomp apparmor"
. "$HERE/../vm/test-in-vm.sh"
MODRUN_VM_APPEND="${MODRUN_VM_APPEND:-} apparmor=1 security=apparmor" \
  vm_run_test "the AppArmor VM" -e MATRIX_ROWS -- \
  bash -c 'mountpoint -q /sys/kernel/security ||
             mount -t securityfs securityfs /sys/kernel/security || exit 125
           exec bash "$1"' security-matrix-vm "$HERE/security-matrix.t"
