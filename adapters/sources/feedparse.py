"""RSS 2.0 and Atom entries as Posts (parsing only; fetching and cursors live in rss.py).

Parsed with defusedxml so a hostile feed cannot expand entities or reach files.
Google Alerts links are redirect URLs; the real article is in their `url=`.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree

from adapters.sources.fields import hashtags_in, parse_time, strip_html, unique
from bot.models import Author, Post
from bot.ports import MappingError

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class FeedError(ValueError):
    """The document is not an RSS 2.0 or Atom feed we can read."""


def parse_feed(body: bytes) -> tuple[list[Element], str, str | None, int | None]:
    """(entries, kind 'atom'|'rss', feed language, ttl minutes) from a feed document."""
    try:
        root = ElementTree.fromstring(body)
    except Exception as error:  # ParseError and defusedxml's forbidden-construct errors
        raise FeedError(f"not a readable XML feed ({type(error).__name__})") from None
    if root.tag == f"{ATOM}feed":
        return root.findall(f"{ATOM}entry"), "atom", _lang(root.get(XML_LANG)), None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise FeedError(f"unsupported feed root <{root.tag}>")
    ttl_text = (channel.findtext("ttl") or "").strip()
    ttl = int(ttl_text) if ttl_text.isdigit() else None
    return channel.findall("item"), "rss", _lang(channel.findtext("language")), ttl


def _lang(value: str | None) -> str | None:
    """'en-US' -> 'en'; the feed's language applies to every entry."""
    if not value or not value.strip():
        return None
    return value.strip().split("-")[0].split("_")[0].casefold() or None


def unwrap_link(url: str) -> str:
    """The real target of a google.com/url?...&url=REAL redirect; other links unchanged."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return url
    host = parsed.host or ""
    if (host == "google.com" or host.endswith(".google.com")) and parsed.path == "/url":
        real = str(parsed.params.get("url") or parsed.params.get("q") or "")
        if real.startswith(("http://", "https://")):
            return real
    return url


def _text(element: Element | None) -> str:
    """Text of an Atom text construct or RSS element, HTML stripped."""
    if element is None:
        return ""
    if element.get("type") == "xhtml":
        return " ".join(" ".join(element.itertext()).split())
    return strip_html(element.text or "")


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    return host.removeprefix("www.") or None


def _rss_time(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        return parse_time(parsedate_to_datetime(value.strip()).isoformat(), "pubDate")
    except (TypeError, ValueError, IndexError):
        return parse_time(value.strip(), "pubDate")


def map_atom_entry(source: str, entry: Element, feed_lang: str | None, now: datetime) -> Post:
    native_id = (entry.findtext(f"{ATOM}id") or "").strip()
    link = ""
    for candidate in entry.findall(f"{ATOM}link"):
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            link = unwrap_link(candidate.get("href", "").strip())
            break
    native_id = native_id or link
    if not native_id:
        raise MappingError("entry has neither <id> nor <link>")
    title = _text(entry.find(f"{ATOM}title"))
    body = _text(entry.find(f"{ATOM}content")) or _text(entry.find(f"{ATOM}summary"))
    text = "\n".join(part for part in (title, body) if part)
    published = entry.findtext(f"{ATOM}published")
    updated = entry.findtext(f"{ATOM}updated")
    created = parse_time(published or updated, "published") if (published or updated) else now
    edited = bool(published and updated and parse_time(updated, "updated") > created)
    author = (entry.findtext(f"{ATOM}author/{ATOM}name") or "").strip()
    return Post(
        source=source,
        native_id=native_id,
        text=text,
        created_at=created,
        author=Author(handle=author or _host(link) or "unknown"),
        url=link or None,
        lang=_lang(entry.get(XML_LANG)) or feed_lang,
        hashtags=unique(hashtags_in(text)),
        edited=edited,
    )


def map_rss_item(source: str, item: Element, feed_lang: str | None, now: datetime) -> Post:
    link = unwrap_link((item.findtext("link") or "").strip())
    native_id = (item.findtext("guid") or "").strip() or link
    if not native_id:
        raise MappingError("item has neither <guid> nor <link>")
    title = strip_html(item.findtext("title") or "")
    body = strip_html(item.findtext(f"{CONTENT}encoded") or item.findtext("description") or "")
    text = "\n".join(part for part in (title, body) if part)
    if not text:
        raise MappingError("item has no title or description")
    created = _rss_time(item.findtext("pubDate") or item.findtext(f"{DC}date")) or now
    author = (item.findtext(f"{DC}creator") or item.findtext("author") or "").strip()
    return Post(
        source=source,
        native_id=native_id,
        text=text,
        created_at=created,
        author=Author(handle=author or _host(link) or "unknown"),
        url=link or None,
        lang=feed_lang,
        hashtags=unique(hashtags_in(text)),
    )
