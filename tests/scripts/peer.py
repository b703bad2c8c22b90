#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic peers for the guest tests: small, bounded, no third-party code.

  peer.py tcp-server ADDR PORT [SECS]   echo every line back, for SECS
                                        (default 120) seconds
  peer.py tcp-session ADDR PORT         connect, then for each stdin line
                                        send it, print the echo ("" on error)
  peer.py tcp-connect ADDR PORT [SPORT] connect, exchange one line, close
  peer.py tcp-clients ADDR PORT N       N clients one after another, each
                                        given 2 s to connect and be
                                        answered; prints "SERVED N"
  peer.py tcp-rst ADDR PORT [SPORT]     the same, but close with an RST
                                        (SO_LINGER 0)
  peer.py syn-flood ADDR PORT N SEED    N SYNs from random 10.99.0.10-250
                                        sources and ports (IPv4, raw
                                        socket), reproducible by SEED
  peer.py udp-server ADDR PORT          echo datagrams, for 120 s
  peer.py udp-send ADDR PORT N [SPORT]  N datagrams from N source ports
                                        (from SPORT on), no waiting
  peer.py udp-ask ADDR PORT             send one datagram, print the answer

Exit status 0 on success; a failed connect prints why and exits 1.
"""
import random
import select
import socket
import struct
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_server(addr, port, secs=120):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    s.setblocking(False)
    end = time.time() + secs
    conns = []
    while time.time() < end:
        # answer whatever is ready at once: a slow echo looks like a failure
        ready, _, _ = select.select([s] + conns, [], [], 1)
        for c in ready:
            if c is s:
                try:
                    conn, _ = s.accept()
                    conn.setblocking(False)
                    conns.append(conn)
                except OSError:
                    pass
                continue
            try:
                data = c.recv(4096)
                if data:
                    c.sendall(data)
                    continue
            except BlockingIOError:
                continue
            except OSError:
                pass
            conns.remove(c)
            c.close()


def connect(addr, port, sport=0, timeout=5):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    if sport:
        s.bind(("::" if ":" in addr else "0.0.0.0", sport))
    s.connect((addr, port))
    return s


def tcp_session(addr, port):
    s = connect(addr, port)
    print("connected", flush=True)
    for line in sys.stdin:
        try:
            s.sendall(line.encode())
            print(s.recv(4096).decode().strip(), flush=True)
        except OSError as e:
            print("", flush=True)
            print(e, file=sys.stderr)


def tcp_connect(addr, port, sport=0):
    s = connect(addr, port, sport)
    s.sendall(b"hello\n")
    ok = s.recv(100) == b"hello\n"
    s.close()
    return ok


def tcp_clients(addr, port, n):
    served = 0
    for _ in range(n):
        try:
            s = connect(addr, port, 0, 2)
            s.sendall(b"hello\n")
            served += s.recv(100) == b"hello\n"
            s.close()
        except OSError:
            pass  # refused, or dropped by a full table: counted out
    print(served, n)
    return True


def tcp_rst(addr, port, sport=0):
    s = connect(addr, port, sport)
    s.sendall(b"hello\n")
    ok = s.recv(100) == b"hello\n"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return ok


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def syn_flood(addr, port, n, seed):
    """Half-open connections whose answers go nowhere: the sources are
    addresses no host has, so the SYN-ACKs die in ARP and no RST comes."""
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(addr)
    for _ in range(n):
        src = socket.inet_aton("10.99.0.%d" % rnd.randint(10, 250))
        sport, seq = rnd.randint(1024, 65535), rnd.getrandbits(32)
        tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, 5 << 4, 0x02,
                          65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        # the kernel fills in the IP checksum, id and total length
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64,
                         socket.IPPROTO_TCP, 0, src, dst)
        try:
            s.sendto(ip + tcp, (addr, 0))
        except OSError:
            pass  # dropped by a full table: what some tests want


def udp_server(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(1)
    end = time.time() + 120
    while time.time() < end:
        try:
            data, peer = s.recvfrom(4096)
            s.sendto(data, peer)
        except socket.timeout:
            pass


def udp_send(addr, port, n, sport):
    for i in range(n):
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        if sport:
            s.bind(("::" if ":" in addr else "0.0.0.0", sport + i))
        try:
            s.sendto(b"x", (addr, port))
        except OSError:
            pass  # dropped by the table: that is what some tests want
        s.close()


def udp_ask(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b"ping", (addr, port))
    return s.recvfrom(100)[0] == b"ping"


def main(argv):
    mode, addr, port = argv[1], argv[2], int(argv[3])
    rest = [int(a) for a in argv[4:]]
    try:
        if mode == "tcp-server":
            tcp_server(addr, port, *rest)
        elif mode == "tcp-session":
            tcp_session(addr, port)
        elif mode == "tcp-connect":
            return 0 if tcp_connect(addr, port, *rest) else 1
        elif mode == "tcp-clients":
            tcp_clients(addr, port, *rest)
        elif mode == "tcp-rst":
            return 0 if tcp_rst(addr, port, *rest) else 1
        elif mode == "syn-flood":
            syn_flood(addr, port, *rest)
        elif mode == "udp-server":
            udp_server(addr, port)
        elif mode == "udp-send":
            udp_send(addr, port, *rest)
        elif mode == "udp-ask":
            return 0 if udp_ask(addr, port) else 1
        else:
            print("unknown mode", mode, file=sys.stderr)
            return 2
    except OSError as e:
        print(mode, "failed:", e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
