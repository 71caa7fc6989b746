"""The CSV writer formats text and timestamp columns in DuckDB, a column at a time; it must give exactly
the text of the value-by-value reference (`output.write_rows`), and the hand-written bytes below."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pandas as pd

from gdpr_analytics.core import csvfile as output

TEXTS = ["plain", "", None, "a,b", 'say "hi"', "line\nbreak", "lone\rcr", "crlf\r\n", "=SUM(A1)", "+1", "-1",
         "@x", "\tTab", "\rCR first", "'quoted", "Zoë — ünïcode", "=\"both\",x"]


def _frame() -> pd.DataFrame:
    n = len(TEXTS)
    return pd.DataFrame({
        "text": pd.Series(TEXTS, dtype="str"),
        "naive": pd.Series([datetime(2024, 2, 29, 23, 59, 59)] * (n - 1) + [None], dtype="datetime64[us]"),
        "aware": pd.Series([datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)] * n).dt.tz_convert("Europe/Brussels"),
        "flag": [i % 2 == 0 for i in range(n)],
        "count": list(range(-1, n - 1)),
        "ratio": [0.5, None] + [1e20] * (n - 2),
        "mixed": pd.Series(["x", 3, None, True] + ["=y"] * (n - 4), dtype=object),
    })


def _reference(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    output.write_rows(df, buf)
    return buf.getvalue()


def test_column_at_a_time_equals_value_by_value():
    df = _frame()
    assert output.csv_text(df) == _reference(df)


def test_every_kind_of_value_by_hand():
    df = pd.DataFrame({"text": pd.Series(["=1+1", 'a "b", c', "lone\rcr", None], dtype="str"),
                       "when": pd.Series([datetime(2024, 2, 29, 12)] * 3 + [None], dtype="datetime64[us]"),
                       "n": [-5, 0, 7, 1], "ok": [True, False, True, False]})
    assert output.csv_text(df) == (
        "text,when,n,ok\n"
        "'=1+1,2024-02-29T12:00:00Z,-5,true\n"
        '"a ""b"", c",2024-02-29T12:00:00Z,0,false\n'
        '"lone\rcr",2024-02-29T12:00:00Z,7,true\n'
        ",,1,false\n")


def test_empty_frame_is_the_header_alone():
    assert output.csv_text(pd.DataFrame({"a": pd.Series([], dtype="str"), "=b": []})) == "a,'=b\n"


def _stored(df: pd.DataFrame, tmp_path):
    """df as the month results' store writes a frame (analysis/store.py), and the frame it reads back."""
    from gdpr_analytics.analysis import store

    store.write(tmp_path, {"data": "x"}, {"f": df}, {})
    return store.frame_file(tmp_path, "f"), store.read(tmp_path)[1]["f"]


def test_a_stored_frame_of_text_and_instants_gives_the_same_text_without_pandas(tmp_path):
    """What `findings` prints from stored results (parquet_csv_text, formatted by DuckDB from the file)
    equals what the frame read back gives (csv_text): every hostile text, naive and aware instants, NULLs."""
    df = _frame()[["text", "naive", "aware"]]
    path, frame = _stored(df, tmp_path)
    assert output.parquet_csv_text(path) == output.csv_text(frame) == _reference(frame)
    assert output.parquet_csv_text(path).splitlines()[1:3] == [
        "plain,2024-02-29T23:59:59Z,2026-03-29T01:30:00Z", ",2024-02-29T23:59:59Z,2026-03-29T01:30:00Z"]


def test_a_stored_frame_of_other_types_is_left_to_the_frame_writer(tmp_path):
    path, _ = _stored(_frame()[["text", "count"]], tmp_path)
    assert output.parquet_csv_text(path) is None


def test_a_stored_empty_frame_is_the_header_alone(tmp_path):
    path, frame = _stored(pd.DataFrame({"a": pd.Series([], dtype="str"), "=b": pd.Series([], dtype="str")}), tmp_path)
    assert output.parquet_csv_text(path) == output.csv_text(frame) == "a,'=b\n"


def test_rows_of_plain_values_by_hand():
    # an access pack's rows held: str, int, bool and None only (analysis/access.py `plain`); an integer
    # column with a missing value stays an integer (a frame would make it 3.0)
    rows = [{"id": "C1", "quantity": 3, "flag": True, "note": "=cmd|' /C calc'!A0"},
            {"id": "C,2", "quantity": None, "flag": False, "note": 'say "hi"\r'},
            {"id": "-5", "quantity": -1, "note": None}]
    assert output.rows_csv_text(["id", "quantity", "flag", "note"], rows) == (
        "id,quantity,flag,note\n"
        "C1,3,true,'=cmd|' /C calc'!A0\n"
        '"C,2",,false,"say ""hi""\r"\n'
        "'-5,-1,,\n")


def test_rows_of_text_give_the_frame_writer_s_text():
    rows = [{"text": t, "other": t} for t in TEXTS]
    frame = pd.DataFrame({"text": pd.Series(TEXTS, dtype="str"), "other": pd.Series(TEXTS, dtype="str")})
    assert output.rows_csv_text(["text", "other"], rows) == output.csv_text(frame)
    assert output.rows_csv_text(["text"], []) == "text\n"
