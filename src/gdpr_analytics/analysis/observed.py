"""What the month's data shows, beside what the policy declares (the "observed" half of the Art. 30 record).

Everything is evaluated as the data stood at `as_of` (SPEC §4). The counting is done by the named
queries under queries/ropa/; this module joins their results with the policy and names the gaps:

- a processor seen in the month that the policy does not declare;
- a country seen for a declared processor that the policy does not declare for it;
- a field filled that is not declared (a contract column no category covers, a category filled on an
  account type it is not declared for — the VAT number on consumer accounts —, or any column outside
  the contract that held values, as recorded by the loader in `_load_extra_columns`);
- a declared *optional* field that is in fact always filled (the form may have made it mandatory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core.month import Month
from ..core.words import plural
from ..ingest.contract import CUSTOMERS
from ..policy import register
from ..policy.model import Policy

GAP_COLUMNS = ["kind", "item", "observed", "declared", "activities", "notice"]
#: The named queries `observe` runs.
QUERIES = ("ropa/subjects_held", "ropa/uploads_held", "ropa/upload_controllers", "ropa/field_fill",
           "ropa/processors_seen", "ropa/extra_columns")


def _pct(filled: int, held: int) -> float | None:
    return round(100.0 * filled / held, 1) if held else None


def controller_activities(policy: Policy) -> list[str]:
    return [a["id"] for a in policy.data["activities"] if a["role"] == "controller"]


def processor_activities(policy: Policy) -> list[str]:
    return [a["id"] for a in policy.data["activities"] if a["role"] == "processor"]


def category_of_column(policy: Policy, table: str, column: str) -> dict | None:
    """The declared data category whose `columns` include table.column, or None."""
    ref = f"{table}.{column}"
    for cat in policy.data["data_categories"]:
        if ref in cat["columns"]:
            return cat
    return None


def activities_declaring(policy: Policy, category_key: str) -> list[str]:
    return [a["id"] for a in policy.data["activities"] if category_key in a["data_categories"]]


def subject_account_types(policy: Policy, subject_keys: list[str]) -> list[str]:
    out: list[str] = []
    for s in policy.data["data_subjects"]:
        if s["key"] in subject_keys:
            out.extend(t for t in s.get("account_types") or [] if t not in out)
    return out


# -- the observations -------------------------------------------------------------------------------

def subjects_held(engine, month: Month) -> pd.DataFrame:
    """Customers held at as_of by account type; every account type of the contract, 0 where none."""
    df = engine.run("ropa/subjects_held", as_of=month.as_of)
    types = pd.DataFrame({"account_type": list(CUSTOMERS.column("account_type").allowed)})
    out = types.merge(df, on="account_type", how="left").fillna({"customers_held": 0})
    out["customers_held"] = out["customers_held"].astype("int64")
    return out


def uploads_held(engine, month: Month) -> pd.DataFrame | None:
    """Uploads held at as_of by kind; None when the source had no uploads table (not assessed)."""
    if "uploads" not in engine.present_tables():
        return None
    return engine.run("ropa/uploads_held", as_of=month.as_of)


def upload_controllers(engine, month: Month) -> int | None:
    """Customers for whom uploads are held at as_of (each a controller bpost acts for, Art. 30(2)(a));
    None when the source had no uploads table (not assessed)."""
    if "uploads" not in engine.present_tables():
        return None
    df = engine.run("ropa/upload_controllers", as_of=month.as_of)
    return int(df["controllers"].iloc[0]) if len(df) else 0


def field_fill(engine, policy: Policy, month: Month) -> pd.DataFrame:
    """For each personal-data column of customers and each account type: customers held, how many
    have the column filled, the fill rate, the declared category it belongs to, whether the policy
    declares it for that account type, and whether the policy calls it optional."""
    df = engine.run("ropa/field_fill", as_of=month.as_of)
    rows = []
    for r in df.itertuples(index=False):
        cat = category_of_column(policy, "customers", r.column_name)
        types = (cat or {}).get("account_types")
        rows.append({
            "column": r.column_name,
            "account_type": r.account_type,
            "held": int(r.held),
            "filled": int(r.filled),
            "fill_pct": _pct(int(r.filled), int(r.held)),
            "category": cat["name"] if cat else None,
            "fides_key": cat["fides_key"] if cat else None,
            "declared": bool(cat) and (not types or r.account_type in types),
            "optional": bool(cat and cat.get("optional")),
            "notice": cat["notice"] if cat else None,
        })
    cols = ["column", "account_type", "held", "filled", "fill_pct", "category", "fides_key", "declared",
            "optional", "notice"]
    order = {c.name: i for i, c in enumerate(CUSTOMERS.columns)}
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out = out.sort_values(["column", "account_type"], key=lambda s: s.map(order) if s.name == "column" else s)
    return out.reset_index(drop=True)


SEEN_COLUMNS = ["processor", "source_country", "declared_processor", "declared_country", "third_country",
                "events", "upload_events", "actors"]


def processors_seen(engine, month: Month) -> pd.DataFrame:
    """Processor × country of the month's access events, with whether the policy declares each; no row
    when the access log is absent or does not cover the month (the record then says not assessed)."""
    if "access_log" not in engine.present_tables():
        types = {"processor": "str", "source_country": "str", "declared_processor": "bool",
                 "declared_country": "bool", "third_country": "bool", "events": "int64", "upload_events": "int64",
                 "actors": "int64"}
        return pd.DataFrame({c: pd.Series(dtype=types[c]) for c in SEEN_COLUMNS})
    return engine.run("ropa/processors_seen", period_start=month.period_start, as_of=month.as_of)


def extra_columns(engine) -> pd.DataFrame:
    """Columns outside the contract that the source held (recorded by the loader, not loaded)."""
    return engine.run("ropa/extra_columns")


@dataclass
class Observation:
    """Everything observed for one month, computed once and shared by the ROPA and the notebook."""

    month: Month
    present: set[str]
    subjects: pd.DataFrame
    uploads: pd.DataFrame | None
    fill: pd.DataFrame
    seen: pd.DataFrame
    extras: pd.DataFrame
    gaps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GAP_COLUMNS))
    upload_controllers: int | None = None
    channels: list[str] = field(default_factory=list)  # marketing channels seen in the month
    data_map: pd.DataFrame | None = None  # policy.register.data_map: the data's tables and channels, declared


def channels_seen(engine) -> list[str]:
    """The marketing channels of the month's sends (the sends-by-channel statistic, when computed)."""
    try:
        df = engine.run("marketing/stat_sends_by_channel")
    except KeyError:
        return []
    return sorted(str(c) for c in df["channel"])


