#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Place a by-hand profile's samples in a module's code.

A bench guest booted with bench_profile_only=1 (tests/bench/bench.sh)
leaves results/samples.TRACKER.gz: every sample's address, as perf script
prints it.  This counts them per function of the module and, for the
functions named, per instruction of `objdump -d` of the same build:

  tests/bench/annotate.py build/6.1-bench/quick/results/samples.ctlite.gz \\
      build/6.1-bench/modules/ctlite.ko [function ...]

Under -icount a sample falls every so many instructions, so a function's
samples over a function of known length (the kernel's hsiphash_4u32, 109
straight instructions) is its instructions per packet.

Treat those figures as indicative: samples under TCG cluster where
translated blocks begin (one profile put 43% of a function's samples on
one branch), so a function's count over hsiphash_4u32's can be off by
half.  The bench's rates, which count every instruction, are the measure.
"""
import collections
import gzip
import re
import subprocess
import sys


def samples(path):
    """Samples per symbol+offset, from perf script's ip,sym,symoff,dso"""
    count = collections.Counter()
    with gzip.open(path, 'rt', errors='replace') as f:
        try:
            for line in f:
                fields = line.split()
                if len(fields) >= 2 and '+0x' in fields[1]:
                    count[fields[1]] += 1
        except EOFError:
            pass  # a guest that powered off mid-write: what was read
    return count


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    count = samples(sys.argv[1])
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', sys.argv[2]],
                         capture_output=True, text=True, check=True).stdout
    funcs = collections.OrderedDict()
    cur = None
    for line in dis.splitlines():
        m = re.match(r'^([0-9a-f]+) <(.*)>:', line)
        if m:
            cur, base = m.group(2), int(m.group(1), 16)
            funcs[cur] = []
            continue
        m = re.match(r'^\s+([0-9a-f]+):\s+(.*)', line)
        if m and cur:
            funcs[cur].append((int(m.group(1), 16) - base, m.group(2)))
    per = collections.Counter()
    for symoff, n in count.items():
        sym = symoff.split('+0x')[0]
        if sym in funcs or sym == 'hsiphash_4u32':
            per[sym] += n
    for sym, n in per.most_common():
        print(f'{n:8d} {sym}')
    for sym in sys.argv[3:]:
        print(f'=== {sym}: {per[sym]} samples')
        for off, insn in funcs.get(sym, []):
            print(f'{count.get(f"{sym}+0x{off:x}", 0):8d} {off:5x}: {insn}')


if __name__ == '__main__':
    main()
