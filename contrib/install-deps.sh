#!/bin/bash
# Installs, from Debian's packages, what building modrun and running its
# tests need. Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  autoconf automake libtool libltdl-dev pkg-config make gcc libc6-dev \
  libyajl-dev libcap-dev libseccomp-dev libcgroup-dev libapparmor-dev libselinux1-dev \
  busybox-static jq iproute2 util-linux procps python3 ca-certificates
