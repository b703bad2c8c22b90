#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build ctlite.ko and ctlite_test.ko against a kernel tree, in a copy of the
# sources under build/ so builds for several kernels never mix objects and
# the checkout stays clean.
#   tests/vm/modules.sh KDIR OUTDIR [extra make args...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 out=$(realpath -m "$2")
shift 2
mkdir -p "$out"
rsync -a --delete --include='*/' --include='*.c' --include='*.h' \
	--include=Kbuild --exclude='*' --prune-empty-dirs \
	"$CTLITE_TOP/Kbuild" "$CTLITE_TOP/src" "$CTLITE_TOP/include" \
	"$CTLITE_TOP/tests" "$out/"
make -C "$kdir" M="$out" -j"$(nproc)" "$@" modules
