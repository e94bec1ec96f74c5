# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A misbehaving udpespd client for the end-to-end tests (stdlib only).

It speaks the framing of include/udpesp/ctl.h (16-byte header: type, len,
seq, status; host byte order) and breaks it on purpose:

  ctlraw.py SOCK partial-hdr     7 bytes of a header, then waits to be killed
  ctlraw.py SOCK partial-body    a HELLO header and 3 of its 8 payload bytes,
                                 then waits to be killed
  ctlraw.py SOCK oversize        a header announcing 1 MiB + 1 bytes
  ctlraw.py SOCK garbage         a header of a message type that does not exist
  ctlraw.py SOCK bad-len         an SA_ADD of 100 bytes (not n x 992)
  ctlraw.py SOCK version N       a HELLO for protocol version N
  ctlraw.py SOCK encap TYPE      an otherwise valid SA_ADD with encap TYPE
  ctlraw.py SOCK wrap-len        an ERROR header with length 0xfffffff8, its
                                 first 8 bytes, a pause, then the other 8
                                 (16 + length wraps to 8 in 32 bits)
  ctlraw.py SOCK slow-reader N   N STATS requests, sent as fast as udpespd
                                 takes them (5 s at most), replies never
                                 read; prints "sent K", waits to be killed
  ctlraw.py SOCK monitor-noread  a MONITOR request, events never read;
                                 prints "sent", waits to be killed
  ctlraw.py SOCK hello-ms        connect, HELLO, reply: prints "hello MS"
                                 (milliseconds, connect included)
  ctlraw.py SOCK hold N          N connections, a HELLO on each; prints
                                 "ok A refused B" and the first refusal's
                                 text ("refusal ERRNO TEXT"), then "held",
                                 and keeps them open until killed

The waiting modes print "sent" once their bytes are out. The others print
the reply as "reply TYPE ERRNO TEXT" (message type and errno by name, 0
for success; TEXT for errors only), then "closed" if udpespd hung up, or
"open" if the connection still answers a HELLO.
"""
import errno
import os
import re
import socket
import struct
import sys
import time

HDR = struct.Struct("=IIIi")
MSG_HELLO, MSG_ERROR, MSG_SA_ADD, MSG_STATS, MSG_MONITOR = 1, 2, 4, 12, 19
MSG_NAMES = {MSG_HELLO: "HELLO", MSG_ERROR: "ERROR", MSG_SA_ADD: "SA_ADD"}
MAX_PAYLOAD = 1 << 20


def from_header():
    """The protocol version and SA size as include/udpesp/ctl.h has them."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "../../include/udpesp/ctl.h")
    with open(path) as f:
        text = f.read()
    version = re.search(r"#define UDPESP_CTL_VERSION (\d+)", text)
    sa_size = re.search(r"sizeof\(struct udpesp_ctl_sa\) == (\d+)", text)
    return int(version.group(1)), int(sa_size.group(1))


CTL_VERSION, SA_SIZE = from_header()


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(10)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_reply(s):
    raw = recv_exact(s, HDR.size)
    if raw is None:
        return None
    mtype, length, seq, status = HDR.unpack(raw)
    body = recv_exact(s, length) if length else b""
    text = body.rstrip(b"\0").decode(errors="replace") if mtype == MSG_ERROR else ""
    return mtype, status, seq, text


def still_open(s):
    """Does a HELLO on this connection still get its HELLO back?"""
    try:
        s.sendall(HDR.pack(MSG_HELLO, 8, 77, 0) + struct.pack("=II", CTL_VERSION, 0))
        r = read_reply(s)
    except OSError:
        return False
    return r is not None and r[0] == MSG_HELLO and r[2] == 77


def report(s, payload):
    try:
        s.sendall(payload)
    except OSError:
        pass  # udpespd may hang up before reading it all
    try:
        r = read_reply(s)
    except OSError:
        r = None
    if r is None:
        print("no reply")
    else:
        err = errno.errorcode.get(-r[1], str(r[1])) if r[1] else "0"
        print("reply %s %s %s" % (MSG_NAMES.get(r[0], str(r[0])), err, r[3]))
    print("open" if still_open(s) else "closed")


def addr4(a):
    """struct udpesp_ctl_addr for an IPv4 host address."""
    return struct.pack("=BB2x", 2, 32) + socket.inet_aton(a) + bytes(12)


