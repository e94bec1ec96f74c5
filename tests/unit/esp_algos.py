# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
What the test generators add to Scapy 2.5's ESP algorithm tables, in
Scapy's own terms, so that every suite udpesp offloads has an independent
implementation to check against:

* AES-GCM and AES-CCM with 8 and 12-byte ICVs (RFC 4106 3, RFC 4309 3.2):
  Scapy's AES-GCM entry keeps the whole 16-byte tag and its AES-CCM one
  has a 16-byte ICV; these are CryptAlgo entries like Scapy's own.
* AES-XCBC-MAC-96 (RFC 3566), which Scapy lacks: the construction of RFC
  3566 section 4 written here on python-cryptography's AES, as an
  AuthAlgo named 'AES-XCBC-96'.

Importing the module registers them; tests/unit/gen_*.py and
check_esp_encap.py import it.
"""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from scapy.layers.ipsec import AUTH_ALGOS, CRYPT_ALGOS, AuthAlgo, CryptAlgo


def _aes(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def xcbc_mac(key, msg):
    """RFC 3566 4: AES-XCBC-MAC, all 128 bits."""
    k1, k2, k3 = (_aes(key, bytes([i]) * 16) for i in (1, 2, 3))
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = _aes(k1, _xor(b, e))
    last = blocks[-1]
    if len(last) == 16:
        last = _xor(last, k2)
    else:
        last = _xor(last + b"\x80" + bytes(15 - len(last)), k3)
    return _aes(k1, _xor(last, e))


# RFC 3566 4.6 test cases 1 and 4: the construction above is checked.
assert xcbc_mac(bytes(range(16)), b"").hex() == \
    "75f0251d528ac01c4573dfd584d79f29"
assert xcbc_mac(bytes(range(16)), bytes(range(20))).hex() == \
    "47f51b4564966215b8985c63055ed308"


class XcbcMac:
    """The MAC object AuthAlgo.new_mac() makes: update(), finalize()."""

    def __init__(self, key, _digest=None, _backend=None):
        self.key, self.data = key, b""

    def update(self, data):
        self.data += data

    def finalize(self):
        return xcbc_mac(self.key, self.data)


AUTH_ALGOS["AES-XCBC-96"] = AuthAlgo("AES-XCBC-96", mac=XcbcMac,
                                     digestmod=lambda: None, icv_size=12,
                                     key_size=(16,))

_salted_iv = lambda sa, iv, **kw: sa.crypt_salt + iv  # noqa: E731
for _icv in (8, 12):
    CRYPT_ALGOS["AES-GCM-%d" % _icv] = CryptAlgo(
        "AES-GCM-%d" % _icv, cipher=algorithms.AES, mode=modes.GCM,
        block_size=1, iv_size=8, salt_size=4, icv_size=_icv,
        format_mode_iv=_salted_iv)
    CRYPT_ALGOS["AES-CCM-%d" % _icv] = CryptAlgo(
        "AES-CCM-%d" % _icv, cipher=AESCCM, mode=None, key_size=(16, 24, 32),
        block_size=1, iv_size=8, salt_size=3, icv_size=_icv,
        format_mode_iv=_salted_iv)
CRYPT_ALGOS["AES-GCM-16"] = CRYPT_ALGOS["AES-GCM"]
CRYPT_ALGOS["AES-CCM-16"] = CRYPT_ALGOS["AES-CCM"]
