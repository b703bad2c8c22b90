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
       tbprof.py RESULTS DUMP_PREFIX SYSTEM_MAP --markdown
       tbprof.py RESULTS DUMP_PREFIX SYSTEM_MAP --blocks KIND TRACKER FUNC...

RESULTS holds the guest's tbprof.idx (dump number, tracker, traffic,
packets) and kallsyms.N (the modules' symbols at dump N).  The first
form prints, per traffic, each tracker's added instructions (over no
tracking) by function, largest first; the second, the same as tables
for docs/benchmarks-icount.md, grouped (the tracker's own code, the
hook calls, the nft rule, the rest); the third, the blocks of the
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


# What a tracker pays for being netfilter hooks: the hook calls, the
# inline part of NF_HOOK in the IP functions, and nf_conntrack's
# defragmentation hooks (ctlite reassembles inside its tracking hook)
HOOKS = {'nf_hook_slow', 'ip_output', 'ip_local_deliver', '__ip_local_out',
         'ip_local_out', 'ip_rcv', 'ip_forward', 'ip_finish_output'}
# the kernel's locking and BH functions a tracker calls for its entries
LOCKS = {'_raw_spin_lock_bh', '_raw_spin_unlock_bh', '__local_bh_enable_ip',
         '_raw_spin_lock', '_raw_spin_unlock'}
TRAFFIC = {'udp': 'UDP, one established flow (tracked once)',
           'tcp': 'TCP, the two-way flow (each packet tracked three times)',
           'new': 'UDP, every packet a new flow, into an empty table',
           'fw': 'UDP, one established flow through the stateful ruleset (iptables-nft)',
           'nic': 'UDP, one established flow received in lists, as from a NIC (GRO, threaded NAPI)'}


def group(tracker, f):
    """Which part of a tracker's added count function @f is."""
    mod = f[f.index('[') + 1:-1] if f.endswith(']') else ''
    if mod == tracker or (tracker == 'ctlite' and f.startswith('hsiphash')) or \
            (tracker == 'nf_conntrack' and 'siphash' in f) or f in LOCKS:
        return 'own'
    if f in HOOKS or mod.startswith('nf_defrag'):
        return 'hooks'
    if mod.startswith('nf') and mod != 'nf_conntrack':
        return 'rule'
    return 'rest'


def markdown(runs, top):
    for kind, trackers in runs.items():
        per = {t: {f: v / p for f, v in funcs.items()}
               for t, (p, funcs, _) in trackers.items()}
        if not {'none', 'nf_conntrack', 'ctlite'} <= set(per):
            continue
        none = per['none']
        added = {t: {f: per[t].get(f, 0) - none.get(f, 0)
                     for f in set(per[t]) | set(none)}
                 for t in ('nf_conntrack', 'ctlite')}
        sums = {t: collections.Counter() for t in added}
        for t, d in added.items():
            for f, v in d.items():
                sums[t][group(t, f)] += v

        def row(label, a, b):
            r = '%.2f' % (b / a) if a > 0 else ''
            return '| %s | %.0f | %.0f | %s |' % (label, a, b, r)
        print('### %s\n' % TRAFFIC.get(kind, kind))
        print('| instructions per packet | nf_conntrack + | ctlite + | ctlite / nf_conntrack |')
        print('|---|---:|---:|---:|')
        nc, cl = added['nf_conntrack'], added['ctlite']
        print(row('all (over %.0f with no tracking)' % sum(none.values()),
                  sum(nc.values()), sum(cl.values())))
        print(row("the tracker's own code: its module, its keyed hash, the locks it takes",
                  sums['nf_conntrack']['own'], sums['ctlite']['own']))
        print(row("netfilter's hook calls (and nf_defrag's hooks, nf_conntrack's only)",
                  sums['nf_conntrack']['hooks'], sums['ctlite']['hooks']))
        print(row("the nft rule (`ct state` for nf_conntrack, `meta l4proto` otherwise)",
                  sums['nf_conntrack']['rule'], sums['ctlite']['rule']))
        print(row('the rest (the background, allocations; either sign)',
                  sums['nf_conntrack']['rest'], sums['ctlite']['rest']))
        print()
        print('| function | nf_conntrack + | ctlite + |')
        print('|---|---:|---:|')
        names = sorted((f for f in set(nc) | set(cl)
                        if max(abs(nc.get(f, 0)), abs(cl.get(f, 0))) >= FLOOR),
                       key=lambda f: -max(abs(nc.get(f, 0)), abs(cl.get(f, 0))))[:top]
        for f in names:
            print('| `%s` | %.0f | %.0f |' % (f, nc.get(f, 0), cl.get(f, 0)))
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
    elif len(argv) > 4 and argv[4] == '--markdown':
        markdown(runs, 16)
    else:
        report(runs, int(argv[4]) if len(argv) > 4 else 25)


if __name__ == '__main__':
    main(sys.argv)
