#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything from a fresh Debian 12 machine to a verdict.
# Installs packages, builds the debug kernel (once; it is cached), builds
# ctlite against it, boots it and runs the KUnit suites and guest scripts.
# `check.sh demo` (make demo) does the same set-up and boots the guest to
# tell scripts/demo.sh's story instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-check}
case "$mode" in
check | demo) ;;
*) die "usage: check.sh [check|demo]" ;;
esac

"$CTLITE_TOP/tests/vm/deps.sh" check
kdir=$("$CTLITE_TOP/tests/vm/kernel.sh" build debug)
out=$CTLITE_TOP/build/$KERNEL-debug
mkdir -p "$out"
note "building ctlite against $(basename "$kdir")"
"$CTLITE_TOP/tests/vm/modules.sh" "$kdir" "$out/modules" KCFLAGS=-Werror \
	>"$out.modules.log" 2>&1 ||
	{ cat "$out.modules.log" >&2; die "module build failed"; }
if [ "$mode" = demo ]; then
	CTLITE_GUEST=demo exec "$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$out/demo"
fi
exec "$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$out/run"
