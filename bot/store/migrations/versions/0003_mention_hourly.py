"""hourly mention aggregates that outlive pruned posts

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention_hourly",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("brand", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("hour", bot.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "brand", "source", "hour", "stance", "severity", "lang", name="uq_mention_hourly_key"
        ),
    )
    with op.batch_alter_table("mention_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_mention_hourly_brand_hour", ["brand", "hour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_hourly_brand_hour")
    op.drop_table("mention_hourly")
