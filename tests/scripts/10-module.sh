#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading ctlite as an operator does: parameters, their
# defaults and range checks, the load and unload lines, modinfo.
. "$(dirname "$0")/lib.sh"

# nf_conntrack's default: 1 bucket per 128 KiB of RAM, at least 1024,
# 65536 above 1 GiB, 262144 above 4 GiB
expected_default_hashsize() {
	local ram=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024 ))
	if [ "$ram" -gt $((4 << 30)) ]; then echo 262144
	elif [ "$ram" -gt $((1 << 30)) ]; then echo 65536
	elif [ $((ram / 131072)) -lt 1024 ]; then echo 1024
	else echo $((ram / 131072))
	fi
}

load_line_names_buckets_max_and_entry_size() {
	kmsg_mark
	ctlite_load hashsize=4096 max=10000
	expect_eq "$(ctlite_param hashsize)" 4096 hashsize
	expect_eq "$(ctlite_param max)" 10000 max
	ctlite_log | grep -x 'ctlite: 4096 buckets, 10000 max, 64 bytes per entry (1 MiB at max)' ||
		die "no load line; ctlite logged: $(ctlite_log)"
}

defaults_follow_ram_like_nf_conntrack() {
	local want
	want=$(expected_default_hashsize)
	ctlite_load
	expect_eq "$(ctlite_param hashsize)" "$want" "default hashsize"
	expect_eq "$(ctlite_param max)" "$want" "default max (= hashsize)"
}

given_hashsize_gives_eight_times_max() {
	ctlite_load hashsize=1000
	expect_eq "$(ctlite_param max)" 8000 max
}

# insmod PARAM must fail with EINVAL, leave nothing loaded, and log exactly
# one line matching the regex LINE
refused() {
	local param=$1 line=$2 out log
	kmsg_mark
	if out=$(ctlite_load "$param" 2>&1); then
		die "$param was accepted"
	fi
	[[ $out == *"Invalid argument"* || $out == *"Invalid parameters"* ]] ||
		die "$param: insmod said: $out"
	! ctlite_loaded || die "$param: module stayed loaded"
	log=$(ctlite_log)
	[[ $log =~ ^$line$ ]] || die "$param: logged '$log', want exactly one line /$line/"
}

bad_params_are_refused_with_one_line() {
	refused hashsize=0 'ctlite: hashsize=0 out of range \(16\.\.16777216\)'
	refused hashsize=15 'ctlite: hashsize=15 out of range \(16\.\.16777216\)'
	refused hashsize=16777217 'ctlite: hashsize=16777217 out of range \(16\.\.16777216\)'
	refused max=0 'ctlite: max=0 out of range \(1\.\.1073741824\)'
	refused max=1073741825 'ctlite: max=1073741825 out of range \(1\.\.1073741824\)'
	refused max=1073741824 'ctlite: max=1073741824 out of range for this machine.s RAM \(1\.\.[0-9]+\)'
	refused hashsize=abc "ctlite: \`abc' invalid for parameter \`hashsize'"
	refused hashsize=-1 "ctlite: \`-1' invalid for parameter \`hashsize'"
	refused max=99999999999 "ctlite: \`99999999999' invalid for parameter \`max'"
	refused max "ctlite: \`' invalid for parameter \`max'"
	# two parameters: the first bad one is named, once
	refused "hashsize=1024 max=0" 'ctlite: max=0 out of range \(1\.\.1073741824\)'
	refused "hashsize=8 max=1000" 'ctlite: hashsize=8 out of range \(16\.\.16777216\)'
	refused "hashsize=16 max=1073741824" 'ctlite: max=1073741824 out of range for this machine.s RAM \(1\.\.[0-9]+\)'
}

modinfo_describes_both_params() {
	local info
	info=$(modinfo -p "$CTLITE_KO")
	grep -q '^hashsize:number of hash buckets' <<<"$info" || die "modinfo: $info"
	grep -q '^max:most entries in the table' <<<"$info" || die "modinfo: $info"
}

unload_says_how_many_entries_it_freed() {
	ctlite_load hashsize=1024
	kmsg_mark
	rmmod ctlite
	! ctlite_loaded || die "still loaded"
	ctlite_log | grep -Eqx 'ctlite: unloaded, [0-9]+ entries freed' ||
		die "unload line missing: $(ctlite_log)"
}

run_tests \
	load_line_names_buckets_max_and_entry_size \
	defaults_follow_ram_like_nf_conntrack \
	given_hashsize_gives_eight_times_max \
	bad_params_are_refused_with_one_line \
	modinfo_describes_both_params \
	unload_says_how_many_entries_it_freed