def observe(engine, policy: Policy, month: Month, evidence=None) -> Observation:
    obs = Observation(
        month=month,
        present=engine.present_tables(),
        subjects=subjects_held(engine, month),
        uploads=uploads_held(engine, month),
        fill=field_fill(engine, policy, month),
        seen=processors_seen(engine, month),
        extras=extra_columns(engine),
        upload_controllers=upload_controllers(engine, month),
        channels=channels_seen(engine),
    )
    obs.data_map = register.data_map(policy, evidence, sorted(t for t in obs.present if not t.startswith("_")),
                                     obs.channels)
    obs.gaps = find_gaps(obs, policy)
    return obs


def find_gaps(obs: Observation, policy: Policy) -> pd.DataFrame:
    controller = controller_activities(policy)
    processor = processor_activities(policy)
    out: list[dict] = []

    def add(kind, item, observed, declared, activities, notice):
        out.append({"kind": kind, "item": item, "observed": observed, "declared": declared,
                    "activities": ", ".join(activities), "notice": notice})

    def concerned(upload_events: int) -> list[str]:
        return controller + (processor if upload_events else [])

    declared_processors = ", ".join(p["key"] for p in policy.data["processors"])
    seen = obs.seen
    for proc, part in seen[~seen["declared_processor"]].groupby("processor", sort=True):
        per = part.groupby("source_country", sort=True)["events"].sum()
        countries = ", ".join(f"{c} ({int(n)})" for c, n in per.items())
        add("processor not declared", proc,
            f"{plural(int(part['events'].sum()), 'access event')} in {obs.month.label}, from {countries}",
            f"declared processors: {declared_processors}", concerned(int(part["upload_events"].sum())),
            "§5")
    undeclared_country = seen[seen["declared_processor"] & ~seen["declared_country"]]
    for r in undeclared_country.itertuples(index=False):
        allowed = ", ".join(next((p["countries"] for p in policy.data["processors"]
                                  if p["key"] == r.processor.strip().lower()), []))
        add("country not declared for the processor", f"{r.processor} from {r.source_country}",
            f"{plural(int(r.events), 'access event')} in {obs.month.label}",
            f"{r.processor} may access from: {allowed}", concerned(int(r.upload_events)), "§5, §6")

    fill = obs.fill
    for r in fill[(fill["filled"] > 0) & ~fill["declared"]].itertuples(index=False):
        cat = category_of_column(policy, "customers", r.column)
        if cat is None:
            declared, acts, notice = "no declared data category covers this column", controller, "§3"
        else:
            declared = f"{cat['name']}: declared for {', '.join(cat['account_types'])} accounts only"
            acts, notice = activities_declaring(policy, cat["key"]), cat["notice"]
        add("field filled but not declared", f"customers.{r.column} on {r.account_type} accounts",
            f"filled for {r.filled} of {r.held} {r.account_type} customers held ({r.fill_pct}%)",
            declared, acts, notice)

    for r in obs.extras[obs.extras["non_null"] > 0].itertuples(index=False):
        acts = processor if r.table_name == "uploads" else controller
        add("field filled but not declared", f"{r.table_name}.{r.column_name}",
            f"the source held this column outside the data contract, with {plural(int(r.non_null), 'value')}",
            "not a column of the data contract, and no declared data category covers it", acts, "§3")

    for cat in policy.data["data_categories"]:
        if not cat.get("optional"):
            continue
        cols = [c.split(".", 1)[1] for c in cat["columns"] if c.startswith("customers.")]
        types = cat.get("account_types")
        part = fill[fill["column"].isin(cols)]
        if types:
            part = part[part["account_type"].isin(types)]
        part = part[part["held"] > 0]
        if part.empty:
            continue
        by_col = part.groupby("column")[["held", "filled"]].sum()
        always = by_col[by_col["filled"] == by_col["held"]]
        for col, r in always.iterrows():
            add("optional field always filled", f"customers.{col}",
                f"filled for all {int(r['held'])} customers held",
                f"{cat['name']}: declared optional", activities_declaring(policy, cat["key"]), cat["notice"])

    for r in (obs.data_map if obs.data_map is not None else pd.DataFrame()).itertuples(index=False):
        if r.state == register.INCOMPLETE:
            add(f"{r.kind} held but declared by no activity", r.item,
                f"the source holds {r.kind} {r.item}" if r.kind == "table" else
                f"marketing sends on channel {r.item} in {obs.month.label}",
                "no processing activity of the notice (nor of the evidence) declares it", [], "§3")

    return pd.DataFrame(out, columns=GAP_COLUMNS)


