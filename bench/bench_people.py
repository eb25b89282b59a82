"""Planted pairs (issue 10): a community of 200 members writing in English and Russian, with 40 planted mutual
give ↔ need pairs by help topics (one writes English, the other Russian, so their free text has no word in
common) among random others. Prints, per seed: the share of planted pairs matched in round 1 (pairs; and how
many the exact optimum of the same weights, rustworkx, matches), kept
together in a small-group round (groups of 4), and the hard-rule violations in pairs, small groups and meetup
groups of 30 (no language shared by everyone who lists languages; online-only with in-person-only, or
in-person-only in two cities) — checked here from the members' own fields, not with the engine's rules.
Asserts nothing.

Usage: .venv/bin/python bench/bench_people.py [--seeds 1 2 3 4 5] [--members 200] [--planted 40]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import exact_matching
from matching import Instance, Member, form_groups, match_pairs, match_round
from matching.rules import Rules

# Help topics: id -> (English, Russian) phrase. Identity is the id, whatever language a member writes in.
TOPICS: dict[str, tuple[str, str]] = {
    "hiring": ("hiring engineers", "найм разработчиков"),
    "fundraising": ("fundraising", "привлечение инвестиций"),
    "pricing": ("pricing strategy", "ценообразование"),
    "legal": ("startup legal basics", "юридические вопросы стартапа"),
    "taxes": ("tax for freelancers", "налоги для фрилансеров"),
    "marketing": ("B2B lead generation", "привлечение клиентов"),
    "telegram": ("Telegram marketing", "маркетинг в телеграме"),
    "design": ("design systems", "дизайн-системы"),
    "ux": ("usability testing", "юзабилити-тестирование"),
    "seo": ("SEO for startups", "продвижение в поисковиках"),
    "sales": ("enterprise sales", "корпоративные продажи"),
    "product": ("product discovery", "поиск продуктовых гипотез"),
    "ml": ("machine learning in production", "машинное обучение в продакшене"),
    "cloud": ("cloud costs", "расходы на облако"),
    "security": ("security audits", "аудит безопасности"),
    "speaking": ("public speaking", "публичные выступления"),
    "pr": ("press releases", "работа с прессой"),
    "mentoring": ("mentoring juniors", "наставничество"),
    "relocation": ("relocation abroad", "релокация"),
    "onboarding": ("onboarding new hires", "адаптация новых сотрудников"),
    "comp": ("compensation bands", "вилки зарплат"),
    "remote": ("remote team rituals", "удалённые команды"),
    "grants": ("research grants", "гранты на исследования"),
    "logistics": ("freight pricing", "грузоперевозки"),
    "energy": ("solar projects", "солнечная энергетика"),
    "content": ("video storytelling", "видеоконтент"),
    "courses": ("online course creation", "создание онлайн-курсов"),
    "gdpr": ("GDPR compliance", "защита персональных данных"),
    "analytics": ("product analytics", "продуктовая аналитика"),
    "cofounder": ("finding a co-founder", "поиск сооснователя"),
}
INTERESTS = ("it", "ai", "product", "marketing", "sales", "finance", "hr", "design", "law", "media")
CITIES = (("Berlin", 60), ("Moscow", 180), ("Tbilisi", 240), ("London", 0), ("Belgrade", 60))


def text(topics: tuple[str, ...], russian: bool, giving: bool) -> str:
    phrases = [TOPICS[t][1 if russian else 0] for t in topics]
    if russian:
        return ("Помогу: " if giving else "Ищу: ") + ", ".join(phrases)
    return ("I can help with " if giving else "Looking for advice on ") + ", ".join(phrases)


def person(member_id: int, rng: random.Random, offer: tuple[str, ...], need: tuple[str, ...],
           languages: tuple[str, ...], place: tuple[str, str | None, int]) -> Member:
    fmt, city, offset = place
    russian = languages == ("ru",) or (languages == ("en", "ru") and rng.random() < 0.5)
    return Member(
        id=member_id, interests=tuple(rng.sample(INTERESTS, rng.randint(1, 3))),
        offers=text(offer, russian, True), needs=text(need, russian, False), format=fmt,  # type: ignore[arg-type]
        city=city, utc_offset=offset, languages=languages, offer_topics=offer, need_topics=need,
    )


def place(rng: random.Random) -> tuple[str, str | None, int]:
    city, offset = rng.choice(CITIES)
    return rng.choices(("online", "any", "offline"), (5, 4, 1))[0], city, offset


def community(members: int, planted: int, seed: int) -> tuple[tuple[Member, ...], list[tuple[int, int]]]:
    """The members and the planted pairs (ids). Planted pairs use distinct topic pairs, and no random member is
    mutual by topics with a planted member (redrawn if so): the planted partner is each planted member's only
    mutual match, so "matched with their planted partner" measures the engine, not ties."""
    rng = random.Random(seed)
    ids = list(range(1, 10 * members, 10))
    rng.shuffle(ids)  # planted partners are not neighbours by id
    topics = sorted(TOPICS)
    pairs = rng.sample([p for p in combinations(topics, 2)], planted)
    out: list[Member] = []
    planted_ids: list[tuple[int, int]] = []
    for k, (x, y) in enumerate(pairs):
        a, b = ids[2 * k], ids[2 * k + 1]
        # one writes English, the other Russian; they share English (or both speak both)
        first, second = rng.choice([(("en",), ("en", "ru")), (("en", "ru"), ("en", "ru")), (("en", "ru"), ("ru",))])
        where = place(rng)
        there = where if where[0] == "offline" else place(rng)
        if {where[0], there[0]} == {"online", "offline"}:  # the pair can meet
            there = ("any", there[1], there[2])
        out.append(person(a, rng, (x,), (y,), first, where))
        out.append(person(b, rng, (y,), (x,), second, there))
        planted_ids.append((min(a, b), max(a, b)))
    wanted = {(m.offer_topics[0], m.need_topics[0]) for m in out}  # (offers, needs) of planted members
    for member_id in ids[2 * planted : members]:
        while True:
            offer = tuple(rng.sample(topics, rng.randint(1, 2)))
            need = tuple(t for t in rng.sample(topics, rng.randint(1, 2)) if t not in offer)
            if not any((n, o) in wanted for o in offer for n in need):  # mutual with a planted member
                break
        languages = rng.choices([("en",), ("ru",), ("en", "ru")], (4, 3, 3))[0]
        out.append(person(member_id, rng, offer, need, languages, place(rng)))
    return tuple(out), planted_ids


def violations(members: tuple[Member, ...], groups: list[tuple[int, ...]]) -> tuple[int, int]:
    """(groups without a language shared by everyone who lists any, pairs inside groups that may not meet by
    format or city), from the members' fields."""
    by_id = {m.id: m for m in members}
    mute = apart = 0
    for group in groups:
        listed = [set(by_id[i].languages) for i in group if by_id[i].languages]
        mute += bool(listed) and not set.intersection(*listed)
        for a, b in combinations((by_id[i] for i in group), 2):
            far = a.format == b.format == "offline" and a.city and b.city and a.city != b.city
            apart += {a.format, b.format} == {"online", "offline"} or bool(far)
    return mute, apart


