"""/settings for admins, in the private chat: the name (as /rename), the description shown on joining, the
organisers' note added to every intro, the interest tags and help topics (add, rename, remove, move), archive /
bring back, delete.

Rights are checked on /settings, on every typed answer and on every press (a forged or another community's button
is refused). A button for one tag or topic carries its place and fingerprint: once the list changed, it is out of
date. Typed answers wait in an FSM state with /cancel and /help; anything but text gets a clear answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain import community_settings as rules
from bot.domain.community_settings import Setting
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin import rename
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, help_mid_way, stale_button
from bot.presentation import settings_views as views
from bot.presentation.settings_views import SettingsCb
from bot.presentation.texts import Html, Texts
from bot.scheduler import RoundScheduler
from bot.services import communities, settings

COMMUNITY, WHAT, POSITION, MARK = "settings_community", "settings_what", "settings_position", "settings_mark"


class EditingSettings(StatesGroup):
    text = State()


@dataclass
class Press:
    """A pressed settings button whose community the presser runs (checked)."""

    query: CallbackQuery
    data: SettingsCb
    bot: Bot
    state: FSMContext
    session: AsyncSession
    user: User
    texts: Texts
    community: Community
    group_rights: GroupAdminCheck
    scheduler: RoundScheduler | None
    answered: bool = False  # the press was answered before slow work (a press is answered once)

    async def show(self, text: Html, markup: InlineKeyboardMarkup | None = None) -> None:
        if not self.answered:
            await edit_or_send(self.query, self.bot, text, markup)
        elif isinstance(self.query.message, Message):
            await self.query.message.edit_text(text, reply_markup=markup)
        else:
            await self.bot.send_message(self.query.from_user.id, text, reply_markup=markup)


# --- the menu -----------------------------------------------------------------------------------------------------


def _menu(texts: Texts, community: Community, user: User) -> tuple[Html, InlineKeyboardMarkup]:
    return (views.menu_text(texts, community, len(settings.topics_of(community))),
            views.menu(texts, community, rules.may_delete(community.owner_id, user.id)))


async def settings_command(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                           group_rights: GroupAdminCheck) -> None:
    async def show(community: Community) -> None:
        text, markup = _menu(texts, community, user)
        await message.answer(text, reply_markup=markup)

    await state.set_state(None)
    await with_community(message, session, group_rights, user, texts, lambda cid: SettingsCb(community_id=cid), show)


async def _show_menu(press: Press) -> None:
    await press.state.set_state(None)
    await press.show(*_menu(press.texts, press.community, press.user))


# --- typed settings: asking -----------------------------------------------------------------------------------------


async def _await(press: Press, what: Setting, position: int = -1, mark: str = "") -> None:
    await press.state.set_state(EditingSettings.text)
    await press.state.update_data({COMMUNITY: press.community.id, WHAT: what.value, POSITION: position, MARK: mark})


async def _ask_name(press: Press) -> None:
    await _await(press, Setting.NAME)
    await press.show(press.texts("settings.ask_name", community=press.community.name, limit=communities.NAME_LIMIT),
                     views.asking(press.texts, press.community.id, None))


async def _ask_description(press: Press) -> None:
    await _await(press, Setting.DESCRIPTION)
    current = press.community.description
    await press.show(press.texts("settings.ask_description", community=press.community.name,
                                 limit=rules.DESCRIPTION_LIMIT),
                     views.asking(press.texts, press.community.id, views.CLEAR_DESCRIPTION if current else None))


async def _ask_note(press: Press) -> None:
    await _await(press, Setting.NOTE)
    current = press.community.intro_note
    await press.show(press.texts("settings.ask_note", community=press.community.name, limit=rules.NOTE_LIMIT),
                     views.asking(press.texts, press.community.id, views.CLEAR_NOTE if current else None))


async def _clear_description(press: Press) -> None:
    await settings.set_description(press.session, press.community, "")
    await press.state.set_state(None)
    text, markup = _menu(press.texts, press.community, press.user)
    await press.show(Html(f"{press.texts('settings.description_cleared')}\n\n{text}"), markup)


async def _clear_note(press: Press) -> None:
    await settings.set_note(press.session, press.community, None)
    await press.state.set_state(None)
    text, markup = _menu(press.texts, press.community, press.user)
    await press.show(Html(f"{press.texts('settings.note_cleared')}\n\n{text}"), markup)


# --- tags and topics ----------------------------------------------------------------------------------------------


def _tags_view(texts: Texts, community: Community) -> tuple[Html, InlineKeyboardMarkup]:
    tags = community.tags
    return (texts("settings.tags", community=community.name, count=len(tags)),
            views.items(texts, community.id, views.tag_labels(texts, tags), views.tag_marks(tags), topics=False))


def _topics_view(texts: Texts, community: Community) -> tuple[Html, InlineKeyboardMarkup]:
    topics = settings.topics_of(community)
    return (texts("settings.topics", community=community.name, count=len(topics)),
            views.items(texts, community.id, [topic.label(texts.language) for topic in topics],
                        [rules.fingerprint(topic.id) for topic in topics], topics=True))


async def _list(press: Press, topics: bool, notice: Html | None = None) -> None:
    await press.state.set_state(None)
    text, markup = (_topics_view if topics else _tags_view)(press.texts, press.community)
    await press.show(Html(f"{notice}\n\n{text}") if notice else text, markup)


def _ids(community: Community, topics: bool) -> list[str]:
    return [topic.id for topic in settings.topics_of(community)] if topics else list(community.tags)


def _label(texts: Texts, community: Community, value: str, topics: bool) -> str:
    if topics:
        return next(topic.label(texts.language) for topic in settings.topics_of(community) if topic.id == value)
    return views.tag_labels(texts, [value])[0]


async def _pressed_item(press: Press, topics: bool) -> str | None:
    """The tag or topic id the button names, if it is still where the button says; else "out of date"."""
    found = rules.find(_ids(press.community, topics), press.data.position, press.data.mark)
    if found is None:
        await stale_button(press.query, press.texts)
    return found


async def _item(press: Press, topics: bool) -> None:
    value = await _pressed_item(press, topics)
    if value is None:
        return
    count = len(_ids(press.community, topics))
    await press.show(press.texts("settings.item", name=_label(press.texts, press.community, value, topics),
                                 position=press.data.position + 1, count=count),
                     views.item(press.texts, press.community.id, press.data.position, press.data.mark, count,
                                topics=topics))


async def _ask_add(press: Press, topics: bool) -> None:
    await _await(press, Setting.TOPIC_ADD if topics else Setting.TAG_ADD)
    await press.show(press.texts("settings.ask_add", limit=rules.ITEM_LIMIT),
                     views.asking(press.texts, press.community.id, None))


async def _ask_rename(press: Press, topics: bool) -> None:
    value = await _pressed_item(press, topics)
    if value is None:
        return
    await _await(press, Setting.TOPIC_RENAME if topics else Setting.TAG_RENAME, press.data.position, press.data.mark)
    await press.show(press.texts("settings.ask_rename", name=_label(press.texts, press.community, value, topics),
                                 limit=rules.ITEM_LIMIT),
                     views.asking(press.texts, press.community.id, None))


async def _remove(press: Press, topics: bool) -> None:
    value = await _pressed_item(press, topics)
    if value is None:
        return
    name = _label(press.texts, press.community, value, topics)
    if topics and len(settings.topics_of(press.community)) == 1:
        await press.query.answer(press.texts.label("settings.last_topic"), show_alert=True)
        return
    await press.query.answer()  # members' answers are rewritten next: the spinner stops now
    press.answered = True
    if topics:
        await settings.remove_topic(press.session, press.community, value)
    else:
        await settings.remove_tag(press.session, press.community, value)
    await _list(press, topics, press.texts("settings.removed", name=name))


async def _move(press: Press, topics: bool, step: int) -> None:
    if await _pressed_item(press, topics) is None:
        return
    if topics:
        await settings.move_topic(press.session, press.community, press.data.position, step)
    else:
        await settings.move_tag(press.session, press.community, press.data.position, step)
    await _list(press, topics)


# --- archive, delete ----------------------------------------------------------------------------------------------


async def _ask_archive(press: Press) -> None:
    if press.community.archived_at is not None:
        await stale_button(press.query, press.texts)
        return
    count = len(await settings.members_told(press.session, press.community))
    await press.show(press.texts("settings.archive_confirm", community=press.community.name, count=count),
                     views.confirm(press.texts, press.community.id, "settings.b_archive_yes", views.ARCHIVE_YES, count))


async def _archive(press: Press, archived: bool) -> None:
    told = await settings.set_archived(press.session, press.community, archived, utcnow())
    if told is None:  # a second press, or pressed after someone else did it
        await stale_button(press.query, press.texts)
        return
    if press.scheduler is not None:
        press.scheduler.sync(press.community)
    notice = press.texts("settings.archived" if archived else "settings.unarchived", community=press.community.name,
                         count=told)
    text, markup = _menu(press.texts, press.community, press.user)
    await press.show(Html(f"{notice}\n\n{text}"), markup)


async def _may_delete(press: Press) -> bool:
    """Deleting is the creator's (or, once the creator's account is gone, any admin's): others' presses (an old
    menu, forged data) get a clear alert."""
    if rules.may_delete(press.community.owner_id, press.user.id):
        return True
    await press.query.answer(press.texts.label("settings.delete_owner_only"), show_alert=True)
    return False


async def _ask_delete(press: Press) -> None:
    if not await _may_delete(press):
        return
    count = await settings.current_members(press.session, press.community)
    await press.show(press.texts("settings.delete_confirm", community=press.community.name, count=count),
                     views.confirm(press.texts, press.community.id, "settings.b_delete_yes", views.DELETE_YES, count))


async def _delete(press: Press) -> None:
    if not await _may_delete(press):
        return
    community = press.community
    name, community_id, chat_id, join_message = community.name, community.id, community.chat_id, \
        community.join_message_id
    told = await settings.delete_community(press.session, community)
    if press.scheduler is not None:
        press.scheduler.forget(community_id)
    if chat_id is not None and join_message is not None:  # the group's Join button would lead nowhere
        with contextlib.suppress(TelegramAPIError):
            await press.bot.delete_message(chat_id, join_message)
    await press.show(press.texts("settings.deleted", community=name, count=told))
    await command_menus.refresh(press.bot, press.session, press.group_rights, press.user)


Action = Callable[[Press], Awaitable[None]]
ACTIONS: dict[str, Action] = {
    "": _show_menu, views.MENU: _show_menu,
    views.NAME: _ask_name, views.DESCRIPTION: _ask_description, views.NOTE: _ask_note,
    views.CLEAR_DESCRIPTION: _clear_description, views.CLEAR_NOTE: _clear_note,
    views.TAGS: lambda press: _list(press, False), views.TOPICS: lambda press: _list(press, True),
    views.TAG: lambda press: _item(press, False), views.TOPIC: lambda press: _item(press, True),
    views.ADD_TAG: lambda press: _ask_add(press, False), views.ADD_TOPIC: lambda press: _ask_add(press, True),
    views.RENAME_TAG: lambda press: _ask_rename(press, False),
    views.RENAME_TOPIC: lambda press: _ask_rename(press, True),
    views.REMOVE_TAG: lambda press: _remove(press, False), views.REMOVE_TOPIC: lambda press: _remove(press, True),
    views.UP_TAG: lambda press: _move(press, False, -1), views.DOWN_TAG: lambda press: _move(press, False, 1),
    views.UP_TOPIC: lambda press: _move(press, True, -1), views.DOWN_TOPIC: lambda press: _move(press, True, 1),
    views.ARCHIVE: _ask_archive, views.ARCHIVE_YES: lambda press: _archive(press, True),
    views.UNARCHIVE: lambda press: _archive(press, False),
    views.DELETE: _ask_delete, views.DELETE_YES: _delete,
}


async def pressed(query: CallbackQuery, callback_data: SettingsCb, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck,
                  scheduler: RoundScheduler | None = None) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    action = ACTIONS.get(callback_data.action)
    if action is None:
        await stale_button(query, texts)
        return
    await action(Press(query, callback_data, bot, state, session, user, texts, community, group_rights, scheduler))


# --- typed answers ------------------------------------------------------------------------------------------------


async def typed(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                group_rights: GroupAdminCheck) -> None:
    data = await state.get_data()
    community_id, what = data.get(COMMUNITY), data.get(WHAT)
    community = await communities.administered(session, group_rights, user, community_id) \
        if isinstance(community_id, int) else None
    if community is None or what not in {setting.value for setting in Setting}:
        await state.set_state(None)
        await message.answer(texts("admin.not_admin"))
        return
    setting = Setting(what)
    raw = message.text or ""
    if setting is Setting.NAME:
        await _typed_name(message, bot, state, session, user, texts, community)
        return
    if setting in rules.LIMITS:
        answer = await _typed_text(session, texts, community, setting, rules.clean_text(raw))
    else:
        answer = await _typed_item(session, texts, community, setting, rules.clean_item(raw),
                                   data.get(POSITION), data.get(MARK))
    if answer is None:  # taken: back to what was changed
        await state.set_state(None)
        await _after_typed(message, texts, community, user, setting)
    else:
        await message.answer(answer)


async def _typed_name(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                      texts: Texts, community: Community) -> None:
    """The new name, cleaned as /rename cleans it; the linked group's Join message follows (see admin.rename)."""
    name = communities.clean_name(message.text or "")
    if not name:
        await message.answer(_problem(texts, rules.Problem.EMPTY, name, communities.NAME_LIMIT))
        return
    if communities.too_long(message.text or ""):  # clean_name would cut it: say so instead
        typed_name = communities.typed_name(message.text or "")
        await message.answer(_problem(texts, rules.Problem.TOO_LONG, typed_name, communities.NAME_LIMIT))
        return
    await state.set_state(None)
    done = await rename(bot, session, user, texts, community, name)
    text, markup = _menu(texts, community, user)
    await message.answer(Html(f"{done}\n\n{text}"), reply_markup=markup)


