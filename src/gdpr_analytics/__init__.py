"""gdpr-analytics: monthly GDPR compliance analytics for the MyStamp service."""

__version__ = "0.1.0"
