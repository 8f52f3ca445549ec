#!/bin/bash
# run-in-vm.sh: runs a command as root inside a throw-away QEMU virtual
# machine whose kernel has cgroup v1 switched off (cgroup_no_v1=all), so
# that the cgroups-v2 plugin can be tested on hosts that are not cgroup v2
# only, and prints its output and exits with its status. With -c, the
# guest's cgroups are laid out as on a v1 or hybrid host instead.
#
#   tests/vm/run-in-vm.sh [-S] [-c LAYOUT] [-s DIR] [-e NAME]... COMMAND [ARG...]
#
#   -S       systemd (the host's /lib/systemd/systemd) is the guest's init,
#            and COMMAND runs as a oneshot service of it, without the
#            default dependencies (no udev, no journal, no D-Bus daemon)
#   -c LAYOUT  unified (the default): cgroup2 only; hybrid: every controller
#            on its own v1 hierarchy under /sys/fs/cgroup, and cgroup2 on
#            /sys/fs/cgroup/unified with none; legacy: v1 only, with the
#            named hierarchy name=systemd. Under -S, systemd mounts them
#            (systemd.unified_cgroup_hierarchy=0)
#   -s DIR   a host directory shared read-write with the guest, at the same
#            path (the guest sees every other host file read-only)
#   -e NAME  passes the host's environment variable NAME to COMMAND
#
# The guest runs Debian's kernel (package $MODRUN_VM_KERNEL, by default the
# linux-image-amd64 of the host's apt sources, downloaded, never installed)
# with the host's / as its root, read-only over 9p, under a tmpfs overlay
# that is thrown away; /tmp is a fresh tmpfs. cgroup2 is mounted on
# /sys/fs/cgroup with every controller enabled in the root. COMMAND runs in
# the current directory (when the guest has it), stdin from /dev/null.
#
# Needs root and the Debian packages qemu-system-x86, busybox-static, kmod
# and cpio: missing ones are installed with apt-get. The kernel is kept in
# $MODRUN_VM_CACHE (/var/cache/modrun-vm).
#
# Exit status: COMMAND's; 124 when the VM ran out of time
# ($MODRUN_VM_TIMEOUT seconds, 1200 by default); 125 when the VM could not
# be started or reported no status (the kernel's console is printed then).
#
# Other settings: MODRUN_VM_MEM (MiB, 2048), MODRUN_VM_CPUS (2),
# MODRUN_VM_APPEND (more kernel parameters), MODRUN_VM_VERBOSE=1.
set -u

ME=run-in-vm
CACHE=${MODRUN_VM_CACHE:-/var/cache/modrun-vm}
KPKG=${MODRUN_VM_KERNEL:-linux-image-amd64}
MEM=${MODRUN_VM_MEM:-2048}
CPUS=${MODRUN_VM_CPUS:-2}
TIMEOUT=${MODRUN_VM_TIMEOUT:-1200}

die ()
{
  echo "$ME: $*" >&2
  exit 125
}

note ()
{
  [ "${MODRUN_VM_VERBOSE:-0}" = 1 ] && echo "$ME: $*" >&2
  return 0
}

SHARE=
PASS=()
SYSTEMD=
LAYOUT=unified
while getopts "Sc:s:e:h" opt; do
  case $opt in
    S) SYSTEMD=1 ;;
    c) LAYOUT=$OPTARG ;;
    s) SHARE=$(cd "$OPTARG" 2>/dev/null && pwd -P) || die "-s $OPTARG: not a directory" ;;
    e) PASS+=("$OPTARG") ;;
    h) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "usage: $0 [-S] [-c LAYOUT] [-s DIR] [-e NAME]... COMMAND [ARG...]" ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "usage: $0 [-S] [-c LAYOUT] [-s DIR] [-e NAME]... COMMAND [ARG...]"
case $LAYOUT in
  unified | hybrid | legacy) ;;
  *) die "-c $LAYOUT: the layout is one of unified, hybrid, legacy" ;;
esac
[ -z "$SYSTEMD" ] || [ -x /lib/systemd/systemd ] || die "-S: no /lib/systemd/systemd on this host"
[ "$(id -u)" = 0 ] || die "must run as root"
case ${SHARE:-/x} in
  / | *[[:space:]]*) die "-s $SHARE: the shared directory must not be / nor hold spaces" ;;
esac

