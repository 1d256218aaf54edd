"""The schema. Alembic migrations in `migrations/versions` must match it (a test checks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.timeutil import as_utc


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "native_id", name="uq_posts_source_native"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_author", "source", "author_handle"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(40))
    native_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    author_handle: Mapped[str] = mapped_column(String(255))
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    author_verified: Mapped[bool | None] = mapped_column(Boolean)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    hashtags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class MentionRow(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("post_id", "brand", name="uq_mentions_post_brand"),
        Index("ix_mentions_brand_created", "brand", "post_created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    brand: Mapped[str] = mapped_column(String(120))
    alias: Mapped[str] = mapped_column(String(255))
    post_created_at: Mapped[datetime]
    stance: Mapped[str] = mapped_column(String(16))
    claims: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alternative: Mapped[str | None] = mapped_column(String(255))
    reach: Mapped[str] = mapped_column(String(16))
    risk: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    severity: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lang: Mapped[str | None] = mapped_column(String(8))
    scored_at: Mapped[datetime]
    wrong: Mapped[bool] = mapped_column(Boolean, default=False)
    wrong_reason: Mapped[str | None] = mapped_column(Text)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_alerts_dedup_key"),
        Index("ix_alerts_brand_created", "brand", "created_at"),
        Index("ix_alerts_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str] = mapped_column(String(120))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    severity: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    muted_by: Mapped[int | None] = mapped_column(Integer)
    acked_by: Mapped[str | None] = mapped_column(String(255))
    acked_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None]
    wrong_by: Mapped[str | None] = mapped_column(String(255))
    ack_expires_at: Mapped[datetime | None]
    below_since: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeliveryRow(Base):
    """The outbox: one row per (alert, route). The store, not the chat call, decides."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "route", "kind", name="uq_deliveries_alert_route_kind"),
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    route: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32), default="message", server_default="message")
    note: Mapped[str | None] = mapped_column(Text)
    thread_alert_id: Mapped[int | None] = mapped_column(Integer)
    escalation_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_escalation_at: Mapped[datetime | None]
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(255))
    mention: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(255))
    thread_id: Mapped[str | None] = mapped_column(String(255))
    delivered_version: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MuteRow(Base):
    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brand: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str | None] = mapped_column(String(255))
    max_severity: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    unmuted_at: Mapped[datetime | None]
    unmuted_by: Mapped[str | None] = mapped_column(String(255))


class CursorRow(Base):
    __tablename__ = "source_cursors"

    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class SourceHealthRow(Base):
    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(32), default="never polled")
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    backoff_until: Mapped[datetime | None]
    posts_fetched: Mapped[int] = mapped_column(BigInteger, default=0)
    quota_left: Mapped[int | None] = mapped_column(BigInteger)


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SeenKeyRow(Base):
    """Keys seen once (webhook delivery ids): a replayed delivery is ignored."""

    __tablename__ = "seen_keys"

    namespace: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime]


class MentionHourlyRow(Base):
    """What summaries and spike baselines still need once raw posts are pruned."""

    __tablename__ = "mention_hourly"
    __table_args__ = (
        UniqueConstraint(
            "brand", "source", "hour", "stance", "severity", "lang", name="uq_mention_hourly_key"
        ),
        Index("ix_mention_hourly_brand_hour", "brand", "hour"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40))
    hour: Mapped[datetime]
    stance: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(8), default="")
    count: Mapped[int] = mapped_column(Integer)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alternatives: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FollowerSnapshotRow(Base):
    """A creator's follower count when it was seen to change (handle folded, no @)."""

    __tablename__ = "follower_snapshots"
    __table_args__ = (Index("ix_follower_snapshots_creator_at", "source", "handle", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(40))
    handle: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]
    followers: Mapped[int] = mapped_column(BigInteger)


class WatchRow(Base):
    """A creator on the watchlist: every new post by them alerts until `ends_at`."""

    __tablename__ = "watchlist"
    __table_args__ = (Index("ix_watchlist_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str | None] = mapped_column(String(40))
    handle: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    unwatched_at: Mapped[datetime | None]
    unwatched_by: Mapped[str | None] = mapped_column(String(255))