async def _typed_text(session: AsyncSession, texts: Texts, community: Community, setting: Setting,
                      value: str) -> Html | None:
    limit = rules.LIMITS[setting]
    problem = rules.text_problem(value, limit)
    if problem is not None:
        return _problem(texts, problem, value, limit)
    if setting is Setting.DESCRIPTION:
        await settings.set_description(session, community, value)
    else:
        await settings.set_note(session, community, value)
    return None


async def _typed_item(session: AsyncSession, texts: Texts, community: Community, setting: Setting, name: str,
                      position: object, mark: object) -> Html | None:
    topics = setting in (Setting.TOPIC_ADD, Setting.TOPIC_RENAME)
    if setting is Setting.TAG_ADD:
        problem = await settings.add_tag(session, community, name, views.tag_names(community.tags))
    elif setting is Setting.TOPIC_ADD:
        problem = await settings.add_topic(session, community, name, texts.language)
    else:
        value = rules.find(_ids(community, topics), position, mark) \
            if isinstance(position, int) and isinstance(mark, str) else None
        if value is None:
            return texts("settings.item_gone")
        problem = await settings.rename_topic(session, community, value, name, texts.language) if topics \
            else await settings.rename_tag(session, community, value, name,
                                           views.tag_names([tag for tag in community.tags if tag != value]))
    return None if problem is None else _problem(texts, problem, name, rules.ITEM_LIMIT)


