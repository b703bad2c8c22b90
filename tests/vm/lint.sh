#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch.pl --strict and kernel-doc from the kernel source,
# then sparse (C=2) and W=1 on a build against the debug guest kernel.  Any
# finding fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$CTLITE_TOP/tests/vm/deps.sh" lint
src=$(kernel_src_dir)
kdir=$("$CTLITE_TOP/tests/vm/kernel.sh" build debug)
cd "$CTLITE_TOP"
shopt -s nullglob
files=(src/*.c src/*.h include/ctlite/*.h tests/kunit/*.c tests/kunit/*.h)
[ ${#files[@]} -gt 0 ] || die "no C files found under $CTLITE_TOP"
findings=0

# checkpatch IGNORE FILE...: checkpatch --strict, FILE_PATH_CHANGES and
# the types in IGNORE (comma-separated) left out; counts what it reports
checkpatch() {
	local ignore=$1 out
	shift
	out=$(perl "$src/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
		--ignore "FILE_PATH_CHANGES,$ignore" -f "$@" 2>&1 |
		grep -E 'ERROR|WARNING|CHECK' || true)
	if [ -n "$out" ]; then
		echo "$out"
		findings=$((findings + $(wc -l <<<"$out")))
	fi
}

# compat.h is where the module compares kernel versions, which is what
# checkpatch's LINUX_VERSION_CODE (and, for that comparison, its
# CONSTANT_COMPARISON) warns in-tree code against; everything else is
# checked in full, and compat.h for everything but those two.
kfiles=()
for f in "${files[@]}"; do [ "$f" = include/ctlite/compat.h ] || kfiles+=("$f"); done
note "checkpatch --strict on ${#files[@]} files"
checkpatch "" "${kfiles[@]}"
checkpatch LINUX_VERSION_CODE,CONSTANT_COMPARISON include/ctlite/compat.h

# The fuzzer, the peers, the bench's QEMU plugin and the tools are
# user-space C: kernel style, but without the kernel's types and attribute
# macros
tools=(tests/fuzz/*.c tests/peer/*.c tests/bench/*.c tests/bench/*.h tools/*.c)
note "checkpatch --strict on ${#tools[@]} user-space files"
checkpatch PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO "${tools[@]}"

note "kernel-doc on ${#files[@]} files"
out=$(perl "$src/scripts/kernel-doc" -none "${files[@]}" 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	findings=$((findings + $(wc -l <<<"$out")))
fi

note "sparse (C=2) and W=1"
out_dir=$CTLITE_TOP/build/$KERNEL-lint
log=$out_dir.log
mkdir -p "$out_dir"
# Rebuild every object, so each file is compiled and checked this time
rm -rf "$out_dir"
"$CTLITE_TOP/tests/vm/modules.sh" "$kdir" "$out_dir" C=2 W=1 >"$log" 2>&1 ||
	{ cat "$log"; die "lint build failed"; }
out=$(grep -E 'warning:|error:' "$log" || true)
if [ -n "$out" ]; then
	echo "$out"
	findings=$((findings + $(wc -l <<<"$out")))
fi

echo "lint: $findings findings"
[ "$findings" = 0 ]
