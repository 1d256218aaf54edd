"""Block Kit building blocks and Slack's message limits, shared by the renderers.

Every function here is pure: data in, JSON-able dicts out, so golden files can pin them.
Text handed to these helpers is already escaped mrkdwn (see `escape.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.chat.slack.escape import ELLIPSIS, escape, one_line

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_FALLBACK = 3000
MAX_ALT = 2000

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """What one Slack message carries: the fallback `text`, blocks and (colour) attachments."""

    text: str
    blocks: list[Block]
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """Keyword arguments for chat.postMessage / chat.update / respond()."""
        out: dict[str, Any] = {"text": self.text, "blocks": self.blocks}
        if self.attachments:
            out["attachments"] = self.attachments
        return out


def clip_markup(text: str, limit: int) -> str:
    """Fit escaped mrkdwn in `limit` chars without leaving half an entity or half a link."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    return cut.rstrip() + ELLIPSIS


def mrkdwn(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    """A mrkdwn text object; `verbatim` stops Slack from auto-linking or auto-mentioning."""
    return {"type": "mrkdwn", "text": clip_markup(text, limit) or " ", "verbatim": True}


def plain(text: str, limit: int) -> dict[str, Any]:
    """Plain text is never parsed for mentions or links; it only needs to fit."""
    flat = one_line(text)
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + ELLIPSIS
    return {"type": "plain_text", "text": flat or " ", "emoji": True}


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(pairs: Sequence[tuple[str, str]]) -> Block:
    """Up to ten `*label*\\nvalue` fields (values already escaped)."""
    fields = [mrkdwn(f"*{label}*\n{value}", MAX_FIELD) for label, value in pairs[:MAX_FIELDS]]
    return {"type": "section", "fields": fields}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER)}


def context(parts: Sequence[str]) -> Block:
    elements = [mrkdwn(p, MAX_FIELD) for p in parts if p][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements or [mrkdwn(" ")]}


def divider() -> Block:
    return {"type": "divider"}


def sections(lines: Sequence[str], *, heading: str = "") -> list[Block]:
    """Lines packed into as few sections as fit in 3000 characters each."""
    blocks: list[Block] = []
    current = heading
    for line in lines:
        line = clip_markup(line, MAX_SECTION - len(heading) - 2)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_SECTION:
            blocks.append(section(current))
            candidate = line
        current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def fit_blocks(blocks: list[Block], overflow_hint: str) -> list[Block]:
    """At most 50 blocks; what does not fit is named in a last context block."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    dropped = len(blocks) - len(kept)
    return [*kept, context([f"{ELLIPSIS} {dropped} more blocks not shown. {overflow_hint}"])]


def fallback(text: str) -> str:
    """The top-level `text`: escaped, short; Slack shows it in notifications and old clients."""
    return clip_markup(escape(text.strip()) or " ", MAX_FALLBACK)


def thousands(value: int | None) -> str:
    return f"{value:,}" if value is not None else "?"
