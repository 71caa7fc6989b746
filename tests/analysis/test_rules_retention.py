"""RET-001…RET-005 at their boundaries; every expected finding worked out by hand (SPEC §4, §5)."""

import pytest
from sources import evaluate_source, found, write_source

# every rule's boundaries on both engines (SPEC §9): the same answers, worked out by hand
pytestmark = pytest.mark.usefixtures("rule_engine")


def test_ret001_deadline_exactly_at_as_of_is_not_yet_a_breach(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[{"customer_id": "C1"}, {"customer_id": "C2"}],
        orders=[
            # deadline 2026-10-01T00:00:00 == as_of of 2026-09: not < as_of, so no finding in September
            {"customer_id": "C1", "ordered_at": "2023-10-01T00:00:00"},
            # deadline one second before as_of of 2026-09: a finding in September
            {"customer_id": "C2", "ordered_at": "2023-09-30T23:59:59"},
        ])
    assert found(src, "2026-09", "RET-001") == [("RET-001", "C2", "2026-09-30T23:59:59")]
    assert found(src, "2026-10", "RET-001") == [
        ("RET-001", "C1", "2026-10-01T00:00:00"),
        ("RET-001", "C2", "2026-09-30T23:59:59"),
    ]


def test_ret001_leap_day_plus_three_years_is_28_february(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}],
                       orders=[{"customer_id": "C1", "ordered_at": "2020-02-29T12:00:00"}])
    assert found(src, "2023-01", "RET-001") == []
    assert found(src, "2023-02", "RET-001") == [("RET-001", "C1", "2023-02-28T12:00:00")]


def test_ret001_offset_is_converted_to_utc_before_the_deadline(tmp_path):
    # 2023-03-01T00:30:00+01:00 is 2023-02-28T23:30:00Z: the deadline falls in February 2026 (UTC).
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}],
                       orders=[{"customer_id": "C1", "ordered_at": "2023-03-01T00:30:00+01:00"}])
    assert found(src, "2026-01", "RET-001") == []
    assert found(src, "2026-02", "RET-001") == [("RET-001", "C1", "2026-02-28T23:30:00")]


def test_ret001_ignores_orders_and_customers_after_the_month_end(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[{"customer_id": "C1"}, {"customer_id": "C2", "created_at": "2026-11-01T00:00:00"}],
        orders=[
            {"customer_id": "C1", "ordered_at": "2020-01-01T00:00:00"},
            {"customer_id": "C1", "ordered_at": "2026-11-05T00:00:00"},  # after as_of: does not exist yet
            {"customer_id": "C2", "ordered_at": "2020-01-01T00:00:00"},  # customer created after as_of
        ])
    assert found(src, "2026-10", "RET-001") == [("RET-001", "C1", "2023-01-01T00:00:00")]
    # Reported again from a later month the new order counts and C1 is within retention.
    assert found(src, "2026-11", "RET-001") == [("RET-001", "C2", "2023-01-01T00:00:00")]


def test_ret001_an_order_at_the_month_end_instant_leaves_the_last_one_before(tmp_path):
    """C1 ordered on 29 February 2020 and again at 2023-03-01T00:00:00, as_of of 2023-02 itself: for
    February its last order is the leap day one (read from the orders: the roll-up's last order is not
    before as_of); C2 ordered only on the leap day (read from the roll-up). Both: deadline 28 February
    2023 at 12:00. From March on, C1's new order counts."""
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}, {"customer_id": "C2"}],
                       orders=[{"customer_id": "C1", "ordered_at": "2020-02-29T12:00:00"},
                               {"customer_id": "C1", "ordered_at": "2023-03-01T00:00:00"},
                               {"customer_id": "C2", "ordered_at": "2020-02-29T12:00:00"}])
    assert found(src, "2023-01", "RET-001") == []
    assert found(src, "2023-02", "RET-001") == [("RET-001", "C1", "2023-02-28T12:00:00"),
                                                ("RET-001", "C2", "2023-02-28T12:00:00")]
    assert found(src, "2023-03", "RET-001") == [("RET-001", "C2", "2023-02-28T12:00:00")]
    assert found(src, "2026-02", "RET-001") == [("RET-001", "C2", "2023-02-28T12:00:00")]
    assert found(src, "2026-03", "RET-001") == [("RET-001", "C1", "2026-03-01T00:00:00"),
                                                ("RET-001", "C2", "2023-02-28T12:00:00")]


