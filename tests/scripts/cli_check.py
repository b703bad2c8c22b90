#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse what `ctlite` prints for programs, as those programs would.

    cli_check.py list JSON CONNTRACK N   list -o json and -o conntrack: N flows,
                                         the same ones, each line as
                                         conntrack -L's parsers read it
    cli_check.py events JSON HOST_JSON   the events of 48-cli.sh's flows, in
                                         order; the host's listener heard none
    cli_check.py metrics PROM COUNT      Prometheus text format 0.0.4, and
                                         its figures agree with COUNT

Exits 1 with the reason on stderr when something does not parse or agree.
"""
import json
import re
import sys


def fail(why):
    sys.exit(f"cli_check: {why}")


# conntrack -L's line, as conntrack-tools prints it and scripts split it:
# proto name, number, timeout, [state], original tuple, [UNREPLIED],
# reply tuple, [ASSURED], mark=, use=
TUPLE = r"src=(\S+) dst=(\S+) (?:sport=(\d+) dport=(\d+)|type=(\d+) code=(\d+) id=(\d+)) "
CONNTRACK = re.compile(
    r"^(\w+)\s+(\d+) (\d+) (?:([A-Z_]+) )?" + TUPLE + r"(\[UNREPLIED\] )?" + TUPLE +
    r"(\[ASSURED\] )?mark=(\d+) use=(\d+)$")


def check_list(json_path, conntrack_path, n):
    with open(json_path) as f:
        flows = json.load(f)
    if not isinstance(flows, list) or len(flows) != n:
        fail(f"list -o json: {len(flows)} flows, not {n}")
    keys = {"family", "proto", "protonum", "timeout", "src", "dst", "sport",
            "dport", "seen_reply", "assured"}
    for fl in flows:
        if not keys <= fl.keys():
            fail(f"list -o json: a flow without {keys - fl.keys()}: {fl}")
        if (fl["proto"] == "tcp") != ("state" in fl):
            fail(f"list -o json: state where there is none, or none where there is: {fl}")
    from_json = sorted((f["proto"], f["src"], f["dst"], f["sport"], f["dport"])
                       for f in flows)
    with open(conntrack_path) as f:
        lines = f.read().splitlines()
    if len(lines) != n:
        fail(f"list -o conntrack: {len(lines)} lines, not {n}")
    from_ct = []
    for line in lines:
        m = CONNTRACK.match(line)
        if not m:
            fail(f"list -o conntrack: conntrack -L's format does not parse: {line!r}")
        g = m.groups()
        proto, src, dst, sport, dport = g[0], g[4], g[5], g[6], g[7]
        rsrc, rdst, rsport, rdport = g[12], g[13], g[14], g[15]
        if (rsrc, rdst, rsport, rdport) != (dst, src, dport, sport):
            fail(f"list -o conntrack: the reply tuple is not the original reversed: {line!r}")
        from_ct.append((proto, src, dst, int(sport or 0), int(dport or 0)))
    if sorted(from_ct) != from_json:
        fail(f"list: json and conntrack formats disagree:\n{from_json}\n{sorted(from_ct)}")


def check_events(path, host_path):
    want = [("NEW", None, "tcp", 41000), ("ASSURED", None, "tcp", 41000),
            ("DESTROY", "rst", "tcp", 41000),
            ("NEW", None, "tcp", 41001), ("ASSURED", None, "tcp", 41001),
            ("DESTROY", "delete", "tcp", 41001),
            ("NEW", None, "udp", 42000), ("DESTROY", "expired", "udp", 42000),
            ("NEW", None, "udp", 42001), ("DESTROY", "flush", "udp", 42001)]
    got = []
    with open(path) as f:
        for line in f:
            ev = json.loads(line)
            if ev["src"] != "10.99.0.1" or ev["dst"] != "10.99.0.2":
                fail(f"events: a flow the test did not make: {ev}")
            got.append((ev["event"], ev.get("reason"), ev["proto"], ev["sport"]))
    if got != want:
        fail("events: heard, then wanted:\n" + "\n".join(map(str, got)) +
             "\n--\n" + "\n".join(map(str, want)))
    with open(host_path) as f:
        heard = f.read()
    if heard:
        fail(f"events: the host's listener heard another namespace's flows: {heard}")


# The text format, version 0.0.4
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(.*)\})? (\S+)( -?\d+)?$")
LABEL = re.compile(r'^(' + NAME + r')="((?:[^"\\\n]|\\[\\"n])*)"$')


def parse_value(s):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s)
    return float(s)


def check_metrics(path, count):
    types, samples = {}, []
    with open(path) as f:
        for n, line in enumerate(f.read().splitlines(), 1):
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 3 and parts[1] == "TYPE":
                    if parts[2] in types:
                        fail(f"metrics line {n}: a second TYPE for {parts[2]}")
                    if len(parts) != 4 or parts[3] not in (
                            "counter", "gauge", "histogram", "summary", "untyped"):
                        fail(f"metrics line {n}: bad TYPE line: {line!r}")
                    types[parts[2]] = parts[3]
                elif len(parts) >= 3 and parts[1] == "HELP":
                    if not re.match("^" + NAME + "$", parts[2]):
                        fail(f"metrics line {n}: bad HELP line: {line!r}")
                continue
            m = SAMPLE.match(line)
            if not m:
                fail(f"metrics line {n}: not a sample: {line!r}")
            name, labels = m.group(1), {}
            if m.group(3):
                for pair in m.group(3).split(","):
                    lm = LABEL.match(pair)
                    if not lm:
                        fail(f"metrics line {n}: bad label {pair!r}")
                    labels[lm.group(1)] = lm.group(2)
            if name not in types:
                fail(f"metrics line {n}: {name} has no TYPE before it")
            if types[name] == "counter" and not name.endswith("_total"):
                fail(f"metrics line {n}: counter {name} does not end in _total")
            try:
                value = parse_value(m.group(4))
            except ValueError:
                fail(f"metrics line {n}: bad value {m.group(4)!r}")
            samples.append((name, labels, value))
    by = {}
    for name, labels, value in samples:
        if not labels:
            by[name] = value
    for need in ("ctlite_entries", "ctlite_entries_limit", "ctlite_table_entries",
                 "ctlite_table_max", "ctlite_buckets", "ctlite_new_total",
                 "ctlite_drop_total", "ctlite_events_lost_total"):
        if need not in by:
            fail(f"metrics: no {need}")
    if by["ctlite_entries"] != count:
        fail(f"metrics: ctlite_entries {by['ctlite_entries']}, not {count}")
    states = sum(v for name, labels, v in samples if name == "ctlite_entries_by_state")
    if states != count:
        fail(f"metrics: ctlite_entries_by_state adds up to {states}, not {count}")
    print(f"# metrics: {len(samples)} samples of {len(types)} families parse; "
          f"{int(count)} entries, by state alike")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list" and len(sys.argv) == 5:
        check_list(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "events":
        check_events(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "metrics":
        check_metrics(sys.argv[2], float(sys.argv[3]))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
