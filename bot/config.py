"""One typed configuration, built once from the TOML file and the environment.

No other module reads `os.environ`; everything gets a `Config` passed down.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.creators.policy import CreatorPolicy
from bot.durations import Duration, duration_value
from bot.environment import DEFAULT_CONFIG_PATH, ConfigError, Environment, Secret
from bot.models import Severity
from bot.opportunities import OpportunityPolicy
from bot.scoring.policy import ScoringPolicy
from bot.spikes.policy import SpikePolicy

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "ConfigError",
    "Environment",
    "Secret",
    "load_config",
    "parse_config",
]

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///deinfluence.db"


def _severity(value: object) -> object:
    return Severity.parse(value) if isinstance(value, str) else value


def _duration_or_zero(value: object) -> object:
    if value in ("0", "0s", 0):
        return timedelta(0)
    return duration_value(value)


DurationOrZero = Annotated[timedelta, BeforeValidator(_duration_or_zero)]
SeverityField = Annotated[Severity, BeforeValidator(_severity)]
NonBlank = Annotated[
    str, Field(min_length=1), BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompetitorConfig(_Strict):
    name: NonBlank
    aliases: list[NonBlank] = Field(default_factory=list)

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class BrandConfig(_Strict):
    name: NonBlank
    aliases: list[NonBlank] = Field(description="words, phrases, #hashtags and @handles")
    exclusions: list[NonBlank] = Field(
        default_factory=list,
        description="look-alike phrases: an alias inside one of these is not the brand",
    )
    competitors: list[CompetitorConfig] = Field(default_factory=list)
    ambiguous: list[NonBlank] = Field(
        default_factory=list,
        description="aliases that are also common words or names: need product context",
    )
    context: list[NonBlank] = Field(
        default_factory=list, description="extra words confirming an ambiguous alias is the brand"
    )
    lookalike_context: list[NonBlank] = Field(
        default_factory=list, description="extra words meaning a look-alike near an ambiguous alias"
    )
    generic_alternatives: list[NonBlank] = Field(
        default_factory=list, description="phrases naming an unnamed option (e.g. 'plain coffee')"
    )

    @field_validator("aliases")
    @classmethod
    def _aliases_present(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("competitors", mode="before")
    @classmethod
    def _competitor_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


SourceType = Literal[
    "replay",
    "mastodon",
    "bluesky",
    "reddit",
    "youtube",
    "tiktok",
    "instagram",
    "x",
    "rss",
    "apify",
    "webhook",
]


class SourceConfig(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    type: SourceType
    enabled: bool = True
    interval: Duration = timedelta(minutes=5)
    jitter: DurationOrZero | None = None
    misfire_grace: Duration = timedelta(minutes=2)
    page_budget: int = Field(5, ge=1, le=1000, description="pages walked per poll at most")
    hashtags: list[NonBlank] | None = Field(None, description="overrides [tracking].hashtags")
    options: dict[str, Any] = Field(default_factory=dict, description="the adapter's own settings")

    @property
    def effective_jitter(self) -> timedelta:
        return (
            self.jitter
            if self.jitter is not None
            else min(self.interval / 10, timedelta(seconds=30))
        )


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """`22:00-07:00` → (22:00, 07:00); the window may wrap past midnight."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"quiet hours must look like 22:00-07:00, not {text!r}") from None
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return start, end


class RouteConfig(_Strict):
    name: NonBlank
    platform: Literal["console", "slack", "discord"]
    channel: NonBlank
    brands: list[NonBlank] = Field(default_factory=lambda: ["*"])
    min_severity: SeverityField = Severity.MEDIUM
    opportunity_channel: NonBlank | None = Field(
        None,
        description="where opportunity alerts go (our brand recommended instead of a "
        "competitor, high-reach praise under #deinfluencing); unset: none are sent",
    )
    oncall: str | None = Field(None, description="Slack user group id / Discord role id to mention")
    responders: list[NonBlank] = Field(
        default_factory=list, description="user or group ids allowed to ack; empty: anyone"
    )
    managers: list[NonBlank] = Field(
        default_factory=list,
        description="user or group ids allowed to mute/unmute/wrong; empty: anyone",
    )
    viewers: list[NonBlank] = Field(
        default_factory=list,
        description="ids allowed to see summaries, drill-downs and status; empty: anyone",
    )
    ack_timeout: Duration = Field(
        timedelta(minutes=15), description="escalate a spike nobody acknowledged after this"
    )
    escalation_rounds: int = Field(2, ge=0, le=10, description="re-notifications before giving up")
    escalation: str | None = Field(
        None, description="who is mentioned from the second round on (user, group or role id)"
    )
    ack_expiry: Duration = Field(
        timedelta(hours=4), description="an ack lapses after this while the spike goes on"
    )
    resolve_after: Duration = Field(
        timedelta(minutes=30), description="a spike resolves after this long under its threshold"
    )
    timezone: str = Field("UTC", description="IANA zone for digests and quiet hours")
    digest: str | None = Field(
        "0 9 * * *", description="cron (in `timezone`) for the summary digest; empty to turn off"
    )
    digest_window: Duration = Field(timedelta(hours=24), description="what a digest covers")
    quiet_hours: str | None = Field(
        None,
        description='e.g. "22:00-07:00": non-critical alerts are held, then sent as one digest',
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Amsterdam)"
            ) from None
        return value

    @field_validator("digest", mode="before")
    @classmethod
    def _cron(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value.strip())
            except ValueError as error:
                raise ValueError(f"not a cron expression ({error}): {value!r}") from None
            return value.strip()
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            parse_quiet_hours(value)
            return value.strip()
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def quiet_window(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None

    def is_quiet(self, when: datetime) -> bool:
        """Inside this route's quiet hours, in its own time zone (DST included)?"""
        window = self.quiet_window()
        if window is None:
            return False
        start, end = window
        local = when.astimezone(self.zone).time()
        return start <= local < end if start < end else (local >= start or local < end)

    @field_validator("min_severity")
    @classmethod
    def _not_none(cls, value: Severity) -> Severity:
        if value is Severity.NONE:
            raise ValueError("must be low, medium, high or critical")
        return value

    def covers(self, brand: str) -> bool:
        return "*" in self.brands or brand in self.brands


class AlertPolicyConfig(_Strict):
    update_on_severity_rise: bool = True
    group_window: Duration = Field(
        timedelta(hours=6), description="posts by one creator within this become one alert"
    )
    inhibit_below: SeverityField = Field(
        Severity.CRITICAL,
        description="while a brand has an open spike, post alerts below this go to its thread",
    )
    delivery_attempts: int = Field(
        20, ge=1, le=1000, description="tries per alert before it is parked as undeliverable"
    )
    retry_delay: Duration = timedelta(seconds=30)


class TrackingConfig(_Strict):
    hashtags: list[NonBlank] = Field(default_factory=lambda: ["deinfluencing"])


class StoreConfig(_Strict):
    url: NonBlank = DEFAULT_SQLITE_URL
    retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="raw posts older than this are pruned daily; hourly "
        "aggregates for summaries and spike baselines are kept",
    )