def test_ret001_erased_before_as_of_vs_after(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[
            {"customer_id": "C1", "erased_at": "2026-10-15T00:00:00"},  # erased in the month
            {"customer_id": "C2", "erased_at": "2026-11-01T00:00:00"},  # erased exactly at as_of: not yet
        ],
        orders=[{"customer_id": "C1", "ordered_at": "2020-01-01T00:00:00"},
                {"customer_id": "C2", "ordered_at": "2020-01-01T00:00:00"}])
    assert found(src, "2026-10", "RET-001") == [("RET-001", "C2", "2023-01-01T00:00:00")]
    assert found(src, "2026-11", "RET-001") == []


def test_ret001_counts_cancelled_orders_and_retention_parameter(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}],
                       orders=[{"customer_id": "C1", "ordered_at": "2022-06-15T00:00:00", "status": "cancelled"}])
    assert found(src, "2026-10", "RET-001") == [("RET-001", "C1", "2025-06-15T00:00:00")]
    assert found(src, "2026-10", "RET-001", retention_years=5) == []


def test_ret002_upload_of_erased_overdue_or_orderless_customer(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[
            {"customer_id": "C1", "erased_at": "2026-10-20T00:00:00"},  # erased: upload should be gone
            {"customer_id": "C2"},                                       # past deadline
            {"customer_id": "C3", "created_at": "2023-06-01T00:00:00"},  # no orders, created + 3y < as_of
            {"customer_id": "C4"},                                       # within retention
            {"customer_id": "C5", "created_at": "2024-01-01T00:00:00"},  # no orders, young account
        ],
        orders=[{"customer_id": "C1", "ordered_at": "2025-01-01T00:00:00"},
                {"customer_id": "C2", "ordered_at": "2023-01-01T00:00:00"},
                {"customer_id": "C4", "ordered_at": "2025-01-01T00:00:00"}],
        uploads=[
            {"upload_id": "U1", "customer_id": "C1", "uploaded_at": "2025-01-01T00:00:00"},
            {"upload_id": "U2", "customer_id": "C2", "uploaded_at": "2023-01-01T00:00:00"},
            {"upload_id": "U2b", "customer_id": "C2", "uploaded_at": "2023-01-01T00:00:00",
             "erased_at": "2026-10-31T23:59:59"},                       # erased before as_of: fine
            {"upload_id": "U2c", "customer_id": "C2", "uploaded_at": "2023-01-01T00:00:00",
             "erased_at": "2026-11-01T00:00:00"},                       # erased at as_of: still held
            {"upload_id": "U3", "customer_id": "C3", "uploaded_at": "2023-06-01T00:00:00"},
            {"upload_id": "U4", "customer_id": "C4", "uploaded_at": "2025-01-01T00:00:00"},
            {"upload_id": "U5", "customer_id": "C5", "uploaded_at": "2024-01-01T00:00:00"},
            {"upload_id": "U6", "customer_id": "C2", "uploaded_at": "2026-11-02T00:00:00"},  # after as_of
        ])
    assert found(src, "2026-10", "RET-002") == [
        ("RET-002", "U1", "2026-10-20T00:00:00"),  # customer's erasure came before its deadline
        ("RET-002", "U2", "2026-01-01T00:00:00"),
        ("RET-002", "U2c", "2026-01-01T00:00:00"),
        ("RET-002", "U3", "2026-06-01T00:00:00"),
    ]


