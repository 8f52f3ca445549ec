#!/bin/bash
# mounts: what a container sees of its mounts, devices, masked and read-only
# paths and root; that no destination leads out of the rootfs; propagation;
# and that a bad mount config is one error line with nothing left behind.
. "$(dirname "$0")/lib.sh"

plan 114

B=$TEST_TMP/bundle
make_bundle "$B"
SRC=$TEST_TMP/src
mkdir -p "$SRC/dir/sub"
echo "from the host" >"$SRC/file"
echo "in a dir" >"$SRC/dir/content"

# inside SCRIPT: runs a shell script in the container (mrtest is on PATH).
inside ()
{
  cfg --arg s "$1" '.process.args = ["/bin/sh", "-c", $s]'
  run_ctr "ctr$((++RUNS))"
}
RUNS=0

# The mountinfo line of mount point $2 in mountinfo text $1.
mount_line ()
{
  printf '%s\n' "$1" | awk -v p="$2" '$5 == p'
}

# 1. The default config: every mount type of it, seen from inside.
inside 'cat /proc/self/mountinfo'
assert_eq "$RUN_STATUS" 0 "the default config runs"
mi=$RUN_STDOUT
assert_match "$(mount_line "$mi" /)" " / ro[ ,]" "root.readonly: / is read-only"
assert_match "$(mount_line "$mi" /proc)" "- proc " "proc on /proc"
assert_match "$(mount_line "$mi" /dev)" "rw,nosuid[ ,].*- tmpfs .*mode=755" \
  "tmpfs on /dev, nosuid, mode=755"
assert_no_match "$(mount_line "$mi" /dev)" "relatime" "strictatime on /dev"
assert_match "$(mount_line "$mi" /dev/pts)" "nosuid,noexec.*- devpts .*ptmxmode=666" \
  "a new devpts instance with ptmxmode=0666"
assert_match "$(mount_line "$mi" /dev/shm)" "nosuid,nodev,noexec.*- tmpfs .*size=65536k" \
  "tmpfs on /dev/shm with its data"
assert_match "$(mount_line "$mi" /dev/mqueue)" "- mqueue " "mqueue on /dev/mqueue"
assert_match "$(mount_line "$mi" /sys)" " ro,nosuid,nodev,noexec.*- sysfs " "sysfs read-only"
assert_match "$(mount_line "$mi" /sys/fs/cgroup)" " ro,nosuid,nodev,noexec" \
  "the cgroup mount is read-only"
if grep -q ' - cgroup ' /proc/self/mountinfo; then
  assert_match "$(mount_line "$mi" /sys/fs/cgroup/memory)" " ro,.*- cgroup .*memory" \
    "cgroup v1 host: the memory hierarchy under /sys/fs/cgroup, read-only"
else
  assert_match "$(mount_line "$mi" /sys/fs/cgroup)" "- cgroup2 " "cgroup2 host: a cgroup2 mount"
fi

# 2. Masked and read-only paths of the default config.
inside 'mrtest cat /proc/keys; echo "keys=$?"; mrtest ls /sys/firmware; echo "firmware=$?"'
assert_eq "$RUN_STDOUT" $'keys=0\nfirmware=0' "masked /proc/keys and /sys/firmware read as empty"
inside 'mrtest write /sys/firmware/x y; mrtest write /proc/sys/kernel/hostname x;
        mrtest write /newfile x'
assert_eq "$RUN_STDOUT" $'error: EROFS\nerror: EROFS\nerror: EROFS' \
  "masked dir, read-only /proc/sys and read-only root refuse writes (EROFS)"
assert_match "$(mount_line "$mi" /proc/sys)" " /proc/sys ro[, ]" "/proc/sys is read-only"
assert_match "$(mount_line "$mi" /sys/firmware)" " ro[ ,].*- tmpfs " \
  "masked directory: an empty read-only tmpfs"

cfg '.root.readonly = false | .linux.readonlyPaths += ["/ro-dir"] | .linux.maskedPaths += ["/masked-file", "/missing/path"]'
mkdir -p "$B/rootfs/ro-dir"
echo secret >"$B/rootfs/masked-file"
inside 'mrtest write /newfile x; mrtest write /ro-dir/f x; mrtest cat /masked-file; echo end'
assert_eq "$RUN_STATUS" 0 "extra masked and read-only paths, a missing one ignored"
assert_eq "$RUN_STDOUT" $'ok\nerror: EROFS\nend' \
  "root writable without root.readonly; readonlyPaths entry read-only; masked file empty"
