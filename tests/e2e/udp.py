# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""UDP sender and listener for the end-to-end tests (standard library only).

  udp.py listen READY OUT PORT...   one dual-stack socket per port; writes
                                    READY once every socket is bound, then
                                    one line per datagram to OUT:
                                    "<port> <v4|v6> <payload hex>"
  udp.py send ADDR PORT HEX...      one datagram per HEX, in order, from
                                    one socket (so they stay in order)
"""
import os
import select
import socket
import sys


def listen(ready, out, ports):
    socks = {}
    for port in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        # One socket sees IPv4 (as ::ffff:a.b.c.d) and IPv6 alike.
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        socks[s.fileno()] = (s, port)
    # Rename into place: the runner never sees a half-written flag.
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    with open(out, "a", buffering=1) as f:
        while True:
            readable, _, _ = select.select(list(socks), [], [])
            for fd in readable:
                s, port = socks[fd]
                data, peer = s.recvfrom(65535)
                fam = "v4" if peer[0].startswith("::ffff:") else "v6"
                f.write("%d %s %s\n" % (port, fam, data.hex()))


def send(addr, port, payloads):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for p in payloads:
        s.sendto(bytes.fromhex(p), (addr, port))
    s.close()


def main(argv):
    if len(argv) >= 4 and argv[1] == "listen":
        listen(argv[2], argv[3], [int(p) for p in argv[4:]])
    elif len(argv) >= 4 and argv[1] == "send":
        send(argv[2], int(argv[3]), argv[4:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
