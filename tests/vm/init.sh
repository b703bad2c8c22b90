#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test guest.  The root file system is the host's, read-only
# over 9p; this mounts what a system needs, then hands over to guest.sh.
# Whatever happens, the guest powers off (QEMU runs with -no-reboot).
# The kernel passes ctlite_* settings from its command line as environment.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Scratch space lives in /run: the checkout or the cache may be under the
# host's /tmp, so a tmpfs there would hide them.  The C locale: with
# C.UTF-8 every grep, sed or bash opened some 30 locale files over 9p,
# 0.2 s of each one's 0.5 s in the debug guest (python3 still runs in
# UTF-8, PEP 538).
export HOME=/run/home TMPDIR=/run/tmp LANG=C

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/shm /dev/pts /run/results "$HOME"
mkdir -m 1777 "$TMPDIR"
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
mount -t 9p -o trans=virtio,version=9p2000.L,msize=131072 results /run/results
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
# modprobe (ours and the kernel's) finds the guest kernel's own modules
export PATH=$ctlite_top/tests/vm/bin:$PATH
echo "$ctlite_top/tests/vm/bin/modprobe" >/proc/sys/kernel/modprobe
hostname ctlite-guest
ip link set lo up

bash "$ctlite_top/tests/vm/guest.sh" >/dev/ttyS1 2>&1 </dev/null
sync
umount /run/results
reboot -f
