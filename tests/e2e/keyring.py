# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The kernel keyring udpespd keeps SA keys in, seen from a test (ctypes, no keyutils).

  keyring.py desc STATE     the keyring's description, from udpespd's state file
  keyring.py count DESC     keys in root's keyring DESC (-1: no such keyring)
  keyring.py ids DESC       their serials, one a line
  keyring.py read SERIAL    read one key: exit 0 and its length, or 1 and the error
  keyring.py purge STATE    revoke every key of STATE's keyring and unlink it
"""
import ctypes
import errno
import os
import sys

NR = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_REVOKE, KEYCTL_LINK = 1, 3, 8
KEYCTL_UNLINK, KEYCTL_SEARCH, KEYCTL_READ = 9, 10, 11
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def keyctl(op, *args):
    a = [ctypes.c_ulong(x & 0xFFFFFFFFFFFFFFFF) if isinstance(x, int) else x for x in args]
    a += [ctypes.c_ulong(0)] * (4 - len(a))
    r = libc.syscall(ctypes.c_long(NR[1]), ctypes.c_long(op), *a)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def possess_user_keyring():
    """A session of our own with root's user keyring in it: what it holds, we possess."""
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)
    keyctl(KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING)


def find(desc):
    possess_user_keyring()
    try:
        return keyctl(KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, ctypes.c_char_p(b"keyring"),
                      ctypes.c_char_p(desc.encode()), 0)
    except OSError as e:
        if e.errno in (errno.ENOKEY, errno.ENOENT):
            return None
        raise


def ids(ring):
    n = keyctl(KEYCTL_READ, ring, 0, 0)
    buf = ctypes.create_string_buffer(n)
    n = keyctl(KEYCTL_READ, ring, buf, n)
    return [int.from_bytes(buf.raw[i:i + 4], "little", signed=True) for i in range(0, n, 4)]


def desc_of(state):
    with open(state, "rb") as f:
        head = f.read(4096)
    i = head.find(b"udpespd:")
    if i < 0:
        return None
    return head[i:head.index(b"\0", i)].decode()


def main(argv):
    if len(argv) == 3 and argv[1] == "desc":
        d = desc_of(argv[2])
        print(d or "")
        return 0 if d else 1
    if len(argv) == 3 and argv[1] in ("count", "ids"):
        ring = find(argv[2])
        if argv[1] == "count":
            print(-1 if ring is None else len(ids(ring)))
        elif ring is not None:
            print("\n".join(str(i) for i in ids(ring)))
        return 0
    if len(argv) == 3 and argv[1] == "read":
        buf = ctypes.create_string_buffer(65536)
        try:
            n = keyctl(KEYCTL_READ, int(argv[2]), buf, 65536)
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
            return 1
        ctypes.memset(buf, 0, 65536)
        print(n)
        return 0
    if len(argv) == 3 and argv[1] == "purge":
        d = desc_of(argv[2]) if os.path.exists(argv[2]) else None
        ring = find(d) if d else None
        if ring is not None:
            for k in ids(ring):
                try:
                    keyctl(KEYCTL_REVOKE, k)
                except OSError:
                    pass
            keyctl(KEYCTL_UNLINK, ring, KEY_SPEC_USER_KEYRING)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
