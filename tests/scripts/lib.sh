# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the guest test scripts.  A script defines one function per
# scenario and ends with `run_tests name...`; each scenario runs in its own
# subshell under `set -e`, and prints "ok - name" or "not ok - name" with
# its output as diagnostics.  Scripts run as root inside the test guest,
# where $CTLITE_MODS holds the built modules.
set -euo pipefail

CTLITE_KO=$CTLITE_MODS/ctlite.ko

# Stop the scenario with a message (set -e turns a false test into a stop
# without one; say what was expected instead).
die() { echo "$*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || die "${3:-value}: expected '$2', got '$1'"; }

ctlite_loaded() { grep -q '^ctlite ' /proc/modules; }
ctlite_load() { insmod "$CTLITE_KO" "$@"; }
ctlite_unload() { if ctlite_loaded; then rmmod ctlite; fi; }
ctlite_param() { cat "/sys/module/ctlite/parameters/$1"; }

# kmsg_mark, then kmsg_since: the kernel log written after the mark
kmsg_mark() {
	KMSG_MARK="ctlite-test-mark-$$-$RANDOM$RANDOM"
	echo "$KMSG_MARK" >/dev/kmsg
}
kmsg_since() { dmesg | sed -n "/$KMSG_MARK/,\$p" | tail -n +2; }
# Lines of the kernel log since the mark that ctlite wrote, text only
ctlite_log() { kmsg_since | sed -n 's/^\[[ 0-9.]*\] ctlite: /ctlite: /p'; }

run_tests() {
	local t rc out
	out=$(mktemp)
	for t in "$@"; do
		set +e
		(set -e; "$t") >"$out" 2>&1
		rc=$?
		set -e
		ctlite_unload >/dev/null 2>&1 || true
		if [ "$rc" = 0 ]; then
			echo "ok - $t"
		else
			echo "not ok - $t"
			sed 's/^/  /' "$out"
		fi
	done
	rm -f "$out"
}
