# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""ESP-in-UDP sender for the end-to-end tests. ESP is built by Scapy (an
implementation udpesp shares nothing with) or, where Scapy cannot (AES-GMAC,
wrong padding, a chosen next header), by this file from python3-cryptography.

  esp_send.py --to ADDR [--sport P ...] [--copies N] --suite NAME --key HEX
              [--auth-key HEX] --spi N --mode tunnel|transport
              --inner-src A --inner-dst A [--orig-src A] --dport P
              --payload HEX [--tag-seq] --seq N|A-B ... [--esn-hi N]
              [--tamper] [--truncate N] [--bad-pad] [--nh N] [--tfc N]
              [--builder scapy|own] [--inner-tos N] [--outer-tos N]
  esp_send.py --batch FILE     one such argument list per line ('-': stdin)

Each --seq (or range A-B) sends packets with those sequence numbers, in
order. With one --sport every packet leaves from that UDP port; with
several, sequence number i goes out from the i-th port (round robin) and
--copies N also sends it from the N-1 ports after that one: the same
packet on other flows. The kernel adds the outer IP/UDP headers: the ESP
bytes are the UDP payload (RFC 3948 ESP-in-UDP).

Tunnel mode: the inner packet is IP(inner-src, inner-dst)/UDP(7000, dport)/
payload. Transport mode: UDP(7000, dport)/payload whose checksum is computed
over the pseudo-header of --orig-src (the sender's own, pre-NAT, address;
default --inner-src) and --inner-dst, as a host behind a NAT would.
--tag-seq appends the sequence number (4 bytes) to the payload.

Malformed on purpose: --tamper flips a bit of the ICV; --truncate N sends
only the first N bytes (N < 0: all but the last -N); --bad-pad makes the
pad bytes 0 instead of 1, 2, 3 ... (adding an alignment unit of them, 4 or
16 bytes, if none were needed) under a valid ICV; --nh N writes next
header N under a valid ICV. --tfc N adds N zero bytes of TFC padding after
the inner packet (RFC 4303 2.7). These, and with --esn-hi the CBC and NULL
suites, are built here: Scapy 2.5 leaves the high half of an ESN out of
the HMAC. So are gcm8 and gcm12 (AES-GCM with the tag cut to 8 or 12
bytes, RFC 4106 3) and ccm8, ccm12, ccm16 (AES-CCM, RFC 4309), which
Scapy's table lacks or has with one ICV size only.

