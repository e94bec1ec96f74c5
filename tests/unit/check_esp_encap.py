#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
Checks ESP packets that esp_encap() built (tests/unit/test_esp_encap.c
writes them to a file) with implementations udpesp did not write:

- Scapy's SecurityAssociation.decrypt() on the packet (over IPv4/UDP 4500
  in tunnel mode, as plain ESP under the inner header in transport mode),
  for every suite Scapy has: AES-GCM and AES-CCM (ICV 8, 12, 16; the 8
  and 12-byte entries and AES-XCBC-MAC-96 from esp_algos.py),
  ChaCha20-Poly1305, AES-CBC, AES-CTR and NULL with HMAC-SHA-1-96,
  HMAC-SHA-2 or AES-XCBC-MAC-96; its CryptAlgo.decrypt() for the
  payload, pad length and next header;
- python-cryptography on its own, from the RFCs, for every suite: the
  decryption, the ICV (HMAC or XCBC over ESP || seq hi with ESN, RFC
  4303 2.2.1, which Scapy leaves out; AES-GMAC per RFC 4543 3.3, which
  Scapy lacks) and the trailer byte by byte.

Then the rules: SPI and seq lo on the wire; the IV is the 64-bit
sequence number for the counter modes (AES-GCM/CCM/GMAC/CTR and
ChaCha20-Poly1305) and never repeats for AES-CBC; pad bytes 1, 2, 3 ...,
the fewest that align to the suite's block (RFC 4303 2.4); next header;
the payload is the inner packet (tunnel) or what follows its IP header
(transport), followed by exactly the expected number of TFC zero bytes.

One record per line, fields separated by spaces ('-' = empty):
  name kind hash key auth_key spi esn seq mode nh payload tfc esp
kind: gcm gcm8 gcm12 ccm ccm8 ccm12 chacha gmac cbc ctr null; hash:
sha256 sha384 sha512 sha1 xcbc or -;
keys, payload and esp in hex; seq the full number in decimal; mode
tunnel or transport; tfc the number of TFC zero bytes expected.

Prints "checked N" and exits 0 when every record passes; otherwise
prints each failure and exits 1. Test keys only.

