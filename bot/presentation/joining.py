"""What a person is told on joining a community through an invite link."""

from __future__ import annotations

from bot.db.models import Community
from bot.domain.membership import JoinOutcome
from bot.presentation.texts import Html, Texts


def welcome(texts: Texts, community: Community, outcome: JoinOutcome) -> str:
    key = "start.already_member" if outcome is JoinOutcome.ALREADY else "start.welcome"
    text = texts(key, community=community.name)
    if community.description:
        text = Html(f"{text}\n\n{texts('start.description', description=community.description)}")
    if community.archived_at is not None:  # archived in /settings: no rounds for now
        text = Html(f"{text}\n\n{texts('start.archived', community=community.name)}")
    return text
