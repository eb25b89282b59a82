"""one-time admin invites

/admins makes a link that turns whoever opens it first, before it expires, into an admin of the community.

Revision ID: 0d2e86dfab7a
Revises: ab4b50c557d0
Create Date: 2026-12-02 20:02:12.205493

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0d2e86dfab7a"
down_revision: str | None = "ab4b50c557d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("used_at", bot.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_admin_invites_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_admin_invites_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_admin_invites_used_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_admin_invites_code")),
    )
    with op.batch_alter_table("admin_invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_invites_community_id"), ["community_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_invites_community_id"))

    op.drop_table("admin_invites")
