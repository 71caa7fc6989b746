"""An incremental load writes the database in place, in one transaction (ingest/load.py): it costs what
changed, not a copy of the history. A load killed (kill -9) at any of its named steps leaves the database
as it was, or, once committed, as loaded; the next load completes. Readers are never written under: with
one open (an engine, a report run's snapshot, a process that takes no lock), the load works on a copy; a
reader that comes while a load writes in place waits for its commit."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
from partitions import _content, _events, _partitioned, _same_as_full, _write_partition
from sources import connect

from gdpr_analytics.core.errors import DataError
from gdpr_analytics.engines.base import results_beside
from gdpr_analytics.engines.factory import run_snapshot
from gdpr_analytics.ingest.load import COPY, ENV_PAUSE, IN_PLACE, NEW_FILE, PAUSES, load_to_file

FIRST = {f"2025-{m:02d}": _events(f"2025-{m:02d}", 400, m * 1000) for m in range(1, 7)}
LATER = {f"2025-{m:02d}": _events(f"2025-{m:02d}", 400, m * 1000) for m in range(7, 13)}


def _cli(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gdpr_analytics.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, **kw)


def _findings(db: Path) -> str:
    proc = _cli("findings", "--db", str(db), "--month", "latest")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


def _paused(proc: subprocess.Popen, step: str, timeout: float = 300) -> None:
    """Wait until the load says it paused at step (it prints one line on stderr), or fail."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr] + [lines.put(None)], daemon=True).start()
    seen = []
    while True:
        line = lines.get(timeout=timeout)
        if line is None:
            pytest.fail(f"the load ended (status {proc.wait()}) before pausing at {step}: {''.join(seen)}")
        seen.append(line)
        if f"load paused at {step} " in line:
            return


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _stored(db: Path) -> dict[str, bytes]:
    root = results_beside(db)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _beside(db: Path) -> list[str]:
    """What a load may leave beside the database: its copy, scratch file, write-ahead log."""
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(f".{db.name}.") or p.name == f"{db.name}.wal")


@pytest.fixture(scope="module")
def six_months(tmp_path_factory):
    """Six months loaded by the command (with the latest month's results stored), its findings, and its
    content: copied for each test."""
    root = tmp_path_factory.mktemp("six-months")
    src, db = _partitioned(root / "src", FIRST), root / "db.duckdb"
    proc = _cli("load", "--source", str(src), "--db", str(db))
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    assert _stored(db)
    return src, db, _content(db), _findings(db)


@pytest.fixture()
def copied(six_months, tmp_path):
    """A copy of the six months loaded (source, database and stored results) and the six months after them
    added to the source."""
    src, db, content, findings = six_months
    shutil.copytree(src, tmp_path / "src")
    shutil.copyfile(db, tmp_path / "db.duckdb")
    shutil.copytree(results_beside(db), results_beside(tmp_path / "db.duckdb"))
    for month, rows in LATER.items():
        _write_partition(tmp_path / "src", month, rows)
    return tmp_path / "src", tmp_path / "db.duckdb", content, findings


def test_an_append_writes_the_database_in_place_and_equals_a_full_load(copied, tmp_path):
    src, db, _, _ = copied
    inode = db.stat().st_ino
    result = load_to_file(src, db, show=False)
    assert (result.mode, result.written, len(result.added)) == ("incremental", IN_PLACE, 6)
    assert db.stat().st_ino == inode  # the same file, written, not a copy renamed over it
    assert "written on a copy" not in result.summary()
    assert _beside(db) == []
    _same_as_full(src, db, tmp_path)


@pytest.mark.parametrize("step", PAUSES)
def test_a_load_killed_at_any_step_leaves_the_database_as_it_was_or_as_loaded(copied, tmp_path, step):
    """kill -9 of `gdpr-analytics load` appending six months in place, stopped at each named step: before
    the commit the database holds what it held (tables, rows, bookkeeping, stored results, findings); after
    it, the new data whole. Either way the next load completes and equals a full load."""
    src, db, before, findings = copied
    stored = _stored(db)
    proc = _cli("load", "--source", str(src), "--db", str(db), env={ENV_PAUSE: step})
    _paused(proc, step)
    _kill(proc)
    if step == "committed":
        _same_as_full(src, db, tmp_path)
        assert load_to_file(src, db, show=False).mode == "up to date"
    else:
        assert _content(db) == before
        assert _findings(db) == findings
        now, old_data = _stored(db), {k.split("/")[0] for k in stored}
        assert {k: v for k, v in now.items() if k in stored} == stored  # the old data's results as they were
        assert not [k for k in now if k not in stored and k.split("/")[0] in old_data]  # new ones: the new data's
        result = load_to_file(src, db, show=False)
        assert (result.mode, result.written, len(result.added)) == ("incremental", IN_PLACE, 6)
    assert _beside(db) == []
    _same_as_full(src, db, tmp_path)


@pytest.mark.parametrize("full", [False, True], ids=["on a copy", "full"])
def test_a_load_on_a_copy_or_a_new_file_killed_before_its_rename_leaves_the_database_as_it_was(copied, tmp_path,
                                                                                                full):
    src, db, before, findings = copied
    reader = connect(db) if not full else None  # an open reader: the append works on a copy
    try:
        proc = _cli("load", "--source", str(src), "--db", str(db), *(["--full"] if full else []),
                    env={ENV_PAUSE: "commit"})
        _paused(proc, "commit")
        _kill(proc)
        assert [n for n in _beside(db) if ".tmp-" in n]  # the killed load's copy
    finally:
        if reader is not None:
            reader.close()
    assert _content(db) == before and _findings(db) == findings
    result = load_to_file(src, db, show=False)
    assert (result.mode, result.written) == ("incremental", IN_PLACE)
    assert _beside(db) == []  # what the killed load left is removed
    _same_as_full(src, db, tmp_path)


