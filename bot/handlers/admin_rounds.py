"""Admin commands for rounds: /schedule, /matchnow, /checkin. Rights are checked on every call and press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CheckinNowCb, MatchNowCb, ScheduleCb
from bot.db.base import utcnow
from bot.db.models import Community, Frequency, User
from bot.delivery import DeliveryWorker
from bot.handlers.replies import edit_or_send
from bot.i18n import Html, Texts
from bot.scheduler import RoundScheduler
from bot.services import checkins, communities, rounds
from bot.services.schedule import TIME_CHOICES, Schedule, extra_period_key

REMINDER_CHOICES = (1, 2, 3, 4, 5)
GROUP_SIZE_CHOICES = (2, 3, 4, 5, 6, 7, 8)
CommunityPicker = Callable[[int], CallbackData]


async def admin_community(query: CallbackQuery, session: AsyncSession, bot: Bot, user: User, texts: Texts,
                          community_id: int) -> Community | None:
    community = await session.get(Community, community_id)
    if community is None or not await communities.is_admin(session, bot, community, user):
        await query.answer(texts("admin.not_admin"), show_alert=True)
        return None
    return community


async def pick_community(message: Message, session: AsyncSession, bot: Bot, user: User, texts: Texts,
                         make: CommunityPicker, on_single: Callable[[Community], Awaitable[None]]) -> None:
    administered = await communities.administered_by(session, bot, user)
    if not administered:
        await message.answer(texts("admin.none"))
    elif len(administered) == 1:
        await on_single(administered[0])
    else:
        builder = InlineKeyboardBuilder()
        for community in administered:
            builder.button(text=community.name, callback_data=make(community.id))
        builder.adjust(1)
        await message.answer(texts("admin.pick_community"), reply_markup=builder.as_markup())


def schedule_text(texts: Texts, community: Community) -> Html:
    schedule = Schedule.of(community)
    return texts("schedule.current", community=community.name, weekday=texts(f"weekday.{schedule.weekday}"),
                 time=f"{schedule.hour:02d}:{schedule.minute:02d}", timezone=schedule.timezone,
                 frequency=texts(f"frequency.{schedule.frequency.value}"),
                 next=schedule.next(utcnow()).strftime("%Y-%m-%d %H:%M"), reminder=community.reminder_days,
                 shape=round_shape(texts, community.round_group_size))


def schedule_keyboard(texts: Texts, community_id: int, field: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    choices: list[tuple[str, str]]
    if field == "weekday":
        choices = [(texts(f"weekday.{day}"), str(day)) for day in range(7)]
    elif field == "time":
        choices = [(f"{hour:02d}:{minute:02d}", f"{hour:02d}{minute:02d}") for hour, minute in TIME_CHOICES]
    elif field == "frequency":
        choices = [(texts(f"frequency.{f.value}"), f.value) for f in Frequency]
    elif field == "groupsize":
        choices = [(round_shape(texts, size), str(size)) for size in GROUP_SIZE_CHOICES]
    elif field == "reminder":
        choices = [(texts.label("schedule.reminder_days", days=days), str(days)) for days in REMINDER_CHOICES]
    else:
        choices = []
        for name in ("weekday", "time", "frequency", "groupsize", "reminder"):
            builder.button(text=texts(f"schedule.change_{name}"), callback_data=ScheduleCb(community_id=community_id,
                                                                                         field=name))
    for label, value in choices:
        builder.button(text=label, callback_data=ScheduleCb(community_id=community_id, field=field, value=value))
    builder.adjust(2 if choices else 1)
    return builder.as_markup()


def confirm_match_now(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("matchnow.yes"), callback_data=MatchNowCb(community_id=community_id, confirmed=True))
    return builder.as_markup()


def round_shape(texts: Texts, size: int) -> str:
    return texts.label("schedule.pairs") if size <= 2 else texts.label("schedule.groups_of", size=size)


def apply_schedule_choice(community: Community, field: str, value: str) -> bool:
    if field == "weekday" and value.isdigit() and int(value) < 7:
        community.schedule_weekday = int(value)
    elif field == "time" and value.isdigit() and (int(value[:2]), int(value[2:])) in TIME_CHOICES:
        community.schedule_hour, community.schedule_minute = int(value[:2]), int(value[2:])
    elif field == "frequency" and value in set(Frequency):
        community.frequency = Frequency(value)
    elif field == "groupsize" and value.isdigit() and int(value) in GROUP_SIZE_CHOICES:
        community.round_group_size = int(value)
    elif field == "reminder" and value.isdigit() and int(value) in REMINDER_CHOICES:
        community.reminder_days = int(value)
    else:
        return False
    return True


def setup() -> Router:
    router = Router(name="admin_rounds")
    router.message.filter(F.chat.type == "private")

    @router.message(Command("schedule"))
    async def schedule(message: Message, session: AsyncSession, bot: Bot, user: User, texts: Texts) -> None:
        async def show(community: Community) -> None:
            markup = schedule_keyboard(texts, community.id, "")
            await message.answer(schedule_text(texts, community), reply_markup=markup)

        await pick_community(message, session, bot, user, texts, lambda cid: ScheduleCb(community_id=cid), show)

    @router.callback_query(ScheduleCb.filter())
    async def schedule_choice(query: CallbackQuery, callback_data: ScheduleCb, bot: Bot, session: AsyncSession,
                              user: User, texts: Texts, scheduler: RoundScheduler | None = None) -> None:
        community = await admin_community(query, session, bot, user, texts, callback_data.community_id)
        if community is None:
            return
        field, value = callback_data.field, callback_data.value
        if field and not value:
            await edit_or_send(query, bot, schedule_text(texts, community),
                               schedule_keyboard(texts, community.id, field))
            return
        if field and not apply_schedule_choice(community, field, value):
            await query.answer(texts("button.stale"), show_alert=True)
            return
        if field:
            await session.commit()
            if scheduler is not None:
                scheduler.sync(community)
        await edit_or_send(query, bot, schedule_text(texts, community), schedule_keyboard(texts, community.id, ""))

    @router.message(Command("matchnow"))
    async def match_now(message: Message, session: AsyncSession, bot: Bot, user: User, texts: Texts) -> None:
        async def confirm(community: Community) -> None:
            await message.answer(texts("matchnow.confirm", community=community.name),
                                 reply_markup=confirm_match_now(texts, community.id))

        await pick_community(message, session, bot, user, texts, lambda cid: MatchNowCb(community_id=cid), confirm)

    @router.callback_query(MatchNowCb.filter())
    async def match_now_choice(query: CallbackQuery, callback_data: MatchNowCb, bot: Bot, session: AsyncSession,
                               user: User, texts: Texts, worker: DeliveryWorker | None = None) -> None:
        community = await admin_community(query, session, bot, user, texts, callback_data.community_id)
        if community is None:
            return
        if not callback_data.confirmed:
            await edit_or_send(query, bot, texts("matchnow.confirm", community=community.name),
                               confirm_match_now(texts, community.id))
            return
        now = utcnow()
        summary = await rounds.create_round(session, community, extra_period_key(now), now)
        if summary is None:
            await edit_or_send(query, bot, texts("matchnow.already"))
            return
        if worker is not None:
            worker.wake()
        await edit_or_send(query, bot, texts("matchnow.done", community=community.name, pairs=summary.pairs,
                                             trios=summary.trios, groups=summary.groups, left_out=summary.left_out))

    @router.message(Command("checkin"))
    async def checkin_now(message: Message, session: AsyncSession, bot: Bot, user: User, texts: Texts,
                          worker: DeliveryWorker | None = None) -> None:
        async def send(community: Community) -> None:
            await message.answer(await send_checkins_now(session, community, texts, worker))

        await pick_community(message, session, bot, user, texts, lambda cid: CheckinNowCb(community_id=cid), send)

    @router.callback_query(CheckinNowCb.filter())
    async def checkin_now_choice(query: CallbackQuery, callback_data: CheckinNowCb, bot: Bot,
                                 session: AsyncSession, user: User, texts: Texts,
                                 worker: DeliveryWorker | None = None) -> None:
        community = await admin_community(query, session, bot, user, texts, callback_data.community_id)
        if community is not None:
            await edit_or_send(query, bot, await send_checkins_now(session, community, texts, worker))

    return router


async def send_checkins_now(session: AsyncSession, community: Community, texts: Texts,
                            worker: DeliveryWorker | None) -> Html:
    latest = await rounds.latest_round(session, community)
    if latest is None:
        return texts("checkin_now.no_round")
    now = utcnow()
    latest.checkin_due_at, latest.checkin_sent_at = now, None
    await session.commit()
    sent = await checkins.send_due_checkins(session, now)
    if worker is not None:
        worker.wake()
    return texts("checkin_now.done", count=sent)