# Host tools, from Debian packages.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v modprobe >/dev/null || need+=(kmod)
BUSYBOX=/bin/busybox
file_is_static ()
{
  LC_ALL=C ldd "$1" 2>&1 | grep -q 'not a dynamic executable'
}
if ! [ -x "$BUSYBOX" ] || ! file_is_static "$BUSYBOX"; then
  need+=(busybox-static)
fi
if [ ${#need[@]} -gt 0 ]; then
  note "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1; apt-get install -y -q --no-install-recommends \
      "${need[@]}" >&2; } || die "cannot install ${need[*]} with apt-get"
fi
[ -x "$BUSYBOX" ] && file_is_static "$BUSYBOX" || die "$BUSYBOX: a static busybox is needed"

# The guest kernel: the image package behind $KPKG, unpacked once.
mkdir -p "$CACHE" || die "cannot create $CACHE"
exec 8>"$CACHE/lock"
flock 8
real=$KPKG
for _ in 1 2 3; do
  dep=$(apt-cache depends "$real" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
  [ -n "$dep" ] || break
  real=$dep
done
KDIR=$CACHE/$real
if [ ! -f "$KDIR/ready" ]; then
  note "downloading $real"
  tmp=$(mktemp -d "$CACHE/new.XXXXXX") || die "cannot create a directory in $CACHE"
  (cd "$tmp" && apt-get download -q "$real" >/dev/null 2>&1) ||
    { apt-get update -q >/dev/null 2>&1; (cd "$tmp" && apt-get download -q "$real" >&2); } ||
    { rm -rf "$tmp"; die "cannot download the kernel package $real with apt-get"; }
  dpkg-deb -x "$tmp"/*.deb "$tmp/pkg" || { rm -rf "$tmp"; die "cannot unpack $real"; }
  img=$(ls "$tmp"/pkg/boot/vmlinuz-* 2>/dev/null | head -n 1)
  [ -n "$img" ] || { rm -rf "$tmp"; die "$real holds no /boot/vmlinuz-*"; }
  kver=${img##*/vmlinuz-}
  mkdir -p "$tmp/k/lib/modules"
  mv "$tmp/pkg/lib/modules/$kver" "$tmp/k/lib/modules/$kver" 2>/dev/null ||
    mv "$tmp/pkg/usr/lib/modules/$kver" "$tmp/k/lib/modules/$kver" ||
    { rm -rf "$tmp"; die "$real holds no modules for $kver"; }
  depmod -b "$tmp/k" "$kver" || { rm -rf "$tmp"; die "depmod of $kver failed"; }
  cp "$img" "$tmp/k/vmlinuz" && echo "$kver" >"$tmp/k/kver"
  # QEMU boots an uncompressed ELF kernel through its PVH entry, which skips
  # the decompressor, slow under emulation; the bzImage is kept otherwise.
  for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | cut -d: -f1 | head -n 3); do
    tail -c +$((off + 1)) "$img" | xz -dc 2>/dev/null >"$tmp/k/vmlinux"
    if [ "$(head -c 4 "$tmp/k/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
      break
    fi
    rm -f "$tmp/k/vmlinux"
  done
  rm -rf "$KDIR" && mv "$tmp/k" "$KDIR" && rm -rf "$tmp" && touch "$KDIR/ready" ||
    die "cannot store the kernel in $KDIR"
fi
flock -u 8
KVER=$(cat "$KDIR/kver")
KIMG=$KDIR/vmlinux
[ -f "$KIMG" ] || KIMG=$KDIR/vmlinuz

# This run's files: the initramfs, the control share (command, output,
# status), the console log.
RUN=$(mktemp -d /tmp/modrun-vm.XXXXXX) || die "cannot create a temporary directory"
QEMU_PID=
TAIL_PID=
finish ()
{
  [ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
  rm -rf "$RUN"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$RUN/ir/bin" "$RUN/ir/mods" "$RUN/ctl"
cp "$BUSYBOX" "$RUN/ir/bin/busybox"
for a in sh mount umount mkdir insmod switch_root cat echo sleep reboot poweroff ln cp sync; do
  ln -s busybox "$RUN/ir/bin/$a"
done
: >"$RUN/ir/mods/list"
for m in virtio_pci 9pnet_virtio 9p overlay; do
  deps=$(modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null) ||
    die "kernel $KVER: no module $m"
  printf '%s\n' "$deps" | while read -r kind path _; do
    [ "$kind" = insmod ] || continue
    name=$(basename "$path")
    name=${name%%.ko*}.ko
    grep -qx "$name" "$RUN/ir/mods/list" && continue
    case $path in
      *.xz) xz -dc "$path" >"$RUN/ir/mods/$name" ;;
      *.zst) zstd -dcq "$path" >"$RUN/ir/mods/$name" ;;
      *) cp "$path" "$RUN/ir/mods/$name" ;;
    esac
    echo "$name" >>"$RUN/ir/mods/list"
  done
done

{
  for v in "${PASS[@]}"; do
    [[ $v =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "-e $v: not a variable name"
    [ -n "${!v+set}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$RUN/ctl/cmd"

# Stage one, in the initramfs: the host's root under an overlay, then
# switch_root into it, so that pivot_root works in containers.
cat >"$RUN/ir/init" <<EOF
#!/bin/sh
PATH=/bin
bad () { echo "run-in-vm init: \$*" >/dev/console; reboot -f; }
mkdir -p /proc /sys /dev /host /rw /new /ctl
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs dev /dev
while read -r m; do insmod "/mods/\$m" || bad "insmod \$m"; done </mods/list
O=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "\$O,ro,cache=loose" host /host || bad "cannot mount the host's root"
mount -t tmpfs -o mode=0755 rw /rw && mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /new ||
  bad "cannot mount the overlay root"
mkdir -p /new/run/modrun-vm
mount -t tmpfs -o mode=1777 tmp /new/tmp && mount -t tmpfs -o mode=0755 run /new/run &&
  mkdir -p /new/run/modrun-vm/ctl && mount -t 9p -o "\$O,cache=none" ctl /new/run/modrun-vm/ctl ||
  bad "cannot mount /tmp, /run or the control share"
if [ -n "$SHARE" ]; then
  mkdir -p "/new$SHARE" && mount -t 9p -o "\$O,cache=none,access=client" share "/new$SHARE" ||
    bad "cannot mount $SHARE"
fi
mkdir -p /new/lib/modules && mount -t tmpfs -o mode=0755 mods /new/lib/modules &&
  mkdir -p "/new/lib/modules/$KVER" && mount -t 9p -o "\$O,ro" kmods "/new/lib/modules/$KVER"
cp /bin/busybox /new/run/modrun-vm/busybox && cp /stage2 /new/run/modrun-vm/stage2
cp /layout /new/run/modrun-vm/layout
[ -f /systemd ] && cp /systemd /new/run/modrun-vm/systemd
for d in proc sys dev; do mount --move /\$d /new/\$d; done
exec switch_root /new /run/modrun-vm/stage2
EOF

# Stage two, in the new root: cgroup v2 and the pseudo file systems, then
# the command; its status goes to the control share.
cat >"$RUN/ir/stage2" <<'EOF'
#!/run/modrun-vm/busybox sh
bb=/run/modrun-vm/busybox
ctl=/run/modrun-vm/ctl
layout=$($bb cat /run/modrun-vm/layout)
if [ "$layout" = unified ]; then
  $bb mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || echo "no cgroup2" >/dev/console
  for c in $($bb cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
  done
elif [ ! -f /run/modrun-vm/systemd ]; then
  # A v1 hierarchy for each controller the kernel has, as a host without
  # systemd mounts them; hybrid adds an empty cgroup2, legacy a named one.
  $bb mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
  while read -r name _ _ enabled; do
    case $name in \#*) continue ;; esac
    [ "$enabled" = 1 ] || continue
    $bb mkdir -p "/sys/fs/cgroup/$name"
    $bb mount -t cgroup -o "$name" cgroup "/sys/fs/cgroup/$name" ||
      echo "cannot mount the $name hierarchy" >/dev/console
  done </proc/cgroups
  if [ "$layout" = hybrid ]; then
    $bb mkdir -p /sys/fs/cgroup/unified
    $bb mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup/unified
  else
    $bb mkdir -p /sys/fs/cgroup/systemd
    $bb mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
  fi
fi
$bb mkdir -p /dev/pts /dev/shm /dev/mqueue
$bb mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 shm /dev/shm
$bb mount -t mqueue mqueue /dev/mqueue
$bb mount -t bpf bpf /sys/fs/bpf 2>/dev/null
$bb ln -sf /proc/self/fd /dev/fd
$bb ln -sf /proc/self/fd/0 /dev/stdin
$bb ln -sf /proc/self/fd/1 /dev/stdout
$bb ln -sf /proc/self/fd/2 /dev/stderr
$bb hostname modrun-vm
$bb ip link set lo up 2>/dev/null
echo started >/dev/console
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -f /run/modrun-vm/systemd ]; then
  # systemd mounts the cgroups itself, with the controllers it delegates.
  [ "$layout" = unified ] && $bb umount /sys/fs/cgroup
  $bb mkdir -p /etc/systemd/system
  printf '%s\n' '[Unit]' 'DefaultDependencies=no' 'Requires=modrun-vm.service' \
    'After=modrun-vm.service' >/etc/systemd/system/modrun-vm.target
  printf '%s\n' '[Unit]' 'DefaultDependencies=no' '[Service]' 'Type=oneshot' \
    "Environment=HOME=/root TERM=dumb LANG=C.UTF-8 PATH=$PATH" \
    "ExecStart=/bin/sh -c '/bin/bash $ctl/cmd </dev/null >$ctl/out 2>&1; echo \$\$? >$ctl/status; sync; systemctl --force --force poweroff'" \
    >/etc/systemd/system/modrun-vm.service
  # The host's /.dockerenv, seen through the shared root, makes systemd
  # believe it runs in a container, where it reads its settings from its
  # own command line rather than the kernel's.
  sd=
  case $layout in
    hybrid) sd=systemd.unified_cgroup_hierarchy=0 ;;
    legacy) sd="systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1" ;;
  esac
  exec /lib/systemd/systemd --unit=modrun-vm.target --log-target=console --log-level=warning $sd
fi
$bb env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=$PATH \
  /bin/bash $ctl/cmd </dev/null >$ctl/out 2>&1
echo $? >$ctl/status
$bb sync
$bb reboot -f
EOF
chmod 755 "$RUN/ir/init" "$RUN/ir/stage2"
[ -z "$SYSTEMD" ] || : >"$RUN/ir/systemd"
echo "$LAYOUT" >"$RUN/ir/layout"
(cd "$RUN/ir" && find . | cpio -o -H newc --quiet >"$RUN/initrd") ||
  die "cannot build the initramfs"
: >"$RUN/ctl/out"

KERNEL_CMDLINE="console=ttyS0 panic=-1 quiet loglevel=3 tsc=reliable"
case $LAYOUT in
  unified) KERNEL_CMDLINE+=" cgroup_no_v1=all" ;;
  hybrid) KERNEL_CMDLINE+=" systemd.unified_cgroup_hierarchy=0" ;;
  legacy) KERNEL_CMDLINE+=" systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1" ;;