def test_a_bad_month_appended_in_place_leaves_the_database_as_it_was(copied):
    src, db, before, findings = copied
    rows = _events("2026-01", 3, 90000)
    rows[1]["action"] = "steal"
    _write_partition(src, "2026-01", rows)
    with pytest.raises(DataError, match=r"^access_log/month=2026-01/data.parquet: table access_log, column "
                                        r"action: 1 row where the value is not one of "):
        load_to_file(src, db, show=False)
    assert _content(db) == before and _findings(db) == findings and _beside(db) == []
    shutil.rmtree(src / "access_log" / "month=2026-01")
    assert load_to_file(src, db, show=False).written == IN_PLACE  # and the next append goes through


def test_an_open_reader_keeps_its_view_and_the_load_works_on_a_copy(copied, tmp_path):
    src, db, before, _ = copied
    inode = db.stat().st_ino
    with connect(db) as reader:
        result = load_to_file(src, db, show=False)
        assert result.written == COPY and db.stat().st_ino != inode
        assert "written on a copy of the database, which replaced it: it was open for reading" in result.summary()
        assert reader.query("SELECT count(*) AS n FROM access_log")["n"][0] == 6 * 400  # what it opened
    assert _content(db)["_load_inputs"] != before["_load_inputs"]
    _same_as_full(src, db, tmp_path)


def test_a_process_that_takes_no_lock_is_not_written_under_either(copied):
    """A plain DuckDB connection (a user's own tool) holds DuckDB's lock only: the load finds the file in
    use and works on a copy."""
    src, db, _, _ = copied
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r}, read_only=True)
        print(con.execute("SELECT count(*) FROM access_log").fetchone()[0], flush=True)
        sys.stdin.read()
        print(con.execute("SELECT count(*) FROM access_log").fetchone()[0], flush=True)
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "2400"
        assert load_to_file(src, db, show=False).written == COPY
        out, _ = holder.communicate("", timeout=60)
        assert out.strip() == "2400"  # its file was never written
    finally:
        holder.kill()
    assert load_to_file(src, db, show=False).mode == "up to date"


def test_a_reader_that_comes_while_a_load_writes_in_place_waits_for_the_commit(copied):
    src, db, _, _ = copied
    load = _cli("load", "--source", str(src), "--db", str(db), "--no-month-results", env={ENV_PAUSE: "commit=3"})
    _paused(load, "commit")
    reader = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from gdpr_analytics.engines.duckdb import DuckDBEngine
        with DuckDBEngine({str(db)!r}) as engine:
            print(engine.query("SELECT count(*) AS n FROM access_log")["n"][0])
        """)], capture_output=True, text=True, timeout=300)
    assert load.wait(timeout=300) == 0
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.strip() == str(12 * 400)  # opened after the commit: no lock error, the new data


def test_a_report_snapshot_is_never_written_under(copied, tmp_path):
    """A report run's snapshot is a hard link, the same file as the database: while the run holds it, a load
    works on a copy, and the snapshot keeps the state the run started with."""
    src, db, before, _ = copied
    with run_snapshot(db) as snap:
        assert snap.samefile(db)
        result = load_to_file(src, db, show=False)
        assert result.written == COPY and not snap.samefile(db)
        assert _content(snap) == before
    assert not snap.exists()
    _write_partition(src, "2026-01", _events("2026-01", 5, 90000))
    assert load_to_file(src, db, show=False).written == IN_PLACE  # the run over, appends go in place again
    _same_as_full(src, db, tmp_path)


def _committed_in_log_only(db: Path, table: str) -> None:
    """What a writer killed between its commit and its checkpoint leaves: committed work in <db>.wal only."""
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, os, signal
        con = duckdb.connect({str(db)!r}, config={{"checkpoint_threshold": "1GB"}})
        con.execute("CREATE TABLE {table} AS SELECT 42 AS answer")
        os.kill(os.getpid(), signal.SIGKILL)
        """)], check=False)
    assert Path(f"{db}.wal").is_file()


def test_work_committed_but_only_in_the_log_is_kept_by_a_snapshot_a_copy_and_in_place(copied):
    src, db, _, _ = copied
    _committed_in_log_only(db, "committed_in_log")
    with run_snapshot(db) as snap:
        assert Path(f"{snap}.wal").is_file()
        with connect(snap) as engine:
            assert engine.query("SELECT answer FROM committed_in_log")["answer"].tolist() == [42]
        result = load_to_file(src, db, show=False)  # the snapshot is read: on a copy, with the log
        assert result.written == COPY
    assert not Path(f"{snap}.wal").exists()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT answer FROM committed_in_log").fetchall() == [(42,)]
    con.close()
    assert _beside(db) == []
    _committed_in_log_only(db, "committed_again")
    _write_partition(src, "2026-01", _events("2026-01", 5, 90000))
    assert load_to_file(src, db, show=False).written == IN_PLACE  # DuckDB replays the log, then the append
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT answer FROM committed_again").fetchall() == [(42,)]
    con.close()
    assert _beside(db) == []


def test_a_full_load_builds_a_new_file(copied):
    src, db, _, _ = copied
    inode = db.stat().st_ino
    result = load_to_file(src, db, show=False, full=True)
    assert (result.mode, result.written) == ("full", NEW_FILE) and db.stat().st_ino != inode
