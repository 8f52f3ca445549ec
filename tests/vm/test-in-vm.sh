# test-in-vm.sh: sourced by a test that runs itself (or another test) in a
# VM made by run-in-vm.sh when the host cannot show what it checks.
#
#   vm_run_test WHAT [RUN-IN-VM OPTION...] -- COMMAND [ARG...]
#
# runs COMMAND in the VM with the tree holding the build shared read-write
# (the guest's /tmp is its own: the source tree when the build is inside
# it, as tests/run-tests.sh does, else the build tree) and the variables
# the tests read passed in, MODRUN_TEST_IN_VM=1 among them; then exits with
# COMMAND's status, after a "Bail out!" line naming WHAT ("the systemd
# VM") when the VM timed out or could not run. With MODRUN_TEST_NO_VM set
# (to the reason), the test is skipped instead.

vm_run_test ()
{
  local what=$1 here opts=() share=() src status
  shift
  # A build whose VM tests another build runs already.
  if [ -n "${MODRUN_TEST_NO_VM:-}" ]; then
    echo "1..0 # SKIP $what: $MODRUN_TEST_NO_VM"
    exit 0
  fi
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    opts+=("$1")
    shift
  done
  shift
  src=$(cd "$here/../.." && pwd)
  if [ -n "${TOP_BUILDDIR:-}" ]; then
    case "$(cd "$TOP_BUILDDIR" && pwd)/" in
      "$src"/*) share=(-s "$src") ;;
      *) share=(-s "$TOP_BUILDDIR") ;;
    esac
  fi
  export MODRUN_TEST_IN_VM=1
  "$here/run-in-vm.sh" "${opts[@]}" "${share[@]}" -e MODRUN -e MODRUN_PLUGIN_PATH -e MRTEST \
    -e RECVTTY -e RUNTIME -e BUSYBOX -e TOP_SRCDIR -e TOP_BUILDDIR -e MODRUN_TEST_IN_VM "$@"
  status=$?
  case $status in
    124) echo "Bail out! $what (tests/vm/run-in-vm.sh ${opts[*]}) timed out" ;;
    125) echo "Bail out! $what (tests/vm/run-in-vm.sh ${opts[*]}) could not run: see above" ;;
  esac
  exit "$status"
}
