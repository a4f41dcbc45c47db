"""Secret tokens in links (check-ins, sign-in, invitations): only their hash is stored."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """Return the SHA-256 of a link's token, the only form a database row keeps."""
    return hashlib.sha256(token.encode()).hexdigest()