rm -f "$B/rootfs/newfile"

# 3. Default devices and /dev symlinks.
inside 'for d in null zero full random urandom tty; do mrtest stat /dev/$d | tr "\n" " "; echo; done
        for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
st=$RUN_STDOUT
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  assert_match "$st" "^type: char mode: 0666 uid: 0 gid: 0 rdev: ${d#*:} " \
    "default device /dev/${d%%:*} is char ${d#*:}, mode 0666"
done
assert_match "$st" "^fd -> /proc/self/fd$" "/dev/fd -> /proc/self/fd"
assert_match "$st" "^stdin -> /proc/self/fd/0$" "/dev/stdin -> /proc/self/fd/0"
assert_match "$st" "^stdout -> /proc/self/fd/1$" "/dev/stdout -> /proc/self/fd/1"
assert_match "$st" "^stderr -> /proc/self/fd/2$" "/dev/stderr -> /proc/self/fd/2"
assert_match "$st" "^ptmx -> pts/ptmx$" "/dev/ptmx -> pts/ptmx"

# 4. linux.devices: type, numbers, mode and owner.
cfg '.linux.devices = [
  {"path": "/dev/mydev", "type": "c", "major": 1, "minor": 5, "fileMode": 384, "uid": 12, "gid": 34},
  {"path": "/dev/sub/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 416},
  {"path": "/dev/myfifo", "type": "p", "fileMode": 420},
  {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]
  | .linux.resources.devices = [{"allow": true, "access": "rwm"}]'
inside 'for d in mydev sub/myblk myfifo; do mrtest stat /dev/$d | tr "\n" " "; echo; done'
assert_eq "$RUN_STATUS" 0 "linux.devices are made"
assert_match "$RUN_STDOUT" "^type: char mode: 0600 uid: 12 gid: 34 rdev: 1:5 " \
  "char device with fileMode, uid and gid"
assert_match "$RUN_STDOUT" "^type: block mode: 0640 uid: 0 gid: 0 rdev: 7:200 " \
  "block device in a new directory"
assert_match "$RUN_STDOUT" "^type: fifo mode: 0644 " "fifo"
cfg '.linux.devices = []'

# 5. Mount types and options of the config's own mounts.
mount -t tmpfs -o size=1m subsrc "$SRC/dir/sub"
cfg --arg src "$SRC" '.mounts += [
  {"destination": "/t1", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]},
  {"destination": "/bdir", "type": "bind", "source": ($src + "/dir"), "options": ["rbind", "ro"]},
  {"destination": "/rdir", "type": "none", "source": ($src + "/dir"), "options": ["rbind", "rro"]},
  {"destination": "/etc/hostfile", "source": ($src + "/file"), "options": ["bind", "nosuid"]},
  {"destination": "relative/dest", "type": "tmpfs", "source": "tmpfs", "options": ["noatime"]}]'
inside 'cat /proc/self/mountinfo; mrtest cat /etc/hostfile; mrtest cat /bdir/content;
        for f in /t1/f /bdir/f /bdir/sub/f /rdir/f /rdir/sub/f /etc/hostfile; do
          echo "$f $(mrtest write $f x)"; done'
umount "$SRC/dir/sub"
out=$RUN_STDOUT
assert_eq "$RUN_STATUS" 0 "tmpfs, bind, rbind, file bind and relative destination mounts run"
assert_match "$(mount_line "$out" /t1)" "rw,nosuid,nodev,noexec.*- tmpfs .*size=1024k,mode=700" \
  "tmpfs with flags and data"
assert_match "$(mount_line "$out" /bdir)" " /bdir ro[, ]" "bind with ro is read-only"
assert_match "$(mount_line "$out" /bdir/sub)" " /bdir/sub rw[, ]" \
  "rbind with ro: the submount stays writable"
assert_match "$(mount_line "$out" /rdir/sub)" " /rdir/sub ro[, ]" "rbind with rro: the submount is read-only too"
assert_match "$(mount_line "$out" /etc/hostfile)" " rw,nosuid[, ]" "file bind with nosuid"
assert_match "$(mount_line "$out" /relative/dest)" " rw,noatime[, ]" \
  "a relative destination is taken from /"
