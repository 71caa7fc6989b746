"""Words for numbers in what people read: "1 processor", "3 processors", "1,204 events"."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` with its noun in the singular or the plural (default: the singular + "s"), with thousands
    separators."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def noun(n: int, one: str, many: str | None = None) -> str:
    """The noun for `n` things without the number, for a list that follows: "column a", "columns a, b"."""
    return one if n == 1 else (many or one + "s")
