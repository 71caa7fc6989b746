"""The right of access (GDPR Art. 15, SPEC §13): what a pack says about one data subject, from the data.

`build_packs(engine, history, subjects, as_of)` answers for several subjects at once, in one pass over each
table and over the access log (the named queries of queries/access/, run against the pack's own tables
`pack_subjects` and `pack_spans`, so nobody else's rows are read into a pack):

- **held**: a copy of every row held about the subject at `as_of` in customers, orders, uploads (the
  metadata held; the images are supplied separately), marketing_sends and dsr_requests; a state after
  `as_of` (a later erasure, a request closed later) is not yet part of it;
- **art15**: the Art. 15(1)(a)–(h) and 15(2) information for this subject, from the policy version in force
  at `as_of` (and the controller's evidence): the activities their rows fall under (the tables each
  activity declares) with purposes and legal bases, the categories actually filled for them, the
  processors that reached their data with countries and transfer safeguards, the retention rule and the
  day their data is due for erasure, the rights and where to exercise them, the source, automated
  decisions. What the notice does not state is said to be not stated, never invented;
- **consultations**: each access-log event on the subject (customer_id = the subject) before `as_of`,
  oldest first, with the purpose as far as the data shows it (the ticket, else the processor's declared
  service); **table_operations**: events with no customer_id on a resource holding their data while it
  held it (exports, bulk reads) that may have included it. A large log holds millions of those (6.1M at
  50M events), so they are counted, not listed: one entry per resource, processor, country, action and
  policy version in force, with its days, totals and `by_month`, and never attributed to a staff member.
Actor IDs are withheld unless `with_actors` (C-579/21: the dates and purposes of each consultation are owed,
not as a rule the employees' identities); source IPs are never read.

Every value is plain JSON (instants as `YYYY-MM-DDTHH:MM:SSZ`, amounts as text with their scale), so both
engines give byte-identical packs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..core.instants import format_instant
from ..engines.base import Engine
from ..ingest.contract import TABLES
from ..policy import register
from ..policy.model import ALWAYS_FROM

#: The tables a pack copies, with the named query that reads the subjects' rows and their record instant.
HELD = (
    ("customers", "access/held_customers", "created_at"),
    ("orders", "access/held_orders", "ordered_at"),
    ("uploads", "access/held_uploads", "uploaded_at"),
    ("marketing_sends", "access/held_marketing_sends", "sent_at"),
    ("dsr_requests", "access/held_dsr_requests", "received_at"),
)
#: The access log's resource holding each table's rows.
RESOURCE_OF = {"customers": "customers", "orders": "orders", "uploads": "uploads", "marketing_sends": "marketing",
               "dsr_requests": "requests"}
EVENT_COLUMNS = ("event_id", "occurred_at", "processor", "processor_name", "country", "action", "resource",
                 "records", "ticket_id", "purpose")


@dataclass
class Pack:
    """One subject's answer; `consultations` and `table_operations` hold `actor_id` only with actors."""

    subject: str
    as_of: str
    held: dict[str, list[dict[str, Any]]]
    art15: dict[str, Any]
    consultations: list[dict[str, Any]]
    table_operations: list[dict[str, Any]]
    policy_versions: list[dict[str, Any]]
    with_actors: bool = False
    request_id: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = {"subject": self.subject, "as_of": self.as_of}
        if self.request_id is not None:
            out["request_id"] = self.request_id
        out.update({"held": self.held, "art15": self.art15, "consultations": self.consultations,
                    "table_operations": self.table_operations, "policy_versions": self.policy_versions,
                    "actors_included": self.with_actors})
        return out


# -- values ---------------------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    """None, or a value that is not equal to itself (NaN, NaT: an engine answering through a frame)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def plain(value: Any, kind: str) -> Any:
    """One value as JSON, by its contract type: TIMESTAMP as an ISO instant, DATE as YYYY-MM-DD, integers as
    int, DECIMAL(p,s) as text with s decimals, BOOLEAN as bool, text as str; None for NULL."""
    if _missing(value):
        return None
    if kind == "TIMESTAMP":
        return format_instant(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value)
    if kind == "DATE":
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if kind in ("INTEGER", "BIGINT"):
        return int(value)
    if kind.startswith("DECIMAL"):
        scale = int(kind.rstrip(")").split(",")[1])
        return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-scale))}"
    if kind == "BOOLEAN":
        return bool(value)
    return str(value)