class Config(_Strict):
    """The whole validated configuration."""

    brands: list[BrandConfig]
    sources: list[SourceConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)
    policy: ScoringPolicy = Field(default_factory=ScoringPolicy)
    alerts: AlertPolicyConfig = Field(default_factory=AlertPolicyConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    spikes: SpikePolicy = Field(default_factory=SpikePolicy)
    creators: CreatorPolicy = Field(default_factory=CreatorPolicy)
    opportunities: OpportunityPolicy = Field(default_factory=OpportunityPolicy)
    store: StoreConfig = Field(default_factory=StoreConfig)
    env: Environment = Field(default_factory=Environment, exclude=True)

    @field_validator("brands")
    @classmethod
    def _brands_present(cls, value: list[BrandConfig]) -> list[BrandConfig]:
        if not value:
            raise ValueError("must not be empty: watch at least one brand")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        problems = cross_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def database_url(self) -> str:
        return self.env.database_url or self.store.url

    def brand(self, name: str) -> BrandConfig | None:
        folded = name.casefold()
        return next((b for b in self.brands if b.name.casefold() == folded), None)

    def routes_for(self, brand: str) -> list[RouteConfig]:
        return [r for r in self.routes if r.covers(brand)]


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "constrained-")) or part in {"timedelta"}:
            continue
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def _messages(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required"
        elif item["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling)"
        elif item["type"] == "string_too_short":
            message = "must not be empty"
        where = _location(tuple(item["loc"]))
        if where == "(top level)" and "; " in message:
            problems.extend(message.split("; "))
        else:
            problems.append(f"{where}: {message}")
    return problems


def _named(items: object) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def cross_problems(data: Mapping[str, Any]) -> list[str]:
    """References between sections; works on raw data too, so a config with field errors
    still hears about these in the same run."""
    problems: list[str] = []
    brands = _named(data.get("brands"))
    names = [str(b.get("name", "")).strip().casefold() for b in brands]
    for i, name in enumerate(names):
        if name and name in names[:i]:
            problems.append(f"brands[{i}].name: duplicate brand {brands[i].get('name')!r}")
    sources = [str(s.get("name")) for s in _named(data.get("sources"))]
    for i, name in enumerate(sources):
        if name in sources[:i]:
            problems.append(f"sources[{i}].name: duplicate source {name!r}")
    known = {str(b.get("name", "")).strip() for b in brands}
    routes = _named(data.get("routes"))
    route_names = [str(r.get("name")) for r in routes]
    for i, route in enumerate(routes):
        if route_names[i] in route_names[:i]:
            problems.append(f"routes[{i}].name: duplicate route {route_names[i]!r}")
        wanted = route.get("brands", ["*"])
        for j, brand in enumerate(wanted if isinstance(wanted, list) else []):
            if brand != "*" and str(brand).strip() not in known:
                problems.append(f"routes[{i}].brands[{j}]: unknown brand {brand!r}")
    return problems


def parse_config(data: Mapping[str, Any], env: Environment | None = None) -> Config:
    try:
        config = Config.model_validate(dict(data))
    except ValidationError as error:
        problems = _messages(error)
        problems += [p for p in cross_problems(data) if p not in problems]
        raise ConfigError(problems) from None
    return config.model_copy(update={"env": env or Environment()})


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML file and the environment; ConfigError lists every problem."""
    env = Environment.from_mapping(os.environ if environ is None else environ)
    file = Path(path or env.config_path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{file}: config file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{file}: not valid TOML: {error}"]) from None
    return parse_config(data, env)
