#!/bin/bash
# cgroups-v1: a container's limits land in the v1 hierarchies, are seen from
# inside and enforced, kill --all and pause reach every process, delete
# leaves nothing, and what the host cannot enforce is refused up front
# (the matrix is shared with the other backends of v1 hosts).
. "$(dirname "$0")/lib.sh"

CG_BACKEND=cgroups-v1
CG_UNIFIED=joined
CG_NO_HUGETLB="linux.resources.hugepageLimits: the hugetlb controller is not mounted as cgroup v1"
. "$TEST_LIB_DIR/cgroups-v1-matrix.sh"
