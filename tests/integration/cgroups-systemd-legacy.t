#!/bin/bash
# cgroups-systemd-legacy: cgroups-systemd-v1.t on a systemd host laid out as
# legacy (v1 hierarchies only, systemd's own on name=systemd).
MODRUN_TEST_CG_LAYOUT=legacy exec bash "$(dirname "$0")/cgroups-systemd-v1.t" "$@"
