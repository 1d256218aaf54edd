"""`/deinfluence …` text parsed once, by a pure function, into typed commands.

Discord's typed options build the same command objects, so both platforms
share every rule here (durations, matchers, ids).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.durations import parse_duration
from bot.models import Severity
from bot.mutes import MuteSpec

DEFAULT_WINDOW = timedelta(hours=24)
CREATORS_WINDOW = timedelta(days=30)
MAX_REASON = 500

USAGE = {
    "help": ("help", "this list"),
    "status": ("status", "sources, queues, mutes and who leads"),
    "brands": ("brands", "watched brands with open alerts"),
    "summary": (
        "summary [brand|all] [window] [public]",
        "counts, top posts, claims, competitors, chart",
    ),
    "drill": ("drill <alert-id|brand> [window] [page]", "the posts behind an alert or a brand"),
    "mute": (
        "mute <brand|brand=… source=… author=@… severity<=…> <duration> [reason]",
        "silence matching alerts (still recorded)",
    ),
    "unmute": ("unmute <mute-id>", "lift a mute early"),
    "mutes": ("mutes", "active and recent mutes"),
    "ack": ("ack <alert-id>", "acknowledge an alert"),
    "resolve": ("resolve <alert-id>", "resolve an alert by hand"),
    "wrong": ("wrong <alert-id> [reason]", "mark an alert a false positive"),
    "creator": (
        "creator <handle> [source]",
        "a creator's profile, credibility signals and recent mentions",
    ),
    "creators": (
        "creators [brand] [window]",
        "creators with the most reach-weighted negative mentions",
    ),
    "watch": (
        "watch <handle> [source] <duration> [reason]",
        "alert on every new post by a creator until the watch expires",
    ),
}


class UsageError(ValueError):
    """A bad command line: the message says what is wrong, `usage` how to write it."""

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command

    @property
    def usage(self) -> str:
        if self.command in USAGE:
            return f"/deinfluence {USAGE[self.command][0]}"
        return "/deinfluence help"


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Brands:
    pass


@dataclass(frozen=True)
class Summary:
    brand: str | None = None
    window: timedelta = DEFAULT_WINDOW
    public: bool = False


@dataclass(frozen=True)
class Drill:
    alert_id: int | None = None
    brand: str | None = None
    window: timedelta = DEFAULT_WINDOW
    page: int = 1


@dataclass(frozen=True)
class MuteCmd:
    spec: MuteSpec
    duration: timedelta
    reason: str = ""


@dataclass(frozen=True)
class Unmute:
    mute_id: int


@dataclass(frozen=True)
class Mutes:
    pass


@dataclass(frozen=True)
class Ack:
    alert_id: int


@dataclass(frozen=True)
class Resolve:
    alert_id: int


@dataclass(frozen=True)
class Wrong:
    alert_id: int
    reason: str = ""


@dataclass(frozen=True)
class Creator:
    handle: str
    source: str | None = None


@dataclass(frozen=True)
class Creators:
    brand: str | None = None
    window: timedelta = CREATORS_WINDOW


@dataclass(frozen=True)
class Watch:
    handle: str
    duration: timedelta
    reason: str = ""
    source: str | None = None


Command = (
    Help
    | Status
    | Brands
    | Summary
    | Drill
    | MuteCmd
    | Unmute
    | Mutes
    | Ack
    | Resolve
    | Wrong
    | Creator
    | Creators
    | Watch
)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"'})
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_ID = re.compile(r"#?[aAmM]?(\d{1,18})")
_MATCHER = re.compile(r"(brand|source|author|severity)\s*(<=|=)\s*(.+)", re.IGNORECASE)
_HANDLE = re.compile(r"@?([\w.\-]+(?:@[\w.\-]+)?)")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Split on white space; double quotes keep a phrase together (apostrophes are text)."""
    tokens = (t.replace('"', "") for t in _TOKEN.findall(text.translate(_QUOTES)))
    return [t for t in tokens if t]


