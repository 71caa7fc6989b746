"""The sentences of the notebook pages that state what the policy declares, rendered from the policy in
force (the version at the month's last instant): processors and their services, countries, purposes,
categories, retention. The notebooks' markdown stays free of such facts; a cell calls
`page.narrative(topic)`, which shows these sentences HTML-escaped.

Each function takes a `policy.Policy` and returns plain text (a list of paragraphs); `TOPICS` maps a
topic name to its function.
"""

from __future__ import annotations

import html
import re
from typing import Callable

from ..core.words import plural
from .model import Policy
from .register import TO_COMPLETE, render


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _country(policy: Policy, code: str) -> str:
    for t in policy.data["transfers"]:
        if t["country"] == code and t.get("country_name"):
            return f"{t['country_name']} ({code})"
    return code


def _external(policy: Policy) -> list[dict]:
    return [p for p in policy.data["processors"] if p.get("role") != "controller"]


def transfer_countries(policy: Policy) -> list[str]:
    """The third countries the policy declares transfers to (ISO codes), in the order it lists them."""
    return [str(t["country"]) for t in policy.data["transfers"]]


def processors(policy: Policy) -> list[str]:
    procs = _external(policy)
    if not procs:
        return ["The privacy notice declares no processor."]
    described = []
    for p in procs:
        where = []
        if p.get("servers_in"):
            where.append(f"servers in {_country(policy, p['servers_in'])}")
        if p.get("access_from"):
            where.append("accessing the data from " + _and([_country(policy, c) for c in p["access_from"]]))
        described.append(f"{p['name']} — {p.get('service', p['role'])}{'; ' + '; '.join(where) if where else ''}"
                         f" ({p['notice']})")
    own = [p for p in policy.data["processors"] if p["role"] == "controller"]
    besides = f" besides {_and([p['name'] for p in own])}" if own else ""
    text = f"The privacy notice declares {plural(len(procs), 'processor')}{besides}: " + "; ".join(described) + "."
    if policy.data.get("recipients_exhaustive") is False:
        text += (" The notice presents them as examples, not as a complete list of recipients"
                 + (f" ({policy.data['recipients_note']})" if policy.data.get("recipients_note") else "") + ".")
    return [text]


def transfers(policy: Policy) -> list[str]:
    ts = policy.data["transfers"]
    if not ts:
        return ["The privacy notice declares no transfer of personal data outside the EEA."]
    out = []
    for t in ts:
        who = _and([policy.processor(r)["name"] for r in t["recipients"]])
        text = (f"Transfer outside the EEA declared: {_country(policy, t['country'])}, by {who} ({t['notice']})."
                + (f" {t['how']}." if t.get("how") else ""))
        text += f" Safeguards: {render(t['safeguards'])}."
        if "mechanism" in t:
            text += f" Transfer tool: {render(t['mechanism'])}."
        out.append(text)
    eea = policy.data["eea"]
    out.append(f"The EEA is {len(eea)} countries: the EU member states, Iceland, Liechtenstein and Norway. Any "
               "other country outside the EEA is a third country the policy does not declare.")
    return out


def scope(policy: Policy) -> list[str]:
    """What each declared processor may touch (resources and actions)."""
    out = []
    for p in policy.data["processors"]:
        parts = []
        for entry in p["scope"]:
            actions = "every action" if "*" in entry["actions"] else _and(list(entry["actions"]))
            resource = "every resource" if entry["resource"] == "*" else entry["resource"]
            parts.append(f"{actions} on {resource}")
        countries = _and(["the EEA" if c == "EEA" else _country(policy, c) for c in p["countries"]])
        out.append(f"{p['name']}, {p.get('service', p['role'])}: {'; '.join(parts)}; from {countries}.")
    return ["Each processor may touch only what the policy declares for it:"] + out


