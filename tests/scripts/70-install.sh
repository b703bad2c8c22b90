#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the host's packaging checks (tests/vm/packaging.sh) installed, used
# as a booted system uses it: modprobe finds the module in the staged
# /lib/modules with the staged modprobe.d's options, systemd-sysctl applies
# the staged sysctl.d file; and the module DKMS built, loaded and tracking
# a flow.  (The guest's root is the host's, read-only: the staged tree
# cannot be put at /lib/modules and /etc themselves.)
. "$(dirname "$0")/lib.sh"

PKG=${CTLITE_MODS%/modules}/packaging
STAGED=$PKG/root

staged() {
	[ -d "$STAGED/lib/modules/$(uname -r)" ] ||
		die "no staged install for $(uname -r) in $STAGED (check.sh runs tests/vm/packaging.sh before the guest)"
}

# The boot order: what modules-load.d names is loaded with modprobe.d's
# options, then systemd-sysctl (ordered after it) applies sysctl.d.
installed_files_configure_the_module_at_boot() {
	staged
	local opts hashsize max limit
	opts=$(sed -n 's/^options ctlite //p' "$STAGED/etc/modprobe.d/ctlite.conf")
	hashsize=$(sed -n 's/.*hashsize=\([0-9]*\).*/\1/p' <<<"$opts")
	max=$(sed -n 's/.*max=\([0-9]*\).*/\1/p' <<<"$opts")
	limit=$(sed -n 's/^net\.ctlite\.max *= *//p' "$STAGED/etc/sysctl.d/90-ctlite.conf")
	[ -n "$hashsize" ] && [ -n "$max" ] && [ -n "$limit" ] ||
		die "cannot read the examples: options '$opts', limit '$limit'"
	echo "# modprobe.d: hashsize=$hashsize max=$max; sysctl.d: max=$limit"

	# each module modules-load.d names, loaded as systemd-modules-load does
	# (modprobe), from the staged tree with the staged modprobe.d
	local name
	for name in $(grep -v '^#' "$STAGED/etc/modules-load.d/ctlite.conf"); do
		/sbin/modprobe -d "$STAGED" -C "$STAGED/etc/modprobe.d" "$name"
	done
	ctlite_loaded || die "modprobe from the staged tree did not load ctlite"
	# the module make install staged, not another
	expect_eq "$(cat /sys/module/ctlite/srcversion)" \
		"$(modinfo -b "$STAGED" -k "$(uname -r)" -F srcversion ctlite)" srcversion
	expect_eq "$(ctlite_param hashsize)" "$hashsize" "hashsize from modprobe.d"
	expect_eq "$(ctlite_param max)" "$max" "max from modprobe.d"

	# a limit lowered since, as by hand, is set back by sysctl.d
	sysctl -q -w net.ctlite.max=1000
	/lib/systemd/systemd-sysctl "$STAGED/etc/sysctl.d/90-ctlite.conf"
	expect_eq "$(sysctl -n net.ctlite.max)" "$limit" "net.ctlite.max from sysctl.d"
}

dkms_built_module_loads_and_tracks() {
	[ -f "$PKG/dkms-ctlite.ko" ] || die "no $PKG/dkms-ctlite.ko (packaging.sh's DKMS check failed?)"
	kmsg_mark
	insmod "$PKG/dkms-ctlite.ko" hashsize=1024 max=1000
	ctlite_log | grep -qx 'ctlite: 1024 buckets, 1000 max, 64 bytes per entry (1 MiB at max)' ||
		die "no load line; ctlite logged: $(ctlite_log)"
	expect_eq "$(cat /sys/module/ctlite/version)" "$(modinfo -F version "$CTLITE_KO")" version
	netns_pair
	in_a ping -c 1 -W 5 10.99.0.2 >/dev/null
	expect_entry ct-a '^ipv4 +2 icmp +1 [0-9]+ src=10.99.0.1 dst=10.99.0.2 type=8 code=0 id=[0-9]+ *$'
}

run_tests \
	installed_files_configure_the_module_at_boot \
	dkms_built_module_loads_and_tracks
