#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
Bulk traffic for tests/e2e/gso.sh, each end reporting what it moved:

  bulk.py tcp-recv READY PORT OUT      accept one connection (IPv4 or IPv6),
                                       write "BYTES SHA256" to OUT at EOF
  bulk.py tcp-send HOST PORT FILE      send FILE (sendfile), print "BYTES SHA256"
  bulk.py udp-recv READY PORT OUT N    N datagrams (or 10 s of silence): one
                                       "LEN SHA256" line per datagram to OUT
  bulk.py udp-send HOST PORT SEED N [GSO]
                                       N datagrams of sizes 1..3000 from SEED,
                                       paced; with GSO: each a UDP_SEGMENT send
                                       of 4 datagrams of GSO bytes instead
Bounded: every socket times out after 60 s without progress.
"""
import hashlib
import os
import random
import socket
import sys
import time

UDP_SEGMENT = 103  # linux/udp.h


def ready(path):
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(path + ".tmp", path)


def tcp_recv(rdy, port, out):
    srv = socket.create_server(("::", int(port)), family=socket.AF_INET6, dualstack_ipv6=True)
    srv.settimeout(60)
    ready(rdy)
    conn, _ = srv.accept()
    conn.settimeout(60)
    h, n, buf = hashlib.sha256(), 0, bytearray(1 << 20)
    view = memoryview(buf)
    while True:
        k = conn.recv_into(buf)
        if not k:
            break
        h.update(view[:k])
        n += k
    with open(out, "w") as f:
        f.write("%d %s\n" % (n, h.hexdigest()))
    conn.close()


def tcp_send(host, port, path):
    s = socket.create_connection((host, int(port)), timeout=60)
    with open(path, "rb") as f:
        n = s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # the receiver closes once it has read everything
    s.close()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    print("%d %s" % (n, h.hexdigest()))


def udp_recv(rdy, port, out, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("::", int(port)))
    s.settimeout(10)
    ready(rdy)
    lines = []
    try:
        while len(lines) < int(count):
            d = s.recv(70000)
            lines.append("%d %s" % (len(d), hashlib.sha256(d).hexdigest()))
    except socket.timeout:
        pass
    with open(out, "w") as f:
        f.write("".join(x + "\n" for x in lines))


def udp_send(host, port, seed, count, gso=None):
    """Prints one "LEN SHA256" line per datagram the receiver should see."""
    rng = random.Random(int(seed))
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((host, int(port)))
    for i in range(int(count)):
        if gso:
            g = int(gso)
            buf = bytes(rng.getrandbits(8) for _ in range(4 * g))
            s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, g)
            s.send(buf)
            for k in range(4):
                d = buf[k * g:(k + 1) * g]
                print("%d %s" % (len(d), hashlib.sha256(d).hexdigest()))
        else:
            d = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 64, 700, 1000, 1400, 3000])))
            s.send(d)
            print("%d %s" % (len(d), hashlib.sha256(d).hexdigest()))
        time.sleep(0.002)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"tcp-recv": tcp_recv, "tcp-send": tcp_send, "udp-recv": udp_recv,
     "udp-send": udp_send}[cmd](*args)