def _problem(texts: Texts, problem: rules.Problem, value: str, limit: int) -> Html:
    return texts(f"settings.problem_{problem.value}", name=value, length=rules.length(value), limit=limit,
                 count=rules.MAX_ITEMS)


async def _after_typed(message: Message, texts: Texts, community: Community, user: User, setting: Setting) -> None:
    if setting in (Setting.TAG_ADD, Setting.TAG_RENAME):
        text, markup = _tags_view(texts, community)
    elif setting in (Setting.TOPIC_ADD, Setting.TOPIC_RENAME):
        text, markup = _topics_view(texts, community)
    else:
        text, markup = _menu(texts, community, user)
    await message.answer(Html(f"{texts('settings.saved')}\n\n{text}"), reply_markup=markup)


async def not_text(message: Message, texts: Texts) -> None:
    """A photo, sticker, voice, file… while a name or text is awaited: say what is possible, keep waiting."""
    await message.answer(texts("settings.text_only"))


async def cancel_typing(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.set_state(None)
    await message.answer(texts("settings.cancelled"))


async def help_while_typing(message: Message, texts: Texts) -> None:
    await help_mid_way(message, texts, texts("settings.goes_on"))


async def other_command(message: Message, state: FSMContext) -> None:
    """Another command while a text is awaited: stop waiting and let that command run."""
    await state.set_state(None)
    raise SkipHandler


def setup() -> Router:
    router = Router(name="admin_settings")
    private = F.chat.type == "private"
    command = F.text.startswith("/")
    router.message.register(cancel_typing, Command("cancel"), EditingSettings.text)
    router.message.register(help_while_typing, Command("help"), EditingSettings.text)
    router.message.register(settings_command, Command("settings"), private)
    router.message.register(other_command, EditingSettings.text, command)
    router.message.register(typed, EditingSettings.text, private, F.text, ~command)
    router.message.register(not_text, EditingSettings.text, private, ~F.text)
    router.callback_query.register(pressed, SettingsCb.filter())
    return router
