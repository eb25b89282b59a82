"""outbox rows name their community and when a failure was reported

A message Telegram refuses for good is reported to its community's admins once: `community_id` says whose
(rows about a match are traced through the match and may leave it empty), `reported_at` that it was looked at.
Failures from before this revision count as reported: an upgrade does not send admins a backlog of old news.

Revision ID: 8632e866479d
Revises: 96f9d41cf275
Create Date: 2026-12-02 19:09:58.889186

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "8632e866479d"
down_revision: str | None = "96f9d41cf275"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reported_at", bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_community_id_communities"),
            "communities",
            ["community_id"],
            ["id"],
            ondelete="SET NULL",
        )
    outbox = sa.table("outbox", sa.column("status", sa.String()), sa.column("reported_at", bot.db.base.UtcDateTime()))
    op.execute(outbox.update().where(outbox.c.status == "failed").values(reported_at=datetime.now(UTC)))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_community_id_communities"), type_="foreignkey")
        batch_op.drop_column("reported_at")
        batch_op.drop_column("community_id")
