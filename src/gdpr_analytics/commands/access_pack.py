"""`gdpr-analytics access-pack`: the answer to Art. 15 access requests, one pack folder per subject (or per
open access request of a month), built from the data in one pass (analysis/access.py) and written owner-only
(report/access_pack.py). It prints where each pack went and how many consultations it lists, nothing
personal."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from ..analysis.access import build_packs, open_access_requests
from ..analysis.context import Coverage
from ..core.errors import GdprAnalyticsError, UsageError
from ..core.instants import format_instant
from ..core.month import Month
from ..core.words import plural
from ..engines.factory import opened
from ..policy.history import load_history
from ..report.access_pack import prepare_out, write_pack
from .options import engine_options


def _as_of(args: argparse.Namespace, coverage: Coverage) -> datetime:
    """--as-of YYYY-MM-DD: that day's first instant (UTC), exclusive; default the data end."""
    end = coverage.data_end
    if end is None:
        raise GdprAnalyticsError("the data holds no instant at all: there is nothing to answer from")
    if args.as_of is None:
        return end
    as_of = datetime(args.as_of.year, args.as_of.month, args.as_of.day)
    if as_of > end:
        raise GdprAnalyticsError(f"--as-of {args.as_of}: the data ends at {format_instant(end)}, so it cannot say "
                                 "what was held after that; give a day up to the day after the data's last day")
    return as_of


def run(args: argparse.Namespace) -> None:
    if bool(args.subject) == bool(args.requests):
        raise UsageError("give the subjects (--subject ID, repeated) or a month of access requests (--requests "
                         "YYYY-MM), not both")
    if args.requests and args.as_of:
        raise UsageError("--requests answers each request as the data stood at the end of its month: no --as-of")
    history = load_history(args.policy, args.evidence)
    prepare_out(args.out)
    with opened(**engine_options(args)) as engine:
        coverage = Coverage.of(engine)
        names: dict[str, str] = {}
        request_of: dict[str, str] = {}
        if args.requests:
            month = Month.parse(args.requests)
            coverage.check(month)
            as_of = month.as_of
            requests = open_access_requests(engine, month)
            for request_id, customer in requests:
                if customer is None:
                    print(f"gdpr-analytics: request {request_id}: no customer_id, so no data of the requester can "
                          "be found; answer it by hand", file=sys.stderr)
                    continue
                names[request_id] = customer
            subjects = sorted(set(names.values()))
            if not requests:
                print(f"gdpr-analytics: no access request is open at the end of {month.label}", file=sys.stderr)
        else:
            as_of = _as_of(args, coverage)
            subjects = list(dict.fromkeys(args.subject))
            names = {s: s for s in subjects}
        history.version_at(as_of - timedelta(microseconds=1))  # a policy in force at as_of, or PolicyError
        packs = build_packs(engine, history, subjects, as_of, with_actors=args.with_actors)
    for name, subject in names.items():
        pack = packs[subject]
        if args.requests:
            pack.request_id = name
            request_of[name] = subject
        folder = write_pack(pack, args.out, name)
        print(f"access pack written: {folder} ({plural(len(pack.consultations), 'consultation')}, "
              f"{plural(sum(g['events'] for g in pack.table_operations), 'table operation')})", file=sys.stderr)
        pack.request_id = None