def together(groups: list[tuple[int, ...]], planted: list[tuple[int, int]]) -> int:
    where = {i: k for k, g in enumerate(groups) for i in g}
    return sum(1 for a, b in planted if a in where and where.get(a) == where.get(b))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--planted", type=int, default=40)
    args = parser.parse_args()
    print(f"## Planted pairs: {args.members} members, {args.planted} planted mutual pairs by topics, round 1")
    print("(meetup groups of 30: with each member's own format and city, and at one place, `one_place=True`)")
    print("| seed | planted matched (pairs) | in the exact optimum | pairs s "
          "| no shared language: pairs / groups of 4 / meetups / one place | format or city: groups of 4 / meetups "
          "| planted together in groups of 4 | left out: pairs / groups of 4 / meetups / one place |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        members, planted = community(args.members, args.planted, seed)
        instance = Instance(members, round=1)
        started = time.perf_counter()
        pairs = match_pairs(instance, seed=seed)
        seconds = time.perf_counter() - started
        fours = match_round(instance, 4, seed)
        meetup = form_groups(instance, 30, seed=seed)
        venue = form_groups(instance, 30, seed=seed, one_place=True)
        matched = [m.members for m in pairs.matches]
        small = [m.members for m in fours.matches]
        big = [g.members for g in meetup.groups]
        one = [g.members for g in venue.groups]
        hit = sum(1 for p in planted if p in set(matched))
        rules = Rules(instance)
        exact = {(rules.ids[i], rules.ids[j]) for i, j in exact_matching(rules)}
        exact_hit = sum(1 for p in planted if p in exact)
        mute = [violations(members, g)[0] for g in (matched, small, big, one)]
        apart = [violations(members, g)[1] for g in (small, big)]
        left = [len(pairs.unmatched), len(fours.unmatched), len(meetup.left_out), len(venue.left_out)]
        print(f"| {seed} | {hit}/{len(planted)} = {100 * hit / len(planted):.1f} % | {exact_hit} | {seconds:.3f} "
              f"| {' / '.join(map(str, mute))} | {apart[0]} / {apart[1]} | {together(small, planted)}/{len(planted)} "
              f"| {' / '.join(map(str, left))} |", flush=True)


if __name__ == "__main__":
    main()
