#!/bin/bash
# cgroups-libcgroup: the cgroup v1 resource matrix (limits set, read back,
# enforced; update, ps, events --stats, pause, kill --all, delete, refusals)
# against the backend that goes through libcgroup.
. "$(dirname "$0")/lib.sh"

if [ "$RUNTIME_NAME" = modrun ] && ! $MODRUN --plugins cgroups=cgroups-libcgroup plugins \
  2>/dev/null | grep -Eq '^cgroups-libcgroup +cgroups .* yes .* ok$'; then
  skip_all "the cgroups-libcgroup plugin is not built (no libcgroup)"
fi

CG_BACKEND=cgroups-libcgroup
# The cgroup2 hierarchy of a hybrid host is left alone (see the plugin's README).
CG_UNIFIED=
CG_NO_HUGETLB="linux.resources.hugepageLimits: the hugetlb controller is on the cgroup2 hierarchy of this hybrid host, which cgroups-libcgroup leaves alone"
. "$TEST_LIB_DIR/cgroups-v1-matrix.sh"
