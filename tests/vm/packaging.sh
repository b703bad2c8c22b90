#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install and packaging, as a user runs them, on the host against the
# guest kernel's build tree: make install (INSTALL_MOD_PATH), make
# install-config (DESTDIR), make dkms-install and dkms-remove (in trees of
# their own, through dkms's --dkmstree/--sourcetree/--installtree), and
# that the shipped examples agree with scripts/ctlite-tune and the version
# with dkms.conf.  Nothing is written outside OUT.
#
#   tests/vm/packaging.sh KDIR MODULE_DIR OUT
#
# Prints one TAP line per check ("ok - name" or "not ok - name" with its
# output) and writes them to OUT/packaging.tap too.  Leaves for the guest
# (tests/scripts/70-install.sh): OUT/root, the staged install with its
# /etc, and OUT/dkms-ctlite.ko, what DKMS built.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 mods=$2 out=$(realpath -m "$3")
krel=$(cat "$kdir/include/config/kernel.release")
tap=$out/packaging.tap
rm -rf "$out"
mkdir -p "$out"
: >"$tap"

# A copy of the sources as a user has them, so the builds here never leave
# objects in the checkout: the files git tracks, as they are now
src=$out/src
mkdir -p "$src"
(cd "$CTLITE_TOP" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp -a --parents -t "$src" 2>/dev/null) ||
	die "cannot copy the sources to $src"
root=$out/root
version=$(make -s -C "$src" version)

fail() { echo "$*" >&2; exit 1; }

version_is_one_everywhere() {
	local dkms_version built
	dkms_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
	built=$(modinfo -F version "$mods/ctlite.ko")
	echo "CTLITE_VERSION $version, dkms.conf $dkms_version, ctlite.ko $built"
	[ -n "$version" ] || fail "make version printed nothing"
	[ "$dkms_version" = "$version" ] || fail "dkms.conf says $dkms_version"
	[ "$built" = "$version" ] || fail "modinfo -F version says '$built'"
}

# The examples are, line for line, what the ctlite-tune command their first
# line names prints: a user who runs it gets the same files
examples_match_ctlite_tune() {
	local f cmd
	for f in modprobe.d/ctlite.conf sysctl.d/90-ctlite.conf; do
		cmd=$(sed -n '1s/^# .*: from `ctlite-tune \(.*\)`$/\1/p' "$src/scripts/$f")
		[ -n "$cmd" ] || fail "$f: its first line names no 'ctlite-tune ...' command"
		# shellcheck disable=SC2086 # the arguments as the line gives them
		diff -u "$src/scripts/$f" <("$src/scripts/ctlite-tune" $cmd) ||
			fail "$f is not what 'ctlite-tune $cmd' prints"
		grep -v '^#' "$src/scripts/$f" | sed "s|^|$f: |"
	done
}

# ctlite-tune's figures, its notes of what it capped, and its refusals: on
# the host, where python3 starts at once (--apply is the guest's, in
# 40-operator)
ctlite_tune_sizes_and_refuses() {
	local tune=$src/scripts/ctlite-tune out bad rc
	# 10% of 1 GiB: 2^20 entries fill the 2^20 buckets a grown table has,
	# 96 MiB; no hashsize, so the table keeps growing
	out=$("$tune" --ram 1G --share 10)
	grep -qx 'max=1048576' <<<"$out" || fail "--ram 1G --share 10 printed: $out"
	grep -qx 'options ctlite max=1048576' <<<"$out" || fail "no modprobe.d line: $out"
	grep -qx 'net.ctlite.max = 1048576' <<<"$out" || fail "no sysctl.d line: $out"
	! grep -q 'hashsize=' <<<"$out" || fail "a hashsize, which turns growth off: $out"
	# --fixed: one bucket per entry, 96 bytes each
	out=$("$tune" --ram 1G --share 10 --fixed --format modprobe.d)
	grep -qx 'options ctlite hashsize=1118481 max=1118481' <<<"$out" || fail "--fixed printed: $out"
	out=$("$tune" --entries 20000 --format sysctl.d)
	[ "$(grep -v '^#' <<<"$out")" = 'net.ctlite.max = 20000' ] || fail "--entries printed: $out"
	# what it capped, it says
	out=$("$tune" --ram 1T --share 50 --fixed 2>&1 >/dev/null)
	grep -qx "ctlite-tune: max capped at 1073741824, the module's limit .*" <<<"$out" ||
		fail "no word of the capped max: $out"
	grep -qx "ctlite-tune: hashsize capped at 16777216, the module's limit (64 entries per bucket when full)" <<<"$out" ||
		fail "no word of the capped hashsize: $out"
	# bad input: one line naming it, the usage, status 2, nothing on stdout
	for bad in "--ram 12X" "--ram nan" "--ram inf" "--share 51" "--share nan" "--share -inf" \
		"--entries 0" "--entries 1e6" "--entries 2000000000" "--entries 5 --share 5" \
		"--entries 100000000 --ram 1G" "--format yaml" "--ram" "--bogus"; do
		rc=0
		# shellcheck disable=SC2086
		out=$("$tune" $bad 2>&1 >/dev/null) || rc=$?
		[ "$rc" = 2 ] || fail "exit status $rc for '$bad'"
		grep -q '^ctlite-tune: ' <<<"$out" || fail "no error line for '$bad': $out"
		! grep -q Traceback <<<"$out" || fail "a traceback for '$bad': $out"
		echo "$bad: $(head -n 1 <<<"$out")"
	done
}

