"""The monthly report (SPEC §6): `<out>/<YYYY-MM>/`, built whole or not at all.

Steps, in a staging folder `<out>/.staging-<YYYY-MM>-<pid>` beside the month folder:
1. findings.csv (rules.evaluate, the exact text of `findings --format csv`), findings_status.csv
   (against the previous month's report in <out>), cross_border.csv, ropa.csv and ropa.xlsx;
2. every report notebook executed with papermill (Python API, real types, kernel python3 = this
   interpreter, explicit working folder and timeouts) into notebooks/;
3. each executed notebook exported to one self-contained auditor page (html_export);
4. index.html and manifest.json (the SHA-256 of every other file).
Only when everything succeeded does the staging folder replace `<out>/<YYYY-MM>`. On any failure the
staging folder is removed, an earlier report for the month is left exactly as it was, and a
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
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import nbformat
import pandas as pd

from . import db as dbmod
from . import html_export, index_page, manifest, overview
from . import status as statusmod
from .assets import asset_dir
from .errors import GdprAnalyticsError, UsageError
from .month import Month
from .output import write_csv
from .parameters import Parameters
from .policy import Policy
from .policy_history import PolicyHistory, load_history
from .progress import log_line
from .results import Store
from .source import sha256_file

KERNEL = "python3"
CELL_TIMEOUT = 900  # seconds one notebook cell may run before the report fails
START_TIMEOUT = 60  # seconds for the kernel to start
#: Report notebooks: notebooks/NN_*.ipynb, in name order.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
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
    ("ropa.csv", "the Art. 30 record of processing activities (CSV)"),
    ("ropa.xlsx", "the Art. 30 record of processing activities (spreadsheet)"),
    ("summary.json", "what the month found, per rule and severity, for machines (schema: docs/summary.schema.json)"),
    (manifest.MANIFEST_FILE, "parameters, policy, inputs, versions and the SHA-256 of every file"),
]


def default_jobs() -> int:
    """Notebooks executed at the same time: one per core, at most four (each runs its own kernel)."""
    return max(1, min(4, os.cpu_count() or 1))


def default_notebooks() -> list[Path]:
    found = sorted(asset_dir("notebooks").glob(NOTEBOOK_GLOB))
    if not found:
        raise GdprAnalyticsError(f"no report notebooks ({NOTEBOOK_GLOB}) in {asset_dir('notebooks')}")
    return found


def check_kernel(name: str = KERNEL) -> None:
    """The kernel must run this interpreter, so the notebooks see the same packages and versions.
    jupyter_client replaces a bare `python`/`python3` in the kernel spec with sys.executable."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise GdprAnalyticsError(f"no Jupyter kernel named {name!r}: run `{sys.executable} -m ipykernel install "
                                 "--sys-prefix`") from None
    exe = spec.argv[0] if spec.argv else ""
    bare = {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}
    if exe in bare or os.path.abspath(exe) == os.path.abspath(sys.executable):
        return
    raise GdprAnalyticsError(
        f"Jupyter kernel {name!r} ({spec.resource_dir}) runs {exe}, not this environment's {sys.executable}: "
        f"run `{sys.executable} -m ipykernel install --sys-prefix` or remove that kernel spec")


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


class _Steps:
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


