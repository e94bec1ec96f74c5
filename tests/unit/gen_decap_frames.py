#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
Frames and expected results for tests/unit/test_esp_decap.c, built with
Scapy's ESP implementation (scapy.layers.ipsec) and python3-cryptography,
so that nothing expected comes from udpesp's own code.

Every scenario is built once per suite (AES-GCM-128/256 with 8, 12 and
16-byte ICVs, AES-CCM-128/192/256 with 8, 12 and 16, ChaCha20-Poly1305,
AES-CBC + HMAC-SHA-256-128 or HMAC-SHA-1-96, AES-CTR + HMAC-SHA-1-96 or
AES-XCBC-MAC-96, NULL + HMAC-SHA-512-256 or AES-XCBC-MAC-96; the entries
Scapy lacks come from esp_algos.py). For each frame the
header records the SA (mode, ESN, replay state, selector, NAT-OA), the
XDP metadata, the verdict esp_decap() must return and, when it delivers,
the inner packet byte for byte. Transport-mode expectations are rebuilt
by Scapy from the received outer addresses, Scapy recomputing every
checksum: an independent check of RFC 3948 3.1.2.

Scapy's SecurityAssociation leaves the ESN high half out of HMAC ICVs
(AuthAlgo.sign ignores esn for ESP), so for ESN with HMAC the ICV is
computed here over ESP || seq hi, as RFC 4303 2.2.1 says. Test keys only.

