"""Named SQL queries from queries/<domain>/<name>.sql, with their header, run with bound parameters.

Each file starts with a header of `-- key: value` lines (see queries/README.md). `params` lists the
named parameters the SQL uses (`$as_of`); only those are bound, by name, never formatted in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.assets import asset_dir
from ..core.words import noun

_HEADER = re.compile(r"^--\s*([a-z_]+):\s*(.*?)\s*$")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
REQUIRED_HEADER = ("name", "answers", "params", "notice", "gdpr")


@dataclass(frozen=True)
class Query:
    name: str  # "<domain>/<file stem>"
    path: Path
    sql: str
    meta: dict[str, str]

    @property
    def params(self) -> list[str]:
        raw = self.meta.get("params", "").strip()
        if raw in ("", "none", "-"):
            return []
        return [p.strip().lstrip("$") for p in raw.split(",") if p.strip()]

    @property
    def used_params(self) -> set[str]:
        body = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return set(_PARAM.findall(body))

    @property
    def requires(self) -> list[str]:
        raw = self.meta.get("requires", "").strip()
        return [t.strip() for t in raw.split(",") if t.strip()]


def _parse(path: Path, name: str) -> Query:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = _HEADER.match(line)
        if m:
            key, value = m.groups()
            meta[key] = (meta[key] + " " + value) if key in meta else value
    return Query(name=name, path=path, sql=text, meta=meta)


@lru_cache(maxsize=None)
def all_queries() -> dict[str, Query]:
    root = asset_dir("queries")
    found = {}
    for path in sorted(root.rglob("*.sql")):
        name = path.relative_to(root).with_suffix("").as_posix()
        found[name] = _parse(path, name)
    return found


def get(name: str) -> Query:
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} under {asset_dir('queries')}") from None


def rules_requiring(table: str) -> list[str]:
    """The rule ids of the queries that read `table` (not assessed when it is absent)."""
    return sorted(q.meta["rule"] for q in all_queries().values() if "rule" in q.meta and table in q.requires)


def bind(query: Query, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the query declares, taken from params; a missing one is an error."""
    missing = [p for p in query.params if p not in params]
    if missing:
        raise KeyError(f"query {query.name} needs {noun(len(missing), 'parameter')} {', '.join(missing)}")
    return {p: params[p] for p in query.params}
