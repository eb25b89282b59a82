"""memberships can be banned

A banned membership has status "left" and a `banned_at`: no invite link lets that person rejoin until an admin
unbans them. Downgrading forgets the bans (the memberships stay "left", so those people could rejoin).

Revision ID: 96f9d41cf275
Revises: 5dfdaa92ceb1
Create Date: 2026-12-02 19:03:28.270613

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "96f9d41cf275"
down_revision: str | None = "5dfdaa92ceb1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("banned_at", bot.db.base.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("banned_at")
