#!/usr/bin/env python3
"""Independent reference implementation of the blob format v1 (storage/FORMAT.md), used to
produce the golden vectors checked by `format::tests` and `writer` tests. Needs the Python
`cryptography` package. Run: python3 storage/tests/golden/reference.py"""
import hashlib
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEG = 65536


def key_id(mission_key):
    return hashlib.sha256(b"passerelle mission key id v1" + mission_key).digest()[:16]


def header_uncommitted(mission_key, salt, prefix, mission, blob):
    h = b"PSRLBLB1" + struct.pack(">H", 1) + key_id(mission_key) + salt + prefix
    for i in (mission, blob):
        i = i.encode()
        h += struct.pack(">H", len(i)) + i
    return h


def derive(mission_key, salt, unc):
    okm = HKDF(hashes.SHA256(), 64, salt, b"passerelle blob v1" + unc).derive(mission_key)
    return okm[:32], okm[32:]


def encrypt(mission_key, mission, blob, salt, prefix, plaintext):
    unc = header_uncommitted(mission_key, salt, prefix, mission, blob)
    fkey, commit = derive(mission_key, salt, unc)
    header = unc + commit
    aead = AESGCM(fkey)
    out = header
    full = len(plaintext) // SEG
    for i in range(full + 1):
        last = i == full
        nonce = prefix + struct.pack(">I", i) + bytes([1 if last else 0])
        out += aead.encrypt(nonce, plaintext[i * SEG:(i + 1) * SEG], header)
    return out, fkey, commit, header


if __name__ == "__main__":
    mk = bytes([7] * 32)
    salt = bytes([0x5A] * 32)
    prefix = bytes([1, 2, 3, 4, 5, 6, 7])
    print("key_id ", key_id(mk).hex())
    _, fkey, commit, header = encrypt(mk, "mission-1", "blob-1", salt, prefix, b"")
    print("file_key", fkey.hex())
    print("commit ", commit.hex())
    print("header ", header.hex())
    print("hello  ", encrypt(mk, "mission-1", "blob-1", salt, prefix, b"hello")[0].hex())
    big = bytes(i % 251 for i in range(2 * SEG + 1000))
    print("big sha", hashlib.sha256(encrypt(mk, "mission-1", "blob-1", salt, prefix, big)[0]).hexdigest())
    exact = bytes(i % 251 for i in range(SEG))
    print("exact sha", hashlib.sha256(encrypt(mk, "mission-1", "blob-1", salt, prefix, exact)[0]).hexdigest())
