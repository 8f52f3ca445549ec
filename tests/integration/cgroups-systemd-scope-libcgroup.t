#!/bin/bash
# cgroups-systemd-scope-libcgroup: cgroups-systemd-scope.t (--systemd-cgroup
# on a cgroup v2 host run by systemd) through the cgroups-libcgroup backend.
MODRUN_TEST_SCOPE_BACKEND=cgroups-libcgroup exec bash "$(dirname "$0")/cgroups-systemd-scope.t" "$@"
