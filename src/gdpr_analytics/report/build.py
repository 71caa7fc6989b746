"""The monthly report (SPEC §6): `<out>/<YYYY-MM>/`, built whole or not at all.

`run_report(engine, ctx, out)` builds one month on an open engine (the command's) for a month context
(analysis/context.py), as a pipeline of named steps over one `Build`, in a staging folder
`<out>/.staging-<YYYY-MM>-<pid>` beside the month folder:
1. `write_tables`: the month results (computed once, or read from the store), then findings.csv (the
   exact text of `findings --format csv`), findings_status.csv (against the previous month's report in
   <out>), cross_border.csv, transfers.csv, ropa.csv and ropa.xlsx (the audit record), register.xlsx and
   register.html
   (the register handed to the authority, in the language of `lang`: register_book.py);
2. `run_notebooks`: every report notebook executed with papermill into notebooks/ (notebooks.py), each
   exported to one self-contained auditor page (pages.py) while the next one runs;
3. `write_index`: index.html and summary.json;
4. `write_manifest`: manifest.json (the SHA-256 of every other file).
Only when everything succeeded does the staging folder replace `<out>/<YYYY-MM>` (`publish`). On any
failure the staging folder is removed, an earlier report for the month is left exactly as it was, and a
GdprAnalyticsError with one line naming the step (for a notebook: the notebook and the cell) is raised.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

import nbformat
import pandas as pd

from ..analysis import statistics
from ..analysis.context import MonthContext
from ..analysis.results import MonthResults, is_stored, key_parts, month_results
from ..analysis.rules import CATALOGUE
from ..analysis.store import Store, key_of
from ..core.assets import default_policy_path
from ..core.csvfile import write_csv
from ..core.errors import GdprAnalyticsError, UsageError, first_line, one_line
from ..core.files import alive, readable, sha256_file
from ..core.instants import format_instant, utc_now
from ..core.month import Month
from ..core.progress import log_line
from ..engines.base import Engine, results_beside
from ..policy import register
from . import index, manifest, overview, pages, register_book, summary
from . import notebooks as kernels
from . import status as statusmod
from .notebooks import CELL_TIMEOUT, execute_notebook, without_local_paths
from .spreadsheets import write_ropa_xlsx

DESCRIPTIONS = {
    "01_records_of_processing": "the Art. 30 record of processing activities, checked against the data",
    "02_retention": "retention breaches: personal data and photos kept past the declared retention period",
    "03_cross_border": "access to the data by processors, above all from the third countries the policy declares",
    "04_rights_and_marketing": "marketing after objection, personalised marketing, late data-subject requests, "
                               "data beyond what is declared",
}
FILES = [
    ("findings.csv", "one row per finding; the same rows as the command gdpr-analytics findings --format csv"),
    (statusmod.STATUS_FILE, "each finding new, persisting (with the month first seen), resolved or not re-assessed"),
    ("cross_border.csv", "access events of the month by processor, country, resource and action"),
    ("transfers.csv", "per processor and country outside the EEA, declared or seen: the transfer's documentation "
                      "(legal entity, access, adequacy, mechanism, TIA) and the month's figures from the data"),
    ("ropa.csv", "the Art. 30 record of processing activities (CSV)"),
    ("ropa.xlsx", "the Art. 30 record of processing activities (spreadsheet), checked against the data: the audit "
                  "version"),
    (register_book.XLSX_FILE, "the register of processing activities to hand to the supervisory authority, after "
                              "the Belgian DPA's model: what the notice states and the controller documents, no "
                              "observation from the data"),
    (register_book.HTML_FILE, "the same register as a page"),
    ("summary.json", "what the month found, per rule and severity, for machines (schema: docs/summary.schema.json)"),
    (manifest.MANIFEST_FILE, "parameters, policy, inputs, versions and the SHA-256 of every file"),
]


REGISTER_PAGE = index.Link(register_book.HTML_FILE, "Register of processing activities",
                           "the register to hand to the supervisory authority: what the notice states and the "
                           "controller documents, each field stated, documented, to complete or not applicable; "
                           "no observation from the data (also register.xlsx)")


class Steps:
    """Each step of a report: said on stderr (a line on a terminal, a UTC-timestamped line otherwise,
    nothing when quiet) and timed for the manifest. Steps may run at the same time (notebooks)."""

    def __init__(self, month: Month, show: bool | None):
        self.month = month
        self.tty = sys.stderr.isatty()
        self.show = show if show is not None else True
        self._t0 = time.perf_counter()
        self._done: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def say(self, what: str) -> None:
        if not self.show:
            return
        if self.tty:
            with self._lock:
                sys.stderr.write(f"report {self.month.label}: {what}\n")
                sys.stderr.flush()
        else:
            log_line(f"report {self.month.label}: {what}")

    @contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        start = time.perf_counter()
        self.say(what)
        yield
        with self._lock:
            self._done.append({"step": what, "start_s": round(start - self._t0, 2),
                               "seconds": round(time.perf_counter() - start, 2)})

    def timings(self) -> list[dict[str, Any]]:
        return sorted(self._done, key=lambda d: d["start_s"])


@dataclass
class Build:
    """One month's report as it is built: what it is built from, and what each step leaves for the next."""

    engine: Engine
    ctx: MonthContext
    out: Path
    staging: Path
    store: Store
    notebooks: list[Path]
    step: Steps
    jobs: int
    cell_timeout: int
    key: str
    started: datetime
    lang: str = "en"  # the language of the register's labels (register.xlsx, register.html)
    generated: str = ""
    results: MonthResults | None = None
    status: statusmod.Status | None = None
    cross: pd.DataFrame | None = None
    pages: list[index.Link] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # each notebook's run, for the manifest

    @property
    def month(self) -> Month:
        return self.ctx.month

    @property
    def policy(self):
        return self.ctx.policy

    def header(self) -> dict[str, Any]:
        """What every auditor page says about itself (pages.PageInfo)."""
        info, month, policy = self.results.load_info, self.month, self.policy
        return dict(
            month=month.label, period_start=format_instant(month.period_start), as_of=format_instant(month.as_of),
            parameters=self.ctx.params.as_dict(),
            policy_name=str(policy.data["policy"].get("title", policy.data["policy"]["id"])),
            policy_version=policy.version, policy_sha256=policy.sha256, loaded_at=info.get("loaded_at", ""),
            generated_at=self.generated, tool_version=manifest.versions()["gdpr-analytics"],
            inputs=self.results.inputs,
        )


