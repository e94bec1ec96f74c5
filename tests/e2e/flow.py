# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Numbered UDP datagrams for the restart tests (standard library only).

  flow.py send ADDR PORT INTERVAL_MS SECONDS   datagram n carries n and when it was
                                               sent (CLOCK_REALTIME ns, 8 bytes each),
                                               one every INTERVAL_MS, for SECONDS
  flow.py recv READY OUT PORT                  one line per datagram to OUT:
                                               "<n> <sent ns> <received ns>"
  flow.py tcprecv READY OUT PORT               one TCP connection; what it carries to OUT
  flow.py tcpsend ADDR PORT INTERVAL_MS STOP   line n is "n", one every INTERVAL_MS,
                                               until the file STOP exists; exit 1 if
                                               the connection breaks
  flow.py gaps OUT EVENTS                      per event time (ns, one a line): from
                                               the sending of the last datagram received
                                               before it to that of the first received
                                               after it, in ms (sender's clock: a
                                               receiver slowed by load does not count)
"""
import os
import socket
import struct
import sys
import time


def send(addr, port, interval_ms, seconds):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            s.sendto(struct.pack(">QQ", n, time.time_ns()), (addr, port))
        except OSError:
            pass  # no route while udpesp0 is being taken over: lost, counted
        time.sleep(interval_ms / 1000.0)


def recv(ready, out, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    with open(out, "a", buffering=1) as f:
        while True:
            data = s.recv(65535)
            if len(data) == 16:
                n, sent = struct.unpack(">QQ", data)
                f.write("%d %d %d\n" % (n, sent, time.time_ns()))


def tcprecv(ready, out, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    c, _ = ls.accept()
    with open(out, "ab", buffering=0) as f:
        while True:
            data = c.recv(65536)
            if not data:
                return
            f.write(data)


def tcpsend(addr, port, interval_ms, stop):
    s = socket.create_connection((addr, port), timeout=10)
    s.settimeout(None)
    n = 0
    try:
        while not os.path.exists(stop):
            n += 1
            s.sendall(b"%d\n" % n)
            time.sleep(interval_ms / 1000.0)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        sys.stderr.write("tcp: after line %d: %s\n" % (n, e))
        return 1
    s.close()
    return 0


def gaps(out, events):
    sent = sorted(int(l.split()[1]) for l in open(out) if l.strip())
    ms = []
    for ev in (int(l) for l in open(events) if l.strip()):
        before = [t for t in sent if t <= ev]
        after = [t for t in sent if t > ev]
        ms.append((after[0] - before[-1]) / 1e6 if before and after else float("inf"))
    if not ms:
        print("no restarts")
        return
    srt = sorted(ms)
    print("outage per restart (ms): %s; median %.0f, max %.0f" %
          (" ".join("%.0f" % m for m in ms), srt[len(srt) // 2], srt[-1]))


def main(argv):
    if len(argv) == 6 and argv[1] == "send":
        send(argv[2], int(argv[3]), float(argv[4]), float(argv[5]))
    elif len(argv) == 5 and argv[1] == "recv":
        recv(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 5 and argv[1] == "tcprecv":
        tcprecv(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 6 and argv[1] == "tcpsend":
        return tcpsend(argv[2], int(argv[3]), float(argv[4]), argv[5])
    elif len(argv) == 4 and argv[1] == "gaps":
        gaps(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
