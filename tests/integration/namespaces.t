#!/bin/bash
# namespaces: the container gets the namespaces config.json asks for, joins
# those given by path, maps its ids in a user namespace, sees its clocks
# shifted in a time namespace, has its hostname, domainname and sysctls set
# inside only, and every config the plugin cannot honour is refused with
# one line, exit status 1 and nothing left behind.
. "$(dirname "$0")/lib.sh"

plan 55

B=$TEST_TMP/bundle
make_bundle "$B"

# The value of KEY in mrtest's `key: value` output TEXT.
field ()
{
  printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { sub(/^[^:]*: /, ""); print; exit }'
}

own_ns ()
{
  stat -L -c %i "/proc/self/ns/$1"
}

# 1. A new namespace of each kind, hostname and domainname.
host_name=$(uname -n)
cfg '.hostname = "ns-test" | .domainname = "ns.example"'
run_ctr n1
assert_eq "$RUN_STATUS" 0 "a container with pid, network, ipc, uts, mount and cgroup namespaces runs"
report=$RUN_STDOUT
assert_eq "$(field "$report" hostname)" ns-test "hostname is set inside"
assert_eq "$(field "$report" domainname)" ns.example "domainname is set inside"
assert_eq "$(uname -n)" "$host_name" "the host's hostname is left alone"
for ns in pid net ipc uts mnt cgroup; do
  inside=$(field "$report" "ns.$ns")
  if [ -n "$inside" ] && [ "$inside" != "$(own_ns $ns)" ]; then
    pass "the $ns namespace inside is not the runtime's"
  else
    fail "the $ns namespace inside is not the runtime's"
    diag "inside: '$inside', outside: $(own_ns $ns)"
  fi
done
assert_eq "$(field "$report" ns.user)" "$(own_ns user)" "without a user namespace, the host's is kept"
assert_eq "$(field "$report" pid)" 1 "the init is pid 1 of its PID namespace"

cfg '.process.args = ["/bin/mrtest", "cat", "/sys/class/net/lo/flags"]'
run_ctr n1
assert_eq "$RUN_STDOUT" 0x9 "lo is up in a new network namespace"

