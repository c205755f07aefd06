"""RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as the gateway checks it."""

import base64
import hashlib
import hmac
import struct
import time


def current_step(now=None):
    return int((time.time() if now is None else now) // 30)


def code(secret_base32, step):
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