def test_ret002_not_assessed_without_uploads(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}])
    result = evaluate_source(src, "2026-10")
    assert {"rule_id": "RET-002", "reason": "table uploads absent from the source"} in result.not_assessed
    assert "RET-002" not in set(result.findings.rule_id)


def test_ret003_account_without_orders(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[
            {"customer_id": "C1", "created_at": "2023-10-01T00:00:00"},  # + 3y == as_of of 2026-09
            {"customer_id": "C2", "created_at": "2023-09-30T23:59:59"},
            {"customer_id": "C3", "created_at": "2020-01-01T00:00:00"},  # ordered, so RET-001's business
            {"customer_id": "C4", "created_at": "2020-01-01T00:00:00", "erased_at": "2023-01-01T00:00:00"},
            {"customer_id": "C5", "created_at": "2020-01-01T00:00:00"},  # only order is after as_of
        ],
        orders=[{"customer_id": "C3", "ordered_at": "2025-01-01T00:00:00"},
                {"customer_id": "C5", "ordered_at": "2026-12-01T00:00:00"}])
    assert found(src, "2026-09", "RET-003") == [
        ("RET-003", "C2", "2026-09-30T23:59:59"),
        ("RET-003", "C5", "2023-01-01T00:00:00"),
    ]
    assert [f[1] for f in found(src, "2026-10", "RET-003")] == ["C1", "C2", "C5"]


def test_ret004_incomplete_erasure_names_the_columns_not_the_values(tmp_path):
    src = write_source(tmp_path / "s", customers=[
        {"customer_id": "C1", "erased_at": "2026-10-31T23:59:59", "email": "jan.peeters@example.be",
         "phone": "+32 2 123 45 67", "first_name": None, "last_name": None, "country_code": None},
        {"customer_id": "C2", "erased_at": "2026-10-01T00:00:00", "country_code": None},  # complete
        {"customer_id": "C3", "erased_at": "2026-11-01T00:00:00", "email": "x@example.be"},  # after as_of
    ])
    result = evaluate_source(src, "2026-10")
    rows = result.findings[result.findings.rule_id == "RET-004"]
    assert list(rows.subject_id) == ["C1"]
    assert rows.iloc[0].detail == "erased on 2026-10-31T23:59:59Z but still holds: email, phone"
    assert "jan.peeters" not in result.findings.to_csv()


def test_ret004_country_code_is_not_an_erasable_column(tmp_path):
    # SPEC §5 lists the erasable columns; country_code is not among them.
    src = write_source(tmp_path / "s", customers=[
        {"customer_id": "C1", "erased_at": "2026-10-01T00:00:00", "country_code": "BE"}])
    assert found(src, "2026-10", "RET-004") == []


def test_ret005_access_after_erasure_strictly_later_and_in_month(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[{"customer_id": "C1", "erased_at": "2026-10-10T12:00:00"}],
        access_log=[
            {"event_id": "E1", "occurred_at": "2026-10-10T12:00:00", "customer_id": "C1"},  # same instant
            {"event_id": "E2", "occurred_at": "2026-10-10T12:00:01", "customer_id": "C1"},
            {"event_id": "E3", "occurred_at": "2026-10-11T00:00:00", "customer_id": "C1", "resource": "uploads"},
            {"event_id": "E4", "occurred_at": "2026-10-11T00:00:00", "customer_id": "C1", "resource": "orders"},
            {"event_id": "E5", "occurred_at": "2026-11-01T00:00:00", "customer_id": "C1"},  # next month
            {"event_id": "E6", "occurred_at": "2026-10-12T14:00:00+02:00", "customer_id": "C1"},
        ])
    assert found(src, "2026-10", "RET-005") == [
        ("RET-005", "E2", "2026-10-10T12:00:01"),
        ("RET-005", "E3", "2026-10-11T00:00:00"),
        ("RET-005", "E6", "2026-10-12T12:00:00"),
    ]