esac
KERNEL_CMDLINE+=" pci=noacpi cryptomgr.notests ${MODRUN_VM_APPEND:-}"
ACCEL=(-accel tcg,thread=multi -cpu max,la57=off)
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
  ACCEL=(-accel kvm -cpu host)
fi
fs ()
{
  echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap$3"
}
QEMU=(qemu-system-x86_64 -nodefaults -no-user-config -machine pc -no-reboot -display none
  "${ACCEL[@]}" -smp "$CPUS" -m "$MEM" -global virtio-pci.disable-legacy=on
  -kernel "$KIMG" -initrd "$RUN/initrd" -serial "file:$RUN/console"
  -append "$KERNEL_CMDLINE"
  -virtfs "$(fs / host ,readonly=on)" -virtfs "$(fs "$RUN/ctl" ctl '')"
  -virtfs "$(fs "$KDIR/lib/modules/$KVER" kmods ,readonly=on)")
[ -n "$SHARE" ] && QEMU+=(-virtfs "$(fs "$SHARE" share '')")

note "booting $KVER (${ACCEL[1]})"
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!
tail -n +1 -f --pid="$QEMU_PID" "$RUN/ctl/out" &
TAIL_PID=$!
wait "$QEMU_PID"
qemu_status=$?
QEMU_PID=
wait "$TAIL_PID" 2>/dev/null
TAIL_PID=

if [ "$qemu_status" = 124 ]; then
  echo "$ME: the VM did not finish within $TIMEOUT seconds" >&2
  exit 124
fi
status=$(cat "$RUN/ctl/status" 2>/dev/null)
if [ -z "$status" ]; then
  echo "$ME: the VM reported no status (qemu exit status $qemu_status); qemu said:" >&2
  tail -n 20 "$RUN/qemu.log" >&2
  echo "$ME: the guest console:" >&2
  tail -n 40 "$RUN/console" >&2
  exit 125
fi
exit "$status"
