#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the bench guest's figures (tests/bench/bench.sh) into a report.

    report.py BENCH_TSV DEST_DIR KERNEL_CONFIG

Writes DEST_DIR/benchmarks.md (medians, ratios, the goals met or missed,
how to reproduce), DEST_DIR/benchmarks.tsv (every figure) and, when
gnuplot is installed, DEST_DIR/benchmarks.svg (per-packet cost against
table size).  Prints the headline table.  Exits non-zero if a figure the
report needs is missing.
"""
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

TRACKERS = ["none", "nf_conntrack", "ctlite"]
# the ruleset's rows under iptables-legacy (scenarios fwl_*), where both
# matches are xtables matches; the plain "stateful ruleset" is iptables-nft
LEGACY = "stateful ruleset under iptables-legacy"
# the ruleset's rows of both reports: label, scenario, size, established
RULESET_ROWS = [("stateful ruleset, one established flow", "fw_one_flow", 1, True),
                ("stateful ruleset, new flows", "fw_new_flows", 0, False),
                (f"{LEGACY}, one established flow", "fwl_one_flow", 1, True),
                (f"{LEGACY}, new flows", "fwl_new_flows", 0, False)]


def load(path):
    figs = defaultdict(list)
    info = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 6:
                continue
            sc, tr, size, rep, value, unit = parts
            if sc == "info":
                info[(tr, unit)] = value
                continue
            figs[(sc, tr, int(size), unit)].append(float(value))
    return figs, info


def median(figs, sc, tr, unit, size=None):
    keys = [k for k in figs if k[0] == sc and k[1] == tr and k[3] == unit
            and (size is None or k[2] == size)]
    if not keys:
        return None
    vals = [v for k in keys for v in figs[k]]
    return statistics.median(vals)


def best(figs, sc, tr, unit, size=None):
    """The fastest repetition: a slow spell of the host only slows one down"""
    vals = [v for k, vs in figs.items() if k[0] == sc and k[1] == tr
            and k[3] == unit and (size is None or k[2] == size) for v in vs]
    return max(vals) if vals else None


def ns(pps):
    return 1e9 / pps if pps else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def spread(figs, sc, tr, size):
    """How far a scenario's repetitions lie apart: (max - min) / median"""
    vals = figs.get((sc, tr, size, "pps"), [])
    if len(vals) < 2:
        return None
    return (max(vals) - min(vals)) / statistics.median(vals)


