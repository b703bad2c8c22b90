#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find) a guest kernel: tinyconfig plus our fragments, from
# Debian's linux-source package, into the cache outside the checkout.
#
#   tests/vm/kernel.sh build [debug|bench]   build if needed, print the dir
#   tests/vm/kernel.sh dir   [debug|bench]   print the dir, build nothing
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-build}
flavour=${2:-debug}
out=$(kernel_build_dir "$flavour")

case "$cmd" in
dir) echo "$out"; exit 0 ;;
build) ;;
*) die "usage: $0 build|dir [debug|bench]" ;;
esac

if [ -f "$out/.ctlite-built" ]; then
	echo "$out"
	exit 0
fi

src=$(kernel_src_dir)
mkdir -p "$out"
log=$out/build.log
: >"$log"
note "building the $flavour kernel ($KERNEL, $(kernel_src_version)) in $out"

# tinyconfig, then our fragments, then let Kconfig settle dependencies
# shellcheck disable=SC2046
{
	make -C "$src" O="$out" tinyconfig &&
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		$(kernel_fragments "$flavour") &&
	make -C "$src" O="$out" olddefconfig
} >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "kernel configuration failed; see $log"; }

# A symbol Kconfig silently dropped (unmet dependency) would give a kernel
# that boots but lacks what a test needs: refuse it here instead.
missing=0
# shellcheck disable=SC2046
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$out/.config" ||
			{ echo "ctlite: kernel config lacks $line" >&2; missing=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=" "$out/.config" ||
			{ echo "ctlite: kernel config still sets $sym" >&2; missing=1; } ;;
	esac
done < <(cat $(kernel_fragments "$flavour"))
[ "$missing" = 0 ] || die "fix the fragments in tests/vm/config (unmet dependencies)"

# Build in the background and report progress, so a 4-minute build is not
# a silent one.  Targets: the image, modules (nf_conntrack, nft) and an
# installed module tree the guest bind-mounts over /lib/modules.
jobs=$(nproc)
start=$(date +%s)
(
	make -C "$src" O="$out" -j"$jobs" bzImage modules &&
	make -C "$src" O="$out" INSTALL_MOD_PATH="$out/modroot" \
		INSTALL_MOD_STRIP=1 modules_install
) >>"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 15
	kill -0 "$pid" 2>/dev/null || break
	n=$(grep -c '^  CC' "$log" || true)
	echo "    kernel: $n files compiled, $(( $(date +%s) - start ))s" >&2
done
wait "$pid" || { grep -E 'error|Error' "$log" | tail -n 20 >&2; die "kernel build failed; see $log"; }
touch "$out/.ctlite-built"
note "kernel built in $(( $(date +%s) - start ))s"
echo "$out"
