"""Transfers outside the EEA (SPEC §12): per (processor, country outside the EEA) pair, what documents the
transfer and what the month's data shows of it. The month results keep it as `cross_border/transfers`;
the report writes it as transfers.csv and the cross-border page shows it.

The pairs: those the policy version in force at the month's last instant declares (each transfer's
recipients, and each processor's countries outside the EEA), those the controller's evidence file
documents (`transfers:`), and those seen in the month's access log (the statistic
queries/cross_border/stat_transfers.sql, which reads pairs as rule XB-006 does). Processors are compared
as the rules compare them (lower case, surrounding Unicode blanks ignored), countries in capitals.

Each pair's documentation, never invented: the legal entity, how the data is reached, the mechanism,
the supplementary measures and the TIA come from the evidence file (each value with the document it
cites, `policy.evidence.Evidence.render`), or from what the notice states (how the data is reached: the
processor's `access_from` or `servers_in`; the mechanism when the notice names one); the country's
adequacy status from the Commission's list shipped in policies/adequacy.yml (policy/adequacy.py).
A value nothing gives reads "to complete" for a pair the notice declares or the evidence documents, and
"not documented" for a pair seen only in the data (a transfer nobody declared).

The month's figures (events, distinct actors and customers, records, resources × actions, events with a
ticket and their share, bulk exports, events outside the declared scope, first and last seen) are 0 for
a declared pair not seen in the month, and empty when the access log does not cover the month (not
assessed, never zero). `register_rows` gives the documentation alone, with no figure from the data, for
the register an authority receives.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..policy.adequacy import Adequacy, load_adequacy
from ..policy.evidence import Evidence, transfer_key
from ..policy.validation import as_date
from .context import MonthContext

FRAME = "cross_border/transfers"
STAT = "cross_border/stat_transfers"
TO_COMPLETE = "to complete"
NOT_DOCUMENTED = "not documented"

#: What documents a transfer (register_rows gives these and nothing else).
DOCUMENTATION = ["processor", "processor_name", "country", "country_name", "declared", "legal_entity", "access",
                 "adequacy", "mechanism", "supplementary_measures", "tia_reference", "tia_assessed_on",
                 "tia_review_by", "tia_covers", "tia_monthly_records"]
#: The month's evidence from the data (the statistic's columns).
FIGURES = ["events", "actors", "customers", "records", "resources_actions", "with_ticket", "ticket_pct",
           "bulk_exports", "out_of_scope", "first_seen", "last_seen"]
COUNTS = ["events", "actors", "customers", "records", "with_ticket", "bulk_exports", "out_of_scope"]
#: transfers.csv: the documentation, whether the pair was seen in the month, then the figures.
COLUMNS = [*DOCUMENTATION, "seen_in_month", *FIGURES]


def declared_pairs(policy) -> dict[tuple[str, str], str]:
    """(processor, country outside the EEA) pairs the policy version declares, each with the notice
    sections that declare it: the recipients of each transfer, and each processor's countries."""
    eea = set(policy.eea)
    found: dict[tuple[str, str], list[str]] = {}

    def add(processor: str, country: str, notice: str) -> None:
        key = transfer_key(processor, country)
        if key[1] in eea or key[1] == "EEA":
            return
        sections = found.setdefault(key, [])
        if notice and notice not in sections:
            sections.append(str(notice))

    for t in policy.data.get("transfers") or []:
        for r in t.get("recipients") or []:
            add(r, t["country"], t.get("notice", ""))
    for p in policy.data["processors"]:
        for c in p["countries"]:
            add(p["key"], c, p.get("notice", ""))
    return {k: "; ".join(v) for k, v in found.items()}


def _documented_pairs(evidence: Evidence | None) -> list[tuple[str, str]]:
    return [transfer_key(t["processor"], t["country"]) for t in (evidence.transfers if evidence else [])]