def retention(policy: Policy, retention_years: int | None = None) -> list[str]:
    r = policy.data["retention"]
    applies = _and([a[0].lower() + a[1:] for a in r.get("applies_to") or []]) or "the personal data"
    text = (f"The privacy notice ({r['notice']}) promises that {applies} are erased {plural(r['period_years'], 'year')} "
            f"after the {r.get('counted_from', 'last order')}.")
    out = [text]
    if retention_years is not None and retention_years != r["period_years"]:
        out.append(f"This report uses a retention period of {plural(retention_years, 'year')}, given as a parameter, "
                   f"instead of the {r['period_years']} the policy declares.")
    untold = [s["name"] for s in policy.data["data_subjects"] if "retention" in s]
    if untold:
        out.append("For " + _and(untold) + f": the retention period is {TO_COMPLETE}.")
    return out


def purposes(policy: Policy) -> list[str]:
    acts = policy.data["activities"]
    ctl = [a for a in acts if a["role"] == "controller"]
    prc = [a for a in acts if a["role"] == "processor"]
    out = [f"The privacy notice declares {plural(len(ctl), 'purpose')} for which bpost is the controller: "
           + "; ".join(f"{a['id']} — {a['name']}" for a in ctl) + "."]
    if prc:
        out.append(f"and {plural(len(prc), 'processing activity', 'processing activities')} bpost carries out as processor for its customers: "
                   + "; ".join(f"{a['id']} — {a['name']}" for a in prc) + ".")
    return out


def categories(policy: Policy) -> list[str]:
    names = [c["name"] for c in policy.data["data_categories"]]
    out = ["The personal data categories the notice declares: " + "; ".join(names) + "."]
    for c in policy.data["data_categories"]:
        if c.get("account_types"):
            out.append(f"{c['name']}: declared for {_and(c['account_types'])} accounts only ({c['notice']}).")
    return out


def minimisation(policy: Policy) -> list[str]:
    limited = [c for c in policy.data["data_categories"] if c.get("account_types")]
    if not limited:
        return ["The policy restricts no data category to some account types."]
    return [f"{c['name']} is declared for {_and(c['account_types'])} accounts only ({c['notice']}); how often it is "
            "filled, per account type, among the customers held at the end of the month:" for c in limited]


def marketing(policy: Policy) -> list[str]:
    p = policy.data["profiling"]
    out = []
    for a in policy.data["activities"]:
        if a.get("channels"):
            out.append(f"{a['id']} — {a['name']}: {a['purpose']} ({a['notice']})")
            if a.get("objection"):
                out.append(f"Objection: {a['objection']}.")
    out.append(("The policy excludes personalised advertising" if not p.get("personalised_advertising")
                else "The policy allows personalised advertising") + f" ({p['notice']}); marketing must stop once the "
               "customer objects, and never reach an erased customer.")
    return out


def cross_border(policy: Policy) -> list[str]:
    return processors(policy) + transfers(policy)


def country_focus(policy: Policy) -> list[str]:
    codes = transfer_countries(policy)
    if not codes:
        return ["The policy declares no third country; the chart below follows no country."]
    return ["Access from the third countries the policy declares: " + _and([_country(policy, c) for c in codes])
            + ", per processor and month (events, distinct actors, distinct customers, records)."]


TOPICS: dict[str, Callable[..., list[str]]] = {
    "processors": processors, "transfers": transfers, "cross_border": cross_border, "scope": scope,
    "retention": retention, "purposes": purposes, "categories": categories, "minimisation": minimisation,
    "marketing": marketing, "country_focus": country_focus,
}


def paragraphs(topic: str, policy: Policy, **kwargs) -> list[str]:
    try:
        fn = TOPICS[topic]
    except KeyError:
        raise KeyError(f"no narrative topic {topic!r}; known topics: {', '.join(TOPICS)}") from None
    return fn(policy, **kwargs)


def to_html(texts: list[str]) -> str:
    """Paragraphs as escaped HTML (every policy value may hold markup)."""
    return "".join(f'<p class="ga-policy">{html.escape(t)}</p>' for t in texts)


def section_only(notice: str) -> str:
    """'§5 (recipients: …)' -> '§5': a query header's gloss on the notice is static text, so pages show the
    section numbers and state the policy's content through this module instead."""
    return re.sub(r"\s*\([^)]*\)", "", str(notice or "")).strip()


def without_gloss(text: str) -> str:
    """A query header's text without its parenthetical asides (which may name declared facts)."""
    return re.sub(r"\s*\([^)]*\)", "", str(text or "")).strip()