def parse_id(token: str, what: str, command: str) -> int:
    found = _ID.fullmatch(token.strip())
    if not found or int(found.group(1)) <= 0:
        raise UsageError(f"{what} must be a number like 12, not {token!r}", command)
    return int(found.group(1))


def _is_duration(token: str) -> bool:
    try:
        parse_duration(token)
    except ValueError:
        return False
    return True


def _window(
    tokens: list[str], command: str, default: timedelta = DEFAULT_WINDOW
) -> tuple[timedelta, list[str]]:
    rest = []
    window = default
    seen = False
    for token in tokens:
        if re.fullmatch(r"\d+[a-zA-Z]+", token):
            if seen:
                raise UsageError(f"give one window, not several ({token!r})", command)
            try:
                window = parse_duration(token)
            except ValueError as error:
                raise UsageError(str(error), command) from None
            seen = True
        else:
            rest.append(token)
    return window, rest


def parse(text: str) -> Command:
    """Parse what follows `/deinfluence`; raise UsageError with a clear message."""
    tokens = tokenize(text.strip())
    if tokens and tokens[0].lower() == "/deinfluence":
        tokens = tokens[1:]
    if not tokens:
        return Help()
    name, args = tokens[0].lower(), tokens[1:]
    parser = _PARSERS.get(name)
    if parser is None:
        raise UsageError(f"unknown command {tokens[0]!r}; try /deinfluence help")
    return parser(args)


def _no_args(name: str, command: Command) -> Callable[[list[str]], Command]:
    def parse_it(args: list[str]) -> Command:
        if args:
            raise UsageError(f"{name} takes no arguments", name)
        return command

    return parse_it


def _summary(args: list[str]) -> Command:
    public = False
    rest = []
    for token in args:
        if token.lower() == "public":
            public = True
        else:
            rest.append(token)
    window, rest = _window(rest, "summary")
    if len(rest) > 1:
        raise UsageError(f"summary takes one brand, got {' '.join(rest)!r}", "summary")
    brand = rest[0] if rest and rest[0].lower() != "all" else None
    return Summary(brand=brand, window=window, public=public)


def _drill(args: list[str]) -> Command:
    if not args:
        raise UsageError("drill needs an alert id or a brand", "drill")
    window, rest = _window(args[1:], "drill")
    page = 1
    if rest:
        if len(rest) > 1 or not rest[0].isdigit() or int(rest[0]) < 1:
            raise UsageError(
                f"unexpected {' '.join(rest)!r}: give a window like 7d and a page number", "drill"
            )
        page = int(rest[0])
    target = args[0]
    if _ID.fullmatch(target) and (target[0].isdigit() or target[0] == "#"):
        return Drill(alert_id=parse_id(target, "the alert id", "drill"), window=window, page=page)
    return Drill(brand=target, window=window, page=page)


def _mute(args: list[str]) -> Command:
    fields: dict[str, str] = {}
    severity: Severity | None = None
    index = 0
    while index < len(args) and not _is_duration(args[index]):
        token = args[index]
        found = _MATCHER.fullmatch(token)
        if found:
            key, op, value = found.group(1).lower(), found.group(2), found.group(3).strip()
            if key == "severity":
                try:
                    severity = Severity.parse(value)
                except ValueError as error:
                    raise UsageError(str(error), "mute") from None
            elif op != "=":
                raise UsageError(f"{key} matches with =, not {op}", "mute")
            elif key in fields:
                raise UsageError(f"{key} is given twice", "mute")
            else:
                fields[key] = value
        elif "=" in token or "<" in token:
            raise UsageError(
                f"unknown matcher {token!r}: use brand=, source=, author= or severity<=", "mute"
            )
        elif "brand" in fields:
            if index == len(args) - 1 or re.fullmatch(r"\d+[a-zA-Z]+", token):
                break
            raise UsageError(f"unexpected {token!r} before the duration", "mute")
        else:
            fields["brand"] = token
        index += 1
    if index >= len(args):
        raise UsageError("mute needs a duration such as 1h, 24h or 7d after the matchers", "mute")
    try:
        duration = parse_duration(args[index])
    except ValueError as error:
        raise UsageError(str(error), "mute") from None
    reason = " ".join(args[index + 1 :])[:MAX_REASON]
    author = fields.get("author")
    spec = MuteSpec(
        brand=fields.get("brand"),
        source=fields.get("source"),
        author=author.lstrip("@") if author else None,
        max_severity=severity,
    )
    if spec.is_empty():
        raise UsageError("mute needs at least one matcher, e.g. a brand", "mute")
    return MuteCmd(spec=spec, duration=duration, reason=reason)