def execute_notebook(src: Path, dst: Path, parameters: dict[str, Any], workdir: Path, *,
                     cell_timeout: int = CELL_TIMEOUT):
    """Execute one notebook with papermill into dst, its kernel in workdir (which receives the kernel's own
    log, see kernel.py); a failure becomes one GdprAnalyticsError line."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .kernel import LoggedKernelManager, last_log_line

    try:
        # The kernel starts in workdir through nbclient's resources, not papermill's `cwd`, which changes
        # the whole process's working folder and so cannot be used by two notebooks at once.
        return pm.execute_notebook(
            str(src), str(dst), parameters=parameters, kernel_name=KERNEL, language="python",
            resources={"metadata": {"path": str(workdir)}}, kernel_manager_class=LoggedKernelManager,
            execution_timeout=cell_timeout, start_timeout=START_TIMEOUT,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            # the kernel's own log (not cell output) goes to its kernel.log: only its errors, not
            # ipykernel's warning that a local kernel talks over TCP
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        code = _first_line(exc.source)
        raise GdprAnalyticsError(_one_line(
            f"notebook {src.name} failed in cell In [{exc.exec_count}] (`{code[:80]}`): "
            f"{exc.ename}: {_first_line(exc.evalue)}")) from None
    except TimeoutError as exc:
        preview = re.search(r"preview of the cell contents:\s*-+\s*\n(.*?)\n", str(exc), re.S)
        cell = f" (`{preview.group(1).strip()[:80]}`)" if preview else ""
        raise GdprAnalyticsError(_one_line(
            f"notebook {src.name}: a cell{cell} ran longer than {cell_timeout} s")) from None
    except Exception as exc:  # kernel died or did not start, unreadable notebook, ...
        said = last_log_line(workdir)
        raise GdprAnalyticsError(_one_line(
            f"notebook {src.name} could not be executed: {type(exc).__name__}: {_first_line(exc)}"
            + (f" (the kernel's last words: {said})" if said else ""))) from exc


def run_report(db: str | Path | None = None, source: str | Path | None = None, *, month: Month,
               out: str | Path = "reports", params: Parameters | None = None,
               policy_path: str | Path | None = None, notebooks: Sequence[str | Path] | None = None,
               cell_timeout: int = CELL_TIMEOUT, show: bool | None = None, jobs: int | None = None,
               origin: str | Path | None = None, key: str | None = None, engine=None) -> Path:
    """Write `<out>/<month>/` and return it. Give `db` (a loaded database) or `source` (a source folder,
    loaded into a temporary database that is removed afterwards). `jobs` notebooks run at a time
    (default: one per core, at most 4). `origin`: when `db` is a snapshot taken at the start of a run
    (runs.py), the database it was taken of — its results store is used, and the executed notebooks
    point at it for re-runs. `key`: the month's build key (`build_key`), recorded in the manifest.
    `engine`: an open engine to compute with instead (the Spark engine on a source read in place, whose
    location the notebooks reopen); then neither db nor source is given."""
    started = manifest.utc_now()
    if engine is not None and (db is not None or source is not None):
        raise UsageError("report: give an engine, or a database or source folder, not both")
    if engine is None and (db is None) == (source is None):
        raise UsageError("report: give either a database (--db) or a source folder (--source)")
    history = load_history(policy_path)
    history.check_covers(month)
    policy = history.at_month_end(month)
    params = params or Parameters(retention_years=policy.retention_years)
    step = _Steps(month, show)
    nb_paths = [Path(p) for p in notebooks] if notebooks is not None else default_notebooks()
    for p in nb_paths:
        if not p.is_file():
            raise UsageError(f"report: notebook {p} does not exist")
    check_kernel()
    out = Path(out).absolute()

    with ExitStack() as stack:
        if engine is not None:
            db_path = Path(engine.location)
        elif source is not None:
            from .load import load_to_file

            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gdpr-analytics-")))
            db_path = tmp / "source.duckdb"
            with step(f"loading {source}"):
                load_to_file(Path(source), db_path, show=False)
        else:
            db_path = Path(db).absolute()

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
        try:
            live = Path(origin).absolute() if origin is not None else db_path
            _build(staging, out=out, db_path=db_path, origin=live,
                   store=engine.store() if engine is not None else Store.beside(live), source=source,
                   month=month, params=params, policy=policy, nb_paths=nb_paths, cell_timeout=cell_timeout,
                   step=step, started=started, jobs=jobs or default_jobs(), history=history,
                   key=key or build_key(db_path, month, params, history, out, engine=engine), engine=engine)
            _readable(staging)
            with step("publishing"):
                _publish(staging, final, month)
                overview.write(out)
        except GdprAnalyticsError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise GdprAnalyticsError(_one_line(f"report {month.label} not written: {exc}")) from exc.__cause__
        except OSError as exc:  # disk full, permissions, ...
            shutil.rmtree(staging, ignore_errors=True)
            where = f" ({exc.filename})" if exc.filename else ""
            raise GdprAnalyticsError(_one_line(
                f"report {month.label} not written: {exc.strerror or exc}{where}")) from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return final


def build_key(db_path: Path | None, month: Month, params: Parameters, history: PolicyHistory, out: Path,
              engine=None) -> str:
    """What a month's report is built from: its month results' key (data, policy versions, parameters,
    tool and code) and the previous month's findings.csv in the same folder (the statuses depend on it).
    A folder whose manifest records the same key, and whose files match the manifest, is up to date."""
    from . import results

    if engine is not None:
        data = engine.fingerprint()
    else:
        with dbmod.connect(db_path) as opened:
            data = opened.fingerprint()
    parts = results.key_parts(data, month, params, history.at_month_end(month), history)
    previous = Path(out) / month.previous().label / statusmod.FINDINGS_FILE
    doc = {"results": results.key_of(parts), "previous_findings": sha256_file(previous) if previous.is_file() else None}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()


def up_to_date(folder: Path, key: str) -> bool:
    """The month folder was built with this key and every file is as its manifest lists it."""
    try:
        recorded = json.loads((folder / manifest.MANIFEST_FILE).read_text(encoding="utf-8")).get("build_key")
    except (OSError, ValueError):
        return False
    return recorded == key and not manifest.verify(folder)


def _build(staging: Path, *, out: Path, db_path: Path, origin: Path, store: Store, source, month: Month,
           params: Parameters, policy: Policy, nb_paths: list[Path], cell_timeout: int, step: _Steps, started,
           jobs: int, history: PolicyHistory | None = None, key: str = "", engine=None) -> None:
    from . import register, results, ropa, rules, stats, summary

    history = history or PolicyHistory.single(policy)
    # 1. the month's results (computed once, or read from the store), then the tables
    try:
        with step("computing the month's results"), ExitStack() as opened:
            if engine is None:
                engine = opened.enter_context(dbmod.connect(db_path, history, month))
            else:  # the caller's engine, for this month's policy version(s); the caller closes it
                engine.register_policy(history, month)
            res = results.month_results(engine, month, params, policy, store, history=history)
        result = res.findings
        write_csv(result.findings, staging / statusmod.FINDINGS_FILE)
        not_assessed = [dict(r) for r in result.not_assessed]
        status = statusmod.compare(result.findings, month, out, [r["rule_id"] for r in not_assessed])
        write_csv(status.table, staging / statusmod.STATUS_FILE)
        cross = stats.cross_border(res, month)
        # not assessed (the access log does not cover the month): the header alone; every page, the
        # index and summary.json say why, so the empty file is never read as zero access
        write_csv(cross if cross is not None else pd.DataFrame(columns=stats.CROSS_BORDER_COLUMNS),
                  staging / "cross_border.csv")
        write_csv(res.record, staging / "ropa.csv")
        ropa.write_xlsx(res, policy, month, staging / "ropa.xlsx", record=res.record, history=history)
        inputs = res.inputs
        info = res.load_info
    except (duckdb.Error, KeyError, ValueError, OSError) as exc:
        raise GdprAnalyticsError(f"tables: {type(exc).__name__}: {_first_line(exc)}") from exc

    # 2-3. notebooks, then auditor pages
    generated = manifest.iso(manifest.utc_now())
    nb_params = {
        "month": month.label,
        "db_path": str(db_path),
        "results_path": str(store.root),
        "policy_path": str(history.source),
        "retention_years": params.retention_years,
        "bulk_export_threshold": params.bulk_export_threshold,
    }
    header = dict(
        month=month.label, period_start=_ts(month.period_start), as_of=_ts(month.as_of),
        parameters=params.as_dict(), policy_name=str(policy.data["policy"].get("title", policy.data["policy"]["id"])),
        policy_version=policy.version, policy_sha256=policy.sha256, loaded_at=info.get("loaded_at", ""),
        generated_at=generated, tool_version=manifest.versions()["gdpr-analytics"], inputs=inputs,
    )
    rerun_params = {**nb_params, "db_path": str(origin)}  # re-runs read the live database, not the snapshot
    (staging / "notebooks").mkdir()
    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-work-") as work, \
            ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="notebook") as pool:
        # each worker executes one notebook (its own kernel) and exports it while the next one runs
        futures = [pool.submit(_notebook_page, src, staging, nb_params, Path(work), header, cell_timeout, step,
                               rerun_params) for src in nb_paths]
        done = [f.result() for f in futures]  # in notebook order; the first failure is raised
    pages = [page for page, _ in done]
    run_info = [info for _, info in done]

    # 4. index and manifest
    step.say("writing index.html and manifest.json")
    versions = manifest.versions()
    files = [index_page.Link(name, name, desc) for name, desc in FILES]
    notebooks = [index_page.Link(f"notebooks/{p.name}", f"notebooks/{p.name}") for p in nb_paths]
    catalogue = [{"rule_id": r.rule_id, "title": r.title, "severity": r.severity} for r in rules.CATALOGUE]
    evidence = {rule_id: f"{page.target}#{html_export.EVIDENCE_ID.format(rule_id=rule_id)}"
                for page, info in done for rule_id in info["evidence"]}
    data = index_page.IndexData(
        month=month.label, previous_month=month.previous().label, period_start=_ts(month.period_start),
        as_of=_ts(month.as_of), generated_at=generated, parameters=params.as_dict(),
        policy={"name": header["policy_name"], "version": policy.version, "sha256": policy.sha256},
        inputs=inputs, loaded_at=info.get("loaded_at", ""), versions=versions, rules=catalogue,
        findings=result.findings, not_assessed=not_assessed, status_counts=status.counts, status_note=status.note,
        baseline=status.baseline, cross_border=cross, uncovered=res.meta.get("uncovered", {}),
        transfer_countries=[str(t["country"]) for t in policy.data.get("transfers", [])],
        evidence=evidence, pages=pages, files=files, notebooks=notebooks,
        policy_versions=history.used(month), completeness=register.completeness(policy),
        tables=res.meta["tables"], data_end=res.meta["data_end"], ignored=res.meta.get("ignored", []),
    )
    (staging / "index.html").write_text(index_page.render(data), encoding="utf-8")
    summary.write(staging, summary.build(
        month=month, as_of=_ts(month.as_of), generated_at=generated, rules=catalogue, findings=result.findings,
        status=status, not_assessed=not_assessed, policy_versions=history.used(month),
        data={"data_sha256": info.get("data_sha256", ""), "loaded_at": info.get("loaded_at", ""),
              "data_end": res.meta["data_end"]},
        parameters=params.as_dict(), tables=res.meta["tables"]))
    database = {"engine": engine.name, "path": None if source is not None or engine.name != "duckdb" else str(origin),
                "snapshot": db_path != origin,
                "source": str(source) if source is not None else info.get("source"), **info}
    m = manifest.build(folder=staging, month=month, params=params, policy=policy, inputs=inputs,
                       database=database, started_at=started, finished_at=manifest.utc_now(),
                       status_baseline=status.baseline, notebooks=run_info, timings=step.timings(),
                       policy_versions=history.used(month))
    m["build_key"] = key
    m["results_key"] = res.key
    m["data_end"] = res.meta["data_end"]
    m["tables"] = res.meta["tables"]
    m["ignored"] = res.meta.get("ignored", [])
    manifest.write(staging, m)


def rerunnable(nb, parameters: dict[str, Any]) -> None:
    """Make the executed notebook's `parameters` cell hold the values it ran with (absolute paths), so that
    `papermill executed.ipynb out.ipynb -p month 2026-09`, which replaces only the injected cell, runs
    against the same database, results and policy wherever it is started from."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            cell.source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
            return