assert_match "$out" "^from the host$" "the bound file reads"
assert_match "$out" "^in a dir$" "the bound directory reads"
assert_match "$out" "^/t1/f ok$" "the tmpfs is writable"
assert_match "$out" "^/bdir/f error: EROFS$" "the ro bind refuses writes"
assert_match "$out" "^/bdir/sub/f ok$" "the submount of a ro rbind accepts writes"
assert_match "$out" "^/rdir/sub/f error: EROFS$" "the submount of an rro rbind refuses writes"
assert_match "$out" "^/etc/hostfile ok$" "the file bind is writable"
assert_eq "$(cat "$SRC/file")" "x" "the write reached the host file through the bind"
echo "from the host" >"$SRC/file"
[ -f "$B/rootfs/etc/hostfile" ] && [ -d "$B/rootfs/relative/dest" ]
ok $? "missing destinations are created in the rootfs (a file for a file bind)"
rm -f "$SRC/dir/sub/f"

# 6. A destination through symlinks never leaves the rootfs.
make_bundle "$TEST_TMP/evil"
ln -s /etc "$BUNDLE/rootfs/evil"
ln -s ../../../../../../modrun-escape "$BUNDLE/rootfs/evil2"
ln -s /etc/modrun-dangling/dir "$BUNDLE/rootfs/evil3"
before=$(ls -la /etc)
cfg --arg src "$SRC" '.mounts += [
  {"destination": "/evil/modrun-x", "type": "tmpfs", "source": "tmpfs"},
  {"destination": "/evil2/y", "type": "bind", "source": ($src + "/file"), "options": ["bind"]},
  {"destination": "/evil3/z", "type": "tmpfs", "source": "tmpfs"},
  {"destination": "/../../../etc/modrun-dots", "type": "tmpfs", "source": "tmpfs"}]'
inside 'cat /proc/self/mountinfo'
assert_eq "$RUN_STATUS" 0 "destinations through symlinks and .. are mounted"
assert_match "$(mount_line "$RUN_STDOUT" /etc/modrun-x)" "- tmpfs " \
  "rootfs/evil -> /etc: mounted on the container's /etc/modrun-x"
assert_match "$(mount_line "$RUN_STDOUT" /modrun-escape/y)" " /modrun-escape/y " \
  "a relative symlink climbing out ends at the container's root"
assert_match "$(mount_line "$RUN_STDOUT" /etc/modrun-dangling/dir/z)" "- tmpfs " \
  "a dangling symlink's target is made inside the rootfs"
assert_match "$(mount_line "$RUN_STDOUT" /etc/modrun-dots)" "- tmpfs " ".. stops at the root"
assert_eq "$(ls -la /etc)" "$before" "the host's /etc is untouched"
[ ! -e /modrun-escape ] && [ ! -e /etc/modrun-x ] && [ ! -e /etc/modrun-dangling ]
ok $? "nothing was created on the host"
[ -d "$BUNDLE/rootfs/etc/modrun-x" ] && [ -f "$BUNDLE/rootfs/modrun-escape/y" ] &&
  [ -d "$BUNDLE/rootfs/etc/modrun-dangling/dir/z" ]
ok $? "the destinations were created inside the rootfs"

# A destination in the container's /proc, directly or through a symlink of
# the image, is refused: a mount over /proc/self/attr would swallow the LSM
# label written there. The files lxcfs mounts over stay allowed.
make_bundle "$TEST_TMP/procdest"
ln -s /proc/self/attr "$BUNDLE/rootfs/pattr"
cp "$BUNDLE/config.json" "$TEST_TMP/procdest.json"
for dest in /pattr /proc/self/attr /proc/sys; do
  cfg --arg d "$dest" '.mounts += [{"destination": $d, "type": "tmpfs", "source": "tmpfs"}]'
  run_ctr procdest
  assert_eq "$RUN_STATUS $(grep -c . <<<"$RUN_STDERR")" "1 1" "a tmpfs on $dest: exit 1, one line" ||
    diag "stderr: $RUN_STDERR"
  assert_match "$RUN_STDERR" "\`$dest\` resolves to a file of the container's /proc" \
    "a tmpfs on $dest: the message names it"
  cp "$TEST_TMP/procdest.json" "$BUNDLE/config.json"
done
assert_no_leftovers "refused /proc destinations leave nothing behind"
cfg --arg src "$SRC" '.mounts += [{"destination": "/proc/uptime", "type": "bind",
  "source": ($src + "/file"), "options": ["bind"]}]'
inside 'cat /proc/self/mountinfo'
assert_match "$RUN_STATUS $(mount_line "$RUN_STDOUT" /proc/uptime)" "^0 .* /proc/uptime " \
  "a bind over /proc/uptime (as lxcfs does) is mounted"

