"""on-call timers (escalation rounds, ack expiry, auto-resolve), threads, notices, longer keys

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # room for "backfill:<source>" and "ingest:<source>" keys beside 40-character names
    with op.batch_alter_table("source_cursors", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.String(length=40), type_=sa.String(length=120)
        )
    with op.batch_alter_table("seen_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "namespace", existing_type=sa.String(length=40), type_=sa.String(length=120)
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ack_expires_at", bot.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("below_since", bot.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), server_default="message", nullable=False)
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("thread_alert_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_round", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "next_escalation_at", bot.store.tables.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.drop_constraint("uq_deliveries_alert_route", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deliveries_alert_route_kind", ["alert_id", "route", "kind"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_alert_route_kind", type_="unique")
        batch_op.create_unique_constraint("uq_deliveries_alert_route", ["alert_id", "route"])
        batch_op.drop_column("next_escalation_at")
        batch_op.drop_column("escalation_round")
        batch_op.drop_column("thread_alert_id")
        batch_op.drop_column("note")
        batch_op.drop_column("kind")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("below_since")
        batch_op.drop_column("ack_expires_at")
    with op.batch_alter_table("seen_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "namespace", existing_type=sa.String(length=120), type_=sa.String(length=40)
        )
    with op.batch_alter_table("source_cursors", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.String(length=120), type_=sa.String(length=40)
        )
