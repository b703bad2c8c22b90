#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing ctlite needs, on Debian 12, as root.
# Asks apt only when something is missing, so a warm run costs nothing.
#   tests/vm/deps.sh [check|lint|bench|tools]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:-check}
# the iptables extension and the ctlite command (make tools), and the
# firewall tests' iptables
tools=(build-essential pkg-config libxtables-dev libmnl-dev iptables valgrind)
pkgs=("${tools[@]}" flex bison bc libelf-dev libssl-dev python3 perl
      xz-utils rsync kmod iproute2 nftables procps util-linux coreutils
      iputils-ping
      qemu-system-x86 dkms git "linux-source-$KERNEL")
[ "$what" = tools ] && pkgs=("${tools[@]}")
[ "$what" = lint ] && pkgs+=(sparse)
# the benchmark report's plot, perf for its profiles (run in the guest),
# and ethtool for the count of a NIC's lists (bench_tbprof=nic)
[ "$what" = bench ] && pkgs+=(gnuplot-nox linux-perf ethtool)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	die "missing packages: ${missing[*]}; install them as root (apt-get install ${missing[*]}) or run this as root"
fi
note "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed"
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
