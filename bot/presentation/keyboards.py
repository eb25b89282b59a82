"""Inline keyboards built from catalog texts and typed callback data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.db.models import (
    CHECKIN_REASONS,
    Community,
    Frequency,
    Meetup,
    MeetupGroup,
    Membership,
    NoMeetingReason,
    Outcome,
    User,
)
from bot.domain.meetups import Rsvp
from bot.domain.membership import PAUSE_CHOICES
from bot.domain.profile import OFFSET_CHOICES, Step, TimeZoneAnswer, offset_name
from bot.domain.schedule import GROUP_SIZE_CHOICES, REMINDER_CHOICES, SCHEDULE_FIELDS, TIME_CHOICES
from bot.domain.topics import MEETING_LANGUAGES, HelpTopic
from bot.domain.zones import COMMON_ZONES
from bot.presentation.admin_views import MemberRow
from bot.presentation.callbacks import (
    ALL_COMMUNITIES,
    AdminsCb,
    BlockCb,
    CantMakeItCb,
    CheckinAboutCb,
    CheckinCb,
    DeleteCb,
    DismissCb,
    ErasedBansCb,
    FollowUpCb,
    FormGroupsCb,
    GroupPlaceCb,
    JoinCb,
    LanguageCb,
    LeaveCb,
    MatchNowCb,
    MeetupAnswersCb,
    MeetupConnectCb,
    MeetupRateCb,
    MemberCb,
    MembersCb,
    MembersSearchCb,
    NewQuestionsCb,
    NoReasonCb,
    PauseCb,
    ProfileEditCb,
    QuestionCb,
    RateCb,
    ReplaceCb,
    ResumeCb,
    RsvpCb,
    ScheduleCb,
    TopicCb,
    WizardCb,
)
from bot.presentation.render import name_of, round_shape, step_label, tag_label
from bot.presentation.texts import LANGUAGES, Texts


def keep_name(texts: Texts, name: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.label("q.name.keep", name=name), callback_data=QuestionCb(action="keep"))
    return builder.as_markup()


def question(
    texts: Texts, markup: InlineKeyboardMarkup | None, step: Step, *, back: bool, keep: bool
) -> InlineKeyboardMarkup | None:
    """A question's own buttons, then "Keep the current answer" (when it has one) and "Back" (but on the first)."""
    rows = list(markup.inline_keyboard) if markup is not None else []
    if keep:
        rows.append([_button(texts.label("q.keep_answer"), QuestionCb(action="keep_answer", value=step.value))])
    if back:
        rows.append([_button(texts.label("q.back"), QuestionCb(action="back", value=step.value))])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def interests(texts: Texts, options: Sequence[str], chosen: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, tag in enumerate(options):
        mark = "✅ " if tag in chosen else ""
        builder.button(text=f"{mark}{tag_label(texts, tag)}", callback_data=QuestionCb(action="tag", value=str(index)))
    builder.adjust(2)
    builder.row()
    done = InlineKeyboardBuilder()
    done.button(text=texts("q.interests.done"), callback_data=QuestionCb(action="done"))
    builder.attach(done)
    return builder.as_markup()


def meeting_format(texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in ("online", "offline", "any"):
        builder.button(text=texts(f"q.format.{value}"), callback_data=QuestionCb(action="fmt", value=value))
    builder.adjust(1)
    return builder.as_markup()


def timezones(suggestion: TimeZoneAnswer | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if suggestion is not None:
        label = f"🕒 {suggestion.name} ({offset_name(suggestion.utc_offset)})"
        builder.button(text=label, callback_data=QuestionCb(action="tzname", value=suggestion.name))
    for minutes in OFFSET_CHOICES:
        builder.button(text=offset_name(minutes)[:6], callback_data=QuestionCb(action="tz", value=str(minutes)))
    builder.adjust(*([1] if suggestion else []), 5)
    return builder.as_markup()


def contact(texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("q.contact.telegram"), callback_data=QuestionCb(action="tglink"))
    return builder.as_markup()


def preview(texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("preview.confirm"), callback_data=QuestionCb(action="confirm"))
    builder.button(text=texts("preview.edit"), callback_data=QuestionCb(action="edit"))
    return builder.as_markup()


def edit_fields(texts: Texts, steps: Sequence[Step], *, in_questionnaire: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for step in steps:
        data = (QuestionCb(action="field", value=step.value) if in_questionnaire
                else ProfileEditCb(field=step.value))
        builder.button(text=step_label(texts, step), callback_data=data)
    builder.adjust(2)
    return builder.as_markup()


def existing_profile(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("join.use_as_is"), callback_data=JoinCb(action="asis", community_id=community_id))
    builder.button(text=texts("join.edit"), callback_data=JoinCb(action="edit", community_id=community_id))
    return builder.as_markup()


def community_scope(
    texts: Texts, memberships: Sequence[Membership], make: type[PauseCb] | type[ResumeCb]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for membership in memberships:
        builder.button(text=membership.community.name, callback_data=make(community_id=membership.community_id))
    builder.button(text=texts("scope.all"), callback_data=make(community_id=ALL_COMMUNITIES))
    builder.adjust(1)
    return builder.as_markup()


def pause_lengths(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for length in PAUSE_CHOICES:
        builder.button(text=texts(f"pause.days_{length.days}"),
                       callback_data=PauseCb(community_id=community_id, days=length.days))
    builder.adjust(2)
    return builder.as_markup()


def leave_choices(memberships: Sequence[Membership]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for membership in memberships:
        builder.button(text=membership.community.name, callback_data=LeaveCb(community_id=membership.community_id))
    builder.adjust(1)
    return builder.as_markup()


def leave_confirm(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("leave.yes"), callback_data=LeaveCb(community_id=community_id, confirmed=True))
    builder.button(text=texts("common.no"), callback_data=DismissCb(what="leave"))
    return builder.as_markup()


def delete_confirm(texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("delete.yes"), callback_data=DeleteCb(confirmed=True))
    builder.button(text=texts("common.no"), callback_data=DismissCb(what="delete"))
    return builder.as_markup()


def languages() -> InlineKeyboardMarkup:
    names = {"en": "English", "ru": "Русский"}
    builder = InlineKeyboardBuilder()
    for code in LANGUAGES:
        builder.button(text=names[code], callback_data=LanguageCb(code=code))
    return builder.as_markup()


def url_button(text: str, url: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=text, url=url)
    return builder.as_markup()


def checkin(texts: Texts, match_id: int, partners: Sequence[User]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for outcome in Outcome:
        builder.button(text=texts(f"checkin.{outcome.value}"), callback_data=CheckinCb(match_id=match_id,
                                                                                      answer=outcome.value))
    for partner in partners:
        builder.button(text=texts.label("checkin.block", name=name_of(partner)),
                       callback_data=BlockCb(match_id=match_id, partner_id=partner.id))
    builder.adjust(1)
    return builder.as_markup()


def checkin_about(texts: Texts, match_id: int, partner: User) -> InlineKeyboardMarkup:
    """A trio's or group's check-in about one partner: a pair's answers, and not being matched with them again."""
    builder = InlineKeyboardBuilder()
    for outcome in Outcome:
        builder.button(text=texts(f"checkin.{outcome.value}"),
                       callback_data=CheckinAboutCb(match_id=match_id, partner_id=partner.id, answer=outcome.value))
    builder.button(text=texts.label("checkin.block", name=name_of(partner)),
                   callback_data=BlockCb(match_id=match_id, partner_id=partner.id))
    builder.adjust(1)
    return builder.as_markup()


def star_rating(make: Callable[[int], CallbackData]) -> InlineKeyboardMarkup:
    """⭐ … ⭐⭐⭐⭐⭐ in one row; `make` turns a number of stars into the button's callback data."""
    builder = InlineKeyboardBuilder()
    for stars in range(1, 6):
        builder.button(text="⭐" * stars, callback_data=make(stars))
    builder.adjust(5)
    return builder.as_markup()


def ratings(match_id: int) -> InlineKeyboardMarkup:
    return star_rating(lambda stars: RateCb(match_id=match_id, stars=stars))


def no_reasons(texts: Texts, match_id: int, group: bool = False) -> InlineKeyboardMarkup:
    """Why the meeting did not happen; in a trio or group "they didn't answer" instead of "my partner …"."""
    builder = InlineKeyboardBuilder()
    for reason in CHECKIN_REASONS:
        key = "no_answer_group" if group and reason is NoMeetingReason.NO_ANSWER else reason.value
        builder.button(text=texts(f"checkin.reason.{key}"),
                       callback_data=NoReasonCb(match_id=match_id, reason=reason.value))
    builder.adjust(1)
    return builder.as_markup()


def after_rating(texts: Texts, match_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("checkin.follow_up"), callback_data=FollowUpCb(match_id=match_id))
    builder.button(text=texts("checkin.skip_comment"), callback_data=DismissCb(what="comment"))
    builder.adjust(1)
    return builder.as_markup()


def resume_button(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("noshow.resume"), callback_data=ResumeCb(community_id=community_id))
    return builder.as_markup()


def cant_make_it(texts: Texts, match_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("intro.cant_make_it"), callback_data=CantMakeItCb(match_id=match_id))
    return builder.as_markup()


def replacement(texts: Texts, match_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("blocked.find_new"), callback_data=ReplaceCb(match_id=match_id))
    return builder.as_markup()


def rsvp(texts: Texts, meetup_id: int, chosen: Rsvp | None = None,
         answers: tuple[int, int, int] | None = None) -> InlineKeyboardMarkup:
    """Yes / maybe / no, the reader's own answer marked; with `answers` (yes, maybe, no counts) the organiser's
    button to the list of who answered."""
    builder = InlineKeyboardBuilder()
    for answer, key in ((Rsvp.YES, "meetup.yes"), (Rsvp.MAYBE, "meetup.maybe"), (Rsvp.NO, "meetup.no")):
        label = texts.label(key)
        builder.button(text=texts.label("meetup.chosen", label=label) if answer is chosen else label,
                       callback_data=RsvpCb(meetup_id=meetup_id, answer=answer.value))
    if answers is not None:
        builder.button(text=texts.label("meetup.rsvps_button", yes=answers[0], maybe=answers[1], no=answers[2]),
                       callback_data=MeetupAnswersCb(meetup_id=meetup_id))
    builder.adjust(3, 1)
    return builder.as_markup()


def meetup_answers(texts: Texts, meetup_id: int, counts: tuple[int, int, int]) -> InlineKeyboardMarkup:
    """An organiser's meetup they are not a member of: only the list of answers."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.label("meetup.rsvps_button", yes=counts[0], maybe=counts[1], no=counts[2]),
                   callback_data=MeetupAnswersCb(meetup_id=meetup_id))
    return builder.as_markup()


def answer_pages(meetup_id: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀️ / ▶️ through the pages of a meetup's answers (`page` counts from 0)."""
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text="◀️", callback_data=MeetupAnswersCb(meetup_id=meetup_id, page=page - 1))
    if page + 1 < pages:
        builder.button(text="▶️", callback_data=MeetupAnswersCb(meetup_id=meetup_id, page=page + 1))
    return builder.as_markup() if page > 0 or page + 1 < pages else None


def meetup_rating(group_id: int) -> InlineKeyboardMarkup:
    return star_rating(lambda stars: MeetupRateCb(group_id=group_id, stars=stars))


def meetup_connections(
    texts: Texts, group_id: int, others: Sequence[User], connected: set[int]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for other in others:
        mark = "✅ " if other.id in connected else ""
        builder.button(text=f"{mark}{name_of(other)}", callback_data=MeetupConnectCb(group_id=group_id,
                                                                                    other_id=other.id))
    builder.adjust(2)
    done = InlineKeyboardBuilder()
    done.button(text=texts("q.interests.done"), callback_data=MeetupConnectCb(group_id=group_id, other_id=0))
    builder.attach(done)
    return builder.as_markup()


def schedule_menu(texts: Texts, community_id: int, field: str) -> InlineKeyboardMarkup:
    """The /schedule keyboard: the fields to change, or the choices for one field."""
    builder = InlineKeyboardBuilder()
    choices: list[tuple[str, str]] = []
    if field == "weekday":
        choices = [(texts(f"weekday.{day}"), str(day)) for day in range(7)]
    elif field == "time":
        choices = [(f"{hour:02d}:{minute:02d}", f"{hour:02d}{minute:02d}") for hour, minute in TIME_CHOICES]
    elif field == "zone":
        choices = [(zone, zone) for zone in COMMON_ZONES]
    elif field == "frequency":
        choices = [(texts(f"frequency.{f.value}"), f.value) for f in Frequency]
    elif field == "groupsize":
        choices = [(round_shape(texts, size), str(size)) for size in GROUP_SIZE_CHOICES]
    elif field == "reminder":
        choices = [(texts.label("schedule.reminder_days", days=days), str(days)) for days in REMINDER_CHOICES]
    else:
        for name in SCHEDULE_FIELDS:
            builder.button(text=texts(f"schedule.change_{name}"),
                           callback_data=ScheduleCb(community_id=community_id, field=name))
    for label, value in choices:
        builder.button(text=label, callback_data=ScheduleCb(community_id=community_id, field=field, value=value))
    builder.adjust(2 if choices else 1)
    return builder.as_markup()


def confirm_match_now(texts: Texts, community_id: int, stamp: int) -> InlineKeyboardMarkup:
    """`stamp` names the extra round this confirmation asks for: pressing it twice makes one round."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("matchnow.yes"),
                   callback_data=MatchNowCb(community_id=community_id, confirmed=True, stamp=stamp))
    return builder.as_markup()


def pick_community(texts: Texts, communities: Sequence[Community],
                   make: Callable[[int], CallbackData]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for community in communities:
        builder.button(text=community.name, callback_data=make(community.id))
    builder.adjust(1)
    return builder.as_markup()


def grid(buttons: Iterable[tuple[str, CallbackData]], columns: int = 1) -> InlineKeyboardMarkup:
    """Buttons given as (label, callback data), `columns` to a row."""
    builder = InlineKeyboardBuilder()
    for label, data in buttons:
        builder.button(text=label, callback_data=data)
    builder.adjust(columns)
    return builder.as_markup()


MEETUP_SIZES = (4, 6, 8, 10, 20, 30)
MEETUP_NOTICE_HOURS = (1, 24, 48)
MEETUP_WIZARD_COLUMNS = {"format": 2, "place": 1, "mode": 1}  # the other steps: 3 to a row


def meetup_wizard_choices(texts: Texts, step: str) -> list[tuple[str, str]]:
    """The buttons of one /session wizard step as (label, value); none for the steps answered by typing."""
    choices: dict[str, list[tuple[str, str]]] = {
        "size": [(str(size), str(size)) for size in MEETUP_SIZES],
        "format": [(texts("meetup.online"), "online"), (texts("meetup.offline"), "offline")],
        "place": [(texts("meetup.skip_place"), "")],
        "deadline": [(texts(f"meetup.deadline_{hours}"), str(hours)) for hours in MEETUP_NOTICE_HOURS],
        "mode": [(texts("meetup.mixed"), "mixed"), (texts("meetup.by_interest"), "interest")],
    }
    return choices.get(step, [])


def meetup_wizard(texts: Texts, step: str) -> InlineKeyboardMarkup | None:
    """The keyboard of one /session wizard step; None where the answer is typed."""
    choices = meetup_wizard_choices(texts, step)
    if not choices:
        return None
    return grid(((label, WizardCb(step=step, value=value)) for label, value in choices),
                MEETUP_WIZARD_COLUMNS.get(step, 3))


def meetups_to_form(meetups: Sequence[Meetup]) -> InlineKeyboardMarkup:
    """/formgroups: one button per open meetup."""
    return grid((meetup.title, FormGroupsCb(meetup_id=meetup.id)) for meetup in meetups)


def group_places(texts: Texts, groups: Sequence[MeetupGroup]) -> InlineKeyboardMarkup:
    """After forming: a "set the place" button per group."""
    return grid(((texts.label("meetup.set_place", number=group.number), GroupPlaceCb(group_id=group.id))
                 for group in groups), 3)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


MEMBER_MARKS = {"paused": "⏸ ", "left": "⛔ "}  # only banned people are listed with status left


def members_page(texts: Texts, community_id: int, rows: Sequence[MemberRow], page: int, pages: int,
                 query: str, erased_bans: int = 0) -> InlineKeyboardMarkup:
    """/members: a button per member on the page (two to a row), previous / next, search or everyone, and
    lifting the bans of people who erased their data, if there are any."""
    people = [_button(MEMBER_MARKS.get(membership.status.value, "") + name_of(membership.user),
                      MemberCb(community_id=community_id, user_id=membership.user_id, page=page, query=query))
              for membership, _ in rows]
    keyboard = [people[index:index + 2] for index in range(0, len(people), 2)]
    turn = [_button(texts.label(key), MembersCb(community_id=community_id, page=to, query=query))
            for key, to, shown in (("members.prev", page - 1, page > 0), ("members.next", page + 1, page + 1 < pages))
            if shown]
    search = [_button(texts.label("members.search"), MembersSearchCb(community_id=community_id))]
    if query:
        search.append(_button(texts.label("members.show_all"), MembersCb(community_id=community_id)))
    lift = [_button(texts.label("members.lift_erased_bans", count=erased_bans),
                    ErasedBansCb(community_id=community_id))] if erased_bans else []
    return InlineKeyboardMarkup(inline_keyboard=[row for row in (*keyboard, turn, search, lift) if row])


def lift_erased_bans_confirm(texts: Texts, community_id: int, count: int) -> InlineKeyboardMarkup:
    return grid([(texts.label("members.yes_lift", count=count), ErasedBansCb(community_id=community_id,
                                                                             confirmed=True)),
                 (texts.label("members.cancel"), MembersCb(community_id=community_id))], 2)


def member_actions(texts: Texts, community_id: int, user_id: int, actions: Sequence[str], page: int,
                   query: str) -> InlineKeyboardMarkup:
    """A member's card: the actions that apply to them now, and back to the list page they came from."""
    buttons = [(texts.label(f"members.{action}"), MemberCb(community_id=community_id, user_id=user_id,
                                                          action=action, page=page, query=query))
               for action in actions]
    back = (texts.label("members.back"), MembersCb(community_id=community_id, page=page, query=query))
    return grid([*buttons, back], 1 if len(buttons) < 3 else 2)


def member_confirm(texts: Texts, community_id: int, user_id: int, action: str, page: int,
                   query: str) -> InlineKeyboardMarkup:
    """Confirm removing or banning a member; "no" goes back to their card."""
    def to(act: str, confirmed: bool) -> MemberCb:
        return MemberCb(community_id=community_id, user_id=user_id, action=act, confirmed=confirmed, page=page,
                        query=query)

    return grid([(texts.label(f"members.yes_{action}"), to(action, True)),
                 (texts.label("members.cancel"), to("", False))], 2)


def multi_select(options: Iterable[tuple[str, bool, CallbackData]], done: tuple[str, CallbackData],
                 columns: int = 2) -> InlineKeyboardMarkup:
    """Toggle buttons (label, chosen, data), ✅ on the chosen ones, `columns` to a row, and a done button below."""
    builder = InlineKeyboardBuilder()
    for label, chosen, data in options:
        builder.button(text=f"✅ {label}" if chosen else label, callback_data=data)
    builder.adjust(columns)
    done_row = InlineKeyboardBuilder()
    done_row.button(text=done[0], callback_data=done[1])
    builder.attach(done_row)
    return builder.as_markup()


def help_topics(texts: Texts, step: Step, options: Sequence[HelpTopic],
                chosen: Sequence[str]) -> InlineKeyboardMarkup:
    """"I can help with" / "I'm looking for": the catalogue's topics in the reader's language; done (or "none
    of these" while nothing is chosen)."""
    done = texts.label("q.interests.done" if chosen else "q.topics.none_fit")
    return multi_select(((topic.label(texts.language), topic.id in chosen, TopicCb(step=step.value, index=index))
                         for index, topic in enumerate(options)), (done, QuestionCb(action="topics")))


def meeting_languages(texts: Texts, chosen: Sequence[str]) -> InlineKeyboardMarkup:
    return multi_select(((name, code in chosen, QuestionCb(action="lang", value=code))
                         for code, name in MEETING_LANGUAGES.items()),
                        (texts.label("q.interests.done"), QuestionCb(action="langs")))


def new_questions(texts: Texts) -> InlineKeyboardMarkup:
    return grid([(texts.label("newq.add"), NewQuestionsCb(add=True)),
                 (texts.label("newq.later"), NewQuestionsCb(add=False))], 1)


def admins_menu(texts: Texts, community_id: int, removable: Sequence[User]) -> InlineKeyboardMarkup:
    """/admins: a new one-time admin link, and a button per co-admin who may be removed."""
    buttons: list[tuple[str, CallbackData]] = [
        (texts.label("admins.invite"), AdminsCb(community_id=community_id, action="invite"))]
    buttons += [(texts.label("admins.remove", name=name_of(person)),
                 AdminsCb(community_id=community_id, action="remove", user_id=person.id)) for person in removable]
    return grid(buttons)


def admin_remove_confirm(texts: Texts, community_id: int, user_id: int) -> InlineKeyboardMarkup:
    return grid([(texts.label("admins.yes_remove"),
                  AdminsCb(community_id=community_id, action="remove", user_id=user_id, confirmed=True)),
                 (texts.label("members.cancel"), AdminsCb(community_id=community_id))], 2)


def join_as_member(texts: Texts, community_id: int) -> InlineKeyboardMarkup:
    """Under /newcommunity's answer: the creator may take part in their own community's rounds too."""
    return grid([(texts.label("admin.join_as_member"), JoinCb(action="member", community_id=community_id))])


def continue_profile(texts: Texts) -> InlineKeyboardMarkup:
    """Under /start when the person's profile is not finished."""
    return grid([(texts.label("start.continue_profile"), JoinCb(action="resume", community_id=0))])