Usage: /usr/bin/python3 gen_decap_frames.py OUTPUT.h
"""
import hashlib
import os
import socket
import struct
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoRequest,
                       IPOption_Router_Alert, IPv6, Raw, raw)
from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain

import esp_algos  # noqa: F401 (registers GCM/CCM-8/12 and AES-XCBC-96)

AF_INET, AF_INET6 = 2, 10
SPI = 0x1001

# Addresses (documentation ranges only).
LOCAL4, LOCAL6 = '192.0.2.1', '2001:db8::1'
NAT4, NAT6 = '198.51.100.7', '2001:db8:1::7'  # peer as received (after NAT)
ORIG4, ORIG6 = '203.0.113.5', '2001:db8:2::5'  # peer before NAT (NAT-OA)
SEL4 = ('203.0.113.0', 24)
SEL6 = ('2001:db8:3::', 52)


def det(label, n):
    """n deterministic bytes, so the header is the same on every run."""
    out = b''
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b'%s/%d' % (label.encode(), i)).digest()
        i += 1
    return out[:n]


class Suite:
    def __init__(self, name, crypt, key_len, salt_len, auth, auth_key_len,
                 aead='', enc='', auth_name='', bits=0, iv=8, block=4, icv=16):
        self.name = name
        self.crypt = crypt
        self.key = det(name + '/key', key_len + salt_len)
        self.auth = auth
        self.auth_key = det(name + '/auth', auth_key_len) if auth else b''
        self.aead, self.enc, self.auth_name, self.bits = aead, enc, auth_name, bits
        self.iv, self.block, self.icv = iv, block, icv
        # sa_check's min_len: header, IV, 2 trailer bytes padded, ICV.
        self.min_len = 8 + iv + (2 + block - 1) // block * block + icv

    def sa(self, esn, hi):
        return SecurityAssociation(
            ESP, spi=SPI, crypt_algo=self.crypt,
            crypt_key=self.key if self.key else None,
            auth_algo=self.auth, auth_key=self.auth_key or None,
            esn_en=esn, esn=hi)


SUITES = [
    Suite('gcm128', 'AES-GCM', 16, 4, None, 0, aead='rfc4106(gcm(aes))', bits=128),
    Suite('gcm256', 'AES-GCM', 32, 4, None, 0, aead='rfc4106(gcm(aes))', bits=128),
    Suite('chacha', 'CHACHA20-POLY1305', 32, 4, None, 0,
          aead='rfc7539esp(chacha20,poly1305)', bits=128),
    Suite('cbc_sha256', 'AES-CBC', 16, 0, 'SHA2-256-128', 32, enc='cbc(aes)',
          auth_name='hmac(sha256)', bits=128, iv=16, block=16, icv=16),
    Suite('null_sha512', 'NULL', 0, 0, 'SHA2-512-256', 64,
          enc='ecb(cipher_null)', auth_name='hmac(sha512)', bits=256, iv=0,
          block=4, icv=32),
    Suite('gcm128_icv8', 'AES-GCM-8', 16, 4, None, 0,
          aead='rfc4106(gcm(aes))', bits=64, icv=8),
    Suite('gcm256_icv12', 'AES-GCM-12', 32, 4, None, 0,
          aead='rfc4106(gcm(aes))', bits=96, icv=12),
    Suite('ccm128_icv8', 'AES-CCM-8', 16, 3, None, 0,
          aead='rfc4309(ccm(aes))', bits=64, icv=8),
    Suite('ccm192', 'AES-CCM', 24, 3, None, 0, aead='rfc4309(ccm(aes))',
          bits=128),
    Suite('ccm256_icv12', 'AES-CCM-12', 32, 3, None, 0,
          aead='rfc4309(ccm(aes))', bits=96, icv=12),
    Suite('cbc_sha1', 'AES-CBC', 16, 0, 'HMAC-SHA1-96', 20, enc='cbc(aes)',
          auth_name='hmac(sha1)', bits=96, iv=16, block=16, icv=12),
    Suite('ctr128_sha1', 'AES-CTR', 16, 4, 'HMAC-SHA1-96', 20,
          enc='rfc3686(ctr(aes))', auth_name='hmac(sha1)', bits=96, icv=12),
    Suite('ctr256_xcbc', 'AES-CTR', 32, 4, 'AES-XCBC-96', 16,
          enc='rfc3686(ctr(aes))', auth_name='xcbc(aes)', bits=96, icv=12),
    Suite('null_xcbc', 'NULL', 0, 0, 'AES-XCBC-96', 16,
          enc='ecb(cipher_null)', auth_name='xcbc(aes)', bits=96, iv=0,
          block=4, icv=12),
]


def esp_packet(suite, seq, data, nh, esn=False, label='', extra_pad=0,
               bad_pad=False, padlen=None):
    """
    ESP from SPI to ICV, by Scapy: padding (CryptAlgo.pad), encryption
    (CryptAlgo.encrypt), ICV (AuthAlgo.sign, or HMAC with seq hi for ESN).
    extra_pad adds whole alignment units of valid padding; bad_pad breaks
    the 1, 2, 3 ... pattern; padlen forces the pad length byte.
    """
    hi, lo = seq >> 32, seq & 0xffffffff
    sa = suite.sa(esn, hi)
    iv = det(label + '/iv', suite.iv)
    plain = _ESPPlain(spi=SPI, seq=lo, iv=iv, data=Raw(data), nh=nh)
    plain = sa.crypt_algo.pad(plain)
    if extra_pad:
        n = plain.padlen + extra_pad
        plain.padlen = n
        plain.padding = bytes(range(1, n + 1))
    if bad_pad:
        assert plain.padlen >= 2
        p = bytearray(plain.padding)
        p[1] ^= 0x40
        plain.padding = bytes(p)
    if padlen is not None:
        plain.padlen = padlen
    esp = sa.crypt_algo.encrypt(sa, plain, sa.crypt_key, sa.crypt_icv_size,
                                esn_en=esn, esn=hi)
    if suite.auth and esn:
        mac = sa.auth_algo.new_mac(suite.auth_key)
        mac.update(raw(esp) + struct.pack('!L', hi))
        esp.data += mac.finalize()[:suite.icv]
    else:
        sa.auth_algo.sign(esp, sa.auth_key)
    return raw(esp)


def cross_check(suite):
    """
    The path above gives what SecurityAssociation.encrypt() gives. (Scapy
    2.5 freezes the NAT-T UDP length at 8 there, so compare what follows
    the UDP header.)
    """
    inner = raw(inner_v4())
    sa = suite.sa(False, 0)
    sa.tunnel_header = IP(src=NAT4, dst=LOCAL4)
    sa.nat_t_header = UDP(sport=4500, dport=4500)
    iv = det('xcheck/iv', suite.iv)
    whole = raw(sa.encrypt(IP(inner), seq_num=3, iv=iv))
    ours = esp_packet(suite, 3, inner, 4, label='xcheck')
    assert whole[28:] == ours, suite.name


def scapy_decrypts(v):
    """
    Scapy's SecurityAssociation.decrypt() on the frame agrees with the
    expected inner packet: the same bytes in tunnel mode (before TFC
    padding), the same packet up to checksums in transport mode.
    """
    s = v.suite
    hi = v.seq >> 32
    sa = s.sa(v.esn, hi)
    if v.mode == 'UDPESP_MODE_TUNNEL':
        sa.tunnel_header = IP(src=NAT4, dst=LOCAL4)
    pkt = (IP if v.family == AF_INET else IPv6)(v.frame[v.l3:])
    # Scapy's HMAC check leaves the ESN high half out: skip it there.
    out = raw(sa.decrypt(pkt, verify=not (v.esn and s.auth)))
    if v.mode == 'UDPESP_MODE_TUNNEL':
        assert out[:len(v.inner)] == v.inner, v.scenario
        return
    # Transport: Scapy neither fixes checksums nor drops TFC padding, and
    # over IPv6 it leaves the NAT-T UDP header in (it rewrites the layer
    # under ESP), so compare the segments with checksums zeroed, and the
    # IPv4 headers without length and checksum.
    hl = v.l4 - v.l3  # the outer header, options included
    seg_exp = bytearray(v.inner[hl:])
    seg_got = bytearray(out[hl + (8 if v.family == AF_INET6 else 0):]
                        [:len(seg_exp)])
    off = {6: 16, 17: 6, 58: 2, 1: 2}.get(v.next_header)
    if off is not None:
        seg_exp[off:off + 2] = seg_got[off:off + 2] = b'\0\0'
    assert seg_exp == seg_got, (v.suite.name, v.scenario)
    if v.family == AF_INET:
        he, hg = bytearray(v.inner[:hl]), bytearray(out[:hl])
        for h in (he, hg):
            h[2:4] = h[10:12] = b'\0\0'
        assert he == hg, (v.suite.name, v.scenario)


def inner_v4(src='203.0.113.10', payload=b'udpesp tunnel v4 payload, 37 bytes.!'):
    return IP(src=src, dst='192.0.2.50', id=0x4242, ttl=63) / \
        UDP(sport=40000, dport=5353) / Raw(payload)


def inner_v6(src='2001:db8:3:fff::10'):
    return IPv6(src=src, dst='2001:db8:4::50', hlim=63) / \
        TCP(sport=40001, dport=443, flags='PA', seq=1000, ack=2000) / \
        Raw(b'udpesp tunnel v6 over TCP, odd: 29')


def inner_v4_icmp():
    return IP(src='203.0.113.11', dst='192.0.2.51', id=7) / \
        ICMP(type=8, id=0x55, seq=3) / Raw(b'ping over ESP in UDP over IPv6')


def inner_v6_udp():
    return IPv6(src='2001:db8:3::20', dst='2001:db8:4::51', hlim=64) / \
        UDP(sport=5000, dport=5001) / Raw(b'v6 in v6 behind a VLAN tag')


def outer(family, esp, src=None, vlan=False, options=None, sport=61000):
    """Ethernet [+ 802.1Q] + outer IP + UDP (dport 4500) + ESP; offsets."""
    eth = Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')
    l3 = 14
    if vlan:
        eth = eth / Dot1Q(vlan=100)
        l3 += 4
    if family == AF_INET:
        ip = IP(src=src or NAT4, dst=LOCAL4, id=0x1234, ttl=64, flags='DF',
                tos=0x20, options=options or [])
        udp = UDP(sport=sport, dport=4500, chksum=0)  # RFC 3948 2.1
    else:
        ip = IPv6(src=src or NAT6, dst=LOCAL6, hlim=64, tc=0x20)
        udp = UDP(sport=sport, dport=4500)
    frame = raw(eth / ip / udp / Raw(esp))
    l4 = l3 + len(raw(ip.copy())) if family == AF_INET else l3 + 40
    return frame, l3, l4, ip


def transport_expected(family, ip, l4_pkt):
    """
    The packet the host stack should get: the received outer IP header
    (NAT'd source) with the inner protocol, and the transport header with
    its checksum recomputed by Scapy over the received addresses.
    """
    hdr = ip.copy()
    seg = l4_pkt.copy()
    if not (isinstance(seg, UDP) and family == AF_INET and seg.chksum == 0):
        for f in ('chksum', 'cksum'):
            if f in [x.name for x in seg.fields_desc]:
                seg.delfieldval(f)
    for f in (('len', 'chksum', 'proto') if family == AF_INET else
              ('plen', 'nh')):
        hdr.delfieldval(f)
    return raw(hdr / seg)


def addr_bytes(family, a):
    return socket.inet_pton(socket.AF_INET if family == AF_INET else
                            socket.AF_INET6, a)


class Vec:
    """One frame and what esp_decap() must make of it."""

    def __init__(self, suite, scenario, mode):
        self.suite, self.scenario, self.mode = suite, scenario, mode
        self.esn = False
        self.window, self.top, self.seen = 64, 0, []
        self.sel = None       # (family, prefix, plen)
        self.orig = None      # (family, addr)
        self.verdict = 'UDPESP_DECAP_OK'
        self.seq = 0
        self.next_header = 0
        self.inner_family = 0
        self.inner = b''

    def set_frame(self, family, frame, l3, l4):
        self.family, self.frame, self.l3, self.l4 = family, frame, l3, l4
        self.esp_off = l4 + 8
        ulen = struct.unpack('!H', frame[l4 + 4:l4 + 6])[0]
        self.esp_len = ulen - 8


def tunnel(suite, name, inner, nh=None, family=AF_INET, seq=7, sel='auto',
           verdict='UDPESP_DECAP_OK', tfc=b'', data=None, vlan=False, options=None,
           **kw):
    """A tunnel-mode vector: inner packet (or raw data) under nh."""
    v = Vec(suite, name, 'UDPESP_MODE_TUNNEL')
    ib = raw(inner) if inner is not None else b''
    if nh is None:
        nh = 4 if inner.version == 4 else 41
    if sel == 'auto':
        sel = SEL4 if (inner is None or inner.version == 4) else SEL6
    if sel:
        fam = AF_INET if ':' not in sel[0] else AF_INET6
        v.sel = (fam, sel[0], sel[1])
    payload = data if data is not None else ib + tfc
    v.seq = seq
    v.esn = kw.pop('esn', False)
    v.window = kw.pop('window', 64)
    v.top = kw.pop('top', 0)
    v.seen = kw.pop('seen', [])
    enc_seq = kw.pop('enc_seq', seq)
    mutate = kw.pop('mutate', None)
    esp = esp_packet(suite, enc_seq, payload, nh, esn=v.esn,
                     label=suite.name + '/' + name, **kw)
    if mutate:
        esp = mutate(suite, esp)
    frame, l3, l4, _ = outer(family, esp, vlan=vlan, options=options)
    v.set_frame(family, frame, l3, l4)
    v.verdict = verdict
    v.next_header = nh
    if verdict == 'UDPESP_DECAP_OK':
        v.inner_family = AF_INET if nh == 4 else AF_INET6
        v.inner = ib  # TFC padding is not part of it
    return v


def transport(suite, name, family, l4_pkt, nh, oa=True, tfc=b'', seq=9,
              verdict='UDPESP_DECAP_OK', options=None, l4_raw=None, src=None):
    """
    A transport-mode vector: the sender (ORIG, before NAT) computed its
    checksum over its own addresses; the frame arrives from NAT.
    """
    v = Vec(suite, name, 'UDPESP_MODE_TRANSPORT')
    orig = ORIG4 if family == AF_INET else ORIG6
    local = LOCAL4 if family == AF_INET else LOCAL6
    if family == AF_INET:
        sender = IP(src=orig, dst=local) / l4_pkt
    else:
        sender = IPv6(src=orig, dst=local) / l4_pkt
    seg = raw(sender[IP].payload if family == AF_INET else sender[IPv6].payload)
    if l4_raw is not None:
        seg = l4_raw
    if oa:
        v.orig = (family, orig)
    v.seq = seq
    esp = esp_packet(suite, seq, seg + tfc, nh, label=suite.name + '/' + name)
    frame, l3, l4, ip = outer(family, esp, options=options, src=src)
    v.set_frame(family, frame, l3, l4)
    v.verdict = verdict
    v.next_header = nh
    if verdict == 'UDPESP_DECAP_OK':
        v.inner_family = family
        # What arrived: the sender's segment as bytes, then Scapy's fix.
        cls = type(l4_pkt)
        v.inner = transport_expected(family, ip, cls(seg))
    return v


def flip(off):
    """Flip one bit of the ESP at off (negative: from the end)."""
    def f(suite, esp):
        b = bytearray(esp)
        b[off] ^= 0x01
        return bytes(b)
    return f


def scenarios(s):
    out = []
    t = lambda *a, **k: out.append(tunnel(s, *a, **k))  # noqa: E731
    tr = lambda *a, **k: out.append(transport(s, *a, **k))  # noqa: E731

    # Tunnel mode, each family pairing.
    t('tunnel_v4_in_v4', inner_v4())
    t('tunnel_v6_in_v4', inner_v6())
    t('tunnel_v4_in_v6', inner_v4_icmp(), family=AF_INET6,
      sel=('203.0.113.0', 28))
    t('tunnel_v6_in_v6', inner_v6_udp(), family=AF_INET6, vlan=True)
    t('tunnel_vlan_ipopt', inner_v4(), vlan=True,
      options=[IPOption_Router_Alert()])
    # TFC padding (RFC 4303 2.7) after the inner packet, then valid padding.
    t('tunnel_tfc_v4', inner_v4(), tfc=bytes(41))
    t('tunnel_tfc_v6', inner_v6(), tfc=det('tfc', 23))
    t('tunnel_long_padding', inner_v4(), extra_pad=s.block * 3 if s.block > 4
      else 12)
    # Selectors (RFC 3948 3.1.1).
    t('tunnel_sel_any', inner_v4(src='198.51.100.99'), sel=None)
    t('tunnel_sel_edge_v4', inner_v4(src='203.0.113.127'),
      sel=('203.0.113.0', 25))
    t('tunnel_sel_mismatch_v4', inner_v4(src='203.0.113.128'),
      sel=('203.0.113.0', 25), verdict='UDPESP_DROP_SELECTOR')
    t('tunnel_sel_mismatch_v6', inner_v6(src='2001:db8:3:1000::1'),
      verdict='UDPESP_DROP_SELECTOR')
    t('tunnel_sel_family', inner_v6(), sel=SEL4, verdict='UDPESP_DROP_SELECTOR')
    # Next header and the inner packet.
    t('tunnel_bad_next_header', None, nh=17, data=raw(inner_v4())[20:],
      verdict='UDPESP_DROP_NEXT_HDR')
    t('tunnel_version_mismatch', inner_v6(), nh=4, sel=None,
      verdict='UDPESP_DROP_INNER')
    t('tunnel_inner_truncated', None, nh=4, data=raw(inner_v4())[:-9],
      verdict='UDPESP_DROP_INNER')
    t('tunnel_inner_short', None, nh=41, data=raw(inner_v6())[:36],
      verdict='UDPESP_DROP_INNER')
    t('tunnel_dummy', None, nh=59, data=det('dummy', 24), seq=11,
      verdict='UDPESP_DROP_DUMMY')
    # Trailer (RFC 4303 2.4).
    t('bad_pad_bytes', inner_v4(), extra_pad=max(s.block, 4), bad_pad=True,
      verdict='UDPESP_DROP_PADDING')
    t('bad_pad_len', inner_v4(payload=b''), padlen=255,
      verdict='UDPESP_DROP_PADDING')
    # Anti-replay (RFC 4303 3.4.3): refused before the ICV is computed.
    t('replayed', inner_v4(), seq=30, top=40, seen=[30, 35, 40],
      verdict='UDPESP_DROP_REPLAY')
    t('too_old', inner_v4(), seq=900, top=1000, verdict='UDPESP_DROP_REPLAY')
    t('seq_zero', inner_v4(), seq=0, verdict='UDPESP_DROP_REPLAY')
    t('late_in_window', inner_v4(), seq=990, top=1000, seen=[1000, 989, 991])
    # Integrity.
    t('tampered_payload', inner_v4(), mutate=flip(8 + s.iv + 3),
      verdict='UDPESP_DROP_ICV')
    t('tampered_icv', inner_v4(), mutate=flip(-1), verdict='UDPESP_DROP_ICV')
    # The IV (the nonce's explicit half, or CBC's first block); NULL
    # encryption has none, so this is its first payload byte.
    t('tampered_iv', inner_v4(), mutate=flip(8), verdict='UDPESP_DROP_ICV')
    t('tampered_seq', inner_v4(), seq=6, enc_seq=7, mutate=flip(7),
      verdict='UDPESP_DROP_ICV')
    # ESN (RFC 4304): high half inferred from the window, never sent.
    t('esn_hi', inner_v4(), esn=True, window=128, top=(5 << 32) + 100,
      seq=(5 << 32) + 150)
    t('esn_below_2_32', inner_v4(), esn=True, top=(1 << 32) + 10,
      seq=0xfffffff0)
    t('esn_above_2_32', inner_v4(), esn=True, top=(1 << 32) + 10,
      seq=(1 << 32) + 20)
    t('esn_cross_forward', inner_v6(), esn=True, top=0xfffffff0,
      seq=(1 << 32) + 5)
    t('esn_wrong_hi', inner_v4(), esn=True, top=(1 << 32) + 10,
      seq=(1 << 32) + 20, enc_seq=(2 << 32) + 20, verdict='UDPESP_DROP_ICV')
    t('esn_replayed', inner_v4(), esn=True, top=(1 << 32) + 10,
      seq=0xfffffff0, seen=[0xfffffff0], verdict='UDPESP_DROP_REPLAY')
    t('esn_dummy', None, nh=59, data=b'', esn=True, top=(3 << 32) + 1,
      seq=(3 << 32) + 2, verdict='UDPESP_DROP_DUMMY')
    # Lengths against the suite.
    t('esp_too_short', inner_v4(), mutate=lambda su, e: e[:su.min_len - 1],
      verdict='UDPESP_DROP_HDR')
    t('esp_misaligned', inner_v4(), mutate=lambda su, e: e + b'\x00',
      verdict='UDPESP_DROP_HDR')

    # Transport mode behind a NAT (RFC 3948 3.1.2).
    udp4 = UDP(sport=1234, dport=5678) / Raw(b'transport UDP, 31 bytes long..')
    tcp4 = TCP(sport=33000, dport=22, flags='A', seq=0x01020304,
               ack=0x0a0b0c0d, window=501) / Raw(b'ssh-ish bytes, 25 of them')
    tr('transport_udp_v4_oa', AF_INET, udp4, 17)
    tr('transport_udp_v4_recompute', AF_INET, udp4, 17, oa=False)
    tr('transport_tcp_v4_oa', AF_INET, tcp4, 6)
    tr('transport_tcp_v4_recompute', AF_INET, tcp4, 6, oa=False)
    tr('transport_udp_v4_csum0', AF_INET,
       UDP(sport=1234, dport=5678, chksum=0) / Raw(b'no checksum'), 17)
    tr('transport_udp_v4_csum0_recompute', AF_INET,
       UDP(sport=1234, dport=5678, chksum=0) / Raw(b'no checksum'), 17,
       oa=False)
    tr('transport_udp_v4_tfc', AF_INET, udp4, 17, tfc=det('ttfc', 24))
    tr('transport_udp_v4_ipopt', AF_INET, udp4, 17,
       options=[IPOption_Router_Alert()])
    tr('transport_no_nat', AF_INET, tcp4, 6, src=ORIG4)
    tr('transport_icmp_v4', AF_INET, ICMP(type=8, id=9, seq=1) / Raw(b'x' * 17),
       1, oa=False)
    tr('transport_tcp_v6_oa', AF_INET6, tcp4, 6)
    tr('transport_tcp_v6_recompute', AF_INET6, tcp4, 6, oa=False)
    tr('transport_udp_v6_oa', AF_INET6, udp4, 17)
    tr('transport_icmp6_v6_oa', AF_INET6,
       ICMPv6EchoRequest(id=3, seq=4, data=b'echo over transport ESP'), 58)
    tr('transport_icmp6_v6_recompute', AF_INET6,
       ICMPv6EchoRequest(id=3, seq=4, data=b'echo over transport ESP'), 58,
       oa=False)
    tr('transport_bad_next_header', AF_INET, udp4, 4,
       verdict='UDPESP_DROP_NEXT_HDR')
    tr('transport_ipv6_in_transport', AF_INET6, udp4, 41,
       verdict='UDPESP_DROP_NEXT_HDR')
    tr('transport_udp_bad_len', AF_INET, udp4, 17,
       l4_raw=raw(udp4)[:4] + struct.pack('!H', len(raw(udp4)) + 1) +
       raw(udp4)[6:], verdict='UDPESP_DROP_INNER')
    tr('transport_tcp_short', AF_INET, tcp4, 6, l4_raw=raw(tcp4)[:17],
       verdict='UDPESP_DROP_INNER')
    v = transport(s, 'transport_dummy', AF_INET, udp4, 59, verdict='UDPESP_DROP_DUMMY')
    out.append(v)
    return out


def c_bytes(b, indent='\t'):
    lines = []
    for i in range(0, len(b), 12):
        lines.append(indent + ' '.join('0x%02x,' % x for x in b[i:i + 12]))
    return '\n'.join(lines) if lines else indent + '0'


def c_addr(a):
    if a is None:
        return '{ 0 }'
    fam, addr, plen = a
    return '{ %d, %d, { %s } }' % (fam, plen, ', '.join(
        '0x%02x' % x for x in addr_bytes(fam, addr)))


def emit(vecs, path):
    o = ['/* Generated by tests/unit/gen_decap_frames.py (Scapy %s): do not edit. */'
         % __import__('scapy').__version__,
         '/* Test keys only. */', '']
    o.append('static const struct decap_suite decap_suites[] = {')
    for s in SUITES:
        o.append('\t{ "%s", "%s", "%s", "%s", %d, %d, %d,' %
                 (s.name, s.aead, s.enc, s.auth_name, s.bits, len(s.key),
                  len(s.auth_key)))
        o.append('\t  { %s },' % ', '.join('0x%02x' % x for x in s.key)
                 if s.key else '\t  { 0 },')
        o.append('\t  { %s } },' % ', '.join('0x%02x' % x for x in s.auth_key)
                 if s.auth_key else '\t  { 0 } },')
    o.append('};')
    o.append('')
    for i, v in enumerate(vecs):
        o.append('static const __u8 decap_frame_%d[] = {\n%s\n};' % (i, c_bytes(v.frame)))
        if v.inner:
            o.append('static const __u8 decap_inner_%d[] = {\n%s\n};' % (i, c_bytes(v.inner)))
    o.append('')
    o.append('static const struct decap_vec decap_vecs[] = {')
    for i, v in enumerate(vecs):
        sidx = SUITES.index(v.suite)
        seen = ', '.join('%dULL' % x for x in v.seen) or '0'
        orig = None
        if v.orig:
            orig = (v.orig[0], v.orig[1], 128 if v.orig[0] == AF_INET6 else 32)
        o.append('\t{')
        o.append('\t\t.name = "%s/%s", .scenario = "%s", .suite = %d,' %
                 (v.suite.name, v.scenario, v.scenario, sidx))
        o.append('\t\t.mode = %s, .esn = %s, .window = %d, .top = %dULL,' %
                 (v.mode, 'true' if v.esn else 'false', v.window, v.top))
        o.append('\t\t.seen = { %s }, .nseen = %d,' % (seen, len(v.seen)))
        o.append('\t\t.sel_src = %s,' % c_addr(v.sel))
        o.append('\t\t.orig_src = %s,' % c_addr(orig))
        o.append('\t\t.frame = decap_frame_%d, .frame_len = %d,' % (i, len(v.frame)))
        o.append('\t\t.l3_off = %d, .l4_off = %d, .esp_off = %d, .family = %d,' %
                 (v.l3, v.l4, v.esp_off, v.family))
        o.append('\t\t.verdict = %s, .seq = 0x%xULL, .esp_len = %d,' %
                 (v.verdict, v.seq, v.esp_len))
        o.append('\t\t.next_header = %d, .inner_family = %d,' %
                 (v.next_header, v.inner_family))
        if v.inner:
            o.append('\t\t.inner = decap_inner_%d, .inner_len = %d,' % (i, len(v.inner)))
        o.append('\t},')
    o.append('};')
    with open(path + '.tmp', 'w') as f:
        f.write('\n'.join(o) + '\n')
    os.replace(path + '.tmp', path)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: gen_decap_frames.py OUTPUT.h')
    vecs = []
    for s in SUITES:
        cross_check(s)
        for v in scenarios(s):
            if v.verdict == 'UDPESP_DECAP_OK':
                scapy_decrypts(v)
            vecs.append(v)
    emit(vecs, sys.argv[1])


if __name__ == '__main__':
    main()
