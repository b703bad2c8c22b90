#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions per packet, by kernel function, from tbcount.c's dumps.

make bench-tbprof runs the icount guest's per-packet traffic (one
established UDP flow, the two-way TCP flow) once per tracker, each
between two calls of sync(2); the QEMU plugin tests/bench/tbcount.c
dumps, at each call, how many times every translated block ran since
the last.  A block's instructions times its runs, summed by the function
it starts in, divided by the traffic's packets, is that function's
instructions per packet: a count, not a sample, so the split between
functions is exact (perf's samples under TCG cluster where blocks
begin, and were off by half).

Usage: tbprof.py RESULTS DUMP_PREFIX SYSTEM_MAP [TOP]
       tbprof.py RESULTS DUMP_PREFIX SYSTEM_MAP --blocks KIND TRACKER FUNC...

RESULTS holds the guest's tbprof.idx (dump number, tracker, traffic,
packets) and kallsyms.N (the modules' symbols at dump N).  The first
form prints, per traffic, each tracker's added instructions (over no
tracking) by function, largest first; the second, the blocks of the
named functions (offset in the function, instructions, runs per packet),
for objdump's disassembly beside them.
"""
import bisect
import collections
import sys

# below this many instructions per packet, a function's difference is the
# background's (timers, the GC, RCU): not listed
FLOOR = 1.0
# x86-64: the kernel's half of the address space starts here
USER_END = 0xffff800000000000


def symbols(system_map, kallsyms):
    """Sorted text symbols: the kernel's and the modules' of one dump."""
    syms = []
    with open(system_map) as f:
        for line in f:
            part = line.split()
            if len(part) >= 3 and part[1] in 'tTwW':
                syms.append((int(part[0], 16), part[2]))
    with open(kallsyms) as f:
        for line in f:
            part = line.split()
            if len(part) >= 4 and part[1] in 'tT':
                syms.append((int(part[0], 16), part[2] + part[3]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def load(results, prefix, system_map):
    """{traffic: {tracker: (packets, {func: insns}, {(func, off, n): runs})}}"""
    runs = collections.defaultdict(dict)
    with open(results + '/tbprof.idx') as idx:
        for line in idx:
            dump, tracker, kind, pkts = line.split()
            addrs, names = symbols(system_map, '%s/kallsyms.%s' % (results, dump))
            funcs = collections.Counter()
            blocks = collections.Counter()
            with open('%s.%s' % (prefix, dump)) as f:
                for rec in f:
                    va, n, count = rec.split()
                    va, n, count = int(va, 16), int(n), int(count)
                    i = bisect.bisect_right(addrs, va) - 1
                    if va < USER_END:
                        # the programs', at addresses each run places anew
                        i, name = -1, '(user space)'
                    else:
                        name = names[i] if i >= 0 else hex(va)
                    funcs[name] += n * count
                    blocks[(name, va - addrs[i] if i >= 0 else 0, n)] += count
            runs[kind][tracker] = (int(pkts), funcs, blocks)
    return runs


def report(runs, top):
    for kind, trackers in runs.items():
        per = {t: {f: v / p for f, v in funcs.items()}
               for t, (p, funcs, _) in trackers.items()}
        none = per.get('none', {})
        print('%s: instructions per packet, all of them: %s' % (
            kind, ', '.join('%s %.0f' % (t, sum(v.values())) for t, v in per.items())))
        for t, v in per.items():
            if t == 'none':
                continue
            diff = {f: v.get(f, 0) - none.get(f, 0) for f in set(v) | set(none)}
            shown = sorted((d for d in diff.items() if abs(d[1]) >= FLOOR),
                           key=lambda d: -abs(d[1]))[:top]
            print('  %s adds %.0f:' % (t, sum(diff.values())))
            for f, d in shown:
                print('    %8.1f  %s' % (d, f))
            rest = sum(diff.values()) - sum(d for _, d in shown)
            print('    %8.1f  (the rest)' % rest)
        print()


def blocks(runs, kind, tracker, funcs):
    pkts, _, bl = runs[kind][tracker]
    for fn in funcs:
        print('%s, %s %s: offset, instructions, runs per packet' % (fn, kind, tracker))
        for (f, off, n), count in sorted(bl.items()):
            if f == fn and count:
                print('  +0x%-5x %3d %8.2f' % (off, n, count / pkts))


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    runs = load(argv[1], argv[2], argv[3])
    if len(argv) > 4 and argv[4] == '--blocks':
        blocks(runs, argv[5], argv[6], argv[7:])
    else:
        report(runs, int(argv[4]) if len(argv) > 4 else 25)


if __name__ == '__main__':
    main(sys.argv)
