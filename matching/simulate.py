"""Generated communities and a multi-round simulation that feeds each result back as history."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from matching.model import Instance, Meeting, Member, PairResult
from matching.pairs import match_pairs

TOPICS: dict[str, tuple[str, ...]] = {
    "it": ("Python backend architecture", "security audits", "cloud costs", "hiring engineers"),
    "ai": ("LLM applications", "machine learning in production", "AI product strategy", "data labelling"),
    "product": ("product discovery", "usability testing", "roadmap prioritisation", "user interviews"),
    "marketing": ("newsletter growth", "B2B lead generation", "brand positioning", "SEO for startups"),
    "sales": ("sales pipelines", "enterprise deals", "pricing strategy", "cold outreach"),
    "finance": ("tax for freelancers", "pitching to investors", "financial modelling", "fundraising"),
    "hr": ("onboarding new hires", "compensation bands", "remote team rituals", "performance reviews"),
    "design": ("design systems", "mobile app design", "illustration", "UX writing"),
    "law": ("employment contracts", "IP protection", "startup legal basics", "GDPR compliance"),
    "energy": ("solar projects", "carbon accounting", "climate tech funding", "battery storage"),
    "logistics": ("warehouse automation", "route optimisation", "freight pricing", "supply chain for retail"),
    "media": ("podcast production", "video storytelling", "PR and press releases", "public speaking"),
    "education": ("online course creation", "academic publishing", "teaching kids to code", "mentoring"),
}
RUSSIAN = ("налоги для фрилансеров", "маркетинг в телеграме", "найм разработчиков", "публичные выступления")
CITIES: tuple[tuple[str, int], ...] = (
    ("Berlin", 60), ("London", 0), ("Paris", 60), ("Warsaw", 60), ("Lisbon", 0), ("Tbilisi", 240),
    ("Dubai", 240), ("Moscow", 180), ("Belgrade", 60), ("Amsterdam", 60), ("Yerevan", 240), ("Almaty", 300),
)


def topic_id(phrase: str) -> str:
    """The help topic of a generated phrase ("hiring engineers" -> "hiring-engineers")."""
    return "-".join(phrase.casefold().split())


def generate_member(member_id: int, rng: random.Random) -> Member:
    """A member with interests, free-text offers and needs, and (seven in ten) help topics picked from them."""
    interests = tuple(rng.sample(sorted(TOPICS), rng.randint(1, 3)))
    own = [t for i in interests for t in TOPICS[i]]
    everything = [t for topics in TOPICS.values() for t in topics]
    offers = rng.sample(own, min(len(own), rng.randint(1, 3)))
    needs = rng.sample(everything, rng.randint(1, 3))
    picks_topics = rng.random() < 0.7
    offer_topics = tuple(topic_id(t) for t in offers[:2]) if picks_topics else ()
    need_topics = tuple(topic_id(t) for t in needs[:2]) if picks_topics else ()
    russian = rng.random() < 0.15
    if russian:
        offers.append(rng.choice(RUSSIAN))
        needs.append(rng.choice(RUSSIAN))
    city, offset = rng.choice(CITIES)
    return Member(
        id=member_id,
        interests=interests,
        offers="I can help with " + " and ".join(offers) if rng.random() > 0.05 else "",
        needs="Looking for advice on " + ", ".join(needs) if rng.random() > 0.05 else "",
        format=rng.choices(("online", "any", "offline"), (5, 4, 1))[0],
        city=city if rng.random() > 0.1 else None,
        utc_offset=offset if rng.random() > 0.1 else None,
        languages=("ru",) if russian and rng.random() < 0.5 else ("en", "ru") if russian else ("en",),
        offer_topics=offer_topics,
        need_topics=need_topics,
    )


def everyone_can_meet(m: Member) -> Member:
    """Format "any" and English among their languages: every two members may meet."""
    return replace(m, format="any", languages=tuple(sorted({*m.languages, "en"})))


def generate_members(count: int, rng: random.Random, first_id: int = 1) -> list[Member]:
    return [generate_member(first_id + k, rng) for k in range(count)]


def random_history(members: list[Member], rounds: int, rng: random.Random) -> list[Meeting]:
    """Random pairings for `rounds` past rounds (numbered 1..rounds), a quick stand-in for real history."""
    ids = [m.id for m in members]
    history: list[Meeting] = []
    for r in range(1, rounds + 1):
        rng.shuffle(ids)
        history.extend(Meeting((ids[k], ids[k + 1]), r) for k in range(0, len(ids) - 1, 2))
    return history


@dataclass(frozen=True)
class RoundRow:
    round: int
    members: int
    matches: int
    trios: int
    repeats: int
    unmatched: int
    mean_score: float
    seconds: float
    strategy: str


def simulate(
    members: int,
    rounds: int,
    churn: float,
    seed: int,
    solver: Callable[[Instance, int], PairResult] = match_pairs,
) -> list[RoundRow]:
    rng = random.Random(seed)
    community = generate_members(members, rng)
    next_id = members + 1
    history: list[Meeting] = []
    rows: list[RoundRow] = []
    for r in range(1, rounds + 1):
        events = round(churn * len(community))
        for _ in range(events // 2):  # leave
            if len(community) > 2:
                community.pop(rng.randrange(len(community)))
        joining = events - events // 2
        community.extend(generate_members(joining, rng, next_id))
        next_id += joining
        paused = set(rng.sample([m.id for m in community], min(len(community) - 2, events // 2)))
        active = tuple(m for m in community if m.id not in paused)
        started = time.perf_counter()
        result = solver(Instance(active, tuple(history), round=r), seed + r)
        seconds = time.perf_counter() - started
        history.extend(Meeting(m.members, r) for m in result.matches)
        rows.append(
            RoundRow(
                round=r,
                members=len(active),
                matches=len(result.matches),
                trios=sum(1 for m in result.matches if len(m.members) == 3),
                repeats=result.stats.repeats,
                unmatched=len(result.unmatched),
                mean_score=result.stats.score / max(1, len(result.matches)),
                seconds=seconds,
                strategy=result.stats.strategy,
            )
        )
    return rows


def run(members: int, rounds: int, churn: float, seed: int, plot: str | None) -> int:
    rows = simulate(members, rounds, churn, seed)
    print(f"{'round':>5} {'members':>7} {'matches':>7} {'trios':>5} {'repeats':>7} {'unmatched':>9} "
          f"{'score':>7} {'seconds':>8}  strategy")
    for row in rows:
        print(f"{row.round:>5} {row.members:>7} {row.matches:>7} {row.trios:>5} {row.repeats:>7} "
              f"{row.unmatched:>9} {row.mean_score:>7.2f} {row.seconds:>8.3f}  {row.strategy}")
    first = next((row.round for row in rows if row.repeats), None)
    print(
        f"summary: repeats={sum(r.repeats for r in rows)} first_repeat_round={first or 'none'} "
        f"unmatched={sum(r.unmatched for r in rows)} "
        f"mean_score={sum(r.mean_score for r in rows) / len(rows):.3f} "
        f"seconds_per_round={sum(r.seconds for r in rows) / len(rows):.4f}"
    )
    if plot:
        with open(plot, "w", encoding="utf-8") as out:
            out.write(svg_chart(rows))
        print(f"plot written to {plot}")
    return 0


def svg_chart(rows: list[RoundRow]) -> str:
    """Two stacked line charts (repeats, mean score per match) as a dependency-free SVG."""
    width, height, pad = 720, 200, 40
    panels = [("repeats per round", [float(r.repeats) for r in rows], "#c0392b"),
              ("mean score per match", [r.mean_score for r in rows], "#2c7fb8")]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(panels) * height}" '
             'font-family="sans-serif" font-size="12">']
    for k, (title, values, colour) in enumerate(panels):
        top = k * height
        high = max(values) or 1.0
        step = (width - 2 * pad) / max(1, len(values) - 1)
        points = " ".join(
            f"{pad + i * step:.1f},{top + height - pad - v / high * (height - 2 * pad):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<text x="{pad}" y="{top + 20}">{title} (max {high:.2f}, rounds 1–{len(values)})</text>')
        parts.append(f'<line x1="{pad}" y1="{top + height - pad}" x2="{width - pad}" y2="{top + height - pad}" '
                     'stroke="#888"/>')
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
    parts.append("</svg>\n")
    return "\n".join(parts)
