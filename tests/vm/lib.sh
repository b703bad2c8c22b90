# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host-side harness scripts: where the cache lives, which
# kernel source we build, and how a kernel build is named.  Sourced, not run.
#
# A kernel build is keyed by the source package's version and a hash of the
# config fragments plus RECIPE, so a warm run finds it and rebuilds nothing,
# while any change to what goes into the kernel gets a fresh directory.

CTLITE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTLITE_CACHE=${CTLITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctlite}
# Kernel series to build and boot: 6.1 (default) or 6.12
KERNEL=${KERNEL:-6.1}
# Bump when the way a kernel is built changes in a way the fragments do not show
RECIPE=1

# What make check runs in the guest on a series other than 6.1, unless
# CTLITE_ONLY says otherwise ('*' runs the whole suite there too): what
# differs between series.  KUnit (the table on that kernel's RCU, slab and
# skb helpers), loading and parameters, the hooks, /proc and sysctls
# (compat.h's registration and handlers, a container's limits), netns
# exit, what that IP stack lets through to the parser (the fuzzer), the
# netlink family (compat.h's dump attributes and group-join hook: events,
# a filtered dump, a delete and a flush), and install and DKMS (extra/ or
# updates/).  Warnings, resizes, the demo's
# story, the attacks and the stress run are the same code on every
# series: 6.1 runs them.
SERIES_SELECTION=kunit,10-module,20-table
SERIES_SELECTION+=,30-lifetimes:lifetime_sysctls_have_defaults_and_ranges
SERIES_SELECTION+=,60-reliability:fuzzed_packets_leave_ctlite_consistent
SERIES_SELECTION+=,38-tenants:a_container_cannot_lock_the_others_out
SERIES_SELECTION+=,48-cli:cli_events_tell_new_assured_destroy
SERIES_SELECTION+=,70-install

# only_selects NAME: whether CTLITE_ONLY (comma-separated globs, each
# "kunit", a tests/scripts name or SCRIPT:SCENARIO) lets NAME run at all
only_selects() {
	local g globs
	IFS=, read -r -a globs <<<"${CTLITE_ONLY:-*}"
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${g%%:*} ]] && return 0
	done
	return 1
}

die() { echo "ctlite: $*" >&2; exit 1; }

# host_check NAME: for the host-side checks (packaging.sh, harness.sh), run
# the function NAME in a subshell as one TAP line, its output kept in
# $out/NAME.log and shown under a failure; the line goes to $tap too
host_check() {
	local name=$1 log=$out/$1.log
	if ( set -euo pipefail; "$name" ) >"$log" 2>&1; then
		echo "ok - $name" | tee -a "$tap"
	else
		{ echo "not ok - $name"; sed 's/^/#   /' "$log"; } | tee -a "$tap"
	fi
}
note() { echo "==> $*" >&2; }

# The installed linux-source package's version, e.g. 6.1.192-2
kernel_src_version() {
	dpkg-query -W -f='${Version}' "linux-source-$KERNEL" 2>/dev/null ||
		die "linux-source-$KERNEL is not installed (make check installs it)"
}

# Extract the source once per package version; prints its directory.
kernel_src_dir() {
	local ver dir tarball tmp
	ver=$(kernel_src_version) || exit 1
	dir=$CTLITE_CACHE/src/linux-${KERNEL}_$ver
	if [ ! -f "$dir/.ctlite-extracted" ]; then
		tarball=/usr/src/linux-source-$KERNEL.tar.xz
		[ -f "$tarball" ] || die "$tarball is missing; reinstall linux-source-$KERNEL"
		note "extracting $tarball into $dir"
		tmp=$dir.tmp.$$
		rm -rf "$tmp" "$dir"
		mkdir -p "$tmp"
		tar -C "$tmp" -xf "$tarball" || die "cannot extract $tarball"
		mv "$tmp/linux-source-$KERNEL" "$dir" && rmdir "$tmp"
		touch "$dir/.ctlite-extracted"
	fi
	echo "$dir"
}

# Config fragments of a flavour, in merge order, then the series' own
kernel_fragments() {
	local cfg=$CTLITE_TOP/tests/vm/config
	case "$1" in
	debug) echo -n "$cfg/base.config $cfg/debug.config" ;;
	bench) echo -n "$cfg/base.config $cfg/bench.config" ;;
	*) die "unknown kernel flavour '$1' (debug or bench)" ;;
	esac
	# what one series needs beyond the shared fragments, if anything
	[ -f "$cfg/$KERNEL.config" ] && echo -n " $cfg/$KERNEL.config"
	echo
}

# The cache directory of a flavour's build; prints it (may not exist yet)
kernel_build_dir() {
	local flavour=$1 ver hash
	ver=$(kernel_src_version) || exit 1
	# shellcheck disable=SC2046
	hash=$( (echo "recipe $RECIPE"; cat $(kernel_fragments "$flavour")) |
		sha256sum | cut -c1-12)
	echo "$CTLITE_CACHE/kernel/$KERNEL-$flavour-$ver-$hash"
}
