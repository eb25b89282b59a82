"""Members inside a round: check-in buttons, ratings, comments, blocks, follow-ups, replacements, /network."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import CHECKIN_REASONS, NoMeetingReason, Outcome, User
from bot.handlers.replies import edit_or_send, replace_buttons, stale_button
from bot.presentation import keyboards, moments, render
from bot.presentation.callbacks import (
    BlockCb,
    CantMakeItCb,
    CheckinAboutCb,
    CheckinCb,
    FollowUpCb,
    NoReasonCb,
    RateCb,
    ReplaceCb,
)
from bot.presentation.texts import Html, Texts, pack
from bot.services import checkins, replacements
from bot.services.checkins import Progress, Seat
from bot.services.replacements import Replacement

OUTCOMES = {outcome.value for outcome in Outcome}
NO_MEETING_REASONS = {reason.value for reason in CHECKIN_REASONS}


class CheckinComment(StatesGroup):
    waiting = State()


async def seat_or_stale(query: CallbackQuery, session: AsyncSession, user: User, match_id: int, texts: Texts,
                        *, valid: bool = True) -> Seat | None:
    """The presser's seat in the button's match when the button's choice is `valid`; otherwise None, and
    the stale-button alert."""
    seat = await checkins.seat_of(session, user, match_id) if valid else None
    if seat is None:
        await stale_button(query, texts)
    return seat


async def network(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    partners = await checkins.network(session, user)
    if not partners:
        await message.answer(texts("network.empty"))
        return
    zone = moments.zone_of(user, "UTC")  # the reader's own zone (several communities: no single other one)
    lines = [texts("network.line", date=moments.day(texts, p.met_on, zone), community=p.community,
                   name=render.name_of(p.partner),
                   contact=render.contact_line(texts, p.partner.username, p.partner.contact, p.partner.telegram_id))
             for p in partners]
    for part in pack([texts("network.header"), *lines]):
        await message.answer(part)


async def answered(query: CallbackQuery, callback_data: CheckinCb, bot: Bot, session: AsyncSession,
                   user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts,
                               valid=callback_data.answer in OUTCOMES)
    if seat is None:
        return
    if seat.in_group:  # a one-question check-in of a trio or group (sent before they asked about each person)
        await _next_about(query, bot, texts, seat, await checkins.progress_of(session, seat))
        return
    outcome = Outcome(callback_data.answer)
    if outcome is Outcome.NOT_MET:
        await edit_or_send(query, bot, texts("checkin.why_not"), keyboards.no_reasons(texts, seat.match.id))
        return
    await checkins.record_outcome(session, seat, outcome, utcnow())
    if outcome is Outcome.MET:
        await edit_or_send(query, bot, texts("checkin.rate", names=render.names(seat.partners)),
                           keyboards.ratings(seat.match.id))
    else:
        await edit_or_send(query, bot, texts("checkin.planned_reply"))


async def answered_about(query: CallbackQuery, callback_data: CheckinAboutCb, bot: Bot, session: AsyncSession,
                         user: User, texts: Texts) -> None:
    """A trio's or group's check-in: the answer about one partner, then the next partner, or what follows once
    everyone is answered. The presser must be in the match and the partner one the check-in asks about."""
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts,
                               valid=callback_data.answer in OUTCOMES)
    if seat is None:
        return
    progress = await checkins.answer_about(session, seat, callback_data.partner_id, Outcome(callback_data.answer),
                                           utcnow())
    if progress is None:
        await stale_button(query, texts)
        return
    await _next_about(query, bot, texts, seat, progress)


async def _next_about(query: CallbackQuery, bot: Bot, texts: Texts, seat: Seat, progress: Progress) -> None:
    """The question about the next partner; once all are answered, the answers and what a pair's answer leads
    to: a rating of the meetings that happened, a good wish for planned ones, or what went wrong."""
    if not progress.asked:
        await stale_button(query, texts)
    elif progress.waiting:
        await edit_or_send(query, bot, render.checkin_step(texts, progress.asked, progress.answers),
                           keyboards.checkin_about(texts, seat.match.id, progress.waiting[0]))
    else:
        answers = "\n".join(render.checkin_answers(texts, progress.asked, progress.answers))
        if progress.outcome is Outcome.MET:
            text, markup = texts("checkin.rate", names=render.names(progress.met)), keyboards.ratings(seat.match.id)
        elif progress.outcome is Outcome.PLANNED:
            text, markup = texts("checkin.planned_reply"), None
        else:
            text, markup = texts("checkin.why_not"), keyboards.no_reasons(texts, seat.match.id, group=True)
        await edit_or_send(query, bot, Html(f"{answers}\n\n{text}"), markup)


async def rated(query: CallbackQuery, callback_data: RateCb, bot: Bot, state: FSMContext,
                session: AsyncSession, user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts)
    if seat is None:
        return
    if not await checkins.rate(session, seat, callback_data.stars):
        await stale_button(query, texts)
        return
    await state.set_state(CheckinComment.waiting)
    await state.update_data(comment_match_id=seat.match.id)
    await edit_or_send(query, bot, texts("checkin.thanks_comment"), keyboards.after_rating(texts, seat.match.id))


async def comment(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts) -> None:
    match_id = (await state.get_data()).get("comment_match_id")
    seat = await checkins.seat_of(session, user, int(match_id or 0))
    await state.clear()
    if seat is None:
        await message.answer(texts("button.stale"))
        return
    await checkins.save_comment(session, seat, message.text or "")
    await message.answer(texts("checkin.comment_saved"))


async def why_not(query: CallbackQuery, callback_data: NoReasonCb, bot: Bot, session: AsyncSession,
                  user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts,
                               valid=callback_data.reason in NO_MEETING_REASONS)
    if seat is None:
        return
    if seat.in_group and seat.member.outcome is not Outcome.NOT_MET:  # asked only when they met nobody
        await stale_button(query, texts)
        return
    await checkins.report_not_met(session, seat, NoMeetingReason(callback_data.reason), utcnow())
    await edit_or_send(query, bot, texts("checkin.sorry"))


async def block(query: CallbackQuery, callback_data: BlockCb, bot: Bot, session: AsyncSession,
                user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts)
    if seat is None:
        return
    partner = await checkins.block_partner(session, seat, callback_data.partner_id)
    if partner is None:
        await stale_button(query, texts)
        return
    await query.answer(texts.label("checkin.blocked", name=render.name_of(partner)), show_alert=True)


async def follow_up(query: CallbackQuery, callback_data: FollowUpCb, bot: Bot, state: FSMContext,
                    session: AsyncSession, user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts)
    if seat is None:
        return
    await checkins.ask_follow_up(session, seat, utcnow())
    await state.clear()
    await edit_or_send(query, bot, texts("checkin.follow_up_set"))


async def cant_make_it(query: CallbackQuery, callback_data: CantMakeItCb, session: AsyncSession, user: User,
                       texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts)
    if seat is None:
        return
    if not await replacements.cant_make_it(session, seat, utcnow()):
        await stale_button(query, texts)
        return
    await query.answer(texts("cant.noted"), show_alert=True)
    await replace_buttons(query, None)


async def replace(query: CallbackQuery, callback_data: ReplaceCb, bot: Bot, session: AsyncSession,
                  user: User, texts: Texts) -> None:
    seat = await seat_or_stale(query, session, user, callback_data.match_id, texts)
    if seat is None:
        return
    outcome = await replacements.find_new_partner(session, seat)
    if outcome.status is Replacement.NOT_NEEDED:
        await stale_button(query, texts)
    elif outcome.partner is None:
        await edit_or_send(query, bot, texts("blocked.nobody_free"))
    else:
        await edit_or_send(query, bot, texts("blocked.found", name=render.name_of(outcome.partner)))


def setup() -> Router:
    router = Router(name="rounds")
    router.message.register(network, Command("network"), F.chat.type == "private")
    router.callback_query.register(answered, CheckinCb.filter())
    router.callback_query.register(answered_about, CheckinAboutCb.filter())
    router.callback_query.register(rated, RateCb.filter())
    router.message.register(comment, CheckinComment.waiting, F.text, ~F.text.startswith("/"))
    router.callback_query.register(why_not, NoReasonCb.filter())
    router.callback_query.register(block, BlockCb.filter())
    router.callback_query.register(follow_up, FollowUpCb.filter())
    router.callback_query.register(replace, ReplaceCb.filter())
    router.callback_query.register(cant_make_it, CantMakeItCb.filter())
    return router
