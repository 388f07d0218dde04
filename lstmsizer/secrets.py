"""Passwords kept out of what lstmsizer prints, writes or renders."""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"

# libpq and SQLAlchemy also take the password as a query parameter: ?password=...
_QUERY_PASSWORD = re.compile(r"(?P<key>[?&]password=)(?P<value>[^&#]*)", re.IGNORECASE)

# Shorter secrets are not searched for in free text: replacing every "ab" garbles the message.
_SHORTEST_REDACTED = 4


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***; a URL without one comes back unchanged.

    An unescaped `@` or `/` in the password still hides the whole password: the user part
    ends at the last `@` before the path, or at the last `@` of the URL when the part before
    the path has none. When in doubt, more is hidden, never less.

    Args:
        url: A storage URL (postgresql://user:password@host/db) or a file path.

    Returns:
        postgresql://user:***@host/db for the example above.
    """
    url = _QUERY_PASSWORD.sub(lambda m: m["key"] + (MASK if m["value"] else ""), url)
    parts = _split(url)
    if parts is None:
        return url
    head, _, tail = parts
    return head + MASK + tail


def redact(text: str, url: str | None) -> str:
    """Text (an error message, say) with url masked and url's password nowhere in it."""
    if not url:
        return text
    text = text.replace(url, mask_url(url))
    found = [m["value"] for m in _QUERY_PASSWORD.finditer(url)]
    parts = _split(url)
    if parts is not None:
        found.append(parts[1])
    for secret in {s for value in found for s in (value, unquote(value))}:
        if len(secret) >= _SHORTEST_REDACTED:
            text = text.replace(secret, MASK)
    return text


def _split(url: str) -> tuple[str, str, str] | None:
    """(scheme://user:, password, @host...) when url has a password in its user part."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    before_path = re.split(r"[/?#]", rest, maxsplit=1)[0]
    end = before_path.rfind("@") if "@" in before_path else rest.rfind("@")
    if end < 0:
        return None
    user, colon, password = rest[:end].partition(":")
    if not colon or not password or password == MASK:
        return None
    return f"{scheme}://{user}:", password, rest[end:]
