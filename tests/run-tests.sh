#!/bin/bash
# run-tests.sh: modrun's whole test suite, as root on Debian 12.
#
# Installs the build and test dependencies (apt-get), regenerates the build
# system, then builds and runs `make check` three times out of tree: _build
# (the normal build), _build-asan (--enable-asan) and _build-builtin
# (--enable-builtin-plugins: the plugins linked into modrun; the tests that
# point MODRUN_PLUGIN_PATH at the build tree then get the built-ins, which
# win over files of the same name; the tests that boot a VM are skipped
# there).  Prints each run's totals and, as the
# very last line, the totals of all: `N passed, N failed`.
# Exits 1 when anything failed, a build included.
#
# qemu-system-x86, cpio and kmod serve the cgroup v2 tests, run in a VM
# (tests/vm), where apparmor's apparmor_parser loads the AppArmor tests'
# profiles and Debian's SELinux policy (selinux-policy-default, loaded by
# policycoreutils' load_policy) serves the SELinux VM test; abigail-tools
# checks the plugin ABI against its baseline; runc lets a test be checked
# against it (RUNTIME=runc).
# Environment: MODRUN_SKIP_DEPS=1 skips apt-get (dependencies already
# there); JOBS sets make's parallelism for building (default: nproc).

set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$(pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

DEPS=(
  autoconf automake libtool libltdl-dev pkg-config make gcc libc6-dev
  libyajl-dev libcap-dev libseccomp-dev libcgroup-dev libsystemd-dev
  libapparmor-dev apparmor libselinux1-dev selinux-policy-default policycoreutils abigail-tools
  busybox-static jq util-linux coreutils findutils gawk sed grep procps iproute2 python3
  qemu-system-x86 cpio kmod bpftool
  runc
)

step ()
{
  printf '\n=== %s\n' "$*"
}

install_deps ()
{
  if [ -n "${MODRUN_SKIP_DEPS:-}" ]; then
    step "dependencies: skipped (MODRUN_SKIP_DEPS is set)"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "run-tests.sh: installing dependencies needs root (or set MODRUN_SKIP_DEPS=1)" >&2
    return 1
  fi
  step "dependencies: apt-get install ${DEPS[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends "${DEPS[@]}"
}

# count_results DIR: "PASSED FAILED SKIPPED" of the .trs files under DIR.
# A test point is FAIL, ERROR (a program that crashed, ended early or ran
# other than its plan) or XPASS: all count as failed.
count_results ()
{
  find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | awk '
    /^:test-result: (PASS|XFAIL)/ { p++ }
    /^:test-result: (FAIL|ERROR|XPASS)/ { f++ }
    /^:test-result: SKIP/ { s++ }
    END { printf "%d %d %d\n", p, f, s }'
}

TOTAL_PASSED=0
TOTAL_FAILED=0

# build_and_check DIR CONFIGURE-OPTIONS...
build_and_check ()
{
  local dir=$SRC/$1 status=0 passed failed skipped
  shift
  step "$(basename "$dir"): configure $*"
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
  if ! "$SRC/configure" -q "$@"; then
    echo "run-tests.sh: $(basename "$dir"): configure failed" >&2
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    cd "$SRC"
    return 1
  fi
  step "$(basename "$dir"): make"
  if ! make -j"$JOBS"; then
    echo "run-tests.sh: $(basename "$dir"): the build failed" >&2
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    cd "$SRC"
    return 1
  fi
  step "$(basename "$dir"): make check"
  make -j"$JOBS" -C tests check TESTS= || status=$?
  [ "$status" = 0 ] && { make check || status=$?; }
  read -r passed failed skipped <<<"$(count_results "$dir")"
  if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
    echo "run-tests.sh: $(basename "$dir"): make check failed (status $status)" \
      "with no failed test point: counted as one failure" >&2
    failed=1
  fi
  find "$dir/tests" -name '*.log' ! -name test-suite.log -print0 2>/dev/null |
    xargs -0 -r grep -l -E '^(not ok|Bail out!)|^ERROR:' 2>/dev/null |
    sed 's|^|run-tests.sh: failures in |' >&2
  echo "$(basename "$dir"): $passed passed, $failed failed, $skipped skipped"
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  cd "$SRC"
}

if ! install_deps; then
  echo "run-tests.sh: the dependencies could not be installed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

step "autoreconf"
if ! autoreconf -fi; then
  echo "run-tests.sh: autoreconf failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

build_and_check _build
build_and_check _build-asan --enable-asan
# The VM tests (about two thirds of a build's time) run in the first two
# builds only: the built-in plugins are the same code, and builtin.t checks
# that modrun uses them.
MODRUN_TEST_NO_VM="the VM tests run in the _build and _build-asan builds" \
  build_and_check _build-builtin --enable-builtin-plugins

echo
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ]
