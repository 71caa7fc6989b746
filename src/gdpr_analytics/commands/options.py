"""What the commands take from their parsed arguments, in one place: the engine to open and the rule
parameters given (None: the policy's or the default, core/parameters.py)."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.parameters import options


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of engines.factory.opened for --engine, --db, --source, --spark-remote, --results."""
    return {"kind": args.engine, "db": args.db, "source": args.source, "remote": args.spark_remote,
            "results": args.results}


def parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The rule parameters given on the command line (those not given are None)."""
    return {name: getattr(args, name, None) for name, _ in options()}
