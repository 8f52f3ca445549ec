#!/bin/bash
# cgroups-limits: a linux.resources limit the host cannot enforce is refused
# with one line naming the field, exit 1, and nothing left behind; never
# dropped in silence. The cgroup backend is the one the host probes to.
. "$(dirname "$0")/lib.sh"

# The mount point of v1 controller $1, from mountinfo.
v1_mount ()
{
  awk -v c="$1" '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) != "cgroup") next
      n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' \
    /proc/self/mountinfo
}

MEM=$(v1_mount memory)
[ -n "$MEM" ] || skip_all "the memory controller is not cgroup v1 here"

plan 23

# What the kernel does with a value in a fresh memory cgroup: prints what
# FILE reads after VALUE was written, or "refused".
probe_memory ()
{
  local d=$MEM/modrun-test-probe-$$ out
  mkdir "$d" || return 1
  if echo "$2" >"$d/$1" 2>/dev/null; then out=$(cat "$d/$1"); else out=refused; fi
  rmdir "$d"
  echo "$out"
}

make_bundle "$TEST_TMP/bundle"
BASE=$(cat "$BUNDLE/config.json")

# refused ID JQ-FILTER DESCRIPTION ERE: the run fails with one line matching
# ERE, exit 1, and leaves no state and no cgroup in any hierarchy.
refused ()
{
  local id=$1 err status left
  printf '%s\n' "$BASE" >"$BUNDLE/config.json"
  cfg --arg p "$CG_PARENT/$id" ".linux.cgroupsPath = \$p | $2" || return
  $MODRUN run --bundle "$BUNDLE" "$id" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  status=$?
  err=$(cat "$TEST_TMP/err")
  assert_eq "$status $(grep -c . <<<"$err")" "1 1" "$3: exit 1, one error line" || diag "$err"
  assert_match "$err" "$4" "$3: the message names the field and says why"
  left=$(for h in $(cgroup_hierarchies); do [ -d "$h$CG_PARENT" ] && echo "$h$CG_PARENT"; done
    ls -d "$TEST_ROOT/$id" 2>/dev/null)
  assert_eq "$left" "" "$3: no cgroup in any hierarchy, no state"
}

# 1. Kernel memory: recent kernels take the value and keep none.
kmem=$(probe_memory memory.kmem.limit_in_bytes 50593792)
if [ "$kmem" != 50593792 ]; then
  refused k1 '.linux.resources.memory.kernel = 50593792' "memory.kernel" \
    "linux\.resources\.memory\.kernel: this host cannot enforce it: the kernel ignores .*memory\.kmem\.limit_in_bytes"
else
  skip "this kernel enforces memory.kmem.limit_in_bytes" 3
fi
# -1 (no limit) is what every cgroup has: nothing to refuse.
printf '%s\n' "$BASE" >"$BUNDLE/config.json"
cfg '.linux.resources.memory.kernel = -1 | .process.args = ["/bin/true"]'
run_ctr k2
assert_eq "$RUN_STATUS" 0 "memory.kernel -1 runs" || diag "$RUN_STDERR"

# 2. A value the kernel refuses when it is written.
if [ "$(probe_memory memory.use_hierarchy 0)" = refused ]; then
  refused h1 '.linux.resources.memory.useHierarchy = false' "memory.useHierarchy false" \
    "linux\.resources\.memory\.useHierarchy: the kernel refuses 0 in .*memory\.use_hierarchy: Invalid argument"
else
  skip "this kernel takes memory.use_hierarchy 0" 3
fi
refused u1 '.linux.resources.cpu.cpus = "4095"' "cpu.cpus of a CPU that does not exist" \
  "linux\.resources\.cpu\.cpus: the kernel refuses 4095 in .*cpuset\.cpus"

# 3. Controllers that are not mounted as cgroup v1.
if [ -z "$(v1_mount net_cls)" ]; then
  refused n1 '.linux.resources.network = {"classID": 1048577}' "network.classID" \
    "linux\.resources\.network\.classID: the net_cls controller is not mounted as cgroup v1"
else
  skip "net_cls is mounted here" 3
fi
if [ -z "$(v1_mount rdma)" ]; then
  refused r1 '.linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3}}' "rdma" \
    "linux\.resources\.rdma: the rdma controller is not mounted as cgroup v1"
else
  skip "rdma is mounted here" 3
fi

# 4. A file the host does not have: blkio weights need CFQ or BFQ.
BLKIO=$(v1_mount blkio)
if [ -n "$BLKIO" ] && [ ! -f "$BLKIO/blkio.weight" ] && [ ! -f "$BLKIO/blkio.bfq.weight" ]; then
  refused b1 '.linux.resources.blockIO = {"weight": 500}' "blockIO.weight" \
    "linux\.resources\.blockIO\.weight: this host cannot enforce it: .*blkio\.weight does not exist"
else
  skip "blkio weights exist here" 3
fi

# 5. Swap without swap accounting.
if [ ! -f "$MEM/memory.memsw.limit_in_bytes" ]; then
  refused s1 '.linux.resources.memory = {"limit": 16777216, "swap": 33554432}' "memory.swap" \
    "linux\.resources\.memory\.swap: this host cannot enforce it"
else
  skip "swap accounting is on here" 3
fi

assert_no_leftovers
