#!/bin/bash
# cgroups-systemd-legacy: cgroups-systemd-v1.t on a systemd host laid out as
# legacy (v1 hierarchies only, systemd's own on name=systemd), in
# system.slice only: the hybrid run covers a new slice.
MODRUN_TEST_CG_LAYOUT=legacy MODRUN_TEST_SLICES=system exec bash "$(dirname "$0")/cgroups-systemd-v1.t" "$@"
