#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
ESP packets made by implementations other than udpesp's, for
tests/unit/test_esp_crypto.c to decrypt and to reproduce byte for byte:

* Scapy's ESP SecurityAssociation: AES-GCM-16 (RFC 4106), ChaCha20-Poly1305
  (RFC 7634), AES-CBC (RFC 3602) and NULL (RFC 2410) with HMAC-SHA-256-128,
  -384-192, -512-256 (RFC 4868), ESN on and off, tunnel mode.
* Scapy 2.5 leaves seq hi out of an ESP HMAC even with esn_en (it adds it
  for AH only), so with ESN the ICV is Python's hmac over the Scapy packet
  followed by seq hi (RFC 4303 2.2.1); without ESN both must agree.
* Scapy has no AES-GMAC (RFC 4543): those packets are built here, with the
  tag from python-cryptography's AESGCM over an empty plaintext and the
  packet as AAD (RFC 4543 3.3, seq hi after the SPI with ESN).
* AES-CCM (RFC 4309) and AES-CTR (RFC 3686) and HMAC-SHA-1-96 (RFC 2404)
  are Scapy's own; AES-GCM and AES-CCM with 8 and 12-byte ICVs and
  AES-XCBC-MAC-96 come from esp_algos.py (Scapy's CryptAlgo entries, RFC
  3566 written on python-cryptography's AES).

Keys, IVs, sequence numbers and payloads come from a fixed seed, so the
output is the same on every run. Usage: gen_esp_vectors.py OUT.h
(run with Debian's /usr/bin/python3, which has scapy and cryptography).
"""
import hmac
import hashlib
import random
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.all import IP, UDP, Raw, raw, conf
from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain

from esp_algos import xcbc_mac

conf.verb = 0
rng = random.Random(4303)

# Documentation addresses only (RFC 5737).
OUTER = IP(src="198.51.100.7", dst="192.0.2.1")
IPPROTO_IPIP = 4

def _hmac(fn):
    return lambda key, data: hmac.new(key, data, fn).digest()


HMACS = {  # name in sa_check.h: Scapy's name, MAC, ICV bytes, key bytes
    "ESP_AUTH_SHA256": ("SHA2-256-128", _hmac(hashlib.sha256), 16, 32),
    "ESP_AUTH_SHA384": ("SHA2-384-192", _hmac(hashlib.sha384), 24, 48),
    "ESP_AUTH_SHA512": ("SHA2-512-256", _hmac(hashlib.sha512), 32, 64),
    "ESP_AUTH_SHA1": ("HMAC-SHA1-96", _hmac(hashlib.sha1), 12, 20),
    "ESP_AUTH_XCBC": (None, xcbc_mac, 12, 16),
}



def rand_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def inner_packet(size):
    """An IPv4/UDP packet of about size bytes, between documentation nets."""
    payload = rand_bytes(max(0, size - 28))
    return raw(IP(src="203.0.113.5", dst="198.51.100.9") /
               UDP(sport=rng.randrange(1024, 65536), dport=4789) /
               Raw(payload))


def esp_clear(sa, spi, seq, iv, inner):
    """Payload, padding, pad length and next header, as Scapy pads them."""
    esp = _ESPPlain(spi=spi, seq=seq, iv=iv, data=inner, nh=IPPROTO_IPIP)
    return sa.crypt_algo.pad(esp).data_for_encryption()


def scapy_case(crypt, key, hmac_name, auth_key, esn, seq_hi, size):
    spi = rng.randrange(256, 1 << 32)
    seq = rng.randrange(1, 1 << 32)
    inner = inner_packet(size)
    auth = HMACS[hmac_name] if hmac_name else None
    # With ESN and an HMAC, Scapy signs without seq hi: sign here instead.
    scapy_auth = auth and auth[0] and not esn
    sa = SecurityAssociation(
        ESP, spi=spi, seq_num=seq, crypt_algo=crypt, crypt_key=key or None,
        auth_algo=auth[0] if scapy_auth else None,
        auth_key=auth_key if scapy_auth else None,
        tunnel_header=OUTER, esn_en=esn, esn=seq_hi)
    iv = rand_bytes(sa.crypt_algo.iv_size)
    wire = raw(sa.encrypt(IP(inner), seq_num=seq, iv=iv)[ESP])
    if auth:
        _, mac_fn, icv_len, _ = auth
        body = wire[:len(wire) - icv_len] if scapy_auth else wire
        icv = mac_fn(auth_key, body + (struct.pack("!I", seq_hi)
                                       if esn else b""))[:icv_len]
        if scapy_auth:
            assert wire[len(body):] == icv, "Scapy and hmac disagree"
        wire = body + icv
    icv_len = len(wire) - 8 - len(iv) - len(esp_clear(sa, spi, seq, iv,
                                                        inner))
    plain = wire[:8] + iv + esp_clear(sa, spi, seq, iv, inner) + \
        bytes(icv_len)
    assert len(plain) == len(wire)
    if crypt == "NULL":
        assert plain[:len(plain) - icv_len] == wire[:len(wire) - icv_len]
    return plain, wire


def gmac_case(key, salt, esn, seq_hi, size):
    """RFC 4543: nothing encrypted, the packet up to the ICV is the AAD."""
    spi = rng.randrange(256, 1 << 32)
    seq = rng.randrange(1, 1 << 32)
    iv = rand_bytes(8)
    body = inner_packet(size)
    padlen = -(len(body) + 2) % 4  # RFC 4543 3.2: align to 4 bytes
    clear = body + bytes(range(1, padlen + 1)) + bytes([padlen, IPPROTO_IPIP])
    head = struct.pack("!I", spi)
    head += struct.pack("!II", seq_hi, seq) if esn else struct.pack("!I", seq)
    tag = AESGCM(key).encrypt(salt + iv, b"", head + iv + clear)
    wire = struct.pack("!II", spi, seq) + iv + clear + tag
    return wire[:len(wire) - 16] + bytes(16), wire


def c_bytes(b):
    out, line = [], ""
    for x in b:
        line += "\\x%02x" % x
        if len(line) >= 64:
            out.append('"%s"' % line)
            line = ""
    if line or not out:
        out.append('"%s"' % line)
    return "(const __u8 *)\n\t\t  " + "\n\t\t  ".join(out)


def main():
    cases = []
    sizes = (48, 1400)
    for esn in (False, True):
        for size in sizes:
            seq_hi = rng.randrange(1, 1 << 32) if esn else 0
            tag = "%s_%d" % ("esn" if esn else "noesn", size)
            for klen in (16, 24, 32):
                key = rand_bytes(klen + 4)
                cases.append(("aes_gcm_%d_%s" % (klen * 8, tag),
                              "UDPESP_ALG_AES_GCM_16", "ESP_AUTH_NONE", klen,
                              key, b"", esn, seq_hi, 0,
                              *scapy_case("AES-GCM", key, None, None, esn,
                                          seq_hi, size)))
            key = rand_bytes(36)
            cases.append(("chacha20_poly1305_%s" % tag,
                          "UDPESP_ALG_CHACHA20_POLY1305", "ESP_AUTH_NONE", 32,
                          key, b"", esn, seq_hi, 0,
                          *scapy_case("CHACHA20-POLY1305", key, None, None,
                                      esn, seq_hi, size)))
            for klen in (16, 24, 32):
                key = rand_bytes(klen + 4)
                cases.append(("aes_gmac_%d_%s" % (klen * 8, tag),
                              "UDPESP_ALG_AES_GMAC", "ESP_AUTH_NONE", klen,
                              key, b"", esn, seq_hi, 0,
                              *gmac_case(key[:klen], key[klen:], esn, seq_hi,
                                         size)))
            for icv in (8, 12, 16):
                for klen in (16, 24, 32):
                    key = rand_bytes(klen + 3)
                    cases.append(("aes_ccm_%d_icv%d_%s" % (klen * 8, icv, tag),
                                  "UDPESP_ALG_AES_CCM", "ESP_AUTH_NONE", klen,
                                  key, b"", esn, seq_hi, icv * 8,
                                  *scapy_case("AES-CCM-%d" % icv, key, None,
                                              None, esn, seq_hi, size)))
                if icv == 16:
                    continue
                for klen in (16, 24, 32):
                    key = rand_bytes(klen + 4)
                    cases.append(("aes_gcm_%d_icv%d_%s" % (klen * 8, icv, tag),
                                  "UDPESP_ALG_AES_GCM_16", "ESP_AUTH_NONE",
                                  klen, key, b"", esn, seq_hi, icv * 8,
                                  *scapy_case("AES-GCM-%d" % icv, key, None,
                                              None, esn, seq_hi, size)))
            for hname in ("ESP_AUTH_SHA1", "ESP_AUTH_SHA256", "ESP_AUTH_XCBC"):
                akey_len = HMACS[hname][3]
                short = hname.split("_")[-1].lower()
                for klen in (16, 24, 32):
                    key, akey = rand_bytes(klen + 4), rand_bytes(akey_len)
                    cases.append(("aes_ctr_%d_%s_%s" % (klen * 8, short, tag),
                                  "UDPESP_ALG_AES_CTR_HMAC", hname, klen, key,
                                  akey, esn, seq_hi, 0,
                                  *scapy_case("AES-CTR", key, hname, akey,
                                              esn, seq_hi, size)))
            for hname, (_, _, icv_len, akey_len) in HMACS.items():
                short = hname.split("_")[-1].lower()
                for klen in (16, 24, 32):
                    key, akey = rand_bytes(klen), rand_bytes(akey_len)
                    cases.append(("aes_cbc_%d_hmac_%s_%s" % (klen * 8, short,
                                                             tag),
                                  "UDPESP_ALG_AES_CBC_HMAC", hname, klen, key,
                                  akey, esn, seq_hi, 0,
                                  *scapy_case("AES-CBC", key, hname, akey,
                                              esn, seq_hi, size)))
                akey = rand_bytes(akey_len)
                cases.append(("null_hmac_%s_%s" % (short, tag),
                              "UDPESP_ALG_NULL_HMAC", hname, 0, b"", akey,
                              esn, seq_hi, 0,
                              *scapy_case("NULL", b"", hname, akey, esn,
                                          seq_hi, size)))

    out = ["/* Generated by tests/unit/gen_esp_vectors.py (Scapy %s, "
           "python-cryptography); do not edit. */" %
           __import__("scapy").VERSION,
           "static const struct esp_xvec esp_xvecs[] = {"]
    for (name, alg, hname, klen, key, akey, esn, seq_hi, icv_bits, plain,
         wire) in cases:
        out.append("\t{")
        out.append('\t\t.name = "%s",' % name)
        out.append("\t\t.alg = %s," % alg)
        out.append("\t\t.hmac = %s," % hname)
        out.append("\t\t.key_len = %d," % klen)
        out.append("\t\t.key = %s," % c_bytes(key))
        out.append("\t\t.auth_key_len = %d," % len(akey))
        out.append("\t\t.auth_key = %s," % c_bytes(akey))
        out.append("\t\t.esn = %s," % ("true" if esn else "false"))
        out.append("\t\t.seq_hi = 0x%08x," % seq_hi)
        out.append("\t\t.icv_bits = %d," % icv_bits)
        out.append("\t\t.len = %d," % len(wire))
        out.append("\t\t.plain = %s," % c_bytes(plain))
        out.append("\t\t.wire = %s," % c_bytes(wire))
        out.append("\t},")
    out.append("};")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