def run_report(engine: Engine, ctx: MonthContext, *, out: str | Path = "reports", store: Store | None = None,
               notebooks: Sequence[str | Path] | None = None, cell_timeout: int = CELL_TIMEOUT,
               show: bool | None = None, jobs: int | None = None, key: str | None = None, lang: str = "en") -> Path:
    """Write `<out>/<month>/` from the open engine for the month context, and return it. `store`: where
    the month results are kept (default: the engine's). `jobs` notebooks run at a time (default: one per
    core, at most 4). `key`: the month's build key (`build_key`), recorded in the manifest. `lang`: the
    language of the register's labels (en, nl)."""
    register_book.labels(lang)  # an unknown language is bad usage, before anything is written
    started = utc_now()
    nb_paths = [Path(p) for p in notebooks] if notebooks is not None else kernels.default_notebooks()
    for p in nb_paths:
        if not p.is_file():
            raise UsageError(f"report: notebook {p} does not exist")
    kernels.check_kernel()
    out = Path(out).absolute()
    month = ctx.month
    final = out / month.label
    staging = out / f".staging-{month.label}-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        _recover(out, month)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as exc:
        raise UsageError(f"report: cannot write to {out}: {exc.strerror or exc}") from None
    build = Build(engine=engine, ctx=ctx, out=out, staging=staging,
                  store=store if store is not None else Store(engine.results), notebooks=nb_paths,
                  step=Steps(month, show), jobs=jobs or kernels.default_jobs(), cell_timeout=cell_timeout,
                  key=key or build_key(engine, ctx, out, lang), started=started, lang=lang)
    try:
        write_tables(build)
        run_notebooks(build)
        write_index(build)
        write_manifest(build)
        readable(staging)
        with build.step("publishing"):
            publish(staging, final, month)
            overview.write(out)
    except GdprAnalyticsError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise GdprAnalyticsError(one_line(f"report {month.label} not written: {exc}", 300)) from exc.__cause__
    except OSError as exc:  # disk full, permissions, ...
        shutil.rmtree(staging, ignore_errors=True)
        where = f" ({exc.filename})" if exc.filename else ""
        raise GdprAnalyticsError(one_line(f"report {month.label} not written: {exc.strerror or exc}{where}", 300)) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def build_key(engine: Engine, ctx: MonthContext, out: Path, lang: str = "en") -> str:
    """What a month's report is built from: its month results' key (data, policy versions, parameters,
    tool and code), the previous month's findings.csv in the same folder (the statuses depend on it) and
    the register's language. A folder whose manifest records the same key, and whose files match the
    manifest, is up to date."""
    previous = Path(out) / ctx.month.previous().label / statusmod.FINDINGS_FILE
    doc = {"results": key_of(key_parts(engine.fingerprint(), ctx)),
           "previous_findings": sha256_file(previous) if previous.is_file() else None, "lang": lang}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()


