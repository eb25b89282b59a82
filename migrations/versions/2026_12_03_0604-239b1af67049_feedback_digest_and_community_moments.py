"""feedback digest and community moments

Rounds whose check-ins were already sent count as digested: no digest of an old round arrives after the upgrade.

Revision ID: 239b1af67049
Revises: f25df7bf2bd5
Create Date: 2026-12-03 06:04:06.834784

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "239b1af67049"
down_revision: str | None = "f25df7bf2bd5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: on SQLite a batch would copy and drop `communities`, and dropping it
    # deletes every row that cascades from it.
    op.add_column("communities", sa.Column("moments", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("rounds", sa.Column("digest_sent_at", bot.db.base.UtcDateTime(timezone=True), nullable=True))
    rounds = sa.table("rounds", sa.column("checkin_sent_at"), sa.column("digest_sent_at"))
    op.execute(rounds.update().where(rounds.c.checkin_sent_at.is_not(None))
               .values(digest_sent_at=rounds.c.checkin_sent_at))


def downgrade() -> None:
    op.drop_column("rounds", "digest_sent_at")
    op.drop_column("communities", "moments")