# 7. Propagation. The test's namespace is made shared for this part, so that
# the container's root has something to be a slave of.
make_bundle "$TEST_TMP/prop"
mount --make-rshared /
root_opt ()
{
  printf '%s\n' "$RUN_STDOUT" | awk '$5 == "/" { for (i = 7; $i != "-"; i++) printf "%s ", $i }'
}
inside 'cat /proc/self/mountinfo'
assert_match "$(root_opt)" "master:[0-9]+" "by default / is a slave of the host's mount"
assert_no_match "$(root_opt)" "shared:" "by default / is not shared"
cfg '.linux.rootfsPropagation = "private"'
inside 'cat /proc/self/mountinfo'
assert_eq "$RUN_STATUS" 0 "rootfsPropagation private runs"
assert_eq "$(root_opt)" "" "rootfsPropagation private: / neither shared nor slave"
cfg '.linux.rootfsPropagation = "rshared"'
inside 'cat /proc/self/mountinfo'
assert_eq "$RUN_STATUS" 0 "rootfsPropagation rshared runs"
assert_match "$(root_opt)" "shared:[0-9]+" "rootfsPropagation rshared: / is shared"
cfg '.linux.rootfsPropagation = "unbindable"'
inside 'cat /proc/self/mountinfo'
assert_eq "$RUN_STATUS" 0 "rootfsPropagation unbindable runs" || diag "$RUN_STDERR"
assert_match "$(root_opt)" "unbindable" "rootfsPropagation unbindable: / is unbindable"
cfg 'del(.linux.rootfsPropagation) | .mounts += [
  {"destination": "/shared-tmp", "type": "tmpfs", "source": "tmpfs", "options": ["shared"]},
  {"destination": "/unbindable-tmp", "type": "tmpfs", "source": "tmpfs", "options": ["unbindable"]}]'
inside 'cat /proc/self/mountinfo'
assert_match "$(mount_line "$RUN_STDOUT" /shared-tmp)" " shared:[0-9]+ " "option shared makes a shared mount"
assert_match "$(mount_line "$RUN_STDOUT" /unbindable-tmp)" " unbindable " \
  "option unbindable makes an unbindable mount"
mount --make-rprivate /
assert_no_leftovers "propagation runs leave nothing behind"

# 8. In a user namespace: no mknod, so the host's nodes are bound; sysfs
# without a network namespace of its own is the host's, bound. The ids of
# the mapping must reach the rootfs.
chmod 755 "$TEST_TMP"
make_bundle "$TEST_TMP/userns"
chmod 755 "$BUNDLE"
chown -R 100000:100000 "$BUNDLE/rootfs"
cfg '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.namespaces |= map(select(.type != "network"))'
inside 'cat /proc/self/mountinfo; mrtest write /dev/null x; mrtest stat /dev/zero | grep rdev'
assert_eq "$RUN_STATUS" 0 "a user namespace container runs"
assert_match "$(mount_line "$RUN_STDOUT" /dev/null)" " /null /dev/null .*- devtmpfs " \
  "user namespace: /dev/null is the host's node, bound"
assert_match "$RUN_STDOUT" "^ok$" "user namespace: the bound /dev/null is writable"
assert_match "$(mount_line "$RUN_STDOUT" /sys)" " ro,nosuid,nodev,noexec.*- sysfs " \
  "user namespace without network namespace: the host's sysfs bound read-only"

# 9. Bad configs: one error line, exit 1, no mount, no state left.
bad ()
{
  local filter=$1 want=$2 desc=$3 mi_before mi_after
  make_bundle "$TEST_TMP/bad"
  cfg "$filter" || return
  mi_before=$(cat /proc/self/mountinfo)
  run_ctr bad
  mi_after=$(cat /proc/self/mountinfo)
  if [ "$RUN_STATUS" = 1 ] && [ "$(printf '%s\n' "$RUN_STDERR" | wc -l)" = 1 ] &&
    { [ "$RUNTIME_NAME" != modrun ] || printf '%s\n' "$RUN_STDERR" | grep -Eq -- "$want"; } &&
    [ "$mi_before" = "$mi_after" ] && [ -z "$(list_leftovers)" ]; then
    pass "$desc"
  else
    fail "$desc"
    diag "status $RUN_STATUS, stderr:" "$RUN_STDERR" "leftovers:" "$(list_leftovers)"
  fi
}
bad '.mounts[0].destination = 5' 'mounts\[0\]\.destination: expected string, got integer' \
  "destination of the wrong type"
