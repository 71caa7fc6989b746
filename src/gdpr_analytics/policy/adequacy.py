"""The European Commission's adequacy decisions (Art. 45 GDPR), as a data file shipped with the package.

`policies/adequacy.yml` lists, per third country (ISO 3166-1 alpha-2 code), the decision, its date and
its scope where it covers only some recipients (Canada: commercial organisations; the United States:
organisations certified under the EU-US Data Privacy Framework), with where the list was read and the
day it was last checked (`checked_on`). A country not listed has no adequacy decision (India among
them). The transfer module (analysis/transfers.py) states each transfer country's status from it; the
file's SHA-256 is part of the month results' key, so a corrected list is never hidden by stored results.

`load_adequacy` validates the file with small named checks and reports every problem at once
(AdequacyInvalid); it is read once per process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..core.assets import asset_dir
from ..core.errors import PolicyError
from ..core.words import noun
from .validation import as_date

FILE_NAME = "adequacy.yml"
ENTRY_KEYS = {"code", "name", "decision", "date", "scope"}


class AdequacyInvalid(PolicyError):
    """The adequacy file does not validate; `problems` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"adequacy list {path}: {problems[0]}{more}")


@dataclass(frozen=True)
class Adequacy:
    path: Path
    sha256: str
    source: str
    url: str
    checked_on: date
    countries: dict[str, dict[str, Any]]  # by code

    def decision(self, code: str) -> dict[str, Any] | None:
        """The adequacy decision for a country code, or None when the Commission has adopted none."""
        return self.countries.get(str(code).strip().upper())

    def name(self, code: str) -> str | None:
        found = self.decision(code)
        return str(found["name"]) if found else None

    def status(self, code: str) -> str:
        """The country's status in words: the decision with its date and scope, or that there is none."""
        found = self.decision(code)
        if found is None:
            return f"no adequacy decision (the Commission's list as checked on {self.checked_on.isoformat()})"
        scope = f"; {found['scope']}" if found.get("scope") else ""
        return f"adequacy decision: {found['decision']} of {as_date(found['date']).isoformat()}{scope}"

    def provenance(self) -> str:
        """Where the list comes from and when it was checked, for pages and sheets."""
        return f"{self.source}, {self.url}, checked on {self.checked_on.isoformat()}"


# -- validation: one named check each, every problem reported ---------------------------------------

def check_header(data: dict) -> list[str]:
    head = data.get("adequacy")
    if not isinstance(head, dict):
        return ["an `adequacy:` section (source, url, checked_on) is required"]
    out = [f"adequacy.{k}: missing" for k in ("source", "url", "checked_on") if not head.get(k)]
    if head.get("checked_on"):
        try:
            as_date(head["checked_on"])
        except ValueError as exc:
            out.append(f"adequacy.checked_on: {exc}")
    return out


def check_country(i: int, entry: Any, seen: set[str]) -> list[str]:
    where = f"countries[{i}]"
    if not isinstance(entry, dict):
        return [f"{where}: a mapping {{code, name, decision, date, scope}}"]
    out = [f"{where}: {k} missing" for k in ("code", "name", "decision", "date") if not entry.get(k)]
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        out.append(f"{where}: unknown {noun(len(unknown), 'key')} {', '.join(sorted(unknown))}")
    code = entry.get("code")
    if code is not None:
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            out.append(f"{where}: code {code!r} is not an ISO 3166-1 alpha-2 code (two capital letters)")
        elif code in seen:
            out.append(f"{where}: {code} is listed twice")
        seen.add(str(code))
    if entry.get("date"):
        try:
            as_date(entry["date"])
        except ValueError as exc:
            out.append(f"{where} ({code}): date {exc}")
    return out


def problems(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file must be a mapping with `adequacy:` and `countries:`"]
    out = check_header(data)
    countries = data.get("countries")
    if not isinstance(countries, list):
        return out + ["countries: a list of {code, name, decision, date, scope}"]
    seen: set[str] = set()
    for i, entry in enumerate(countries):
        out.extend(check_country(i, entry, seen))
    return out


def default_path() -> Path:
    return asset_dir("policies") / FILE_NAME


def load_adequacy(path: str | Path | None = None) -> Adequacy:
    """The adequacy list (default: the one shipped in policies/); AdequacyInvalid naming every problem."""
    return _load(Path(path) if path else default_path())


@lru_cache(maxsize=4)
def _load(path: Path) -> Adequacy:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"adequacy list {path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise PolicyError(f"adequacy list {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    found = problems(data)
    if found:
        raise AdequacyInvalid(path, found)
    head = data["adequacy"]
    return Adequacy(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), source=str(head["source"]),
                    url=str(head["url"]), checked_on=as_date(head["checked_on"]),
                    countries={str(c["code"]): dict(c) for c in data["countries"]})