Usage: /usr/bin/python3 check_esp_encap.py RECORDS
"""
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import (AESCCM, AESGCM,
                                                         ChaCha20Poly1305)
from scapy.all import IP, UDP, IPv6, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

from esp_algos import xcbc_mac

SCAPY_CRYPT = {'gcm': 'AES-GCM', 'gcm8': 'AES-GCM-8', 'gcm12': 'AES-GCM-12',
               'ccm': 'AES-CCM', 'ccm8': 'AES-CCM-8', 'ccm12': 'AES-CCM-12',
               'chacha': 'CHACHA20-POLY1305', 'cbc': 'AES-CBC',
               'ctr': 'AES-CTR', 'null': 'NULL'}
SCAPY_AUTH = {'sha256': 'SHA2-256-128', 'sha384': 'SHA2-384-192',
              'sha512': 'SHA2-512-256', 'sha1': 'HMAC-SHA1-96',
              'xcbc': 'AES-XCBC-96'}
HASHES = {'sha256': (hashes.SHA256, 16), 'sha384': (hashes.SHA384, 24),
          'sha512': (hashes.SHA512, 32), 'sha1': (hashes.SHA1, 12),
          'xcbc': (None, 12)}
# IV bytes and block (alignment) of each kind, RFC 4106/4309/4543/7634/
# 3602/3686/2410.
SHAPE = {'gcm': (8, 4), 'gcm8': (8, 4), 'gcm12': (8, 4), 'ccm': (8, 4),
         'ccm8': (8, 4), 'ccm12': (8, 4), 'chacha': (8, 4), 'gmac': (8, 4),
         'cbc': (16, 16), 'ctr': (8, 4), 'null': (0, 4)}
AEADS = ('gcm', 'gcm8', 'gcm12', 'ccm', 'ccm8', 'ccm12', 'chacha', 'gmac')


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def own_decrypt(r, esp):
    """ICV and decryption from the RFCs: returns payload || pad || trailer."""
    iv_len, _ = SHAPE[r['kind']]
    hi = r['seq'] >> 32
    hi_bytes = struct.pack('!L', hi) if r['esn'] else b''
    iv = esp[8:8 + iv_len]
    kind = r['kind']
    if kind in AEADS:
        icv_len = int(kind[3:] or 16) if kind[:3] in ('gcm', 'ccm') else 16
        salt_len = 3 if kind.startswith('ccm') else 4
        key, salt = r['key'][:-salt_len], r['key'][-salt_len:]
        body, tag = esp[8 + iv_len:-icv_len], esp[-icv_len:]
        try:
            if kind == 'gmac':
                # RFC 4543 3.3: all of it is AAD, seq hi after the SPI.
                aad = esp[:4] + hi_bytes + esp[4:-16]
                AESGCM(key).decrypt(salt + iv, tag, aad)
                return body
            aad = esp[:4] + hi_bytes + esp[4:8]
            if kind.startswith('ccm'):
                # RFC 4309 4/5: nonce = 3-byte salt || IV, AAD as GCM's.
                return AESCCM(key, tag_length=icv_len).decrypt(
                    salt + iv, body + tag, aad)
            if kind.startswith('gcm') and icv_len != 16:
                dec = Cipher(algorithms.AES(key),
                             modes.GCM(salt + iv, tag, min_tag_length=icv_len)
                             ).decryptor()
                dec.authenticate_additional_data(aad)
                return dec.update(body) + dec.finalize()
            cls = AESGCM if kind == 'gcm' else ChaCha20Poly1305
            return cls(key).decrypt(salt + iv, body + tag, aad)
        except InvalidTag:
            raise Fail('ICV does not verify (python-cryptography)')
    algo, icv_len = HASHES[r['hash']]
    body, icv = esp[:-icv_len], esp[-icv_len:]
    if r['hash'] == 'xcbc':
        got = xcbc_mac(r['auth_key'], body + hi_bytes)
    else:
        mac = hmac.HMAC(r['auth_key'], algo())
        mac.update(body + hi_bytes)
        got = mac.finalize()
    check(got[:icv_len] == icv, '%s ICV does not verify' % r['hash'])
    ct = body[8 + iv_len:]
    if kind == 'null':
        return ct
    if kind == 'ctr':
        # RFC 3686 4: counter block = nonce || IV || 1.
        key, nonce = r['key'][:-4], r['key'][-4:]
        dec = Cipher(algorithms.AES(key),
                     modes.CTR(nonce + iv + b'\0\0\0\1')).decryptor()
        return dec.update(ct) + dec.finalize()
    check(len(ct) % 16 == 0, 'CBC ciphertext not whole blocks')
    dec = Cipher(algorithms.AES(r['key']), modes.CBC(iv)).decryptor()
    return dec.update(ct) + dec.finalize()


def scapy_sa(r):
    return SecurityAssociation(
        ESP, spi=r['spi'], crypt_algo=SCAPY_CRYPT[r['kind']],
        crypt_key=r['key'] or None,
        auth_algo=SCAPY_AUTH[r['hash']] if r['hash'] else 'NULL',
        auth_key=r['auth_key'] or None,
        esn_en=r['esn'], esn=r['seq'] >> 32)


def scapy_check(r, esp, expect):
    """Scapy's view of the packet agrees with what was expected."""
    sa = scapy_sa(r)
    # Scapy's HMAC check leaves seq hi out: own_decrypt() checked that ICV.
    verify = not (r['esn'] and r['hash'])
    if r['mode'] == 'tunnel':
        sa.tunnel_header = IP(src='192.0.2.1', dst='198.51.100.7')
        pkt = IP(raw(IP(src='192.0.2.1', dst='198.51.100.7') /
                     UDP(sport=4500, dport=4500) / Raw(esp)))
        check(pkt.haslayer(ESP), 'Scapy does not see ESP in UDP 4500')
        inner = raw(sa.decrypt(pkt, verify=verify))
        check(inner[:len(r['payload'])] == r['payload'],
              'Scapy: inner packet differs')
    else:
        # Transport: ESP right under the inner header's family.
        if r['payload_family'] == 6:
            outer = IPv6(src='2001:db8::1', dst='2001:db8:1::7', nh=50)
        else:
            outer = IP(src='192.0.2.1', dst='198.51.100.7', proto=50)
        pkt = outer.__class__(raw(outer / Raw(esp)))
        out = raw(sa.decrypt(pkt, verify=verify))
        hl = 40 if r['payload_family'] == 6 else 20
        check(out[hl:hl + len(r['payload'])] == r['payload'],
              'Scapy: transport payload differs')
    plain = sa.crypt_algo.decrypt(sa, ESP(esp), sa.crypt_key,
                                  sa.crypt_icv_size or
                                  sa.crypt_algo.icv_size or
                                  sa.auth_algo.icv_size,
                                  esn_en=r['esn'], esn=r['seq'] >> 32)
    check(bytes(plain.data) == expect, 'Scapy: payload differs')
    check(plain.nh == r['nh'], 'Scapy: next header %d' % plain.nh)
    return plain.padlen


