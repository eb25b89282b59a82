"""community intro note and archiving

Revision ID: f25df7bf2bd5
Revises: 4435bbf7fb46
Create Date: 2026-12-03 05:47:32.662018

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "f25df7bf2bd5"
down_revision: str | None = "4435bbf7fb46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intro_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("archived_at", bot.db.base.UtcDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("intro_note")

