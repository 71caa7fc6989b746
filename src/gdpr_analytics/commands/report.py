"""`gdpr-analytics report`: the monthly report folder `<out>/<YYYY-MM>/` of one month, a range or the
latest month the data covers (report/runs.py), on one engine opened once for the whole run."""

from __future__ import annotations

import argparse
import sys

from ..analysis.context import Coverage, MonthContext
from ..engines.factory import opened
from ..policy.history import load_history
from ..report import runs
from .options import engine_options, parameters


def run(args: argparse.Namespace) -> int:
    history = load_history(args.policy, args.evidence)
    wanted = runs.months(args.month)
    given = parameters(args)

    def say(line: str) -> None:
        print(f"gdpr-analytics: {line}", file=sys.stderr)

    with opened(**engine_options(args), snapshot=True) as engine:
        months = wanted or [Coverage.of(engine).last_month()]
        # every month is checked against the policy and the data before anything is written
        contexts = [MonthContext.build(engine, m, history, **given) for m in months]
        done = runs.run(engine, contexts, out=args.out, force=args.force, wait=args.wait, jobs=args.jobs or None,
                        say=say, lang=args.lang)
    for r in done:
        say(runs.verdict(r))
    alerts = runs.alert(done, args.fail_on)
    if alerts:
        what = {"high": "high-severity findings", "new-high": "new high-severity findings",
                "gaps": "rules assessed with gaps in the logs"}[args.fail_on]
        pages = ", ".join(str(r.folder / "index.html") for r in done if r.month.label in alerts)
        say(f"ALERT: {what} in {', '.join(alerts)} (--fail-on {args.fail_on}): {pages}")
        return 3
    return 0
