"""Opaque tokens and one-time codes: random secrets, stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "hz_"
CODE_PREFIX = "hzc_"


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    """A fresh secret: 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The stored form of a token or code (hex SHA-256; secrets are high-entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()
