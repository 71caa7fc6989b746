"""The database file's lock (core/locks.py): a load may write in place only when no one else holds the
file; a reader waits for a load that does; a lock follows the file the path names when it is granted."""

from __future__ import annotations

import os
import threading
import time

import pytest

from gdpr_analytics.core import locks
from gdpr_analytics.core.errors import GdprAnalyticsError


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "db.duckdb"
    path.write_bytes(b"x")
    return path


def test_a_load_alone_holds_the_file_exclusively_and_with_a_reader_shares_it(db):
    with locks.writing(db) as held:
        assert held.exclusive and held.fd is not None
    with locks.reading(db):
        with locks.writing(db) as held:
            assert not held.exclusive and held.fd is not None  # a reader is there: work on a copy
    with locks.writing(db.with_name("none.duckdb")) as held:
        assert held.fd is None  # no file yet: nothing to protect


def test_a_snapshot_by_hard_link_is_the_same_file_and_so_the_same_lock(db):
    snap = db.with_name(".db.duckdb.snapshot-1")
    os.link(db, snap)
    held = locks.hold_for_reading(snap)
    try:
        with locks.writing(db) as writer:
            assert not writer.exclusive
    finally:
        held.release()
    with locks.writing(db) as writer:
        assert writer.exclusive


def test_a_reader_waits_for_a_load_writing_in_place_and_gives_up_after_its_wait(db):
    granted = []
    with locks.writing(db) as held:
        assert held.exclusive
        reader = threading.Thread(target=lambda: granted.append(locks.hold_for_reading(db, wait=30)))
        reader.start()
        time.sleep(0.3)
        assert not granted  # still waiting while the load writes
        with pytest.raises(GdprAnalyticsError, match=r"^database .*db\.duckdb is being written by a `gdpr-analytics "
                                                     r"load` that has not ended within 0\.2 s; try again when it has$"):
            locks.hold_for_reading(db, wait=0.2)
    reader.join(10)
    assert len(granted) == 1 and granted[0].fd is not None
    granted[0].release()


def test_a_load_that_found_nothing_to_write_lets_readers_in(db):
    with locks.writing(db) as held:
        held.share()
        assert not held.exclusive
        locks.hold_for_reading(db, wait=0).release()


def test_a_lock_awaited_while_the_file_is_replaced_is_on_the_new_file(db):
    """A load on a copy renames its new file over the database: a reader waiting meanwhile locks that one."""
    granted = []
    with locks.writing(db) as held:
        reader = threading.Thread(target=lambda: granted.append(locks.hold_for_reading(db, wait=30)))
        reader.start()
        time.sleep(0.2)
        new = db.with_name(".db.duckdb.tmp-1")
        new.write_bytes(b"y")
        os.replace(new, db)
        assert held.exclusive
    reader.join(10)
    fd = granted[0].fd
    assert (os.fstat(fd).st_ino, os.pread(fd, 1, 0)) == (os.stat(db).st_ino, b"y")
    with locks.writing(db) as writer:
        assert not writer.exclusive  # the reader holds the file the path names now
    granted[0].release()
