"""Normalisation of the free-text offers and needs into comparable phrases of word stems."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
# Phrase boundaries: punctuation and the conjunctions people use to list several topics.
_SPLIT = re.compile(r"[,;.!?/|\n()+&•]|\s(?:and|or|и|или)\s", re.IGNORECASE)

_STOP_TEXT = """
a an the i me my we our you your it its this that these those some any about with without for of to in
on at by from into as is are am be been being do does can could would will want wants wanted need needs
needed looking look seeking seek help helping advice advise offer offering share sharing talk talking
discuss how what who where when why also more most very really just other others etc someone anybody
anyone people person ideas tips
и в во на с со по к ко у о об обо от до за из для про при а но или ли же бы не ни я мы вы ты он она
они мой моя мое мои наш мне меня могу можем помочь помогу помощь хочу хотим ищу ищем нужен нужна нужно
нужны совет советы опыт расскажу рассказать обсудить узнать как что кто это тем теме темы
"""
_ENDINGS_TEXT = "ами ями ого его ому ему ыми ими ов ев ей ий ый ой ая яя ое ее ые ие ую юю ам ям ах ях ом ем"
_ENDINGS_TEXT += " а я о е ы и у ю ь"
STOPWORDS = frozenset(_STOP_TEXT.split())
_RU_ENDINGS = sorted(_ENDINGS_TEXT.split(), key=len, reverse=True)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately light stemmer: plural/case endings only, so different topics are not conflated."""
    w = word.casefold().replace("'", "")
    if not w.isascii():
        for ending in _RU_ENDINGS:
            if w.endswith(ending) and len(w) - len(ending) >= 4:
                return w[: -len(ending)]
        return w
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


@dataclass(frozen=True)
class Phrase:
    text: str  # the person's own words, trimmed of filler ("I can help with …")
    stems: frozenset[str]


@lru_cache(maxsize=65536)
def phrases(text: str) -> tuple[Phrase, ...]:
    out: list[Phrase] = []
    for piece in _SPLIT.split(text):
        found = _phrase(piece)
        if found is not None:
            out.append(found)
    return tuple(out)


@lru_cache(maxsize=65536)
def _phrase(piece: str) -> Phrase | None:
    """One piece between separators; pieces repeat across members far more often than whole texts."""
    words = _WORD.findall(piece)
    content = [w for w in words if w.casefold() not in STOPWORDS]
    if not content:
        return None
    # Keep inner filler words for readability ("supply chain for retail") but trim the edges.
    first = next(i for i, w in enumerate(words) if w.casefold() not in STOPWORDS)
    last = max(i for i, w in enumerate(words) if w.casefold() not in STOPWORDS)
    return Phrase(" ".join(words[first : last + 1]), frozenset(stem(w) for w in content))


def stems(text: str) -> frozenset[str]:
    return frozenset().union(*(p.stems for p in phrases(text)))


@lru_cache(maxsize=65536)
def tag(value: str) -> str:
    """Interest tags, languages and cities compare case- and space-insensitively."""
    return " ".join(value.split()).casefold()