def write_report(dest, name, md, tsv, tables, missing):
    """DEST/NAME.md (and NAME.tsv, a copy of TSV); print the tables"""
    with open(os.path.join(dest, name + ".md"), "w") as f:
        f.write(md)
    out = os.path.join(dest, name + ".tsv")
    # a report made again from its own copy keeps it
    if tsv and not (os.path.exists(out) and os.path.samefile(tsv, out)):
        shutil.copyfile(tsv, out)
    print("\n\n".join(tables))
    print(f"# report: {os.path.join(dest, name + '.md')}")
    if missing:
        print("# report: missing figures: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


def icount_report(figs, info, dest, tsv):
    """make bench-icount: instructions per packet, and their ratios"""
    missing = []
    sizes = sorted({k[2] for k in figs if k[0] == "lookup"})
    tcp_sizes = sorted({k[2] for k in figs if k[0] == "tcp_flow"})
    large = sorted({k[2] for k in figs if k[0] == "new_flows_large"})
    rows = [("UDP, one established flow", "one_flow", 1, True)]
    rows += [(f"UDP, random among {s:,} flows", "lookup", s, True) for s in sizes]
    rows += [("TCP, two-way flow" + (f", {s:,} other flows" if s > 1 else ""),
              "tcp_flow", s, True) for s in tcp_sizes]
    rows += [("UDP, new flow, empty table", "new_flows", 0, False)]
    rows += [(f"UDP, new flow, table at {s:,}", "new_flows_large", s, False) for s in large]
    rows += RULESET_ROWS
    lines = ["| traffic | none insn/pkt | nf_conntrack + | ctlite + "
             "| ctlite added / nf_conntrack added | spread of repetitions |",
             "|---|---:|---:|---:|---:|---:|"]
    goals = []
    for label, sc, size, established in rows:
        c = {}
        for tr in TRACKERS:
            # the fastest repetition: under -icount, work that does not
            # belong to the packets (a timer, the GC, a slab refill) only
            # ever adds instructions, so the fewest are the packets'
            # own; a median of three let two disturbed runs of no
            # tracking halve a ratio
            v = best(figs, sc, tr, "pps", size)
            if v is None:
                missing.append(f"{sc} {tr} {size}")
            c[tr] = ns(v)
        if None in c.values():
            continue
        a_ct, a_cl = c["nf_conntrack"] - c["none"], c["ctlite"] - c["none"]
        r = a_cl / a_ct if a_ct > 0 else None
        sp = max((spread(figs, sc, tr, size) or 0) for tr in TRACKERS)
        lines.append(f"| {label} | {fmt(c['none'])} | {fmt(a_ct)} | {fmt(a_cl)} "
                     f"| {fmt(r, 2)} | {100 * sp:.1f}% |")
        goals.append(f"| {'added cost per packet' if established else 'added cost of a new flow'}, "
                     f"{label} | {fmt(a_cl)} vs {fmt(a_ct)} instructions = {fmt(r, 2)} "
                     f"| ≤ 1/2 | {'met' if r is not None and r <= 0.5 else 'missed'} |")
    table = "\n".join(lines)
    goal_table = "\n".join(["| goal (issue #19) | measured | target | |",
                             "|---|---|---|---|"] + goals)
    # make bench-icount's count by function (tests/bench/tbprof.py), when
    # the run had the plugin; else perf's profile
    tbprof = os.path.join(os.path.dirname(os.path.abspath(tsv)), "tbprof.md")
    by_function = open(tbprof).read().strip() if os.path.exists(tbprof) else ""
    prof = [f"| {tr} | {fmt(median(figs, 'profile', tr, 'own_ns_per_packet'))} |"
            for tr in ("nf_conntrack", "ctlite")
            if median(figs, "profile", tr, "own_ns_per_packet") is not None]
    prof_table = "\n".join(["| tracker | instructions per packet in its own code |",
                             "|---|---:|"] + prof) if prof else "(no profile in this run)"
    profile_section = f"""## From a profile

perf samples the guest's clock (here, instructions) while one UDP flow's
packets go through; the tracker's own code (ctlite: its module and
hsiphash; nf_conntrack: nf_conntrack, nf_defrag_ipv4, nft_ct and siphash)
per packet.  It includes the GC's passes over the profile's whole window, so
it is an upper bound.  Samples under TCG cluster where translated blocks
begin, so a share is indicative: the rates above are the measure.

{prof_table}
"""
    by_function_section = f"""## Where the instructions go, by function

The same traffic once more per tracker (one established UDP flow, the
two-way TCP flow, and UDP new flows into an empty table as many as the
rate's row sends), each between two calls of sync(2), under a QEMU plugin
(tests/bench/tbcount.c) that counts how often every translated block
runs: its instructions times its runs, summed by the function it is in,
per packet, over no tracking.  A count, not a sample: the split between
functions is exact.  "The rest" is what ran by the clock (timers, the
GC) or warmed up (the slab's per-CPU lists) in one run and not the other.

{by_function}
"""
    md = f"""# ctlite benchmarks: instructions per packet

A `make bench-icount` run: the per-packet scenarios of
[benchmarks.md](benchmarks.md), with no tracking, nf_conntrack and ctlite,
in a guest whose clock counts instructions (QEMU `-icount shift=0`: one
instruction is one nanosecond of guest time).  A rate the guest measures
is then a count of work, which the host's slow spells cannot move: the
last column is how far the repetitions of a row lie apart.  Figures are
instructions per packet, all of them (pktgen, the stack, netfilter, the
tracker); "+" is a tracker's added count over no tracking.

- Guest: {info.get(('all', 'kernel'), '?')}, 1 vCPU (QEMU 7.2 cannot bring
  up a second one under `-icount`), 2 GiB, TCG, CPU model
  "{info.get(('all', 'cpu'), '?')}".
- Each figure is the fewest instructions of {max((len(v) for k, v in figs.items() if k[3] == "pps"), default=0)} repetitions: under
  `-icount` what is not the packets' own work (a timer, a GC pass, a
  refill of the slab's per-CPU lists inside the window) only ever adds
  instructions, so the least disturbed repetition is the measure, and the
  spread says how much the others were disturbed.
- UDP: as in benchmarks.md (pktgen, forwarded by the middle namespace).
- TCP: `ctlite-peer tcp-rr`, 64-byte requests and their answers on one
  connection between two namespaces through the middle one; each packet
  is tracked three times (in the client's, the router's and the server's
  namespace), by both trackers.  "N other flows": the UDP flows of the
  lookup rows are in the table too.
- Work that runs by the clock, not per packet (the GC's passes: each
  tracker spaces them by the deadlines it holds, up to a minute apart
  when idle) is in the figures by its share of each run.
- The guest kernel is built as distributions build theirs, optimized for
  speed (`-O2`; tinyconfig's default is `-Os`) and with stack variables
  cleared on entry (`CONFIG_INIT_STACK_ALL_ZERO`, Debian's default).
- A `rep`-prefixed string instruction (memset, memcpy) counts once per
  iteration here, and TCG models no caches: these are counts of work, not
  of time on a real CPU.

## Per packet

{table}

{by_function_section if by_function else profile_section}

## Goals

{goal_table}

## How to reproduce

```
make bench-icount   # about 25 minutes; writes this file
```

Every figure of this run is in [benchmarks-icount.tsv](benchmarks-icount.tsv).
"""
    return write_report(dest, "benchmarks-icount", md, tsv, [table, goal_table], missing)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report.py BENCH_TSV DEST_DIR KERNEL_CONFIG")
    tsv, dest, config = sys.argv[1:]
    figs, info = load(tsv)
    os.makedirs(dest, exist_ok=True)
    if info.get(("all", "mode")) == "icount":
        return icount_report(figs, info, dest, tsv)
    missing = []

    def pps(sc, tr, size=None):
        v = median(figs, sc, tr, "pps", size)
        if v is None:
            missing.append(f"{sc} {tr} {size}")
        return v

    sizes = sorted({k[2] for k in figs if k[0] == "lookup"})
    reps = max((len(v) for k, v in figs.items() if k[3] == "pps"), default=0)

    # Per-packet cost rows: scenario label, scenario, size
    rows = [("one established flow", "one_flow", 1)]
    rows += [("two-way TCP flow", "tcp_flow", 1)]
    rows += [(f"random among {s:,} flows", "lookup", s) for s in sizes]
    rows += [("new flow, empty table", "new_flows", 0)]
    large = sorted({k[2] for k in figs if k[0] == "new_flows_large"})
    rows += [(f"new flow, table at {s:,}", "new_flows_large", s) for s in large]
    rows += [(label, sc, size) for label, sc, size, _ in RULESET_ROWS]

    cost, cost_best = {}, {}
    for label, sc, size in rows:
        for tr in TRACKERS:
            cost[(sc, size, tr)] = ns(pps(sc, tr, size))
            cost_best[(sc, size, tr)] = ns(best(figs, sc, tr, "pps", size))

    def added(sc, size, tr, table=None):
        table = cost if table is None else table
        c, base = table.get((sc, size, tr)), table.get((sc, size, "none"))
        if c is None or base is None:
            return None
        return c - base

    def ratio(sc, size, table=None):
        """ctlite's added cost over nf_conntrack's; None where either is
        missing, or not positive: a tracker that measured faster than no
        tracking says the host's slow spells moved the row more than the
        tracker did, and a negative ratio would read as a goal met"""
        a_ct = added(sc, size, "nf_conntrack", table)
        a_cl = added(sc, size, "ctlite", table)
        if a_ct is None or a_cl is None or a_ct <= 0 or a_cl <= 0:
            return None
        return a_cl / a_ct

    lines = []
    w = lines.append
    w("| traffic | none pps | nf_conntrack pps | ctlite pps | none ns/pkt "
      "| nf_conntrack +ns/pkt | ctlite +ns/pkt | ctlite added / nf_conntrack added "
      "| same, fastest runs |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, sc, size in rows:
        a_ct, a_cl = added(sc, size, "nf_conntrack"), added(sc, size, "ctlite")
        w(f"| {label} | {fmt(median(figs, sc, 'none', 'pps', size))} "
          f"| {fmt(median(figs, sc, 'nf_conntrack', 'pps', size))} "
          f"| {fmt(median(figs, sc, 'ctlite', 'pps', size))} "
          f"| {fmt(cost.get((sc, size, 'none')))} | {fmt(a_ct)} | {fmt(a_cl)} "
          f"| {fmt(ratio(sc, size), 2)} | {fmt(ratio(sc, size, cost_best), 2)} |")
    cost_table = "\n".join(lines)
    lost = defaultdict(lambda: [0, 0])
    for k, vs in figs.items():
        if k[3] == "lost_packets":
            lost[(k[0], k[1], k[2])][0] += sum(vs)
            lost[(k[0], k[1], k[2])][1] += len(vs)
    if lost:
        cost_table += "\n\nPackets lost (the tracker fell behind: its softirq was deferred and " \
            "the receive backlog overflowed; the rate counts only what was forwarded):\n\n" + \
            "\n".join(f"- {sc} {tr} at {size:,} entries: {int(n):,} packets over {reps} repetitions"
                      for (sc, tr, size), (n, reps) in sorted(lost.items()))

    # Memory
    mem = {}
    for tr in ("nf_conntrack", "ctlite"):
        for unit in ("slab_bytes_per_entry", "used_bytes_per_entry"):
            mem[(tr, unit)] = median(figs, "memory", tr, unit)
            if mem[(tr, unit)] is None:
                missing.append(f"memory {tr} {unit}")
    mem_n = {tr: max((k[2] for k in figs if k[0] == "memory" and k[1] == tr),
                     default=0) for tr in ("nf_conntrack", "ctlite")}
    mem_table = "\n".join([
        "| tracker | entries made | Δ Slab per entry | Δ used memory per entry |",
        "|---|---:|---:|---:|",
    ] + [f"| {tr} | {mem_n[tr]:,} | {fmt(mem[(tr, 'slab_bytes_per_entry')])} B "
         f"| {fmt(mem[(tr, 'used_bytes_per_entry')])} B |"
         for tr in ("nf_conntrack", "ctlite")])

    # GC
    gc_units = [("seconds_after_first_deadline", "empty, s after the first deadline", 2),
                ("seconds_after_last_deadline", "empty, s after the last deadline", 2),
                ("runs", "GC runs", 0),
                ("longest_run_us", "longest run, µs", 0),
                ("total_run_us", "all runs, µs", 0)]
    gc_n = {tr: max((k[2] for k in figs if k[0] == "gc" and k[1] == tr), default=0)
            for tr in ("nf_conntrack", "ctlite")}
    gcl = ["| tracker | expiring entries | " +
           " | ".join(u[1] for u in gc_units) + " |",
           "|---|---:|" + "---:|" * len(gc_units)]
    for tr in ("nf_conntrack", "ctlite"):
        vals = []
        for unit, _, d in gc_units:
            v = median(figs, "gc", tr, unit)
            if v is None:
                missing.append(f"gc {tr} {unit}")
            vals.append(fmt(v, d))
        gcl.append(f"| {tr} | {gc_n[tr]:,} | " + " | ".join(vals) + " |")
    gc_table = "\n".join(gcl)

    # Own cost from the profile
    own = {tr: median(figs, "profile", tr, "own_ns_per_packet") for tr in ("nf_conntrack", "ctlite")}
    own_pct = {tr: median(figs, "profile", tr, "own_percent") for tr in ("nf_conntrack", "ctlite")}
    if own["nf_conntrack"] and own["ctlite"] is not None:
        own_table = "\n".join([
            "| tracker | share of the busy CPU's samples | own ns per packet |",
            "|---|---:|---:|"] + [
            f"| {tr} | {fmt(own_pct[tr], 2)}% | {fmt(own[tr])} |"
            for tr in ("nf_conntrack", "ctlite")] + [
            f"| ctlite / nf_conntrack | | {own['ctlite'] / own['nf_conntrack']:.2f} |"])
    else:
        own_table = "(no profile in this run: perf missing)"

    # Listings: /proc/net/ctlite and `ctlite list`, at each large size
    listing_rows = []
    for unit_sc, label in (("listing", "/proc/net/ctlite"), ("listing_netlink", "ctlite list")):
        for k, vs in sorted(figs.items()):
            if k[0] == unit_sc and k[1] == "ctlite" and k[3] == "ms":
                ms = statistics.median(vs)
                listing_rows.append(f"| {label} | {k[2]:,} | {ms:,.0f} ms | "
                                    f"{ms * 1e6 / k[2] if k[2] else 0:,.0f} ns |")
    listing_table = "\n".join(["| reader | entries | time | per entry |",
                               "|---|---:|---:|---:|"] + listing_rows) if listing_rows else \
        "(no listing in this run)"

    # ctlite's growths
    grows = sorted((k[2], v) for k, vs in figs.items()
                   if k[0] == "grow" and k[3] == "pause_us" for v in vs)
    grow_table = "\n".join(
        ["| entries moved | longest wait of a new flow |", "|---:|---:|"] +
        [f"| {n:,} | {us / 1000:,.3f} ms |" for n, us in grows]) if grows else \
        "(no growth in this run)"

    # Goals
    goals = []

    def goal(name, value, target, ok, unjudged="–"):
        goals.append(f"| {name} | {value} | {target} | "
                     f"{'met' if ok else 'missed' if ok is not None else unjudged} |")

    s_ct, s_cl = mem[("nf_conntrack", "slab_bytes_per_entry")], \
        mem[("ctlite", "slab_bytes_per_entry")]
    if s_ct and s_cl:
        goal("memory per IPv4 connection (Δ Slab)", f"{s_cl:.0f} B",
             "≤ 80 B", s_cl <= 80)
        goal("memory per IPv4 connection against nf_conntrack's (Δ Slab)",
             f"{s_cl:.0f} B vs {s_ct:.0f} B = 1/{s_ct / s_cl:.1f}",
             "≤ 1/5", s_cl * 5 <= s_ct)
    u_ct, u_cl = mem[("nf_conntrack", "used_bytes_per_entry")], \
        mem[("ctlite", "used_bytes_per_entry")]
    if u_ct and u_cl:
        goal("memory per connection, all of it (Δ used: buckets too)",
             f"{u_cl:.0f} B vs {u_ct:.0f} B = 1/{u_ct / u_cl:.1f}",
             "≤ 80 B", u_cl <= 80)
    for what, scenarios, target in (
            ("added cost per packet",
             ("one_flow", "tcp_flow", "lookup", "fw_one_flow", "fwl_one_flow"),
             "≤ 1/2 of nf_conntrack's added cost"),
            ("added cost of a new flow",
             ("new_flows", "new_flows_large", "fw_new_flows", "fwl_new_flows"),
             "≤ 1/2 of nf_conntrack's")):
        for label, sc, size in rows:
            a_ct, a_cl = added(sc, size, "nf_conntrack"), added(sc, size, "ctlite")
            if sc not in scenarios or a_ct is None or a_cl is None:
                continue
            r, rb = ratio(sc, size), ratio(sc, size, cost_best)
            goal(f"{what}, {label}",
                 f"{a_cl:.0f} ns vs {a_ct:.0f} ns = {fmt(r, 2)} (fastest runs: {fmt(rb, 2)})",
                 target, None if r is None else r <= 0.5,
                 "within the noise: see the instruction counts")
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        for tr in ("ctlite", "nf_conntrack"):
            c_lo, c_hi = cost.get(("lookup", lo, tr)), cost.get(("lookup", hi, tr))
            b_lo, b_hi = cost_best.get(("lookup", lo, tr)), cost_best.get(("lookup", hi, tr))
            if c_lo and c_hi:
                goal(f"{tr}: per-packet cost at {hi:,} vs {lo:,} entries",
                     f"{c_hi:.0f} ns vs {c_lo:.0f} ns = {100 * (c_hi / c_lo - 1):+.0f}% "
                     f"(fastest runs: {100 * (b_hi / b_lo - 1):+.0f}%)",
                     "within +20% (default sizing)" if tr == "ctlite" else "(for comparison)",
                     c_hi <= 1.2 * c_lo if tr == "ctlite" else None)
    if own["nf_conntrack"] and own["ctlite"] is not None:
        r = own["ctlite"] / own["nf_conntrack"]
        goal("own cost per packet of an established flow (profile)",
             f"{own['ctlite']:.0f} ns vs {own['nf_conntrack']:.0f} ns = {r:.2f}",
             "≤ 1/2 of nf_conntrack's", r <= 0.5)
    goal_table = "\n".join(["| goal | measured | target | |", "|---|---|---|---|"] + goals)

    # Plot: cost per packet against table size
    plot = ""
    dat = os.path.join(dest, "benchmarks.dat")
    with open(dat, "w") as f:
        f.write("# entries none_ns nf_conntrack_ns ctlite_ns\n")
        for s in sizes:
            f.write(f"{s} " + " ".join(
                f"{cost.get(('lookup', s, tr)) or 0:.1f}" for tr in TRACKERS) + "\n")
    if shutil.which("gnuplot") and len(sizes) >= 2:
        svg = os.path.join(dest, "benchmarks.svg")
        script = f"""
set terminal svg size 720,440 dynamic font 'sans,12' background rgb 'white'
set output '{svg}'
set title 'Per-packet cost, 64-byte UDP forwarded, lookups random among N flows'
set xlabel 'tracked flows (N)'
set ylabel 'ns per packet (TCG guest)'
set logscale x
set format x '10^{{%L}}'
set yrange [0:*]
set key top left
set grid
plot '{dat}' using 1:2 with linespoints title 'no tracking', \\
     '' using 1:3 with linespoints title 'nf_conntrack', \\
     '' using 1:4 with linespoints title 'ctlite'
"""
        r = subprocess.run(["gnuplot"], input=script, text=True)
        if r.returncode == 0:
            plot = "![per-packet cost against table size](benchmarks.svg)\n"
    os.remove(dat)

    shutil.copyfile(tsv, os.path.join(dest, "benchmarks.tsv"))
    cfg_lines = []
    try:
        with open(config) as f:
            keep = ("CONFIG_HZ=", "CONFIG_PREEMPT", "CONFIG_NR_CPUS=", "CONFIG_SLUB",
                    "CONFIG_KASAN", "CONFIG_PROVE_LOCKING", "CONFIG_DEBUG_KMEMLEAK",
                    "CONFIG_UBSAN", "CONFIG_NF_CONNTRACK=", "CONFIG_NF_TABLES=",
                    "CONFIG_NFT_CT=", "CONFIG_NET_PKTGEN=", "CONFIG_DUMMY=",
                    "CONFIG_RETPOLINE", "CONFIG_PAGE_TABLE_ISOLATION",
                    "CONFIG_CC_OPTIMIZE_FOR", "CONFIG_INIT_STACK_ALL")
            for line in f:
                line = line.strip()
                if any(line.startswith(k) or line.startswith("# " + k) for k in keep):
                    cfg_lines.append(line)
    except OSError:
        cfg_lines.append("(config not readable)")

    ctl_buckets = info.get(("ctlite", "default_buckets"), "?")
    ct_buckets = info.get(("nf_conntrack", "default_buckets"), "?")
    md = f"""# ctlite benchmarks

A full `make bench` run: the same traffic with no tracking, with nf_conntrack
and with ctlite, one after the other in one boot of the non-debug guest
kernel.  Each figure is the median of {reps} repetitions; the small
scenarios (one flow, lookups among ~1k and ~10k flows, new flows into an
empty table) take the trackers in turn in each round, so that a slow spell
of the host slows all three alike.  The last column uses each tracker's
fastest repetition instead, which such spells cannot slow.  These are TCG
(software-emulated) figures: absolute rates are far below real hardware, and
TCG does not model CPU caches, so the ratios are what carries over.

- Guest: {info.get(('all', 'kernel'), '?')}, 2 vCPUs, 2 GiB, QEMU TCG,
  CPU model "{info.get(('all', 'cpu'), '?')}".
- Traffic: pktgen in one netns sends 64-byte UDP packets through a veth pair
  to a second netns, which forwards them to a dummy device; pktgen's rate is
  the forwarding rate (veth hands each packet to the receive path on
  pktgen's CPU).  Every packet crosses PRE_ROUTING, where both trackers look
  up or create its entry, and POST_ROUTING, where nf_conntrack confirms.
- Trackers: the forwarding netns always has one nft prerouting chain with one
  rule, `ct state new,established` for nf_conntrack (which turns it on) and
  `meta l4proto udp` otherwise, so nft's own cost is in every column.  Both
  trackers keep their default bucket counts (nf_conntrack {ct_buckets},
  ctlite {ctl_buckets} at load, sized from RAM), with `max` raised to 2,500,000
  and the UDP timeout to 3600 s so nothing is dropped or expires while
  measured.
- The "stateful ruleset" rows add the server ruleset of
  [firewall.md](firewall.md) to the forwarding netns's FORWARD chain
  (iptables-nft): policy DROP, `ESTABLISHED,RELATED` accepted, `INVALID`
  dropped, `NEW` UDP to port 9 accepted, with `-m conntrack` for
  nf_conntrack and `-m ctlite` for ctlite; with no tracking one stateless
  rule accepts UDP to port 9.  The one flow is established (its answer was
  routed back first), so its packets match the first rule; each new flow's
  packet walks all three and is confirmed.  The run checks that the rule
  named counted every packet forwarded.  Under iptables-nft both matches
  run through nft_compat's xtables glue (`make bench-tbprof` counts it at
  27 instructions a packet for either); the rows "under iptables-legacy"
  load the same ruleset with iptables-legacy, where both are plain xtables
  matches.
- "+ns/pkt" is a tracker's cost per packet minus the cost with no tracking in
  the same traffic.

## Per-packet cost

{cost_table}

{plot}
### Own cost per packet, from a profile

The differences above are a few µs on 10–25 µs per packet, and a TCG guest
has slow spells that move a run by as much.  So each tracker is also
profiled on the one-flow traffic: perf samples the CPU that runs pktgen and
the whole receive path, and the samples in the tracker's own code (ctlite:
its module and hsiphash; nf_conntrack: nf_conntrack, nf_defrag_ipv4,
nft_ct and siphash) are counted against all busy samples, times that run's cost per
packet.  A slow spell slows every function alike, so this share is steady
from run to run.  It leaves out what both pay around the hook (netfilter's
hook loop, the skb) and nf_conntrack's work inside nf_tables' own code.

{own_table}

### ctlite's table growing

ctlite's default-sized table grows with its entries (nf_conntrack's keeps
its size): each growth moves every entry a bucket at a time, and a new
flow waits at most while its own bucket moves (the longest such wait).

{grow_table}

### Listing the table

A full read of /proc/net/ctlite (`cat`) and a full `ctlite list` (a
netlink dump) of the forwarding namespace's table, once filled: each
resumes where its last read or message stopped, so the time per entry
stays flat as the table grows.

{listing_table}

## Memory per tracked connection

Over the fill of the largest table: Δ Slab (from /proc/meminfo) and Δ used
memory (MemTotal − MemFree − Buffers − Cached, which also counts pages and
vmalloc, e.g. bucket arrays) divided by the entries made.  ctlite's IPv4
slab object is {info.get(('ctlite', 'entry_bytes'), '?')} bytes.

{mem_table}

## Garbage collection

The table filled with flows whose UDP timeout is {'60' if reps > 1 else 'short'} s, then no traffic:
how long until the tracker's count is 0, and its GC work item's runs as the
workqueue tracepoints time them (start to end of each run).

{gc_table}

## Goals (issues #7 and #17)

{goal_table}

## How to reproduce

```
make bench          # builds the non-debug kernel once (cached), then runs this
make bench-quick    # the short form CI runs: small sizes, one repetition
```

The kernel is Debian's linux-source-{'.'.join(info.get(('all', 'kernel'), '?').split('.')[:2])}
built from tinyconfig plus `tests/vm/config/base.config` and
`tests/vm/config/bench.config`.  Its settings that bear on speed:

```
{chr(10).join(cfg_lines)}
```

Every figure of this run is in [benchmarks.tsv](benchmarks.tsv) (scenario,
tracker, size, repetition, value, unit).
"""
    return write_report(dest, "benchmarks", md, None,
                        [cost_table, mem_table, gc_table, goal_table], missing)


if __name__ == "__main__":
    sys.exit(main())
