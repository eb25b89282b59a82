"""check-in answers per partner

A check-in asks a trio's or group's reader about each partner: `checkin_answers` keeps one answer per (match,
reader, partner). The answers given before (one per reader and match, `match_members.outcome`) are copied to
each partner of that match, so /network, which now reads the answers per partner, says what it said before.
A downgrade drops the table; `match_members.outcome` still sums each reader's answers up.

Revision ID: b16d53f5cfcd
Revises: d4985582aa31
Create Date: 2026-12-02 22:14:03.199318

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "b16d53f5cfcd"
down_revision: str | None = "d4985582aa31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_answers",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("met", "planned", "not_met", name="outcome", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("answered_at", bot.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_checkin_answers_match_id_matches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["users.id"], name=op.f("fk_checkin_answers_partner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_checkin_answers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("match_id", "user_id", "partner_id", name=op.f("pk_checkin_answers")),
    )
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_answers_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_answers_user_id"), ["user_id"], unique=False)

    reader, partner = _seats().alias("reader"), _seats().alias("partner")
    answered = (
        sa.select(
            reader.c.match_id,
            reader.c.user_id,
            partner.c.user_id,
            reader.c.outcome,
            sa.func.coalesce(reader.c.checked_in_at, sa.func.current_timestamp()),
        )
        .join(partner, (partner.c.match_id == reader.c.match_id) & (partner.c.user_id != reader.c.user_id))
        .where(reader.c.outcome.is_not(None))
    )
    answers = sa.table(
        "checkin_answers",
        *(sa.column(name) for name in ("match_id", "user_id", "partner_id", "outcome", "answered_at")),
    )
    op.execute(answers.insert().from_select(["match_id", "user_id", "partner_id", "outcome", "answered_at"], answered))


def _seats() -> sa.TableClause:
    return sa.table("match_members", *(sa.column(name) for name in ("match_id", "user_id", "outcome", "checked_in_at")))


def downgrade() -> None:
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_answers_user_id"))
        batch_op.drop_index(batch_op.f("ix_checkin_answers_partner_id"))

    op.drop_table("checkin_answers")