# -- per activity -----------------------------------------------------------------------------------

def _seen_for(obs: Observation, role: str) -> pd.DataFrame:
    seen = obs.seen
    if role == "processor":
        seen = seen[seen["upload_events"] > 0].copy()
        seen["events"] = seen["upload_events"]
    return seen


def activity_processors_seen(obs: Observation, role: str) -> str:
    """'tcs: BE 4 events, IN 120 events; aws: IE 1 event' — every event for a controller activity, upload events for PR1."""
    seen = _seen_for(obs, role)
    if "access_log" not in obs.present:
        return "not assessed: the access log is absent from the source or does not cover the month"
    if seen.empty:
        return "none in the month" if role == "controller" else "no access to uploads in the month"
    parts = []
    for proc, part in seen.groupby("processor", sort=True):
        flag = "" if part["declared_processor"].all() else " (not declared)"
        per_country = part.groupby("source_country", sort=True)["events"].sum()
        per = ", ".join(f"{c} {plural(int(n), 'event')}" for c, n in per_country.items())
        parts.append(f"{proc}{flag}: {per}")
    return "; ".join(parts)


def activity_countries_seen(obs: Observation, role: str) -> str:
    seen = _seen_for(obs, role)
    if seen.empty:
        return "none"
    by_country = seen.groupby("source_country", sort=True)["third_country"].first()
    outside = [c for c, third in by_country.items() if third]
    inside = [c for c, third in by_country.items() if not third]
    return f"outside the EEA: {', '.join(outside) or 'none'}; in the EEA: {', '.join(inside) or 'none'}"