--inner-tos N sets the inner IP packet's TOS / traffic class (tunnel
mode), --outer-tos N the outer one's (IP_TOS / IPV6_TCLASS on the
sending socket): ECN bits included, as a router marking CE would leave
them (RFC 6040).
"""
import argparse
import hashlib
import hmac
import os
import shlex
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import (AESCCM, AESGCM,
                                                         ChaCha20Poly1305)
from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

# udpesp's suite names -> Scapy's (crypt_algo, auth_algo); None: not in Scapy.
SUITES = {
    "gcm": ("AES-GCM", None),
    "gcm8": None,   # RFC 4106 with 8 and 12-byte ICVs: the tag's first bytes
    "gcm12": None,
    "ccm8": None,   # RFC 4309: 3-byte salt, ICV 8, 12 or 16
    "ccm12": None,
    "ccm16": None,
    "chacha": ("CHACHA20-POLY1305", None),
    "gmac": None,
    "cbc-sha256": ("AES-CBC", "SHA2-256-128"),
    "cbc-sha384": ("AES-CBC", "SHA2-384-192"),
    "cbc-sha512": ("AES-CBC", "SHA2-512-256"),
    "null-sha256": ("NULL", "SHA2-256-128"),
    "null-sha384": ("NULL", "SHA2-384-192"),
    "null-sha512": ("NULL", "SHA2-512-256"),
}

# RFC 4868: HMAC-SHA-256-128, -384-192, -512-256.
HMACS = {"sha256": (hashlib.sha256, 16), "sha384": (hashlib.sha384, 24),
         "sha512": (hashlib.sha512, 32)}


def ip_of(addr):
    return IPv6 if ":" in addr else IP


def seq_list(text):
    lo, _, hi = text.partition("-")
    return list(range(int(lo, 0), int(hi or lo, 0) + 1))


def parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch")
    ap.add_argument("--to")
    ap.add_argument("--dport-outer", type=int, default=4500)
    ap.add_argument("--sport", type=int, action="append")
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--suite", choices=SUITES)
    ap.add_argument("--key")
    ap.add_argument("--auth-key")
    ap.add_argument("--spi", type=lambda s: int(s, 0))
    ap.add_argument("--mode", choices=("tunnel", "transport"))
    ap.add_argument("--inner-src")
    ap.add_argument("--inner-dst")
    ap.add_argument("--orig-src")
    ap.add_argument("--dport", type=int)
    ap.add_argument("--payload", default="")
    ap.add_argument("--tag-seq", action="store_true")
    ap.add_argument("--seq", type=seq_list, action="extend")
    ap.add_argument("--esn-hi", type=int)
    ap.add_argument("--tamper", action="store_true")
    ap.add_argument("--truncate", type=int)
    ap.add_argument("--bad-pad", action="store_true")
    ap.add_argument("--nh", type=int)
    ap.add_argument("--tfc", type=int, default=0)
    ap.add_argument("--builder", choices=("scapy", "own"))
    ap.add_argument("--inner-tos", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--outer-tos", type=lambda s: int(s, 0), default=0)
    return ap


def inner_of(a, payload):
    """The inner packet: tunnel mode a whole IP packet, transport mode the
    IP header Scapy strips (and whose protocol becomes next header)."""
    if a.mode == "tunnel":
        ip = ip_of(a.inner_src)
        tos = {"tos": a.inner_tos} if ip is IP else {"tc": a.inner_tos}
        return ip(src=a.inner_src, dst=a.inner_dst, **tos) / \
            UDP(sport=7000, dport=a.dport) / Raw(payload)
    src = a.orig_src or a.inner_src
    # The checksum the sender computed, with its own address.
    udp = raw(ip_of(src)(src=src, dst=a.inner_dst) /
              UDP(sport=7000, dport=a.dport) / Raw(payload))
    return ip_of(src)(udp)


def scapy_esp(a, seq, pkt):
    crypt, auth = SUITES[a.suite]
    kw = dict(crypt_algo=crypt, crypt_key=bytes.fromhex(a.key))
    if auth:
        kw.update(auth_algo=auth, auth_key=bytes.fromhex(a.auth_key))
    if a.esn_hi is not None:
        kw.update(esn_en=True, esn=a.esn_hi)
    if a.mode == "tunnel":
        kw.update(tunnel_header=ip_of(a.to)(dst=a.to))
    sa = SecurityAssociation(ESP, spi=a.spi, seq_num=seq, **kw)
    return raw(sa.encrypt(pkt)[ESP])


def own_esp(a, seq, pkt):
    """RFC 4303 ESP built here: AEAD per RFC 4106 / 7634 / 4543, or CBC /
    NULL with HMAC per RFC 3602 / 2410 / 4868. ESN: RFC 4303 2.2.1."""
    if a.mode == "tunnel":
        data, nh = raw(pkt), 4 if pkt.version == 4 else 41
    else:
        data, nh = raw(pkt.payload), pkt.proto if pkt.version == 4 else pkt.nh
    if a.nh is not None:
        nh = a.nh
    # TFC padding: after the inner packet, before ESP's own (RFC 4303 2.7).
    data += bytes(a.tfc)
    cbc = a.suite.startswith("cbc-")
    align = 16 if cbc else 4
    padlen = -(len(data) + 2) % align
    pad = bytes(range(1, padlen + 1))
    if a.bad_pad:
        padlen = padlen or align
        pad = bytes(padlen)
    plain = data + pad + bytes((padlen, nh))
    key = bytes.fromhex(a.key or "")
    hdr = struct.pack("!II", a.spi, seq)
    hi = struct.pack("!I", a.esn_hi or 0)
    esn = a.esn_hi is not None
    if a.suite.startswith("ccm"):
        key, salt, iv = key[:-3], key[-3:], os.urandom(8)
        aad = hdr[:4] + hi + hdr[4:] if esn else hdr
        ccm = AESCCM(key, tag_length=int(a.suite[3:]))
        return hdr + iv + ccm.encrypt(salt + iv, plain, aad)
    if a.suite in ("gcm", "gcm8", "gcm12", "chacha", "gmac"):
        key, salt, iv = key[:-4], key[-4:], os.urandom(8)
        # AAD: SPI, (seq hi,) seq; GMAC adds IV and the whole payload.
        aad = hdr[:4] + hi + hdr[4:] if esn else hdr
        if a.suite == "gmac":
            return hdr + iv + plain + AESGCM(key).encrypt(
                salt + iv, b"", aad + iv + plain)
        aead = ChaCha20Poly1305(key) if a.suite == "chacha" else AESGCM(key)
        out = aead.encrypt(salt + iv, plain, aad)
        if a.suite in ("gcm8", "gcm12"):
            out = out[:len(out) - 16 + int(a.suite[3:])]
        return hdr + iv + out
    if cbc:
        iv = os.urandom(16)
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        body = iv + enc.update(plain) + enc.finalize()
    else:
        body = plain
    digest, icv_len = HMACS[a.suite.split("-")[1]]
    # ESN: seq hi is summed after the packet, never sent (RFC 4303 2.2.1).
    icv = hmac.new(bytes.fromhex(a.auth_key),
                   hdr + body + (hi if esn else b""), digest).digest()
    return hdr + body + icv[:icv_len]


class Sockets:
    """One UDP socket per (family, port), shared by every packet of a run."""

    def __init__(self):
        self.socks = {}

    def get(self, fam, port):
        s = self.socks.get((fam, port))
        if s is None:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                # The IPv4 socket may want the same port.
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
            self.socks[(fam, port)] = s
        return s


def run(a, socks):
    for need in ("to", "suite", "spi", "mode", "inner_src", "inner_dst",
                 "dport", "seq"):
        if getattr(a, need) is None:
            raise SystemExit("esp_send.py: --%s is required" %
                             need.replace("_", "-"))
    # Scapy has no GMAC, no chosen padding, next header or TFC, and 2.5
    # leaves seq hi out of an ESP HMAC (RFC 4303 2.2.1 sums it after the
    # packet): all those are built here.
    own = a.builder == "own" or SUITES[a.suite] is None or a.bad_pad or \
        a.nh is not None or a.tfc or \
        (a.esn_hi is not None and SUITES[a.suite][1])
    if a.builder == "scapy" and own:
        raise SystemExit("esp_send.py: Scapy cannot build this packet")
    ports = a.sport or [4500]
    fam = socket.AF_INET6 if ":" in a.to else socket.AF_INET
    for i, seq in enumerate(a.seq):
        payload = bytes.fromhex(a.payload) + \
            (struct.pack("!I", seq & 0xffffffff) if a.tag_seq else b"")
        pkt = inner_of(a, payload)
        esp = bytearray(own_esp(a, seq, pkt) if own else
                        scapy_esp(a, seq, pkt))
        if a.tamper:
            esp[-1] ^= 0x01
        if a.truncate is not None:
            del esp[a.truncate:]
        for c in range(a.copies):
            port = ports[(i + c) % len(ports)]
            s = socks.get(fam, port)
            # Every time: the socket is shared by the lines of a batch.
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS,
                             a.outer_tos)
            else:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, a.outer_tos)
            s.sendto(bytes(esp), (a.to, a.dport_outer))


def main():
    ap = parser()
    a = ap.parse_args()
    socks = Sockets()
    if a.batch is None:
        run(a, socks)
        return 0
    f = sys.stdin if a.batch == "-" else open(a.batch)
    with f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                run(ap.parse_args(shlex.split(line)), socks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
