# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""ESP-in-UDP sender for the end-to-end tests, built with Scapy's ESP
implementation (an implementation udpesp shares nothing with).

  esp_send.py --to ADDR [--sport 4500] --suite NAME --key HEX [--auth-key HEX]
              --spi N --mode tunnel|transport --inner-src A --inner-dst A
              [--orig-src A] --dport P --payload HEX [--seq N ...]
              [--esn-hi N] [--tamper] [--nh N] [--tfc N]

Each --seq sends one packet with that sequence number, in order, from one
UDP socket bound to --sport (the kernel adds the outer IP/UDP headers). The
ESP bytes are the UDP payload: RFC 3948 ESP-in-UDP.

Tunnel mode: the inner packet is IP(inner-src, inner-dst)/UDP(7000, dport)/
payload. Transport mode: UDP(7000, dport)/payload whose checksum is computed
over the pseudo-header of --orig-src (the sender's own, pre-NAT, address;
default --inner-src) and --inner-dst, as a host behind a NAT would.
"""
import argparse
import socket
import sys

from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

# udpesp's suite names -> Scapy's (crypt_algo, auth_algo).
SUITES = {
    "gcm": ("AES-GCM", None),
    "chacha": ("CHACHA20-POLY1305", None),
    "cbc-sha256": ("AES-CBC", "SHA2-256-128"),
    "cbc-sha512": ("AES-CBC", "SHA2-512-256"),
    "null-sha256": ("NULL", "SHA2-256-128"),
}


def ip_of(addr):
    return IPv6 if ":" in addr else IP


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--dport-outer", type=int, default=4500)
    ap.add_argument("--sport", type=int, default=4500)
    ap.add_argument("--suite", required=True, choices=SUITES)
    ap.add_argument("--key", required=True)
    ap.add_argument("--auth-key")
    ap.add_argument("--spi", required=True, type=lambda s: int(s, 0))
    ap.add_argument("--mode", required=True, choices=("tunnel", "transport"))
    ap.add_argument("--inner-src", required=True)
    ap.add_argument("--inner-dst", required=True)
    ap.add_argument("--orig-src")
    ap.add_argument("--dport", type=int, required=True)
    ap.add_argument("--payload", required=True)
    ap.add_argument("--seq", type=int, action="append", required=True)
    ap.add_argument("--esn-hi", type=int)
    ap.add_argument("--tamper", action="store_true")
    ap.add_argument("--tfc", type=int, default=0)
    a = ap.parse_args()

    crypt, auth = SUITES[a.suite]
    kw = dict(crypt_algo=crypt, crypt_key=bytes.fromhex(a.key))
    if auth:
        kw.update(auth_algo=auth, auth_key=bytes.fromhex(a.auth_key))
    if a.esn_hi is not None:
        kw.update(esn_en=True, esn=a.esn_hi)
    payload = bytes.fromhex(a.payload) + b"\0" * a.tfc

    fam = socket.AF_INET6 if ":" in a.to else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    for seq in a.seq:
        if a.mode == "tunnel":
            inner = ip_of(a.inner_src)(src=a.inner_src, dst=a.inner_dst) / \
                UDP(sport=7000, dport=a.dport) / Raw(payload)
            sa = SecurityAssociation(ESP, spi=a.spi, seq_num=seq,
                                     tunnel_header=ip_of(a.to)(dst=a.to),
                                     **kw)
            pkt = sa.encrypt(inner)
        else:
            src = a.orig_src or a.inner_src
            # The checksum the sender computed, with its own address.
            udp = raw(ip_of(src)(src=src, dst=a.inner_dst) /
                      UDP(sport=7000, dport=a.dport) / Raw(payload))
            ip = ip_of(src)(udp)
            sa = SecurityAssociation(ESP, spi=a.spi, seq_num=seq, **kw)
            pkt = sa.encrypt(ip)
        esp = bytearray(raw(pkt[ESP]))
        if a.tamper:
            esp[-1] ^= 0x01
        s.sendto(bytes(esp), (a.to, a.dport_outer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