def _notebook_page(src: Path, staging: Path, nb_params: dict[str, Any], work: Path, header: dict[str, Any],
                   cell_timeout: int, step: _Steps, rerun_params: dict[str, Any]) -> tuple[index_page.Link, dict[str, Any]]:
    """Execute one notebook into staging/notebooks/ and export its auditor page into staging/."""
    dst = staging / "notebooks" / src.name
    folder = work / src.stem  # the kernel's own working folder
    folder.mkdir()
    with step(f"executing {src.name}"):
        nb = execute_notebook(src, dst, nb_params, folder, cell_timeout=cell_timeout)
        rerunnable(nb, rerun_params)
        nbformat.write(nb, str(dst))
    page_name = src.stem + ".html"
    with step(f"exporting {page_name}"):
        title = html_export.notebook_title(nb, src.stem)
        about = DESCRIPTIONS.get(src.stem, "")
        info_page = html_export.PageInfo(title=title, subtitle=about[:1].upper() + about[1:], **header)
        try:
            text = html_export.export_html(nb, info_page)
        except Exception as exc:
            raise GdprAnalyticsError(f"exporting {src.name}: {type(exc).__name__}: {_first_line(exc)}") from exc
        refs = html_export.external_references(text)
        if refs:
            raise GdprAnalyticsError(f"exporting {src.name}: the page would load {refs[0]} from another host")
        (staging / page_name).write_text(text, encoding="utf-8")
    pm_meta = nb.metadata.get("papermill", {})
    return (index_page.Link(page_name, title, DESCRIPTIONS.get(src.stem, "")),
            {"notebook": f"notebooks/{src.name}", "page": page_name, "title": title,
             "duration_s": round(float(pm_meta.get("duration") or 0), 1),
             "evidence": html_export.evidence_ids(text)})


def _ts(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _readable(folder: Path) -> None:
    """Files as readable as the umask allows (temporary files are created 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(out: Path, month: Month) -> None:
    """Tidy after a run that was killed: remove its staging folder; if it died between moving the
    old report aside and the new one in, put the old report back."""
    for p in out.glob(f".*-{month.label}-*"):
        m = re.fullmatch(rf"\.(staging|old)-{re.escape(month.label)}-(\d+)", p.name)
        if not m or int(m.group(2)) == os.getpid() or _alive(int(m.group(2))):
            continue
        if m.group(1) == "old" and not (out / month.label).exists():
            os.rename(p, out / month.label)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _publish(staging: Path, final: Path, month: Month) -> None:
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
