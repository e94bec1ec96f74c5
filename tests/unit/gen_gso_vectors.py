#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
Packets for tests/unit/test_esp_gso.c: super-packets as a TUN device with
IFF_VNET_HDR hands them out (TSO/USO, CHECKSUM_PARTIAL) and the segments
the kernel's GSO would send for them; batches of inner packets and the
GRO super-packets Linux would build from them.

The rules are the kernel's (net/ipv4/tcp_offload.c, udp_offload.c,
af_inet.c, net/ipv6/ip6_offload.c), written out here by hand per case;
every packet is built by Scapy, which computes lengths and checksums on
its own, so the C code is checked against an implementation it shares
nothing with. Which packets merge into which item is written down per
case (from the rules in esp_gro.h), not computed.

Usage: gen_gso_vectors.py OUT.h (Debian's /usr/bin/python3, with scapy).
"""
import random
import struct
import sys

from scapy.all import (IP, IPv6, TCP, UDP, ICMP, Raw, raw, conf,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, PadN)
from scapy.layers.inet import IPOption_NOP, IPOption_EOL

conf.verb = 0
rng = random.Random(7680)

A4, B4 = "192.0.2.10", "198.51.100.20"
A6, B6 = "2001:db8:1::10", "2001:db8:2::20"
NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4, GSO_ECN = 0, 1, 3, 4, 5, 0x80


def rand_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def csum_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def pseudo_sum(pkt, l4len):
    """Folded pseudo-header sum (what CHECKSUM_PARTIAL leaves in the field)."""
    if pkt.haslayer(IP):
        ip = pkt[IP]
        hdr = (bytes(map(int, ip.src.split("."))) + bytes(map(int, ip.dst.split("."))) +
               struct.pack("!BBH", 0, ip.proto, l4len))
    else:
        import socket
        ip = pkt[IPv6]
        proto = TCP if pkt.haslayer(TCP) else UDP
        hdr = (socket.inet_pton(socket.AF_INET6, ip.src) +
               socket.inet_pton(socket.AF_INET6, ip.dst) +
               struct.pack("!IxxxB", l4len, 6 if proto is TCP else 17))
    return csum_sum(hdr)


def with_partial(pkt):
    """raw(pkt) with the L4 checksum field holding the pseudo-header sum."""
    b = bytearray(raw(pkt))
    l4 = pkt[TCP] if pkt.haslayer(TCP) else pkt[UDP]
    l4len = len(raw(l4))
    off = len(b) - l4len + (16 if isinstance(l4, TCP) else 6)
    struct.pack_into("!H", b, off, pseudo_sum(pkt, l4len))
    return bytes(b)


def vnet(flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)


def ip4(**kw):
    d = dict(src=A4, dst=B4, ttl=64, flags="DF", id=0x1234)
    d.update(kw)
    return IP(**d)


def ip6(**kw):
    d = dict(src=A6, dst=B6, hlim=64)
    d.update(kw)
    return IPv6(**d)


TS = [("NOP", None), ("NOP", None), ("Timestamp", (1000, 2000))]
SACK = [("NOP", None), ("NOP", None), ("SAck", (5000, 6000))]

# ---------------------------------------------------------------- GSO

gso_cases = []


def gso_case(name, ipf, l4f, payload, gso_type, mss, seg_fn, ext=None):
    """ipf(i) the IP layer of segment i (i=None: the super-packet)."""
    ext = ext or []
    top = ipf(None)
    for e in ext:
        top = top / e
    sup = top / l4f(None) / Raw(payload)
    data = with_partial(sup)
    l4 = sup[TCP] if sup.haslayer(TCP) else sup[UDP]
    hl = len(data) - len(raw(l4)) + (len(raw(l4)) - len(l4.payload))
    l4off = len(data) - len(raw(l4))
    vh = vnet(NEEDS_CSUM, gso_type, hl, mss, l4off, 16 if isinstance(l4, TCP) else 6)
    segs = []
    chunks = [payload[i:i + mss] for i in range(0, len(payload), mss)]
    for i, c in enumerate(chunks):
        top = ipf(i)
        for e in ext:
            top = top / e
        p = top / seg_fn(i, len(chunks), i * mss) / Raw(c)
        segs.append(raw(p))
    gso_cases.append((name, vh, data, segs))


def tcp_seg(flags_first, flags_mid, flags_last, seq0=1000000, opts=None, **kw):
    def f(i, n, off):
        fl = flags_first if i == 0 else flags_last if i == n - 1 else flags_mid
        return TCP(sport=40000, dport=5201, seq=(seq0 + off) & 0xffffffff, ack=777,
                   flags=fl, window=501, options=opts or [], **kw)
    return f


def tcp_sup(flags, seq0=1000000, opts=None):
    return lambda i: TCP(sport=40000, dport=5201, seq=seq0, ack=777, flags=flags, window=501,
                         options=opts or [])


def ip4_ids(id0, **kw):
    return lambda i: ip4(id=id0 if i is None else (id0 + i) & 0xffff, **kw)


def ip6_f(**kw):
    return lambda i: ip6(**kw)


# FIN and PSH only on the last segment, CWR only on the first; ECE, ACK everywhere.
gso_case("tcp4 flags FIN PSH CWR ECE over 3 segments", ip4_ids(0x1234),
         tcp_sup("FPACE"), rand_bytes(3000), GSO_TCPV4, 1000,
         tcp_seg("ACE", "AE", "FPAE"))
gso_case("tcp4 timestamps, last segment shorter", ip4_ids(7, tos=0x2e),
         tcp_sup("PA", opts=TS), rand_bytes(2500), GSO_TCPV4, 988,
         tcp_seg("A", "A", "PA", opts=TS))
gso_case("tcp4 SACK option, URG kept in every segment", ip4_ids(99),
         tcp_sup("AU", opts=SACK), rand_bytes(2100), GSO_TCPV4, 700,
         tcp_seg("AU", "AU", "AU", opts=SACK))
gso_case("tcp4 sequence number and IPv4 id wrap", ip4_ids(0xfffe),
         tcp_sup("A", seq0=0xffffff00), rand_bytes(1400), GSO_TCPV4, 500,
         tcp_seg("A", "A", "A", seq0=0xffffff00))
gso_case("tcp6 4 segments", ip6_f(tc=0x28, fl=0x12345),
         tcp_sup("PA"), rand_bytes(5600), GSO_TCPV6, 1400,
         tcp_seg("A", "A", "PA"))
gso_case("tcp6 hop-by-hop and destination options headers", ip6_f(),
         tcp_sup("A", opts=TS), rand_bytes(3000), GSO_TCPV6, 1200,
         tcp_seg("A", "A", "A", opts=TS),
         ext=[IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0\0\0\0")]),
              IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 12)])])


def udp_sup(sport=53000, dport=4433):
    return lambda i: UDP(sport=sport, dport=dport)


def udp_seg(sport=53000, dport=4433):
    return lambda i, n, off: UDP(sport=sport, dport=dport)


gso_case("udp4 USO 3 datagrams, last shorter", ip4_ids(500, flags=0),
         udp_sup(), rand_bytes(3000), GSO_UDP_L4, 1200, udp_seg())
gso_case("udp6 USO 2 datagrams", ip6_f(), udp_sup(), rand_bytes(2400), GSO_UDP_L4, 1200,
         udp_seg())


def udp_zero_payload():
    """Two datagrams, the second's checksum computes to 0: sent as 0xffff."""
    p = bytearray(rand_bytes(2000))
    seg = raw(ip4(id=2) / UDP(sport=53000, dport=4433, chksum=0) / Raw(bytes(p[1000:])))
    s = csum_sum(seg[12:20] + struct.pack("!BBH", 0, 17, 8 + 1000) + seg[20:])
    w = (~s) & 0xffff
    struct.pack_into("!H", p, 1000, (struct.unpack_from("!H", p, 1000)[0] + w) % 0xffff)
    return bytes(p)


zp = udp_zero_payload()
gso_case("udp4 USO segment whose checksum is 0 goes out as 0xffff", ip4_ids(1), udp_sup(), zp,
         GSO_UDP_L4, 1000, udp_seg())
assert raw(gso_cases[-1][3][1])[26:28] == b"\xff\xff", "crafting the 0 checksum failed"


def csum_only(name, pkt):
    """No GSO, NEEDS_CSUM: checksum completed as skb_checksum_help()."""
    data = with_partial(pkt)
    l4 = pkt[TCP] if pkt.haslayer(TCP) else pkt[UDP]
    l4off = len(data) - len(raw(l4))
    vh = vnet(NEEDS_CSUM, GSO_NONE, 0, 0, l4off, 16 if isinstance(l4, TCP) else 6)
    gso_cases.append((name, vh, data, [raw(pkt)]))


csum_only("tcp4 CHECKSUM_PARTIAL completed", ip4() / TCP(sport=1, dport=2, flags="PA") /
          Raw(rand_bytes(333)))
csum_only("udp6 CHECKSUM_PARTIAL completed", ip6() / UDP(sport=1, dport=2) / Raw(rand_bytes(77)))
gso_case("tcp4 TSO of one segment: sent as it is", ip4_ids(5), tcp_sup("FPA"),
         rand_bytes(800), GSO_TCPV4, 1000, tcp_seg("FPA", "FPA", "FPA"))
gso_cases.append(("no vnet flags: the packet as it is", vnet(),
                  raw(ip4() / ICMP() / Raw(b"ping")), [raw(ip4() / ICMP() / Raw(b"ping"))]))

# ---------------------------------------------------------------- GRO

gro_cases = []
MSS = 1000


def t4(i, seq=None, flags="A", size=MSS, opts=None, ip=None, sport=40000, payload=None,
       ack=555, window=300, **tk):
    """Segment i of a TCP/IPv4 flow: seq 1000 + i * MSS, id 100 + i."""
    ipl = ip or ip4(id=100 + i)
    return ipl / TCP(sport=sport, dport=5201, seq=1000 + i * MSS if seq is None else seq,
                     ack=ack, flags=flags, window=window, options=opts or [], **tk) / \
        Raw(payload if payload is not None else rand_bytes(size))


def t6(i, flags="A", size=MSS, ext=None, **ipkw):
    top = ip6(**ipkw)
    for e in ext or []:
        top = top / e
    return top / TCP(sport=40000, dport=5201, seq=1000 + i * MSS, ack=555, flags=flags,
                     window=300) / Raw(rand_bytes(size))


def u(i, size=MSS, ip=None, sport=53000, v6=False, chksum=None):
    ipl = ip or (ip6() if v6 else ip4(id=100 + i, flags=0))
    return ipl / UDP(sport=sport, dport=4433, chksum=chksum) / Raw(rand_bytes(size))


def merged(pkts):
    """The GRO packet of pkts, as tcp/udp_gro_complete leaves it, with its vnet header."""
    first = pkts[0]
    payload = b"".join(bytes(p[Raw].load) for p in pkts)
    p = first.copy()
    p[Raw].load = payload
    if p.haslayer(IP):
        p[IP].len = None
        p[IP].chksum = None
    else:
        p[IPv6].plen = None
    tcp = p.haslayer(TCP)
    if tcp:
        fl = int(p[TCP].flags) | (int(pkts[-1][TCP].flags) & 0x09)
        p[TCP].flags = fl
    else:
        p[UDP].len = None
    data = with_partial(p)
    l4 = p[TCP] if tcp else p[UDP]
    l4off = len(data) - len(raw(l4))
    hl = l4off + (len(raw(first[TCP])) - len(first[TCP].payload) if tcp else 8)
    if tcp:
        gt = GSO_TCPV4 if p.haslayer(IP) else GSO_TCPV6
        if int(p[TCP].flags) & 0x80:
            gt |= GSO_ECN
    else:
        gt = GSO_UDP_L4
    vh = vnet(NEEDS_CSUM, gt, hl, len(first[Raw].load), l4off, 16 if tcp else 6)
    return vh + data


def gro_case(name, pkts, groups):
    """groups: the items, as lists of indices into pkts, in output order."""
    ins = [raw(p) for p in pkts]
    outs = []
    for g in groups:
        if len(g) == 1:
            outs.append(vnet() + ins[g[0]])
        else:
            outs.append(merged([pkts[i].__class__(ins[i]) for i in g]))
    gro_cases.append((name, ins, outs))


gro_case("tcp4 4 full segments, PSH on the last: one item",
         [t4(0), t4(1), t4(2), t4(3, flags="PA")], [[0, 1, 2, 3]])
gro_case("tcp4 last segment shorter ends the item",
         [t4(0), t4(1), t4(2, size=400), t4(3, seq=1000 + 2 * MSS + 400)], [[0, 1, 2], [3]])
gro_case("tcp4 a hole in the sequence",
         [t4(0), t4(1), t4(3), t4(4)], [[0, 1], [2, 3]])
gro_case("tcp4 a different TOS starts a new item",
         [t4(0), t4(1), t4(2, ip=ip4(id=102, tos=4)), t4(3, ip=ip4(id=103, tos=4))],
         [[0, 1], [2, 3]])
gro_case("tcp4 a different TTL does not merge",
         [t4(0), t4(1, ip=ip4(id=101, ttl=63))], [[0], [1]])
gro_case("tcp4 a different DF does not merge",
         [t4(0), t4(1, ip=ip4(id=101, flags=0))], [[0], [1]])
gro_case("tcp4 a fixed IPv4 id with DF merges (kernel: ip_fixedid)",
         [t4(0, ip=ip4(id=7)), t4(1, ip=ip4(id=7)), t4(2, ip=ip4(id=7))], [[0, 1, 2]])
gro_case("tcp4 a fixed IPv4 id without DF does not merge",
         [t4(0, ip=ip4(id=7, flags=0)), t4(1, ip=ip4(id=7, flags=0))], [[0], [1]])
gro_case("tcp4 fixed, then incrementing ids: the item ends",
         [t4(0, ip=ip4(id=7)), t4(1, ip=ip4(id=7)), t4(2, ip=ip4(id=8))], [[0, 1], [2]])
gro_case("tcp4 identical timestamps and SACK options merge",
         [t4(0, opts=TS + SACK), t4(1, opts=TS + SACK), t4(2, opts=TS + SACK)], [[0, 1, 2]])
gro_case("tcp4 a different timestamp does not merge",
         [t4(0, opts=TS), t4(1, opts=[("NOP", None), ("NOP", None), ("Timestamp", (1001, 2000))])],
         [[0], [1]])
gro_case("tcp4 FIN in the middle ends the item there",
         [t4(0), t4(1, flags="FA"), t4(2)], [[0, 1], [2]])
gro_case("tcp4 SYN, RST and URG stay alone",
         [t4(0, flags="S", size=0, seq=999), t4(0, flags="RA"), t4(1, flags="UA", urgptr=1),
          t4(2, flags="RA")], [[0], [1], [2], [3]])
gro_case("tcp4 CWR starts a new item, ECE merges",
         [t4(0, flags="AE"), t4(1, flags="AE"), t4(2, flags="ACE"), t4(3, flags="AE")],
         [[0, 1], [2, 3]])
gro_case("tcp4 PSH on the first: alone", [t4(0, flags="PA"), t4(1), t4(2)], [[0], [1, 2]])
gro_case("tcp4 a pure ACK of the flow ends the item",
         [t4(0), t4(1), t4(2, size=0), t4(2)], [[0, 1], [2], [3]])
gro_case("tcp4 a different ack number or window does not merge",
         [t4(0), t4(1, ack=556), t4(2), t4(3, window=301)], [[0], [1], [2], [3]])
gro_case("tcp4 two flows interleaved: two items",
         [t4(0), t4(0, sport=40001, ip=ip4(id=300)), t4(1), t4(1, sport=40001, ip=ip4(id=301))],
         [[0, 2], [1, 3]])
bad = bytearray(raw(t4(2)))
bad[-1] ^= 0xff
gro_case("tcp4 a bad TCP checksum: alone, ends the item",
         [t4(0), t4(1), IP(bytes(bad)), t4(3)], [[0, 1], [2], [3]])
gro_case("tcp4 ICMP between the same hosts ends the item",
         [t4(0), t4(1), ip4(id=5) / ICMP() / Raw(b"x"), t4(2, ip=ip4(id=102))],
         [[0, 1], [2], [3]])
gro_case("tcp4 IPv4 options: alone",
         [t4(0), t4(1, ip=ip4(id=101, options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(),
                                              IPOption_EOL()]))], [[0], [1]])
