"""What a round made, as its admins are told: how many people each match has, and how many were left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matching.partition import group_count


@dataclass(frozen=True)
class RoundShape:
    sizes: tuple[int, ...]
    """People in each match, largest first."""
    group_size: int
    """What the community asks for: 2 is pairs (one trio for an odd count); 3–8 small groups of about that size."""
    left_out: int

    @classmethod
    def of(cls, sizes: Iterable[int], group_size: int, left_out: int) -> RoundShape:
        return cls(tuple(sorted(sizes, reverse=True)), group_size, left_out)

    @property
    def pairs(self) -> int:
        return self.sizes.count(2)

    @property
    def trios(self) -> int:
        return self.sizes.count(3)

    @property
    def introduced(self) -> int:
        """People who get an introduction."""
        return sum(self.sizes)

    @property
    def in_groups(self) -> bool:
        return self.group_size > 2

    @property
    def sized_by_rule(self) -> bool:
        """A small-group round whose sizes are exactly what the stated rule makes of its people (see
        `matching.partition.group_count`): round(n / size) groups, at least one, sizes differing by at most one.
        (Not when a group had to be repaired: someone who could not meet everyone in theirs moved elsewhere.)"""
        return (self.in_groups and bool(self.sizes)
                and len(self.sizes) == group_count(self.introduced, self.group_size)
                and self.sizes[0] - self.sizes[-1] <= 1)

    @property
    def differs_from_asked(self) -> bool:
        """A small-group round with a group of another size than the one asked for."""
        return self.in_groups and any(size != self.group_size for size in self.sizes)
