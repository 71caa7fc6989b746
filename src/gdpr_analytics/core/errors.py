"""Errors the command line turns into a one-line reason and an exit status (cli.py's table)."""


class GdprAnalyticsError(Exception):
    """Base class: the message is shown to the user as is, on one line (exit status 1)."""


class DataError(GdprAnalyticsError):
    """The input data breaks the contract (docs/input-contract.md)."""


class PolicyError(GdprAnalyticsError):
    """The policy file is invalid."""


class EngineError(GdprAnalyticsError):
    """The engine (DuckDB or Spark) failed on a query: its first line, whichever engine raised it."""


class Locked(GdprAnalyticsError):
    """Another report run holds the output folder's lock (exit status EX_TEMPFAIL)."""


EX_TEMPFAIL = 75  # sysexits.h: try again later


class UsageError(GdprAnalyticsError):
    """A parameter is invalid (month, paths, thresholds): bad usage, exit status 2."""


def first_line(value) -> str:
    """The first non-empty line of a message (an exception's, or text); an exception with no message
    is named by its class."""
    for line in str(value).splitlines():
        if line.strip():
            return line.strip()
    return type(value).__name__ if isinstance(value, BaseException) else ""


def one_line(text, limit: int | None = None) -> str:
    """A message on one line (whitespace runs collapsed), cut to `limit` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"