make_install_stages_module_and_depmod() {
	make -C "$src" KDIR="$kdir" INSTALL_MOD_PATH="$root" DESTDIR="$root" install
	# the iptables extension, where iptables looks for it
	[ -f "$root$(pkg-config --variable=xtlibdir xtables)/libxt_ctlite.so" ] ||
		fail "make install put no libxt_ctlite.so in the xtables lib dir"
	# the command, its man page and completion, where a shell finds them
	[ -x "$root/usr/local/sbin/ctlite" ] || fail "make install put no ctlite in /usr/local/sbin"
	"$root/usr/local/sbin/ctlite-tune" --entries 1000 --format sysctl.d | grep -qx 'net.ctlite.max = 1000' ||
		fail "make install put no working ctlite-tune in /usr/local/sbin"
	grep -q '^\.TH CTLITE 8 ' "$root/usr/local/share/man/man8/ctlite.8" ||
		fail "make install put no ctlite(8) in /usr/local/share/man/man8"
	bash -c '. "$1"; complete -p ctlite' _ "$root/usr/local/share/bash-completion/completions/ctlite" ||
		fail "the bash completion does not complete ctlite"
	echo "installed /usr/local/sbin/ctlite, ctlite(8), its completion and ctlite-tune"
	# Kbuild's directory for external modules: extra/ on 6.1, updates/
	# on 6.12
	local ko
	ko=$(find "$root/lib/modules/$krel" -name ctlite.ko | head -n 1)
	[ -n "$ko" ] || fail "no ctlite.ko under $root/lib/modules/$krel"
	echo "installed ${ko#"$root"}"
	grep -q "^${ko#"$root/lib/modules/$krel/"}:" "$root/lib/modules/$krel/modules.dep" ||
		fail "depmod did not list ${ko#"$root/lib/modules/$krel/"} in modules.dep"
	modinfo -F vermagic "$ko" | grep -q "^$krel " ||
		fail "vermagic '$(modinfo -F vermagic "$ko")' is not for $krel"
	# depmod's index is what modprobe reads
	modprobe -d "$root" -S "$krel" --show-depends ctlite | grep -qF "$ko" ||
		fail "modprobe -d cannot resolve ctlite in the staged tree"
}

install_config_keeps_what_differs() {
	local f
	make -C "$src" DESTDIR="$root" install-config
	for f in modprobe.d/ctlite.conf sysctl.d/90-ctlite.conf modules-load.d/ctlite.conf; do
		cmp "$src/scripts/$f" "$root/etc/$f" || fail "$f not installed as shipped"
	done
	# a second run on an edited file keeps the edit
	make -C "$src" DESTDIR="$out/kept" install-config >/dev/null
	echo "net.ctlite.udp = 60" >>"$out/kept/etc/sysctl.d/90-ctlite.conf"
	cp "$out/kept/etc/sysctl.d/90-ctlite.conf" "$out/edited.conf"
	make -C "$src" DESTDIR="$out/kept" install-config | tee "$out/kept.out"
	grep -q 'kept .*90-ctlite.conf' "$out/kept.out" || fail "no word that the file was kept"
	cmp "$out/edited.conf" "$out/kept/etc/sysctl.d/90-ctlite.conf" ||
		fail "the edited file was overwritten"
	cmp "$src/scripts/sysctl.d/90-ctlite.conf" "$out/kept/etc/sysctl.d/90-ctlite.conf.new" ||
		fail "ours was not put beside it as .new"
}

