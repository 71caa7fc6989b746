"""Operations: one module per command of `gdpr-analytics` (cli.py parses the arguments and turns errors
into exit statuses). Each command opens its engine once (engines.factory.opened) and builds each
month's context once (analysis.context.MonthContext), then hands both down."""