# 2. Sysctls inside, not outside.
host_shmmni=$(cat /proc/sys/kernel/shmmni)
host_forward=$(cat /proc/sys/net/ipv4/ip_forward)
want_shmmni=$((host_shmmni == 1234 ? 1235 : 1234))
want_forward=$((1 - host_forward))
cfg ".linux.sysctl = {\"kernel.shmmni\": \"$want_shmmni\",
                      \"net.ipv4.ip_forward\": \"$want_forward\"}
     | .process.args = [\"/bin/sh\", \"-c\",
         \"/bin/mrtest sysctl kernel.shmmni && /bin/mrtest sysctl net/ipv4/ip_forward\"]"
run_ctr n2
assert_eq "$RUN_STATUS" 0 "a container with sysctls runs"
assert_eq "$(field "$RUN_STDOUT" kernel.shmmni)" "$want_shmmni" "an IPC sysctl is set inside"
assert_eq "$(field "$RUN_STDOUT" net/ipv4/ip_forward)" "$want_forward" \
  "a network sysctl is set inside"
assert_eq "$(cat /proc/sys/kernel/shmmni) $(cat /proc/sys/net/ipv4/ip_forward)" \
  "$host_shmmni $host_forward" "the host's sysctls are unchanged"

# 3. Joining a network namespace by path, and a sysctl set in it.
touch "$TEST_TMP/netns"
if unshare --net="$TEST_TMP/netns" true; then
  netns_inode=$(stat -L -c %i "$TEST_TMP/netns")
  joined_forward=$(nsenter --net="$TEST_TMP/netns" cat /proc/sys/net/ipv4/ip_forward)
  cfg ".linux.sysctl = {\"net.ipv4.ip_forward\": \"$((1 - joined_forward))\"}
       | .linux.namespaces |= map(if .type == \"network\" then .path = \"$TEST_TMP/netns\" else . end)
       | .process.args = [\"/bin/mrtest\", \"report\"]"
  run_ctr n3
  assert_eq "$RUN_STATUS" 0 "a container joining a network namespace by path runs"
  assert_eq "$(field "$RUN_STDOUT" ns.net)" "$netns_inode" "it is in the namespace of that path"
  assert_eq "$(nsenter --net="$TEST_TMP/netns" cat /proc/sys/net/ipv4/ip_forward)" \
    "$((1 - joined_forward))" "the sysctl is set in the joined namespace"
  assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_forward" "and not in the host's"
  umount "$TEST_TMP/netns"
else
  skip "unshare --net=FILE cannot make a network namespace here" 4
fi

# 4. A user namespace with mappings. Its root is an unprivileged user of
# the host, who must be able to reach the rootfs. The cgroup mount is left
# out: what it needs of a user namespace is not what is tested here.
chmod 0711 "$TEST_TMP"
cfg '.linux.sysctl = {} | del(.linux.namespaces[] | select(.path))
     | .linux.namespaces += [{"type": "user"}, {"type": "network"}]
     | .linux.namespaces |= unique_by(.type)
     | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
     | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
     | .process.args = ["/bin/sh", "-c",
         "/bin/mrtest report; cat /proc/self/uid_map /proc/self/gid_map"]'
run_ctr n4
assert_eq "$RUN_STATUS" 0 "a container in a new user namespace runs" || diag "$RUN_STDERR"
assert_match "$RUN_STDOUT" "^uid: 0( |$)" "it is uid 0 inside"
assert_match "$RUN_STDOUT" "^ +0 +100000 +65536$" "uid_map inside holds the uid mapping"
assert_match "$RUN_STDOUT" "^ +0 +200000 +65536$" "gid_map inside holds the gid mapping"
inside=$(field "$RUN_STDOUT" ns.user)
if [ -n "$inside" ] && [ "$inside" != "$(own_ns user)" ]; then
  pass "the user namespace inside is not the runtime's"
else
  fail "the user namespace inside is not the runtime's"
fi

# 4b. Joining a user namespace and a PID namespace of its own by path, as
# in a pod: the namespaces created for the container belong to that user
# namespace, so its root can set a network sysctl in its new network
# namespace. The holder is unshare's child, pid 1 of the PID namespace.
unshare --user --pid --fork sleep 60 2>/dev/null &
holder_parent=$!
holder=
for ((i = 0; i < 50; i++)); do
  holder=$(cat "/proc/$holder_parent/task/$holder_parent/children" 2>/dev/null)
  holder=${holder%% *}
  [ -n "$holder" ] && break
  sleep 0.1
done
if [ -n "$holder" ] && echo "0 300000 65536" >"/proc/$holder_parent/uid_map" &&
  echo "0 300000 65536" >"/proc/$holder_parent/gid_map"; then
  cfg ".linux.namespaces = [{\"type\": \"user\", \"path\": \"/proc/$holder/ns/user\"},
                           {\"type\": \"pid\", \"path\": \"/proc/$holder/ns/pid\"},
                           {\"type\": \"mount\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},
                           {\"type\": \"uts\"}, {\"type\": \"cgroup\"}]
       | del(.linux.uidMappings, .linux.gidMappings)
       | .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"}
       | .process.args = [\"/bin/sh\", \"-c\",
           \"/bin/mrtest report; /bin/mrtest sysctl net.ipv4.ip_forward\"]"
  run_ctr n4b
  assert_eq "$RUN_STATUS" 0 "a container joining a user and a PID namespace by path runs" ||
    diag "$RUN_STDERR"
  assert_eq "$(field "$RUN_STDOUT" ns.user) $(field "$RUN_STDOUT" ns.pid)" \
    "$(stat -L -c %i "/proc/$holder/ns/user") $(stat -L -c %i "/proc/$holder/ns/pid")" \
    "it is in the user and PID namespaces of that path"
  assert_match "$RUN_STDOUT" "^uid: 0( |$)" "it is uid 0 in the joined user namespace"
  assert_eq "$(field "$RUN_STDOUT" net.ipv4.ip_forward)" 1 \
    "the sysctl is set in its new network namespace"
  # While it waits for start, the init is visible to the joined namespace's
  # processes: it must not run from the runtime's file on the host.
  $MODRUN create --bundle "$BUNDLE" n4c >/dev/null 2>&1
  n4c=$(ctr_pid n4c)
  assert_match "$(readlink "/proc/$n4c/exe" 2>&1)" "^/memfd:" \
    "an init visible to a joined PID namespace runs from a sealed copy, not the host binary"
  $MODRUN delete --force n4c >/dev/null 2>&1
else
  fail "a user and PID namespace to join were made"
  skip "no namespaces to join" 4
fi
# As the init of its PID namespace, the holder ignores what it has no
# handler for, SIGTERM included.
[ -n "$holder" ] && kill -KILL "$holder" 2>/dev/null
wait "$holder_parent" 2>/dev/null

# 5. A time namespace with offsets.
cfg '.linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                          {"type": "uts"}, {"type": "mount"}, {"type": "time"}]
     | .linux.sysctl = {}
     | .linux.timeOffsets = {"monotonic": {"secs": 100000, "nanosecs": 0},
                             "boottime": {"secs": 200000, "nanosecs": 500000000}}
     | .process.args = ["/bin/mrtest", "clock"]'
if [ -e /proc/self/ns/time ]; then
  before=$(awk '{ printf "%d", $1 }' /proc/uptime)
  run_ctr n5
  after=$(awk '{ printf "%d", $1 + 1 }' /proc/uptime)
  assert_eq "$RUN_STATUS" 0 "a container in a new time namespace runs" || diag "$RUN_STDERR"
  mono=$(field "$RUN_STDOUT" monotonic)
  boot=$(field "$RUN_STDOUT" boottime)
  mono=${mono%.*}
  boot=${boot%.*}
  # The host's monotonic clock is at most its boot time.
  if [ -n "$mono" ] && [ "$mono" -ge 100000 ] && [ "$mono" -le $((after + 100000)) ]; then
    pass "CLOCK_MONOTONIC inside is shifted by 100000 s"
  else
    fail "CLOCK_MONOTONIC inside is shifted by 100000 s"
    diag "inside: '$mono', host boot time: $before .. $after"
  fi
  if [ -n "$boot" ] && [ "$boot" -ge $((before + 200000)) ] &&
    [ "$boot" -le $((after + 200001)) ]; then
    pass "CLOCK_BOOTTIME inside is shifted by 200000.5 s"
  else
    fail "CLOCK_BOOTTIME inside is shifted by 200000.5 s"
    diag "inside: '$boot', host boot time: $before .. $after"
  fi
else
  skip "this kernel has no time namespaces" 3
fi

# 6. What the plugin cannot honour: one line, exit 1, nothing left.
refused ()
{
  local filter=$1 what=$2 pattern=$3
  make_bundle "$B"
  cfg "$filter" || return
  $MODRUN run --bundle "$B" bad >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
  local status=$? lines
  lines=$(grep -c . "$TEST_TMP/err")
  if [ "$status" = 1 ] && [ "$lines" = 1 ] && grep -Eq -- "$pattern" "$TEST_TMP/err" &&
    [ ! -e "$TEST_ROOT/bad" ]; then
    pass "refused: $what"
  else
    fail "refused: $what"
    diag "status $status, $lines lines, state: $(ls "$TEST_ROOT")" "$(cat "$TEST_TMP/err")"
  fi
}

refused '.linux.namespaces += [{"type": "foo"}]' "an unknown namespace type" \
  'linux\.namespaces\[6\]\.type: unknown namespace type "foo"'
refused '.linux.namespaces += [{"type": "pid"}]' "a namespace type given twice" \
  'linux\.namespaces\[6\]\.type: duplicate namespace type "pid"'
refused '.linux.namespaces[1].path = "proc/1/ns/net"' "a relative namespace path" \
  'linux\.namespaces\[1\]\.path: expected an absolute path'
refused '.linux.namespaces[1].path = "/nonexistent/netns"' "a namespace path that does not exist" \
  'linux\.namespaces\[1\]\.path: open "/nonexistent/netns"'
refused '.linux.namespaces[1].path = "/proc/self/ns/ipc"' "a path to another kind of namespace" \
  'is a namespace of type "ipc", expected "network"'
refused '.linux.namespaces[1].path = "/etc/passwd"' "a path that is no namespace" \
  '"/etc/passwd" is not a namespace file'
refused '.linux.namespaces |= map(select(.type != "uts"))' "hostname without a UTS namespace" \
  'hostname requires a UTS namespace in linux.namespaces'
refused '.linux.namespaces |= map(select(.type != "uts")) | del(.hostname)
         | .domainname = "d"' "domainname without a UTS namespace" \
  'domainname requires a UTS namespace in linux.namespaces'
refused '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]' \
  "uid mappings without a user namespace" 'linux\.uidMappings: mappings require a user namespace'
refused '.linux.namespaces += [{"type": "user"}]' "a new user namespace without mappings" \
  'a new user namespace requires linux\.uidMappings'
refused '.linux.namespaces += [{"type": "user"}]
         | .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 0}]
         | .linux.gidMappings = .linux.uidMappings' "a mapping of size 0" \
  'linux\.uidMappings\[0\]\.size: expected an integer greater than 0'
refused '.linux.namespaces += [{"type": "user"}]
         | .linux.uidMappings = [{"containerID": 0, "hostID": "1000", "size": 1}]
         | .linux.gidMappings = .linux.uidMappings' "a mapping with a string id" \
  'linux\.uidMappings\[0\]\.hostID: expected integer, got string'
refused '.linux.timeOffsets = {"monotonic": {"secs": 1}}' "time offsets without a time namespace" \
  'linux\.timeOffsets requires a new time namespace'
refused '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"realtime": {"secs": 1}}' \
  "an offset for another clock" 'linux\.timeOffsets: unknown clock "realtime"'
refused '.linux.sysctl = {"vm.swappiness": "10"}' "a sysctl no namespace isolates" \
  'linux\.sysctl: "vm\.swappiness" is not namespaced'
refused '.linux.namespaces |= map(select(.type != "network"))
         | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' "a network sysctl on the host's network" \
  'linux\.sysctl: "net\.ipv4\.ip_forward" requires a namespace of type "network"'
refused '.linux.namespaces[1].path = "/proc/self/ns/net"
         | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
  "a network sysctl in the runtime's own network namespace" 'would change the host'
refused '.linux.sysctl = {"kernel.shmmni": 5}' "a sysctl value that is no string" \
  'linux\.sysctl\["kernel\.shmmni"\]: expected string, got integer'
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_forward" \
  "refused sysctls leave the host's value alone"

# 7. What the plugin tells features.
features=$($MODRUN features 2>/dev/null | jq -r '.linux.namespaces | sort | join(" ")' 2>/dev/null)
assert_match "$features" "^cgroup ipc mount network pid (time )?user uts$" \
  "features lists the namespaces"

assert_no_leftovers
