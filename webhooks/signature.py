"""PagerDuty V3 webhook signatures (pure functions, no Django).

`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]` carries the hex HMAC-SHA256 of the raw body with
each of the subscription's secrets (several while PagerDuty rotates one). A delivery is genuine
when any `v1` signature matches any of our secrets; other versions are ignored.
"""

import hashlib
import hmac
from collections.abc import Iterable


def sign(body: bytes, secret: str) -> str:
    """The `v1` signature of `body`, as PagerDuty computes it (lowercase hex)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def header_for(body: bytes, secrets: Iterable[str]) -> str:
    """An `X-PagerDuty-Signature` value signing `body` with every secret."""
    return ",".join(f"v1={sign(body, s)}" for s in secrets)


def v1_signatures(header: str | None) -> list[str]:
    """The `v1` signatures in a header value, other versions and blanks ignored."""
    if not header:
        return []
    found = []
    for part in header.split(","):
        version, _, value = part.strip().partition("=")
        if version.strip() == "v1" and value.strip():
            found.append(value.strip().lower())
    return found


def verify(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when any `v1` signature in the header matches the body signed with any secret.

    Every comparison is constant-time and all pairs are compared, so timing tells nothing about
    which secret or signature came close.
    """
    candidates = [c.encode("utf-8", "replace") for c in v1_signatures(header)]
    if not candidates:
        return False
    matched = False
    for secret in secrets:
        expected = sign(body, secret).encode()
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    return matched
