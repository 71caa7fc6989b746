"""`gdpr-analytics sample`: a realistic synthetic data set (sample/generate.py)."""

from __future__ import annotations

import argparse
import sys

from ..sample import generate


def run(args: argparse.Namespace) -> None:
    given = {k: getattr(args, k) for k in ("customers", "events", "months", "end", "seed") if getattr(args, k) is not None}
    counts = generate.generate(args.out, fmt=args.format, **given)
    print(", ".join(f"{t}: {n}" for t, n in counts.items()), file=sys.stderr)
