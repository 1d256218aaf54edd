"""creator follower snapshots and the creator watchlist

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follower_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("at", bot.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("follower_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follower_snapshots_creator_at", ["source", "handle", "at"], unique=False
        )
    op.create_table(
        "watchlist",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("starts_at", bot.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", bot.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", bot.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("unwatched_at", bot.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column("unwatched_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("watchlist", schema=None) as batch_op:
        batch_op.create_index("ix_watchlist_ends_at", ["ends_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("watchlist", schema=None) as batch_op:
        batch_op.drop_index("ix_watchlist_ends_at")
    op.drop_table("watchlist")
    with op.batch_alter_table("follower_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_follower_snapshots_creator_at")
    op.drop_table("follower_snapshots")
