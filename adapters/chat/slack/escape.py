"""Turning untrusted text into Slack mrkdwn that pings nobody and links nowhere.

Slack treats `<…>` as control sequences (mentions, links, `<!channel>`), so post
text is escaped (`&`, `<`, `>`) and rendered with `verbatim: true` so Slack does
not auto-link or auto-mention on its own either.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"
_URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")
_ACTOR_LABEL = re.compile(r"\bslack:([UW][A-Z0-9]{2,20})\b")


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters, ending with … when something was dropped."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def escape_clipped(text: str, limit: int) -> str:
    """Escape, then fit in `limit` without cutting an entity like `&amp;` in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    return " ".join(text.split())


def quote_block(text: str, limit: int) -> str:
    """Post text as a mrkdwn quote: escaped, clipped, every line prefixed with `>`."""
    lines = [line.strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line]
    body = escape_clipped("\n".join(lines) or "(no text)", max(limit - 2 * (len(lines) + 1), 1))
    return "\n".join("> " + line for line in body.split("\n"))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for `<url|label>`, or None for any other scheme or a broken URL."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in parts.netloc for ch in "<>|@ ") or len(url) > 2000:
        return None
    # Percent-encode what would end Slack's `<url|label>` early (`|`, `>`, spaces, `<`);
    # `&` is escaped as Slack asks for every control character.
    return quote(url, safe=_URL_SAFE).replace("&", "&amp;")


def link(url: str | None, label: str) -> str:
    """`<url|label>` for a safe URL; the escaped label alone otherwise."""
    safe = safe_url(url)
    text = escape(one_line(label)).replace("|", "¦")
    return f"<{safe}|{text}>" if safe else text


def mention(target: str | None) -> str | None:
    """The route's on-call group or person as a Slack mention; None for anything else."""
    if not target:
        return None
    target = target.strip()
    if _GROUP_ID.fullmatch(target):
        return f"<!subteam^{target}>"
    if _USER_ID.fullmatch(target):
        return f"<@{target}>"
    return None


def actors(text: str) -> str:
    """Escape a core history line, then show `slack:U…` actor labels as user mentions.

    History lines are written by the core from Slack's own user ids, never from posts.
    """
    return _ACTOR_LABEL.sub(lambda m: f"<@{m.group(1)}>", escape(text))