class _Documentation:
    """What documents one pair: the evidence file first, then what the notice states, else missing."""

    def __init__(self, policy, evidence: Evidence | None, adequacy: Adequacy):
        self.policy, self.evidence, self.adequacy = policy, evidence, adequacy
        self.declared = declared_pairs(policy)
        self.processors = {transfer_key(p["key"], "")[0]: p for p in policy.data["processors"]}
        self.transfers, self.country_names = {}, {}
        for t in policy.data.get("transfers") or []:
            if t.get("country_name"):
                self.country_names.setdefault(transfer_key("", t["country"])[1], str(t["country_name"]))
            for r in t.get("recipients") or []:
                self.transfers.setdefault(transfer_key(r, t["country"]), t)

    def row(self, processor: str, country: str) -> dict[str, Any]:
        key = (processor, country)
        ev = self.evidence
        entry = ev.transfer(processor, country) if ev else None
        known = key in self.declared or entry is not None
        missing = TO_COMPLETE if known else NOT_DOCUMENTED
        proc = self.processors.get(processor)
        notice_transfer = self.transfers.get(key)

        def documented(name: str, fallback: str | None = None) -> str:
            if entry is not None and entry.get(name):
                return ev.render(entry[name])
            return fallback if fallback is not None else missing

        legal = None
        if ev is not None and ev.processor(processor) and ev.processor(processor).get("legal_entity"):
            legal = ev.render(ev.processor(processor)["legal_entity"])
        tia = (entry or {}).get("tia") or None
        if key in self.declared:
            declared = f"stated in the notice ({self.declared[key]})"
        elif entry is not None:
            declared = "not in the notice; documented internally"
        else:
            declared = "not declared: seen in the data only"
        return {
            "processor": processor,
            "processor_name": str(proc["name"]) if proc else "not in the notice",
            "country": country,
            "country_name": self.country_names.get(country) or self.adequacy.name(country) or "",
            "declared": declared,
            "legal_entity": documented("legal_entity", legal),
            "access": documented("access", self._access_stated(proc, country)),
            "adequacy": self.adequacy.status(country),
            "mechanism": documented("mechanism", self._mechanism_stated(notice_transfer, missing)),
            "supplementary_measures": documented("supplementary_measures"),
            "tia_reference": self._tia_reference(tia) if tia else missing,
            "tia_assessed_on": as_date(tia["assessed_on"]).isoformat() if tia else None,
            "tia_review_by": as_date(tia["review_by"]).isoformat() if tia else missing,
            "tia_covers": (f"resources: {', '.join(tia['resources'])}; actions: {', '.join(tia['actions'])}"
                           if tia else None),
            "tia_monthly_records": int(tia["monthly_records"]) if tia else None,
        }

    def _tia_reference(self, tia: dict) -> str:
        if tia.get("document"):
            return f"{tia['reference']} [documented internally: {self.evidence.cite(tia)}]"
        return str(tia["reference"])

    @staticmethod
    def _access_stated(proc: dict | None, country: str) -> str | None:
        if proc is None:
            return None
        notice = proc.get("notice", "")
        if str(proc.get("servers_in", "")).upper() == country:
            return f"hosting: servers in {country} (stated in the notice, {notice})"
        if country in [str(c).upper() for c in proc.get("access_from") or []]:
            return f"remote access from {country} (stated in the notice, {notice})"
        return None

    @staticmethod
    def _mechanism_stated(transfer: dict | None, missing: str) -> str | None:
        stated = (transfer or {}).get("mechanism")
        if not isinstance(stated, dict):
            return None
        if stated.get("text"):
            return f"{stated['text']} (stated in the notice, {stated.get('notice') or transfer.get('notice', '')})"
        if stated.get("not_stated"):
            return f"{missing}: {stated['not_stated']}"
        return None


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c == "tia_monthly_records" or c in COUNTS:
            df[c] = df[c].astype("Int64")
        elif c == "ticket_pct":
            df[c] = df[c].astype("Float64")
        elif c in ("first_seen", "last_seen"):
            df[c] = pd.to_datetime(df[c])
        elif c == "seen_in_month":
            df[c] = df[c].astype("boolean")
        else:
            df[c] = df[c].astype("string")
    return df


def register_rows(ctx: MonthContext, adequacy: Adequacy | None = None) -> pd.DataFrame:
    """The transfers the register lists for the month's policy version (at its last instant) and the
    evidence: the pairs the notice declares or the evidence documents, with their documentation only
    (no figure and no pair from the data). Columns: DOCUMENTATION."""
    doc = _Documentation(ctx.policy, ctx.history.evidence, adequacy or load_adequacy())
    pairs = sorted(set(doc.declared) | set(_documented_pairs(ctx.history.evidence)))
    return _frame([doc.row(p, c) for p, c in pairs], DOCUMENTATION)


def build(ctx: MonthContext, stat: pd.DataFrame | None, adequacy: Adequacy | None = None) -> pd.DataFrame:
    """transfers.csv: every pair declared, documented or seen in the month (stat: the month's
    cross_border/stat_transfers, None when the access log does not cover the month), its documentation
    and the month's figures. Columns: COLUMNS, one row per pair, by processor and country."""
    doc = _Documentation(ctx.policy, ctx.history.evidence, adequacy or load_adequacy())
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    if stat is not None:
        for r in stat.to_dict("records"):
            seen[transfer_key(r["processor"], r["country"])] = r
    pairs = sorted(set(doc.declared) | set(_documented_pairs(ctx.history.evidence)) | set(seen))
    rows = []
    for p, c in pairs:
        row = doc.row(p, c)
        figures = seen.get((p, c))
        if stat is None:  # not assessed: no figure at all
            row.update({f: None for f in FIGURES}, seen_in_month=None)
        elif figures is None:  # declared or documented, not seen in the month
            row.update({f: 0 for f in COUNTS}, resources_actions="", ticket_pct=None, first_seen=None,
                       last_seen=None, seen_in_month=False)
        else:
            row.update({f: figures[f] for f in FIGURES}, seen_in_month=True)
            row.update({f: None if pd.isna(figures[f]) else figures[f] for f in ("out_of_scope", "ticket_pct")})
        rows.append(row)
    return _frame(rows, COLUMNS)
