"""Errors the command line turns into a one-line reason and a non-zero exit."""


class GdprAnalyticsError(Exception):
    """Base class: the message is shown to the user as is, on one line."""


class DataError(GdprAnalyticsError):
    """The input data breaks the contract (SPEC §3)."""


class PolicyError(GdprAnalyticsError):
    """The policy file is invalid."""


class Locked(GdprAnalyticsError):
    """Another report run holds the output folder's lock (exit status EX_TEMPFAIL)."""


EX_TEMPFAIL = 75  # sysexits.h: try again later


class UsageError(GdprAnalyticsError):
    """A parameter is invalid (month, paths, thresholds)."""