def check_record(r, cbc_ivs):
    esp = r['esp']
    iv_len, block = SHAPE[r['kind']]
    spi, lo = struct.unpack('!LL', esp[:8])
    check(spi == r['spi'], 'SPI 0x%x' % spi)
    check(lo == r['seq'] & 0xffffffff, 'seq lo %u' % lo)
    iv = esp[8:8 + iv_len]
    if iv_len == 8:
        check(iv == struct.pack('!Q', r['seq']), 'IV is not the sequence number')
    elif r['kind'] == 'cbc':
        key = (r['name'], r['key'])
        check(iv not in cbc_ivs.setdefault(key, set()), 'CBC IV repeated')
        cbc_ivs[key].add(iv)

    plain = own_decrypt(r, esp)
    check(len(plain) % block == 0, 'payload+trailer not aligned to %d' % block)
    padlen, nh = plain[-2], plain[-1]
    check(nh == r['nh'], 'next header %d, expected %d' % (nh, r['nh']))
    check(padlen + 2 <= len(plain), 'pad length beyond the payload')
    data, pad = plain[:-2 - padlen], plain[-2 - padlen:-2]
    check(pad == bytes(range(1, padlen + 1)), 'pad bytes are not 1, 2, 3 ...')
    check(padlen < block, 'pad length %d: more than the fewest' % padlen)
    expect = r['payload'] + bytes(r['tfc'])
    check(data == expect, 'payload differs (%d bytes, expected %d)' %
          (len(data), len(expect)))
    if r['kind'] != 'gmac':
        check(scapy_check(r, esp, expect) == padlen, 'Scapy: pad length')


def parse(line):
    f = line.split()
    if len(f) != 13:
        raise Fail('record has %d fields' % len(f))

    def hx(s):
        return b'' if s == '-' else bytes.fromhex(s)
    r = {'name': f[0], 'kind': f[1], 'hash': '' if f[2] == '-' else f[2],
         'key': hx(f[3]), 'auth_key': hx(f[4]), 'spi': int(f[5], 0),
         'esn': f[6] == '1', 'seq': int(f[7]), 'mode': f[8], 'nh': int(f[9]),
         'payload': hx(f[10]), 'tfc': int(f[11]), 'esp': hx(f[12])}
    # Transport records carry what follows an IPv4 or IPv6 header.
    r['payload_family'] = 6 if r['name'].endswith('/v6') else 4
    return r


def main():
    n, failed = 0, 0
    cbc_ivs = {}
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            n += 1
            try:
                r = parse(line)
                check_record(r, cbc_ivs)
            except Exception as e:  # a crash in Scapy is a failure too
                failed += 1
                print('FAIL %s seq %s: %s' % (line.split()[0],
                                              line.split()[7], e))
    print('checked %d' % n)
    return 1 if failed or not n else 0


if __name__ == '__main__':
    sys.exit(main())
