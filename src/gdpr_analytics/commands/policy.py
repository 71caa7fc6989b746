"""`gdpr-analytics policy check|export`: validate a policy file or folder of versions and list them, or
write a version as a fideslang manifest."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from ..core.files import atomic_write
from ..core.words import plural
from ..policy import fides
from ..policy.history import load_history


def run(args: argparse.Namespace) -> None:
    history = load_history(args.policy, args.evidence)
    if args.action == "check":
        kind = "folder of versions" if history.folder else "one file, in force at every instant"
        print(f"policy {history.source}: valid ({kind}, {plural(len(history.versions), 'version')})")
        for v in history.versions:
            print(f"  {v.path.name}\tversion {v.version}\t{v.in_force_text()}\tSHA-256 {v.sha256}")
        ev = history.evidence
        if ev is not None:
            tias = sum(1 for t in ev.transfers if t.get("tia"))
            example = " — a fictitious EXAMPLE (evidence.example: true)" if ev.example else ""
            print(f"evidence {ev.path}: valid ({plural(len(ev.data.get('documents') or []), 'document')}, "
                  f"{plural(len(ev.transfers), 'transfer')}, {tias:,} with a TIA, "
                  f"{plural(len(ev.internal_activities), 'internal activity', 'internal activities')}){example}"
                  f"\tSHA-256 {ev.sha256}")
        return
    policy = history.at(datetime(args.at.year, args.at.month, args.at.day)) if args.at else history.latest
    text = fides.manifest_yaml(policy, history.evidence)
    if args.out is None:
        sys.stdout.write(text)
    else:
        with atomic_write(args.out, "w") as fh:
            fh.write(text)
        print(f"fides manifest written: {args.out} (policy version {policy.version})", file=sys.stderr)