def _columns(answer: tuple[list[str], list[tuple]], names) -> list[tuple]:
    """The named columns of an answer (engine.records), row by row."""
    cols, rows = answer
    at = [cols.index(n) for n in names]
    return [tuple(r[i] for i in at) for r in rows]


def _kinds(table: str) -> dict[str, str]:
    return {c.name: c.type for c in TABLES[table].columns}


def _rows(answer: tuple[list[str], list[tuple]], kinds: dict[str, str]) -> list[dict[str, Any]]:
    cols, rows = answer
    return [{c: plain(v, kinds.get(c, "VARCHAR")) for c, v in zip(cols, values)} for values in rows]


def add_years(instant: datetime, years: int) -> datetime:
    """instant + years as the retention rule counts them (DuckDB's INTERVAL: 29 February + 1 year is
    28 February)."""
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:
        return instant.replace(year=instant.year + years, day=28)


# -- the Art. 15 information ------------------------------------------------------------------------

def _processor_name(policy, key: str) -> tuple[str, bool]:
    norm = key.strip().lower()
    for p in policy.data["processors"]:
        if p["key"] == norm:
            return p["name"], True
    return key, False


def _service(policy, processor: str) -> str:
    """Why a processor reaches the data, as far as the notice says: its declared service."""
    _, declared = _processor_name(policy, processor)
    if not declared:
        return "a processor the privacy notice does not name"
    proc = policy.processor(processor.strip().lower())
    return f"the processor's declared service: {proc.get('service', proc['role'])} ({proc['notice']})"


def _purpose_of(policy, event: dict) -> str:
    if event.get("ticket_id"):
        return f"ticket {event['ticket_id']}"
    return f"no ticket; {_service(policy, event['processor'])}"