def activity_subjects_held(obs: Observation, policy: Policy, activity: dict) -> str:
    if activity.get("internal"):
        return "not counted: an activity the controller documents internally names its subjects as text"
    if activity["role"] == "processor":
        if obs.uploads is None:
            return "not assessed: no uploads table in the source"
        u = obs.uploads
        return (f"{plural(int(u['uploads_held'].sum()), 'upload')} held at the end of {obs.month.label}, "
                f"of which {int(u['depicting_persons'].sum()):,} "
                f"{'shows' if int(u['depicting_persons'].sum()) == 1 else 'show'} persons")
    names = {s["key"]: s["name"] for s in policy.data["data_subjects"]}
    held = dict(zip(obs.subjects["account_type"], obs.subjects["customers_held"]))
    parts = []
    for key in activity["data_subjects"]:
        subj = next(s for s in policy.data["data_subjects"] if s["key"] == key)
        types = subj.get("account_types") or []
        if types:
            n = sum(int(held.get(t, 0)) for t in types)
            parts.append(f"{names[key]}: {n}")
        else:
            parts.append(f"{names[key]}: not counted (no table of the source holds them)")
    return "; ".join(parts) + f" (held at the end of {obs.month.label})"


def activity_categories_filled(obs: Observation, policy: Policy, activity: dict) -> str:
    """Fill rate of each data category the activity declares, among the customers it applies to."""
    if activity.get("internal"):
        return "not counted: an activity the controller documents internally names its categories as text"
    parts = []
    for key in activity["data_categories"]:
        cat = policy.category(key)
        cols = [c.split(".", 1)[1] for c in cat["columns"] if c.startswith("customers.")]
        if not cols:
            if "uploads.upload_id" in cat["columns"]:
                parts.append(f"{cat['name']}: "
                             + ("not assessed" if obs.uploads is None
                                else f"{int(obs.uploads['uploads_held'].sum())} held"))
            continue
        fill = obs.fill[obs.fill["column"].isin(cols)]
        if cat.get("account_types"):
            fill = fill[fill["account_type"].isin(cat["account_types"])]
        per_col = fill.groupby("column", sort=False)[["held", "filled"]].sum()
        per_col = per_col.reindex(cols).dropna()
        if per_col.empty or per_col["held"].sum() == 0:
            parts.append(f"{cat['name']}: no customers held")
            continue
        rates = [f"{_pct(int(r.filled), int(r.held))}%" for r in per_col.itertuples()]
        if len(cols) == 1:
            parts.append(f"{cat['name']}: {rates[0]} filled")
        else:
            parts.append(f"{cat['name']}: " + ", ".join(f"{c} {p}" for c, p in zip(per_col.index, rates))
                         + " filled")
    return "; ".join(parts)


def activity_gaps(obs: Observation, activity_id: str) -> str:
    g = obs.gaps
    mine = g[g["activities"].map(lambda s: activity_id in [a.strip() for a in s.split(",")])]
    if mine.empty:
        return "none found"
    return "; ".join(f"{r.kind}: {r.item} — {r.observed}" for r in mine.itertuples(index=False))