def _one_id(name: str, build: Callable[[int], Command]) -> Callable[[list[str]], Command]:
    what = "the mute id" if name == "unmute" else "the alert id"

    def parse_it(args: list[str]) -> Command:
        if len(args) != 1:
            raise UsageError(f"{name} takes exactly one id", name)
        return build(parse_id(args[0], what, name))

    return parse_it


def _wrong(args: list[str]) -> Command:
    if not args:
        raise UsageError("wrong needs the alert id", "wrong")
    return Wrong(parse_id(args[0], "the alert id", "wrong"), " ".join(args[1:])[:MAX_REASON])


def parse_handle(token: str, command: str) -> str:
    """A creator's handle without the @ (`user@instance` for Mastodon stays whole)."""
    found = _HANDLE.fullmatch(token.strip())
    if not found or len(found.group(1)) > 255:
        raise UsageError(f"{token!r} is not a creator handle like @beautybyjo", command)
    return found.group(1)


def parse_source(token: str, command: str) -> str:
    if not _SOURCE.fullmatch(token.strip()):
        raise UsageError(f"{token!r} is not a source name like tiktok", command)
    return token.strip().lower()


def _creator(args: list[str]) -> Command:
    if not args:
        raise UsageError("creator needs a handle, e.g. @beautybyjo", "creator")
    if len(args) > 2:
        raise UsageError(f"unexpected {' '.join(args[2:])!r} after the source", "creator")
    source = parse_source(args[1], "creator") if len(args) == 2 else None
    return Creator(parse_handle(args[0], "creator"), source)


def _creators(args: list[str]) -> Command:
    window, rest = _window(args, "creators", CREATORS_WINDOW)
    if len(rest) > 1:
        raise UsageError(f"creators takes one brand, got {' '.join(rest)!r}", "creators")
    brand = rest[0] if rest and rest[0].lower() != "all" else None
    return Creators(brand=brand, window=window)


def _watch(args: list[str]) -> Command:
    if not args:
        raise UsageError("watch needs a handle and a duration, e.g. watch @jo 7d", "watch")
    handle = parse_handle(args[0], "watch")
    index, source = 1, None
    if len(args) > 1 and not _is_duration(args[1]) and not re.fullmatch(r"\d+\w*", args[1]):
        source, index = parse_source(args[1], "watch"), 2
    if index >= len(args):
        raise UsageError("watch needs a duration such as 24h or 7d after the handle", "watch")
    try:
        duration = parse_duration(args[index])
    except ValueError as error:
        raise UsageError(str(error), "watch") from None
    return Watch(handle, duration, " ".join(args[index + 1 :])[:MAX_REASON], source)


_PARSERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _no_args("help", Help()),
    "status": _no_args("status", Status()),
    "brands": _no_args("brands", Brands()),
    "mutes": _no_args("mutes", Mutes()),
    "summary": _summary,
    "drill": _drill,
    "mute": _mute,
    "unmute": _one_id("unmute", Unmute),
    "ack": _one_id("ack", Ack),
    "resolve": _one_id("resolve", Resolve),
    "wrong": _wrong,
    "creator": _creator,
    "creators": _creators,
    "watch": _watch,
}