def _policy_at(history, instant: str, default):
    """The policy version in force at an event's instant (the one at as_of for an event before the earliest)."""
    try:
        return history.at(datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ"))
    except Exception:  # noqa: BLE001 - PolicyError: before the earliest version
        return default


def _event(history, default, row: dict, with_actors: bool) -> dict[str, Any]:
    """One access event as a pack shows it, named and explained by the policy version in force at its time."""
    policy = _policy_at(history, row["occurred_at"], default)
    name, _ = _processor_name(policy, row["processor"])
    out = {"event_id": row["event_id"], "occurred_at": row["occurred_at"], "processor": row["processor"],
           "processor_name": name, "country": row["source_country"], "action": row["action"],
           "resource": row["resource"], "records": row["record_count"], "ticket_id": row["ticket_id"],
           "purpose": _purpose_of(policy, row)}
    if with_actors:
        out["actor_id"] = row["actor_id"]
    return out


#: at most this many windows of a span's first or last day are read one by one (each only around its instants,
#: as a log stored in time order allows); more are read in one pass over the log
EDGE_QUERIES = 16
OPERATION_COLUMNS = ("day", "processor", "source_country", "action", "events", "records", "with_ticket")


def _edges(spans: list[tuple]) -> list[tuple]:
    """The windows of each span's first and last day: [held_from, the next day's first instant or held_to)
    and, when the span ends on a later day after its first instant, [that day's first instant, held_to)."""
    out = []
    for subject, resource, start, until in spans:
        next_day = datetime.combine(start.date() + timedelta(days=1), datetime.min.time())
        out.append((subject, resource, start, min(next_day, until)))
        last_day = datetime.combine(until.date(), datetime.min.time())
        if until.date() > start.date() and until > last_day:
            out.append((subject, resource, last_day, until))
    return out


def _version_rows(history, version) -> list[tuple]:
    """(version, valid_from, valid_to) of every version, and before the earliest the one at as_of (as
    consultations are judged)."""
    rows = [(v.policy.version, v.valid_from, v.valid_to) for v in history.versions]
    first = history.versions[0].valid_from
    if first > ALWAYS_FROM:
        rows.append((version.policy.version, ALWAYS_FROM, first))
    return rows


def _operations(engine: Engine, history, version, spans: list[tuple], as_of: datetime,
                edge_queries: int = EDGE_QUERIES) -> dict[str, list[dict[str, Any]]]:
    """Per subject, the operations on whole tables while a resource held their data, counted per resource,
    processor, country, action and policy version, with their months: the days strictly inside each span
    from the day roll-up (access/table_operations), its first and last day from the events
    (access/table_operation_window per window when few, access/table_operation_edges in one pass when many)."""
    policies = {v.policy.version: v.policy for v in history.versions}
    day_version: dict[str, str] = {}

    def version_of(day: str) -> str:
        if day not in day_version:
            day_version[day] = _policy_at(history, f"{day}T00:00:00Z", version.policy).version
        return day_version[day]

    bins: dict[str, dict[tuple, dict[str, list]]] = {}

    def add(subject, key, month, days, first, last, events, records, tickets):
        b = bins.setdefault(subject, {}).setdefault(key, {}).setdefault(month, [0, 0, 0, 0, first, last])
        b[0] += days
        b[1] += events
        b[2] += records
        b[3] += tickets
        b[4], b[5] = min(b[4], first), max(b[5], last)

    edges = _edges(spans)
    engine.register_access(sorted({s for s, *_ in spans}), spans, [] if len(edges) <= edge_queries else edges,
                           _version_rows(history, version))
    columns = ("customer_id", "resource", "processor", "source_country", "action", "version", "month", "days",
               "first_day", "last_day", "events", "records", "with_ticket")
    for subject, resource, processor, country, action, ver, month, days, first, last, events, records, tickets in \
            _columns(engine.records("access/table_operations", as_of=as_of), columns):
        add(subject, (resource, processor, country, action, ver), month[:7], int(days), first, last, int(events),
            int(records), int(tickets))
    if len(edges) <= edge_queries:
        rows = []
        for subject, resource, start, until in edges:
            answer = engine.records("access/table_operation_window", resource=resource, window_from=start,
                                    window_to=until)
            rows += [(subject, resource, *r) for r in _columns(answer, OPERATION_COLUMNS)]
    else:
        rows = _columns(engine.records("access/table_operation_edges", as_of=as_of),
                        ("customer_id", "resource", *OPERATION_COLUMNS))
    for subject, resource, day, processor, country, action, events, records, tickets in rows:
        add(subject, (resource, processor, country, action, version_of(day)), day[:7], 1, day, day, int(events),
            int(records), int(tickets))
    out: dict[str, list[dict[str, Any]]] = {}
    for subject, groups in bins.items():
        entries = []
        for (resource, processor, country, action, ver), months in groups.items():
            policy = policies.get(ver, version.policy)
            by_month = [[m, *months[m][:4]] for m in sorted(months)]
            entries.append({"resource": resource, "processor": processor,
                            "processor_name": _processor_name(policy, processor)[0], "country": country,
                            "action": action, "policy_version": ver, "purpose": _service(policy, processor),
                            "events": sum(m[2] for m in by_month), "records": sum(m[3] for m in by_month),
                            "with_ticket": sum(m[4] for m in by_month), "days": sum(m[1] for m in by_month),
                            "first_day": min(b[4] for b in months.values()),
                            "last_day": max(b[5] for b in months.values()), "by_month": by_month})
        out[subject] = sorted(entries, key=lambda e: (e["resource"], e["processor"], e["country"], e["action"],
                                                      e["first_day"]))
    return out


def _statement(value: Any) -> dict[str, Any]:
    """A policy statement for a data subject: its text and whether the notice states it."""
    state = register.state_of(value)
    return {"text": register.render(value), "state": state}


def art15(policy, evidence, subject: str, held: dict[str, list[dict]], consultations: list[dict],
          operations: list[dict], as_of: datetime) -> dict[str, Any]:
    """The Art. 15(1)(a)–(h) and 15(2) information for one subject, from the policy version in force at
    as_of: only what concerns their rows and the processors that reached their data."""
    d = policy.data
    tables = [t for t, rows in held.items() if rows]
    activities = [a for a in register.activities(policy, evidence)
                  if set(a.get("tables") or []) & set(tables)]
    purposes = []
    for a in activities:
        cells = register.activity_cells(policy, a, evidence)
        purposes.append({
            "activity": str(a["id"]), "name": a["name"], "role": a["role"],
            "tables": [t for t in a.get("tables") or [] if t in tables],
            "purpose": {"text": cells["purposes"][0], "state": cells["purposes"][1]},
            "legal_basis": {"text": cells["legal_basis"][0], "state": cells["legal_basis"][1]},
            "source": {"text": cells["source"][0], "state": cells["source"][1]},
        })
    customer = (held.get("customers") or [None])[0]
    categories = []
    for c in d["data_categories"]:
        filled = False
        for col in c["columns"]:
            table, column = col.split(".", 1)
            rows = held.get(table) or []
            filled = filled or any(r.get(column) not in (None, "") for r in rows)
        if filled:
            categories.append({"key": c["key"], "name": c["name"], "notice": c["notice"]})
    reached: dict[str, dict[str, Any]] = {}
    for e in consultations + operations:
        r = reached.setdefault(e["processor"], {"processor": e["processor"], "name": e["processor_name"],
                                                "declared": _processor_name(policy, e["processor"])[1],
                                                "countries": set(), "consultations": 0, "table_operations": 0})
        r["countries"].add(e["country"])
    for e in consultations:
        reached[e["processor"]]["consultations"] += 1
    for e in operations:
        reached[e["processor"]]["table_operations"] += e["events"]
    eea = set(policy.eea)
    recipients = []
    for key in sorted(reached):
        r = reached[key]
        proc = policy.processor(key.strip().lower()) if r["declared"] else None
        recipients.append({
            "processor": key, "name": r["name"], "declared_in_notice": r["declared"],
            "service": proc.get("service", proc["role"]) if proc else "not named in the privacy notice",
            "countries": sorted(r["countries"]), "outside_eea": sorted(c for c in r["countries"] if c not in eea),
            "consultations": r["consultations"], "table_operations": r["table_operations"]})
    transfers = []
    for country in sorted({c for r in recipients for c in r["outside_eea"]}):
        declared = next((t for t in d["transfers"] if t["country"] == country), None)
        who = [r["processor"] for r in recipients if country in r["outside_eea"]]
        if declared is None:
            safeguards = {"text": "not stated in the privacy notice: the notice declares no transfer to this "
                                  "country", "state": register.INCOMPLETE}
        else:
            text = register.render(declared["safeguards"])
            if "mechanism" in declared:
                text += f"; transfer tool: {register.render(declared['mechanism'])}"
            state = register.STATED if register.stated(declared["safeguards"]) and \
                register.stated(declared.get("mechanism", {"text": "x"})) else register.INCOMPLETE
            documented = [(p, evidence.transfer(p.strip().lower(), country)) for p in who] if evidence else []
            if documented and all(e is not None and e.get("mechanism") for _, e in documented):
                text += "; " + "; ".join(f"{p}: {evidence.render(e['mechanism'])}" for p, e in documented)
                state = register.DOCUMENTED if state == register.INCOMPLETE else state
            safeguards = {"text": text, "state": state}
        transfers.append({"country": country, "processors": who, "safeguards": safeguards})
    retention = {"rule": register.retention_rule(policy), "last_order_at": None, "due_for_erasure_at": None,
                 "erased_at": customer.get("erased_at") if customer else None}
    orders = held.get("orders") or []
    if orders:
        last = max(o["ordered_at"] for o in orders)
        retention["last_order_at"] = last
        due = add_years(datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ"), policy.retention_years)
        retention["due_for_erasure_at"] = format_instant(due)
        retention["note"] = (f"The data is due for erasure {policy.retention_years} years after the last order: "
                             f"{retention['due_for_erasure_at']}.")
    else:
        retention["note"] = "No order is held: the notice counts the retention period from the last order (§7)."
    contact = d["contact"]
    return {
        "confirmation": (f"bpost processes personal data about the data subject {subject}." if customer else
                         f"bpost holds no customer record for {subject} at {format_instant(as_of)}."),
        "controller": register.controller_text(policy),
        "data_protection_officer": register.dpo_text(policy)[0],
        "purposes": purposes,
        "categories": categories,
        "recipients": recipients,
        "declared_recipients": sorted({register.recipients_cell(policy, a, evidence)[0] for a in activities
                                       if not a.get("internal")}),
        "transfers": transfers,
        "retention": retention,
        "rights": {
            "text": register.render(policy.activity_statement({}, "data_subject_rights")),
            "contact": {"name": contact["name"], "address": contact.get("address", ""),
                        "web_form": contact.get("web_form", ""), "notice": contact["notice"]},
            "complaint": _statement(d.get("supervisory_authority") or {
                "not_stated": "The notice does not name the supervisory authority to which a complaint may be "
                              "lodged (Art. 15(1)(f)); it refers to bpost's general privacy policy (§8)."}),
        },
        "automated_decisions": register.profiling_text(policy),
        "images": ("The images themselves (photos, drawings) are not part of the data this pack is built from; "
                   "they are supplied separately." if held.get("uploads") else None),
    }


# -- the packs ----------------------------------------------------------------------------------------

def _spans(held: dict[str, dict[str, list[dict]]], as_of: datetime) -> list[tuple]:
    """Per subject, each resource holding their data, from their record's creation (customers) or their first
    row there, until their erasure or as_of."""
    out = []
    end_default = as_of
    for subject, tables in held.items():
        customer = (tables.get("customers") or [None])[0]
        if customer is None:
            continue
        erased = customer.get("erased_at")
        until = datetime.strptime(erased, "%Y-%m-%dT%H:%M:%SZ") if erased else end_default
        for table, _, when in HELD:
            rows = tables.get(table) or []
            if not rows:
                continue
            start = min(datetime.strptime(r[when], "%Y-%m-%dT%H:%M:%SZ") for r in rows)
            if start < until:
                out.append((subject, RESOURCE_OF[table], start, until))
    return out


def build_packs(engine: Engine, history, subjects: list[str], as_of: datetime, *,
                with_actors: bool = False, edge_queries: int = EDGE_QUERIES) -> dict[str, Pack]:
    """Every subject's pack at as_of (naive UTC), from one pass per table and over the access log."""
    subjects = sorted(dict.fromkeys(subjects))
    version = history.version_at(as_of - timedelta(microseconds=1))
    policy = version.policy
    present = engine.present_tables()
    engine.register_access(subjects)
    held: dict[str, dict[str, list[dict]]] = {s: {} for s in subjects}
    for table, name, _ in HELD:
        if table not in present:
            continue
        kinds = _kinds(table)
        for row in _rows(engine.records(name, as_of=as_of), kinds):
            held[row["customer_id"]].setdefault(table, []).append(row)
    for s in subjects:
        for table, _, _ in HELD:
            if table in present:
                held[s].setdefault(table, [])
    events: dict[str, list[dict]] = {s: [] for s in subjects}
    operations: dict[str, list[dict]] = {s: [] for s in subjects}
    if "access_log" in present:
        kinds = _kinds("access_log")
        for row in _rows(engine.records("access/consultations", as_of=as_of), kinds):
            events[row["customer_id"]].append(_event(history, policy, row, with_actors))
        operations.update(_operations(engine, history, version, _spans(held, as_of), as_of, edge_queries))
    versions = [{"version": v.version, "file": v.path.name, "sha256": v.sha256, "valid_from":
                 v.describe()["valid_from"], "valid_to": v.describe()["valid_to"],
                 "used_for": "the Art. 15 information" if v is version else "judging consultations in force then"}
                for v in history.versions if v.valid_from < as_of]
    packs = {}
    for s in subjects:
        packs[s] = Pack(subject=s, as_of=format_instant(as_of), held=held[s],
                        art15=art15(policy, history.evidence, s, held[s], events[s], operations[s], as_of),
                        consultations=events[s], table_operations=operations[s], policy_versions=versions,
                        with_actors=with_actors)
    return packs


def open_access_requests(engine: Engine, month) -> list[tuple[str, str | None]]:
    """(request_id, customer_id) of every access request (right = 'access') open at the month's end:
    received before as_of and not closed before it."""
    if "dsr_requests" not in engine.present_tables():
        return []
    rows = _columns(engine.records("access/open_requests", as_of=month.as_of), ("request_id", "customer_id"))
    return [(str(r), None if _missing(c) else str(c)) for r, c in rows]