bad '.mounts[0] |= del(.destination)' 'mounts\[0\]\.destination: required' "destination missing"
bad '.mounts[1].options = ["nosuid", 3]' 'mounts\[1\]\.options\[1\]: expected string, got integer' \
  "an option that is not a string"
bad '.mounts += [{"destination": "/x", "options": ["bind"]}]' 'mounts\[7\]\.source: required for a bind mount' \
  "a bind mount without source"
bad '.mounts += [{"destination": "/x", "source": "x"}]' 'mounts\[7\]\.type: required' \
  "a mount without type that is no bind mount"
bad '.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent/modrun"}]' \
  'mounts\[7\]: bind source `/nonexistent/modrun`.*No such file' "a bind source that does not exist"
bad '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "t", "options": ["size=1x"]}]' \
  'mounts\[7\]: mounting `t` of type tmpfs on `/x` with data "size=1x": Invalid argument' \
  "a tmpfs the kernel refuses (failure in the child)"
bad '.linux.devices = [{"path": "dev/x", "type": "c", "major": 1, "minor": 3}]' \
  'linux\.devices\[0\]\.path: expected an absolute path' "a relative device path"
bad '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]' \
  'linux\.devices\[0\]\.type: expected one of c, b, u, p' "an unknown device type"
bad '.linux.devices = [{"path": "/dev/x", "type": "c", "minor": 3}]' \
  'linux\.devices\[0\]: major and minor are required' "a char device without major"
bad '.linux.devices = [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 99999}]' \
  'linux\.devices\[0\]\.fileMode: expected an integer from 0 to 4095' "a fileMode out of range"
bad '.linux.rootfsPropagation = "sideways"' 'linux\.rootfsPropagation: expected one of shared' \
  "an unknown rootfsPropagation"
bad '.linux.maskedPaths = ["proc/kcore"]' 'linux\.maskedPaths\[0\]: expected an absolute path' \
  "a relative masked path"
bad '.root.readonly = "yes"' 'root\.readonly: expected boolean, got string' \
  "root.readonly of the wrong type"
assert_no_leftovers "bad configs leave nothing behind"

# 10. Without a mount namespace the container shares the runtime's: its
# mounts are made there, under the rootfs only, and delete (or the end of a
# run, or a failed create) detaches them again.
make_bundle "$TEST_TMP/nomntns" nomnt
cfg '.linux.namespaces |= map(select(.type != "mount"))
  | del(.linux.maskedPaths, .linux.readonlyPaths, .linux.rootfsPropagation)
  | .root.readonly = false
  | .process.args = ["/bin/sh", "-c",
      "test -r /proc/self/status && test -c /dev/null && echo proc-and-dev; exec mrtest wait-signal TERM"]'
RF=$(realpath "$BUNDLE/rootfs")
$MODRUN create --bundle "$BUNDLE" nomnt </dev/null >"$TEST_TMP/nomnt.out" 2>"$TEST_TMP/nomnt.err"
assert_eq "$?" 0 "no mount namespace: create with mounts exits 0" || diag "$(cat "$TEST_TMP/nomnt.err")"
pid=$(ctr_pid nomnt)
assert_eq "$(readlink "/proc/$pid/ns/mnt")" "$(readlink /proc/self/ns/mnt)" \
  "no mount namespace: the container is in the runtime's mount namespace"
host_mi=$(cat /proc/self/mountinfo)
assert_match "$(mount_line "$host_mi" "$RF/proc")" "- proc " \
  "no mount namespace: proc is mounted on the rootfs's /proc, in the runtime's namespace"
assert_match "$(mount_line "$host_mi" "$RF/dev")" "- tmpfs " \
  "no mount namespace: a tmpfs on the rootfs's /dev"
assert_no_match "$(mount_line "$host_mi" "$RF")" "." \
  "no mount namespace: the rootfs itself is not bound on itself"
$MODRUN start nomnt 2>>"$TEST_TMP/nomnt.err"
for ((i = 0; i < 50; i++)); do
  [ -s "$TEST_TMP/nomnt.out" ] && break
  sleep 0.1
done
assert_eq "$(head -n 1 "$TEST_TMP/nomnt.out")" proc-and-dev \
  "no mount namespace: the process sees /proc and /dev/null in its root"