gro_case("tcp4 at most 65535 bytes in an item",
         [t4(i, size=1400, seq=1000 + i * 1400) for i in range(50)],
         [list(range(46)), list(range(46, 50))])
gro_case("tcp6 3 segments merge", [t6(0), t6(1), t6(2)], [[0, 1, 2]])
gro_case("tcp6 a different flow label does not merge",
         [t6(0, fl=1), t6(1, fl=2)], [[0], [1]])
gro_case("tcp6 a different hop limit does not merge",
         [t6(0), t6(1, hlim=3)], [[0], [1]])
DO = [IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0\0\0")])]
gro_case("tcp6 identical destination options headers merge",
         [t6(0, ext=DO), t6(1, ext=DO), t6(2, ext=DO, size=10)], [[0, 1, 2]])
BIGDO = [IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 200)])]
gro_case("tcp6 a longer extension header before a short packet of the flow: no merge, no overread",
         [t6(0, ext=BIGDO), t6(1, ext=DO, size=10)], [[0], [1]])
gro_case("udp4 equal datagrams and a shorter last one merge",
         [u(0), u(1), u(2, size=300), u(3)], [[0, 1, 2], [3]])
gro_case("udp4 a longer datagram starts a new item",
         [u(0, size=500), u(1, size=500), u(2, size=900), u(3, size=900)], [[0, 1], [2, 3]])