def up_to_date(folder: Path, key: str) -> bool:
    """The month folder was built with this key and every file is as its manifest lists it."""
    try:
        recorded = json.loads((folder / manifest.MANIFEST_FILE).read_text(encoding="utf-8")).get("build_key")
    except (OSError, ValueError):
        return False
    return recorded == key and not manifest.verify(folder)


# -- the steps ----------------------------------------------------------------------------------------

def write_tables(b: Build) -> None:
    """1. The month's results, then the CSV files and the workbook."""
    try:
        stored = is_stored(b.engine, b.ctx, b.store)
        with b.step("reading the month's results (stored)" if stored else "computing the month's results"):
            b.results = month_results(b.engine, b.ctx, b.store)
        res = b.results
        result = res.findings
        write_csv(result.findings, b.staging / statusmod.FINDINGS_FILE)
        skipped = [r["rule_id"] for r in result.not_assessed]
        b.status = statusmod.compare(result.findings, b.month, b.out, skipped)
        write_csv(b.status.table, b.staging / statusmod.STATUS_FILE)
        b.cross = statistics.cross_border(res)
        # not assessed (the access log does not cover the month): the header alone; every page, the
        # index and summary.json say why, so the empty file is never read as zero access
        write_csv(b.cross if b.cross is not None else pd.DataFrame(columns=statistics.CROSS_BORDER_COLUMNS),
                  b.staging / "cross_border.csv")
        write_csv(res.transfers, b.staging / "transfers.csv")
        write_csv(res.record, b.staging / "ropa.csv")
        write_ropa_xlsx(b.ctx, res.record, b.staging / "ropa.xlsx")
        register_book.write(register_book.build(b.ctx.history, b.month, b.lang), b.staging)
    except (KeyError, ValueError) as exc:
        raise GdprAnalyticsError(f"tables: {type(exc).__name__}: {first_line(exc)}") from exc


