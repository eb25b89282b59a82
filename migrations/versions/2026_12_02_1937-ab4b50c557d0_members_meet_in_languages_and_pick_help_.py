"""members meet in languages and pick help topics from their community's catalogue

Users get the languages they can meet in and the help topic ids they offer and look for (NULL: an older
profile never asked; the bot then assumes their interface language and no topics, and asks them once,
`topics_asked_at`). Communities get their own catalogue of help topics; every existing community is given the
default set (`bot.domain.topics.DEFAULT_TOPICS`, as of this upgrade). Downgrading drops the answers and the
catalogues.

Revision ID: ab4b50c557d0
Revises: 8632e866479d
Create Date: 2026-12-02 19:37:57.236344

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base
from bot.domain.topics import default_catalogue

revision: str = "ab4b50c557d0"
down_revision: str | None = "8632e866479d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("help_topics", sa.JSON(), nullable=True))
    communities = sa.table("communities", sa.column("help_topics", sa.JSON()))
    op.execute(communities.update().values(help_topics=default_catalogue()))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("offer_topics", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("need_topics", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("topics_asked_at", bot.db.base.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("topics_asked_at")
        batch_op.drop_column("need_topics")
        batch_op.drop_column("offer_topics")
        batch_op.drop_column("languages")

    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("help_topics")