$MODRUN kill nomnt TERM
wait_status nomnt stopped 10
$MODRUN delete nomnt 2>>"$TEST_TMP/nomnt.err"
assert_eq "$?" 0 "no mount namespace: delete exits 0" || diag "$(cat "$TEST_TMP/nomnt.err")"
assert_eq "$(awk -v r="$RF/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)" "" \
  "no mount namespace: delete detaches every mount under the rootfs"
assert_no_leftovers "no mount namespace: nothing left behind after delete"

cfg '.process.args = ["/bin/sh", "-c", "grep -c \" /dev/shm \" /proc/self/mountinfo"]'
run_ctr nomnt2
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 1" "no mount namespace: run sees its mounts" ||
  diag "$RUN_STDERR"
assert_no_leftovers "no mount namespace: nothing left behind after run"

cfg '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "t", "options": ["size=1x"]}]'
run_ctr nomnt3
assert_eq "$RUN_STATUS $(printf '%s\n' "$RUN_STDERR" | grep -c .)" "1 1" \
  "no mount namespace: a mount the kernel refuses fails with one error line" || diag "$RUN_STDERR"
assert_no_leftovers "no mount namespace: the mounts made before the failure are detached"

cfg 'del(.mounts[-1]) | .linux.maskedPaths = ["/proc/kcore"]'
run_ctr nomnt4
assert_match "$RUN_STATUS $RUN_STDERR" \
  '^1 .*linux\.maskedPaths: needs a mount namespace, but linux\.namespaces has no entry of type "mount"$' \
  "no mount namespace: maskedPaths are refused, naming the field"
assert_no_leftovers "no mount namespace: a refused config leaves nothing behind"

# 11. Without a mount namespace, with the runtime's own root as rootfs, the
# container's mounts and devices would land on the host's /proc and /dev:
# refused. With neither, the container runs and /dev is left as it is. The
# runtime runs chrooted into a recursive bind of the test's tree whose /dev
# is a scratch tmpfs, so that a mistake could only damage that.
S=$TEST_TMP/hostroot
mkdir -p "$S"
mount --rbind / "$S"
mount -t tmpfs -o mode=755 tmpfs "$S/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 ptmx:5:2; do
  IFS=: read -r name major minor <<<"$n"
  mknod -m 666 "$S/dev/$name" c "$major" "$minor"
done
dev_before=$(ls -l "$S/dev")
in_scratch ()
{
  chroot "$S" /usr/bin/env MODRUN_PLUGIN_PATH="$MODRUN_PLUGIN_PATH" \
    timeout -k 5 30 $MODRUN run --bundle "$BUNDLE" "$1" </dev/null >"$TEST_TMP/run.out" \
    2>"$TEST_TMP/run.err"
  RUN_STATUS=$?
  RUN_STDOUT=$(cat "$TEST_TMP/run.out")
  RUN_STDERR=$(cat "$TEST_TMP/run.err")
}
make_bundle "$TEST_TMP/hostrootb" hostroot
cfg '.linux.namespaces |= map(select(.type != "mount"))
  | del(.linux.maskedPaths, .linux.readonlyPaths, .linux.rootfsPropagation)
  | .root = {path: "/"}
  | .process.args = ["/bin/sh", "-c", "test -c /dev/ptmx && echo ptmx-is-a-device"]'
in_scratch hostroot1
assert_match "$RUN_STATUS $RUN_STDERR" \
  "^1 .*mounts: without a mount namespace they would be made on the runtime's own root" \
  "no mount namespace and the runtime's root as rootfs: mounts are refused"
cfg '.mounts = [] | .linux.devices = [{path: "/dev/modrun-test-x", type: "c", major: 1, minor: 3}]'
in_scratch hostroot2
assert_match "$RUN_STATUS $RUN_STDERR" \
  "^1 .*linux\.devices: without a mount namespace they would be made on the runtime's own root" \
  "no mount namespace and the runtime's root as rootfs: linux.devices are refused"
cfg 'del(.linux.devices)'
in_scratch hostroot3
assert_eq "$RUN_STATUS $RUN_STDOUT" "0 ptmx-is-a-device" \
  "no mount namespace, the runtime's root as rootfs, no mounts nor devices: the container runs" ||
  diag "$RUN_STDERR"
assert_eq "$(ls -l "$S/dev")" "$dev_before" \
  "the runtime's /dev is left as it is: no node made, /dev/ptmx not replaced"
umount -Rl "$S"
assert_no_leftovers "the runtime's root as rootfs: nothing left behind"
