"""Errors the command line turns into a one-line reason and a non-zero exit."""


class GdprAnalyticsError(Exception):
    """Base class: the message is shown to the user as is, on one line."""


class DataError(GdprAnalyticsError):
    """The input data breaks the contract (SPEC §3)."""


class PolicyError(GdprAnalyticsError):
    """The policy file is invalid."""


class UsageError(GdprAnalyticsError):
    """A parameter is invalid (month, paths, thresholds)."""