def sa_add(encap):
    """An inbound AES-128-GCM SA, in the layout of struct udpesp_ctl_sa."""
    none = bytes(20)
    sa = struct.pack("=IBBBB", 0, 1, 2, encap, 0)  # parser, dir in, transport
    sa += struct.pack("!I", 0x7001) + struct.pack("=I", 0)  # spi, flags
    sa += addr4("198.51.100.7") + addr4("192.0.2.1") + none  # src, dst, encap_oa
    sa += bytes(52 * 8)  # sel[8]: none used
    sa += struct.pack("!HH", 4500, 4500)
    sa += struct.pack("=IIIIIII", 0, 0, 0, 0, 0, 0, 0)  # ifindex .. oseq_hi
    sa += struct.pack("=III", 0, 0, 0)  # tfcpad, owner, nsel
    sa += bytes(8 * 6)  # limits
    aead = b"rfc4106(gcm(aes))".ljust(64, b"\0")
    aead += struct.pack("=II", 20, 128) + bytes(range(1, 21)).ljust(64, b"\0")
    sa += aead + bytes(136) + bytes(136)  # aead, enc, auth
    if len(sa) != SA_SIZE:
        sys.exit("ctlraw.py builds a %d-byte udpesp_ctl_sa, ctl.h says %d: update it"
                 % (len(sa), SA_SIZE))
    return HDR.pack(MSG_SA_ADD, len(sa), 9, 0) + sa


def hello():
    return HDR.pack(MSG_HELLO, 8, 77, 0) + struct.pack("=II", CTL_VERSION, 0)


def wait_forever():
    while True:
        time.sleep(60)


def slow_reader(path, n):
    s = connect(path)
    s.settimeout(5)
    sent = 0
    try:
        for _ in range(n):
            s.sendall(HDR.pack(MSG_STATS, 0, 100 + sent, 0))
            sent += 1
    except OSError:
        pass  # udpespd stopped taking requests: its replies wait for us
    print("sent %d" % sent, flush=True)
    wait_forever()


def hello_ms(path):
    t0 = time.monotonic()
    s = connect(path)
    s.sendall(hello())
    r = read_reply(s)
    ms = (time.monotonic() - t0) * 1000
    if r is None or r[0] != MSG_HELLO:
        sys.exit("no HELLO back: %r" % (r,))
    print("hello %d" % ms)


def hold(path, n):
    socks, ok, refused, text = [], 0, 0, ""
    for _ in range(n):
        try:
            s = connect(path)
        except OSError as e:
            r = (MSG_ERROR, -e.errno, 0, "connect: " + e.strerror)
        else:
            try:
                s.sendall(hello())
            except OSError:
                pass  # refused at once: the reason is still there to read
            try:
                r = read_reply(s)
            except OSError as e:
                r = (MSG_ERROR, -e.errno, 0, "recv: " + e.strerror)
        if r is not None and r[0] == MSG_HELLO:
            ok += 1
            socks.append(s)
            continue
        refused += 1
        if not text:
            text = "connection closed" if r is None else "%s %s" % (
                errno.errorcode.get(-r[1], str(r[1])), r[3])
    print("ok %d refused %d" % (ok, refused))
    print("refusal %s" % text)
    print("held", flush=True)
    wait_forever()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "slow-reader":
        return slow_reader(path, int(sys.argv[3]))
    if mode == "hello-ms":
        return hello_ms(path)
    if mode == "hold":
        return hold(path, int(sys.argv[3]))
    s = connect(path)
    if mode == "monitor-noread":
        s.sendall(HDR.pack(MSG_MONITOR, 0, 1, 0))
        print("sent", flush=True)
        wait_forever()
    if mode == "partial-hdr":
        s.sendall(HDR.pack(MSG_HELLO, 8, 1, 0)[:7])
    elif mode == "partial-body":
        s.sendall(HDR.pack(MSG_HELLO, 8, 1, 0) + struct.pack("=II", CTL_VERSION, 0)[:3])
    if mode.startswith("partial-"):
        print("sent", flush=True)
        while True:
            time.sleep(60)
    if mode == "oversize":
        report(s, HDR.pack(MSG_SA_ADD, MAX_PAYLOAD + 1, 5, 0))
    elif mode == "garbage":
        report(s, HDR.pack(0xDEADBEEF, 0, 3, 0))
    elif mode == "bad-len":
        report(s, HDR.pack(MSG_SA_ADD, 100, 6, 0) + bytes(100))
    elif mode == "version":
        report(s, HDR.pack(MSG_HELLO, 8, 7, 0) + struct.pack("=II", int(sys.argv[3]), 0))
    elif mode == "encap":
        report(s, sa_add(int(sys.argv[3])))
    elif mode == "wrap-len":
        s.sendall(HDR.pack(MSG_ERROR, 0xFFFFFFF8, 5, -1)[:8])
        time.sleep(0.5)  # udpespd took these 8 bytes for a whole message
        report(s, HDR.pack(MSG_ERROR, 0xFFFFFFF8, 5, -1)[8:])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
