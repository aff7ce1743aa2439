"""Show a one-time value (a new API token, an invitation link) once, after POST → redirect → GET.

Rendering it in the POST's own response would make a page reload repeat the POST: a second token,
or a re-sent invitation whose new link silently replaces the one already emailed. So the POST keeps
the value in the session, encrypted with FIELD_ENCRYPTION_KEY like every stored secret, and the
first GET that shows it removes it.
"""

import json

from cryptography.fernet import InvalidToken
from encrypted_model_fields.fields import decrypt_str, encrypt_str

PREFIX = "roster-once:"


def keep(request, key: str, value) -> None:
    request.session[PREFIX + key] = encrypt_str(json.dumps(value)).decode()


def take(request, key: str):
    """The value kept under `key`, removed from the session; None when there is none (any more)."""
    stored = request.session.pop(PREFIX + key, None)
    if stored is None:
        return None
    try:
        return json.loads(decrypt_str(stored))
    except (InvalidToken, ValueError):
        return None