gro_case("udp4 checksum 0 never merges",
         [u(0, chksum=0), u(1, chksum=0)], [[0], [1]])
gro_case("udp6 datagrams merge", [u(0, v6=True), u(1, v6=True)], [[0, 1]])
gro_case("udp4 at most 64 datagrams in an item",
         [u(i, size=100) for i in range(64)], [list(range(64))])
gro_case("udp4 two ports interleaved",
         [u(0), u(0, sport=1, ip=ip4(id=200, flags=0)), u(1),
          u(1, sport=1, ip=ip4(id=201, flags=0))], [[0, 2], [1, 3]])

# ---------------------------------------------------------------- output


def c_bytes(b):
    return ", ".join("0x%02x" % x for x in b)


def emit(out):
    w = out.write
    w("/* Generated by tests/unit/gen_gso_vectors.py: do not edit. */\n")
    w("struct gso_vec { const char *name; const unsigned char *vh; const unsigned char *in;\n"
      "\tunsigned int in_len, nsegs; const unsigned char *out; const unsigned int *out_lens; };\n")
    w("struct gro_vec { const char *name; unsigned int npkts; const unsigned char *in;\n"
      "\tconst unsigned int *in_lens; unsigned int nitems; const unsigned char *out;\n"
      "\tconst unsigned int *out_lens; };\n")
    for i, (name, vh, data, segs) in enumerate(gso_cases):
        w("static const unsigned char gso_vh_%d[] = { %s };\n" % (i, c_bytes(vh)))
        w("static const unsigned char gso_in_%d[] = { %s };\n" % (i, c_bytes(data)))
        w("static const unsigned char gso_out_%d[] = { %s };\n" % (i, c_bytes(b"".join(segs))))
        w("static const unsigned int gso_lens_%d[] = { %s };\n" %
          (i, ", ".join(str(len(s)) for s in segs)))
    w("static const struct gso_vec gso_vecs[] = {\n")
    for i, (name, vh, data, segs) in enumerate(gso_cases):
        w('\t{ "%s", gso_vh_%d, gso_in_%d, %d, %d, gso_out_%d, gso_lens_%d },\n' %
          (name, i, i, len(data), len(segs), i, i))
    w("};\n")
    for i, (name, ins, outs) in enumerate(gro_cases):
        w("static const unsigned char gro_in_%d[] = { %s };\n" % (i, c_bytes(b"".join(ins))))
        w("static const unsigned int gro_in_lens_%d[] = { %s };\n" %
          (i, ", ".join(str(len(s)) for s in ins)))
        w("static const unsigned char gro_out_%d[] = { %s };\n" % (i, c_bytes(b"".join(outs))))
        w("static const unsigned int gro_out_lens_%d[] = { %s };\n" %
          (i, ", ".join(str(len(s)) for s in outs)))
    w("static const struct gro_vec gro_vecs[] = {\n")
    for i, (name, ins, outs) in enumerate(gro_cases):
        w('\t{ "%s", %d, gro_in_%d, gro_in_lens_%d, %d, gro_out_%d, gro_out_lens_%d },\n' %
          (name, len(ins), i, i, len(outs), i, i))
    w("};\n")


with open(sys.argv[1], "w") as f:
    emit(f)