# dkms in trees of its own: the system's /var/lib/dkms, /usr/src and
# /lib/modules are never touched
# The iptables extension's parser under valgrind, without the kernel:
# iptables-translate parses a rule with it and, having no nft translation
# for the match, prints the rule back as a comment.  Bad options exit 2
# with an error naming ctlite; valgrind's own errors exit 9.  (Printing
# and saving need a rule in a kernel: 45-firewall's round trip.)
iptables_extension_parses_and_saves_under_valgrind() {
	# shellcheck disable=SC2054
	local out bad rule=(-m ctlite --ctstate NEW,ESTABLISHED --ctdir REPLY
			    --ctstatus ASSURED,SEEN_REPLY)
	make -s -C "$src" tools/libxt_ctlite.so
	XTABLES_LIBDIR=$src/tools:$(pkg-config --variable=xtlibdir xtables)
	export XTABLES_LIBDIR
	out=$(valgrind -q --error-exitcode=9 iptables-translate -A INPUT "${rule[@]}" -j ACCEPT 2>&1) ||
		fail "iptables-translate failed ($?): $out"
	echo "$out"
	[[ $out == *"${rule[*]}"* ]] || fail "the rule was not accepted as given"
	for bad in "--ctstate FOO" "--ctstate SNAT" "--ctdir SIDEWAYS" "--ctstatus EXPECTED" "--ctstate ,"; do
		# shellcheck disable=SC2086
		out=$(valgrind -q --error-exitcode=9 iptables-translate -A INPUT -m ctlite $bad 2>&1) &&
			fail "'$bad' was accepted"
		[ $? = 2 ] || fail "'$bad': not iptables' parameter problem: $out"
		[[ $out == *"ctlite: "* ]] || fail "'$bad': no ctlite error: $out"
		echo "${out%%$'\n'*}"
	done
}

dkms_make() {
	make -C "$src" DKMS_SOURCETREE="$out/dkms/src" \
		DKMS_FLAGS="--dkmstree $out/dkms/tree --installtree $out/dkms/lib" \
		DKMS_KERNEL_FLAGS="-k $krel --kernelsourcedir ${2:-$kdir} --no-depmod" "$1"
}
dkms_status() {
	dkms --sourcetree "$out/dkms/src" --dkmstree "$out/dkms/tree" \
		--installtree "$out/dkms/lib" status -m ctlite -v "$version"
}

dkms_install_builds_for_the_kernel() {
	# as /lib/modules/RELEASE is there for an installed kernel
	mkdir -p "$out/dkms/src" "$out/dkms/tree" "$out/dkms/lib/$krel"
	dkms_make dkms-install
	local ko
	ko=$(find "$out/dkms/lib/$krel" -name 'ctlite.ko*' | head -n 1)
	[ -n "$ko" ] || fail "no ctlite.ko under $out/dkms/lib/$krel"
	modinfo -F vermagic "$ko" | grep -q "^$krel " || fail "vermagic is not for $krel"
	[ "$(modinfo -F version "$ko")" = "$version" ] || fail "version is not $version"
	dkms_status | tee "$out/dkms.status"
	grep -q "^ctlite/$version, $krel, .*: installed" "$out/dkms.status" ||
		fail "dkms status does not say installed"
	cp "$ko" "$out/dkms-ctlite.ko"
}

dkms_install_refuses_a_second_time() {
	! dkms_make dkms-install >"$out/again.out" 2>&1 || fail "a second dkms-install succeeded"
	cat "$out/again.out"
	grep -q 'already added to DKMS; make dkms-remove first' "$out/again.out" ||
		fail "no clear error"
	dkms_status | grep -q ': installed' || fail "the installed module is gone"
}

dkms_remove_leaves_nothing() {
	dkms_make dkms-remove
	[ -z "$(dkms_status)" ] || fail "dkms still knows ctlite: $(dkms_status)"
	[ ! -e "$out/dkms/src/ctlite-$version" ] || fail "sources left in $out/dkms/src"
	[ -z "$(find "$out/dkms/lib" -name 'ctlite.ko*')" ] || fail "module left installed"
	dkms_make dkms-remove >"$out/again.out" || fail "a second remove failed"
	grep -q 'is not in DKMS' "$out/again.out" || fail "a second remove did not say why it did nothing"
}

dkms_failed_install_leaves_nothing() {
	mkdir -p "$out/no-kernel"
	! dkms_make dkms-install "$out/no-kernel" >"$out/failed.out" 2>&1 ||
		fail "dkms-install without a kernel tree succeeded"
	tail -n 5 "$out/failed.out"
	grep -q 'removing ctlite/.* again' "$out/failed.out" || fail "no word of the unwinding"
	[ -z "$(dkms_status)" ] || fail "left in dkms: $(dkms_status)"
	[ ! -e "$out/dkms/src/ctlite-$version" ] || fail "sources left behind"
}

note "packaging checks against $krel"
host_check version_is_one_everywhere
host_check examples_match_ctlite_tune
host_check ctlite_tune_sizes_and_refuses
host_check make_install_stages_module_and_depmod
host_check install_config_keeps_what_differs
host_check iptables_extension_parses_and_saves_under_valgrind
if command -v dkms >/dev/null; then
	host_check dkms_install_builds_for_the_kernel
	host_check dkms_install_refuses_a_second_time
	host_check dkms_remove_leaves_nothing
	host_check dkms_failed_install_leaves_nothing
else
	echo "not ok - dkms is installed (tests/vm/deps.sh installs it)" | tee -a "$tap"
fi
