"""Message catalogs: en/ru parity, valid Telegram HTML, escaping, and every key the code uses exists."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from string import Formatter

import pytest

from bot.db.models import MeetingFormat, MembershipStatus
from bot.domain.membership import PAUSE_CHOICES
from bot.domain.profile import Step
from bot.presentation.command_menus import ADMIN_COMMANDS, GROUP_COMMANDS, MEMBER_COMMANDS
from bot.presentation.texts import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALES_DIR,
    Html,
    Texts,
    placeholders,
    plural_categories,
)
from bot.services.communities import DEFAULT_TAGS

from .support.fake_telegram import TelegramError, html_to_plain

BOT_DIR = Path(__file__).resolve().parents[1] / "bot"
EVIL = "<b>x</b> & <a href='y'>"
# Values that are allowed to be identical in every language (placeholders only, acronyms).
SAME_IN_ALL_LANGUAGES = {
    "start.description",
    "card.contact_username",
    "card.contact_text",
    "card.contact_none",
    "card.name_only",
    "network.line",
    "meetup.roster_line",
    "meetup.rsvps_line",
    "meetup.chosen",
    "moment",
    "admin.invite_line",
    "start.run_line",
    "delivery.line",
    "round.pairs",
    "round.trios",
    "tag.hr",
    "tag.it",
}
# Entities Telegram understands; anything else starting with "&" must be written as &amp;.
BARE_AMPERSAND = re.compile(r"&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)")
TAG = re.compile(r"<[^<>]*>")


def load(language: str) -> dict[str, str]:
    # Read the files directly (not the cached bot.i18n.catalog) and refuse duplicate keys.
    def no_duplicates(pairs: list[tuple[str, str]]) -> dict[str, str]:
        keys = [key for key, _ in pairs]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        assert not duplicates, f"{language}.json: duplicate keys {duplicates}"
        return dict(pairs)

    text = (LOCALES_DIR / f"{language}.json").read_text(encoding="utf-8")
    data = json.loads(text, object_pairs_hook=no_duplicates)
    assert all(isinstance(value, str) for value in data.values())
    return data


CATALOGS = {language: load(language) for language in LANGUAGES}
EN = CATALOGS[DEFAULT_LANGUAGE]
ALL_KEYS = [(language, key) for language in LANGUAGES for key in CATALOGS[language]]
PLURAL_SPEC = re.compile(r"\{\w+:(plural\.[\w.]+)\}")


def words(catalog: dict[str, str]) -> list[str]:
    """The catalog's keys with each plural word's forms (`plural.day#one`, `#few`, …) as one `plural.day`."""
    keys = [key.split("#")[0] for key in catalog]
    return [key for index, key in enumerate(keys) if index == 0 or keys[index - 1] != key]


def dummy_values(template: str, value: str = "x") -> dict[str, str]:
    return {name: value for name in placeholders(template)}


# --- catalog parity ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_same_keys_in_same_order(language: str) -> None:
    other, english = words(CATALOGS[language]), words(EN)
    assert sorted(set(english) - set(other)) == [], f"missing in {language}.json"
    assert sorted(set(other) - set(english)) == [], f"not in en.json (typo or stale key) in {language}.json"
    assert other == english, "keys are in a different order than en.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_words_have_every_form_of_the_language(language: str) -> None:
    """A plural word has exactly the forms the language's plural rule can ask for (CLDR, from Babel), and every
    `{count:plural.word}` in a template names a word that exists."""
    catalog = CATALOGS[language]
    forms: dict[str, set[str]] = {}
    for key in catalog:
        if "#" in key:
            word, category = key.split("#")
            forms.setdefault(word, set()).add(category)
    assert forms and all(word.startswith("plural.") for word in forms)
    assert {word: sorted(found) for word, found in forms.items() if found != plural_categories(language)} == {}
    used = {spec for template in catalog.values() for spec in PLURAL_SPEC.findall(template)}
    used_anywhere = {spec for other in CATALOGS.values() for template in other.values()
                     for spec in PLURAL_SPEC.findall(template)}
    assert sorted(used - set(forms)) == [], "unknown plural words"
    assert sorted(set(forms) - used_anywhere) == [], "plural words no template uses"


@pytest.mark.parametrize(("language", "count", "category"), [
    ("en", 1, "one"), ("en", 0, "other"), ("en", 21, "other"),
    ("ru", 1, "one"), ("ru", 21, "one"), ("ru", 3, "few"), ("ru", 24, "few"), ("ru", 5, "many"), ("ru", 11, "many"),
    ("ru", 0, "many"), ("ru", 112, "many"),
])
def test_a_number_picks_its_plural_form(language: str, count: int, category: str) -> None:
    rendered = Texts(language)("schedule.reminder_days", days=count)
    form = CATALOGS[language][f"plural.day#{category}"]
    assert rendered == CATALOGS[language]["schedule.reminder_days"].replace("{days:plural.day}", form).format(
        days=count)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_same_placeholders(language: str) -> None:
    mismatched = {
        key: (sorted(placeholders(EN[key])), sorted(placeholders(value)))
        for key, value in CATALOGS[language].items()
        if key in EN and placeholders(EN[key]) != placeholders(value)
    }
    assert mismatched == {}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_same_tags_commands_and_entities(language: str) -> None:
    def skeleton(template: str) -> tuple[list[str], list[str], list[str]]:
        tags = sorted(re.sub(r'href="[^"]*"', 'href=""', tag) for tag in TAG.findall(template))
        commands = sorted(re.findall(r"(?<![\w/])/[a-z_]+\b", template))
        entities = sorted(re.findall(r"&[#A-Za-z0-9]+;", template))
        return tags, commands, entities

    def english(key: str) -> str:  # a plural form is compared with the English general form
        return EN[key] if key in EN else EN[f"{key.split('#')[0]}#other"]

    different = {key: value for key, value in CATALOGS[language].items() if skeleton(value) != skeleton(english(key))}
    assert different == {}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_translated(language: str) -> None:
    untranslated = [
        key for key, value in CATALOGS[language].items() if value == EN.get(key) and key not in SAME_IN_ALL_LANGUAGES
    ]
    assert untranslated == []


def test_language_done_speaks_its_own_language() -> None:
    assert "English" in EN["language.done"]
    assert "русск" in CATALOGS["ru"]["language.done"]


# --- markup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "key"), ALL_KEYS)
def test_renders_to_valid_telegram_html(language: str, key: str) -> None:
    template = CATALOGS[language][key]
    assert "{}" not in template and not re.search(r"\{\d", template), "positional placeholders"
    assert not BARE_AMPERSAND.search(template), "write a literal & as &amp;"
    rendered = Texts(language)(key, **dummy_values(template))
    try:
        html_to_plain(rendered)
    except TelegramError as error:
        pytest.fail(f"{language}:{key}: {error.description}\n{rendered}")


@pytest.mark.parametrize(("language", "key"), ALL_KEYS)
def test_user_values_are_escaped(language: str, key: str) -> None:
    template = CATALOGS[language][key]
    rendered = Texts(language)(key, **dummy_values(template, EVIL))
    plain = html_to_plain(rendered)  # raises if the value injected markup
    # Every placeholder outside a tag shows the value verbatim (values inside href="" are not text).
    shown = [name for _, name, spec, _ in Formatter().parse(TAG.sub("", template))
             if name and not (spec or "").startswith("plural.")]  # a plural word shows the form, not the value
    assert plain.count(EVIL) == len(shown)


def test_escaping_and_html_passthrough() -> None:
    texts = Texts("ru")
    rendered = texts("start.welcome", community=EVIL)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=&#x27;y&#x27;&gt;" in rendered
    assert "<b>x</b>" not in rendered
    assert EVIL in html_to_plain(rendered)
    # An Html value (already rendered from the catalog) is inserted as is.
    link = texts("card.contact_link", link="https://t.me/x")
    assert isinstance(link, Html)
    line = texts("card.contact_text", contact=link)
    assert line == link and "<a href=" in line


def test_unknown_language_falls_back_to_english() -> None:
    assert Texts("de")("help") == EN["help"]


# --- plain-text contexts -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_command_descriptions(language: str) -> None:
    for name in (*MEMBER_COMMANDS, *ADMIN_COMMANDS, *GROUP_COMMANDS, "group_help"):
        description = CATALOGS[language][f"command.{name}"]
        assert 1 <= len(description) <= 256, name  # Bot API BotCommand limit
        assert not TAG.search(description) and "&" not in description, name  # sent as plain text


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_names_every_command_of_the_menus(language: str) -> None:
    named = set(re.findall(r"^/(\w+)", CATALOGS[language]["help"], re.MULTILINE))
    assert set(MEMBER_COMMANDS) - {"help"} | set(ADMIN_COMMANDS) <= named


# --- keys used by the code ---------------------------------------------------------------------


def _texts_call_key(node: ast.Call) -> ast.expr | None:
    """The key argument of `texts(...)` / `Texts(lang)(...)`, else None."""
    func = node.func
    is_texts = isinstance(func, ast.Name) and func.id == "texts"
    is_texts_instance = isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "Texts"
    return node.args[0] if (is_texts or is_texts_instance) and node.args else None


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(BOT_DIR.rglob("*.py")):
        yield str(path.relative_to(BOT_DIR.parent)), ast.parse(path.read_text(encoding="utf-8"))


# f-string keys: the pattern (with {} for the interpolated part) -> the keys it can produce.
STEPS = [step.value for step in Step]
STATUSES = [status.value for status in MembershipStatus]
FORMATS = [fmt.value for fmt in MeetingFormat]
DYNAMIC_KEYS: dict[str, list[str]] = {
    "q.{}": STEPS,  # questionnaire.ask
    "field.{}": STEPS,  # render.step_label
    "communities.{}": STATUSES,  # render.membership_line
    "status.{}": STATUSES,  # admin_views
    "format.{}": FORMATS,  # render.format_line
    "format.{}_in": [fmt for fmt in FORMATS if fmt != MeetingFormat.ONLINE],  # online has no city
    "q.format.{}": FORMATS,  # keyboards.meeting_format
    "pause.days_{}": [str(length.days) for length in PAUSE_CHOICES],  # keyboards.pause_lengths
    "command.{}": [*MEMBER_COMMANDS, *ADMIN_COMMANDS, *GROUP_COMMANDS],  # presentation.command_menus
    # "tag.{}" is looked up with texts.has() and falls back to the raw tag: see test_default_tags.
}


def _fstring_pattern(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def test_literal_keys_exist() -> None:
    missing = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                key = _texts_call_key(node)
                if isinstance(key, ast.Constant) and key.value not in EN:
                    missing.append(f"{path}:{node.lineno}: {key.value!r}")
    assert missing == []


def test_keys_in_string_literals_exist() -> None:
    """Keys chosen before the call (`kept = "cancel.kept_draft"`, TextCheck.problem, ...)."""
    namespaces = {key.split(".")[0] for key in EN if "." in key}
    looks_like_key = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
    missing, found = [], 0
    for path, tree in _sources():
        if path.startswith("bot/db/"):  # SQL names like ForeignKey("communities.id"), no texts
            continue
        in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_fstrings
                and looks_like_key.match(node.value)
                and node.value.split(".")[0] in namespaces
            ):
                found += 1
                if node.value not in EN:
                    missing.append(f"{path}:{node.lineno}: {node.value!r}")
    assert found > 50  # the scan works
    assert missing == []


def test_dynamic_keys_exist() -> None:
    missing, unknown = [], []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(key := _texts_call_key(node), ast.JoinedStr):
                continue
            pattern = _fstring_pattern(key)
            if pattern in DYNAMIC_KEYS:
                missing += [
                    f"{path}:{node.lineno}: {pattern.replace('{}', value)!r}"
                    for value in DYNAMIC_KEYS[pattern]
                    if pattern.replace("{}", value) not in EN
                ]
            else:  # not expanded here: at least some key must fit the pattern
                regex = re.compile(".+".join(re.escape(part) for part in pattern.split("{}")) + "$")
                if not any(regex.match(k) for k in EN):
                    unknown.append(f"{path}:{node.lineno}: f{pattern!r}")
    assert missing == []
    assert unknown == []


def test_default_tags_have_labels() -> None:
    for language in LANGUAGES:
        assert [tag for tag in DEFAULT_TAGS if f"tag.{tag}" not in CATALOGS[language]] == []


def test_literal_calls_pass_every_placeholder() -> None:
    """`texts("key", a=...)` must supply every {placeholder} of the template, or format() raises KeyError."""
    problems = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            key = _texts_call_key(node)
            if not isinstance(key, ast.Constant) or key.value not in EN:
                continue
            if any(keyword.arg is None for keyword in node.keywords):  # **values: can't tell statically
                continue
            given = {keyword.arg for keyword in node.keywords}
            for language in LANGUAGES:
                absent = placeholders(CATALOGS[language][key.value]) - given
                if absent:
                    problems.append(f"{path}:{node.lineno}: {language}:{key.value} needs {sorted(absent)}")
    assert problems == []


def test_button_label_shows_name_verbatim() -> None:
    from bot.presentation.keyboards import keep_name

    markup = keep_name(Texts("en"), "Tom & Jerry")
    assert "Tom & Jerry" in markup.inline_keyboard[0][0].text