def notebook_parameters(b: Build) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the kernels run with, what the executed notebooks keep): the month, the data the run reads
    (its snapshot), the results store, the policy and every rule parameter. The executed notebooks go to
    auditors, so they keep no path of this machine: the database (or source folder) and the policy by
    name, None where the notebook's default finds the same (the store beside the data, the default
    policy); a re-run gives the paths (`-p db_path …`, README: For analysts)."""
    params = {"month": b.month.label, "db_path": str(b.engine.reads), "results_path": str(b.store.root),
              "policy_path": str(b.ctx.history.source), **b.ctx.params.as_dict()}
    if b.ctx.history.evidence is not None:
        params["evidence_path"] = str(b.ctx.history.evidence.path)
    source = Path(b.ctx.history.source)
    # the executed notebook's parameters cell names evidence_path: kept, None without evidence, so a re-run
    # with papermill works
    named = {"evidence_path": None, **params, "db_path": b.engine.location.name,
             "results_path": None if Path(b.store.root).resolve() == results_beside(b.engine.location).resolve()
             else Path(b.store.root).name,
             "policy_path": None if source.resolve() == default_policy_path().resolve() else source.name}
    if b.ctx.history.evidence is not None:
        named["evidence_path"] = b.ctx.history.evidence.path.name
    return params, named


def run_notebooks(b: Build) -> None:
    """2-3. Each notebook executed in its own kernel and exported while the next one runs."""
    b.generated = format_instant(utc_now())
    nb_params, named_params = notebook_parameters(b)
    header = b.header()
    (b.staging / "notebooks").mkdir()
    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-work-") as work, \
            ThreadPoolExecutor(max_workers=max(1, b.jobs), thread_name_prefix="notebook") as pool:
        futures = [pool.submit(_notebook_page, b, src, nb_params, named_params, Path(work), header)
                   for src in b.notebooks]
        done = [f.result() for f in futures]  # in notebook order; the first failure is raised
    b.pages = [page for page, _ in done]
    b.runs = [run for _, run in done]
    if any(pages.uses_plotly_file((b.staging / run["page"]).read_text(encoding="utf-8")) for run in b.runs):
        pages.write_plotly_js(b.staging)  # the folder's one copy, which every page with a chart loads


def _notebook_page(b: Build, src: Path, nb_params: dict[str, Any], named_params: dict[str, Any], work: Path,
                   header: dict[str, Any]) -> tuple[index.Link, dict[str, Any]]:
    """Execute one notebook into staging/notebooks/ and export its auditor page into staging/."""
    dst = b.staging / "notebooks" / src.name
    folder = work / src.stem  # the kernel's own working folder
    folder.mkdir()
    with b.step(f"executing {src.name}"):
        nb = execute_notebook(src, dst, nb_params, folder, cell_timeout=b.cell_timeout)
        without_local_paths(nb, named_params, src.name)
        pages.strip_plotly_js(nb)
        nbformat.write(nb, str(dst))
    page_name = src.stem + ".html"
    with b.step(f"exporting {page_name}"):
        title = pages.notebook_title(nb, src.stem)
        about = DESCRIPTIONS.get(src.stem, "")
        info_page = pages.PageInfo(title=title, subtitle=about[:1].upper() + about[1:], **header)
        try:
            text = pages.export_html(nb, info_page)
        except Exception as exc:
            raise GdprAnalyticsError(f"exporting {src.name}: {type(exc).__name__}: {first_line(exc)}") from exc
        refs = pages.external_references(text)
        if refs:
            raise GdprAnalyticsError(f"exporting {src.name}: the page would load {refs[0]} from another host")
        (b.staging / page_name).write_text(text, encoding="utf-8")
    pm_meta = nb.metadata.get("papermill", {})
    return (index.Link(page_name, title, DESCRIPTIONS.get(src.stem, "")),
            {"notebook": f"notebooks/{src.name}", "page": page_name, "title": title,
             "duration_s": round(float(pm_meta.get("duration") or 0), 1),
             "evidence": pages.evidence_ids(text)})


def write_index(b: Build) -> None:
    """4. index.html (the month at a glance) and summary.json (for machines)."""
    b.step.say("writing index.html and manifest.json")
    res, ctx, month, policy = b.results, b.ctx, b.month, b.policy
    result, info = res.findings, res.load_info
    not_assessed = [dict(r) for r in result.not_assessed]
    catalogue = [{"rule_id": r.rule_id, "title": r.title, "severity": r.severity} for r in CATALOGUE]
    evidence = {rule_id: f"{page}#{index.EVIDENCE_ID.format(rule_id=rule_id)}"
                for run in b.runs for page in [run["page"]] for rule_id in run["evidence"]}
    data = index.IndexData(
        month=month.label, previous_month=month.previous().label, period_start=format_instant(month.period_start),
        as_of=format_instant(month.as_of), generated_at=b.generated, parameters=ctx.params.as_dict(),
        policy={"name": b.header()["policy_name"], "version": policy.version, "sha256": policy.sha256},
        inputs=res.inputs, loaded_at=info.get("loaded_at", ""), versions=manifest.versions(), rules=catalogue,
        findings=result.findings, not_assessed=not_assessed, status_counts=b.status.counts,
        status_note=b.status.note, baseline=b.status.baseline, cross_border=b.cross,
        uncovered=res.meta.get("uncovered", {}),
        transfer_countries=[str(t["country"]) for t in policy.data.get("transfers", [])],
        evidence=evidence, pages=[*b.pages, REGISTER_PAGE],
        files=[index.Link(name, name, desc) for name, desc in FILES],
        notebooks=[index.Link(f"notebooks/{p.name}", f"notebooks/{p.name}") for p in b.notebooks],
        policy_versions=ctx.policy_versions(), completeness=register.completeness(policy, ctx.history.evidence),
        data_map=res.observation.data_map,
        controller_evidence=ctx.history.evidence.describe() if ctx.history.evidence is not None else None,
        tables=res.meta["tables"], data_end=res.meta["data_end"], ignored=res.meta.get("ignored", []),
        data_start=res.meta.get("data_start") or "", after_data_end=res.meta.get("after_data_end", []),
        assessed_with_gaps=res.assessed_with_gaps, known_gaps=res.meta.get("known_gaps", []),
    )
    (b.staging / "index.html").write_text(index.render(data), encoding="utf-8")
    summary.write(b.staging, summary.build(
        month=month, as_of=format_instant(month.as_of), generated_at=b.generated, rules=catalogue,
        findings=result.findings, status=b.status, not_assessed=not_assessed,
        policy_versions=ctx.policy_versions(),
        data={"data_sha256": info.get("data_sha256", ""), "loaded_at": info.get("loaded_at", ""),
              "data_start": res.meta.get("data_start"), "data_end": res.meta["data_end"]},
        parameters=ctx.params.as_dict(), tables=res.meta["tables"],
        after_data_end=res.meta.get("after_data_end", []), assessed_with_gaps=res.assessed_with_gaps))


def write_manifest(b: Build) -> None:
    """5. manifest.json: what the report was made from and of."""
    res, engine = b.results, b.engine
    info = res.load_info
    # by name, never by path (auditors receive the manifest): the data are identified by data_sha256, the
    # loader's fingerprint of every input file (each listed under inputs with its own SHA-256)
    source = info.get("source")
    database = {"engine": engine.name,
                "file": engine.location.name if engine.name == "duckdb" and not engine.transient else None,
                "snapshot": engine.reads != engine.location, **info,
                "source": Path(source).name if source else None}
    m = manifest.build(folder=b.staging, month=b.month, params=b.ctx.params, policy=b.policy, inputs=res.inputs,
                       database=database, started_at=b.started, finished_at=utc_now(),
                       status_baseline=b.status.baseline, notebooks=b.runs, timings=b.step.timings(),
                       policy_versions=b.ctx.policy_versions())
    m["build_key"] = b.key
    m["lang"] = b.lang
    m["results_key"] = res.key
    m["data_start"] = res.meta.get("data_start")
    m["data_end"] = res.meta["data_end"]
    m["after_data_end"] = res.meta.get("after_data_end", [])
    m["assessed_with_gaps"] = res.assessed_with_gaps
    m["known_gaps"] = res.meta.get("known_gaps", [])
    m["tables"] = res.meta["tables"]
    m["ignored"] = res.meta.get("ignored", [])
    manifest.write(b.staging, m)


# -- publishing ------------------------------------------------------------------------------------

def _recover(out: Path, month: Month) -> None:
    """Tidy after a run that was killed: remove its staging folder; if it died between moving the
    old report aside and the new one in, put the old report back."""
    for p in out.glob(f".*-{month.label}-*"):
        m = re.fullmatch(rf"\.(staging|old)-{re.escape(month.label)}-(\d+)", p.name)
        if not m or int(m.group(2)) == os.getpid() or alive(int(m.group(2))):
            continue
        if m.group(1) == "old" and not (out / month.label).exists():
            os.rename(p, out / month.label)
        else:
            shutil.rmtree(p, ignore_errors=True)


def publish(staging: Path, final: Path, month: Month) -> None:
    """Replace final by staging: move the old report aside, move the new one in, delete the old."""
    old = final.with_name(f".old-{month.label}-{os.getpid()}")
    if final.exists():
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)
