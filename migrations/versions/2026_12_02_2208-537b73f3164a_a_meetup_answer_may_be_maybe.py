"""a meetup answer may be maybe: meetup_rsvps.coming NULL means "maybe" (not placed in a group)

Revision ID: 537b73f3164a
Revises: 0d2e86dfab7a
Create Date: 2026-12-02 22:08:48.009162

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "537b73f3164a"
down_revision: str | None = "0d2e86dfab7a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetup_rsvps", schema=None) as batch_op:
        batch_op.alter_column("coming", existing_type=sa.BOOLEAN(), nullable=True)


def downgrade() -> None:
    # A "maybe" reads as "no" before this revision: it never put anyone in a group.
    op.execute(sa.text("UPDATE meetup_rsvps SET coming = :no WHERE coming IS NULL").bindparams(no=False))
    with op.batch_alter_table("meetup_rsvps", schema=None) as batch_op:
        batch_op.alter_column("coming", existing_type=sa.BOOLEAN(), nullable=False)
