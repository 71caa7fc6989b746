"""XB-001…005, MKT-001…003, DSR-001 and MIN-001 at their boundaries; expected answers by hand."""

import pytest
from sources import evaluate_source, found, write_source

# every rule's boundaries on both engines (SPEC §9): the same answers, worked out by hand
pytestmark = pytest.mark.usefixtures("rule_engine")

OCT = "2026-10-15T10:00:00"


def _events(*rows):
    return [{"event_id": f"E{i + 1}", "occurred_at": OCT, **r} for i, r in enumerate(rows)]


def test_xb001_undeclared_processor_only(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"processor": "wipro", "source_country": "IN", "resource": "infrastructure", "action": "admin"},
        {"processor": "TCS ", "source_country": "IN", "resource": "orders", "action": "read"},  # declared, any case
        {"processor": "bpost"},
        {"processor": "wipro", "occurred_at": "2026-09-30T23:59:59"},  # previous month
    ))
    assert found(src, "2026-10", "XB-001") == [("XB-001", "E1", "2026-10-15T10:00:00")]
    # an undeclared processor is XB-001's, not XB-002's or XB-003's
    assert found(src, "2026-10", "XB-002") == [] and found(src, "2026-10", "XB-003") == []


def test_xb002_third_country_not_declared_for_the_processor(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"processor": "aws", "source_country": "US", "resource": "infrastructure"},  # E1: aws is EEA only
        {"processor": "tcs", "source_country": "IN", "resource": "orders"},          # E2: declared
        {"processor": "tcs", "source_country": "US", "resource": "orders"},          # E3
        {"processor": "bpost", "source_country": "IN"},                              # E4: bpost is EEA only
        {"processor": "infosys", "source_country": "NO", "resource": "infrastructure"},  # E5: Norway is EEA
        {"processor": "infosys", "source_country": "in", "resource": "infrastructure"},  # E6: read as IN
        {"processor": "aws", "source_country": "CH", "resource": "infrastructure"},  # E7: Switzerland: not EEA
    ))
    assert [f[1] for f in found(src, "2026-10", "XB-002")] == ["E1", "E3", "E4", "E7"]


def test_xb003_resource_and_action_outside_scope(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"processor": "tcs", "resource": "customers", "action": "export", "source_country": "IN"},  # E1
        {"processor": "tcs", "resource": "infrastructure", "action": "read", "source_country": "IN"},  # E2
        {"processor": "tcs", "resource": "uploads", "action": "write", "source_country": "IN"},  # E3 in scope
        {"processor": "infosys", "resource": "infrastructure", "action": "delete", "source_country": "IN"},  # ok
        {"processor": "infosys", "resource": "customers", "action": "read", "source_country": "IN"},  # E5
        {"processor": "bpost", "resource": "marketing", "action": "admin"},  # E6 controller: everything
        {"processor": "aws", "resource": "uploads", "action": "read", "source_country": "IE"},  # E7
    ))
    assert [f[1] for f in found(src, "2026-10", "XB-003")] == ["E1", "E2", "E5", "E7"]


def test_xb004_bulk_export_threshold_1000_vs_1001(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"processor": "tcs", "source_country": "IN", "action": "export", "record_count": "1000"},  # E1 not >
        {"processor": "tcs", "source_country": "IN", "action": "export", "record_count": "1001"},  # E2
        {"processor": "tcs", "source_country": "BE", "action": "export", "record_count": "50000"},  # E3 EEA
        {"processor": "tcs", "source_country": "IN", "action": "read", "record_count": "50000"},  # E4 not export
        {"processor": "wipro", "source_country": "CN", "action": "export", "record_count": "2000"},  # E5
    ))
    assert [f[1] for f in found(src, "2026-10", "XB-004")] == ["E2", "E5"]
    assert [f[1] for f in found(src, "2026-10", "XB-004", bulk_export_threshold=999)] == ["E1", "E2", "E5"]


def test_xb005_third_country_without_ticket(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"processor": "tcs", "source_country": "IN", "resource": "orders", "ticket_id": None},  # E1
        {"processor": "tcs", "source_country": "IN", "resource": "orders", "ticket_id": "INC42"},  # E2
        {"processor": "bpost", "source_country": "BE", "ticket_id": None},  # E3 EEA
        {"processor": "tcs", "source_country": "IN", "ticket_id": None,
         "occurred_at": "2026-11-01T05:00:00+05:30"},  # E4: 2026-10-31T23:30Z, still October
    ))
    assert found(src, "2026-10", "XB-005") == [
        ("XB-005", "E1", "2026-10-15T10:00:00"), ("XB-005", "E4", "2026-10-31T23:30:00")]


def test_mkt001_send_at_the_exact_second_of_the_objection(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[{"customer_id": "C1", "marketing_objection_at": "2026-10-10T12:00:00"},
                   {"customer_id": "C2"}],
        marketing_sends=[
            {"send_id": "S1", "customer_id": "C1", "sent_at": "2026-10-10T11:59:59"},
            {"send_id": "S2", "customer_id": "C1", "sent_at": "2026-10-10T12:00:00"},
            {"send_id": "S3", "customer_id": "C1", "sent_at": "2026-11-01T00:00:00"},  # next month
            {"send_id": "S4", "customer_id": "C2", "sent_at": "2026-10-10T12:00:00"},
        ])
    assert found(src, "2026-10", "MKT-001") == [("MKT-001", "S2", "2026-10-10T12:00:00")]
    assert found(src, "2026-11", "MKT-001") == [("MKT-001", "S3", "2026-11-01T00:00:00")]


def test_mkt002_personalised_send(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}],
        marketing_sends=[{"send_id": "S1", "customer_id": "C1", "sent_at": OCT, "personalised": "true"},
                         {"send_id": "S2", "customer_id": "C1", "sent_at": OCT, "personalised": "false"}])
    assert found(src, "2026-10", "MKT-002") == [("MKT-002", "S1", "2026-10-15T10:00:00")]


def test_mkt003_send_to_erased_customer(tmp_path):
    src = write_source(tmp_path / "s",
        customers=[{"customer_id": "C1", "erased_at": "2026-10-10T12:00:00"}],
        marketing_sends=[
            {"send_id": "S1", "customer_id": "C1", "sent_at": "2026-10-10T11:59:59"},
            {"send_id": "S2", "customer_id": "C1", "sent_at": "2026-10-10T12:00:00"},
        ])
    assert found(src, "2026-10", "MKT-003") == [("MKT-003", "S2", "2026-10-10T12:00:00")]


def test_mkt_rules_not_assessed_without_marketing_sends(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}])
    result = evaluate_source(src, "2026-10")
    assert [d["rule_id"] for d in result.not_assessed] == ["DSR-001", "MKT-001", "MKT-002", "MKT-003", "RET-002"]


def test_dsr001_received_on_31_january(tmp_path):
    src = write_source(tmp_path / "s", dsr_requests=[
        # deadline 2026-02-28T10:00:00 (31 January + 1 month)
        {"request_id": "R1", "received_at": "2026-01-31T10:00:00", "closed_at": "2026-02-28T10:00:00"},  # on time
        {"request_id": "R2", "received_at": "2026-01-31T10:00:00", "closed_at": "2026-02-28T10:00:01"},  # late
        {"request_id": "R3", "received_at": "2026-01-31T10:00:00"},  # open at as_of: overdue
        {"request_id": "R4", "received_at": "2026-01-31T10:00:00", "closed_at": "2026-03-02T00:00:00"},  # open at as_of
        # extended: deadline 2026-04-30T10:00:00
        {"request_id": "R5", "received_at": "2026-01-31T10:00:00", "extended": "true"},
        # leap year: 2024-01-31 + 1 month = 2024-02-29, closed in February 2026 long after
        {"request_id": "R6", "received_at": "2024-01-31T00:00:00", "closed_at": "2026-02-01T00:00:00"},
        {"request_id": "R7", "received_at": "2026-03-01T00:00:00"},  # received after as_of
    ])
    assert found(src, "2026-02", "DSR-001") == [
        ("DSR-001", "R2", "2026-02-28T10:00:00"),
        ("DSR-001", "R3", "2026-02-28T10:00:00"),
        ("DSR-001", "R4", "2026-02-28T10:00:00"),
        ("DSR-001", "R6", "2024-02-29T00:00:00"),
    ]
    # March: R3 still open and overdue; R4 closed late in March; R5 not yet due
    assert [f[1] for f in found(src, "2026-03", "DSR-001")] == ["R3", "R4"]
    assert [f[1] for f in found(src, "2026-04", "DSR-001")] == ["R3", "R5", "R7"]


def test_dsr001_detail_gives_days_late(tmp_path):
    src = write_source(tmp_path / "s", dsr_requests=[
        {"request_id": "R1", "right": "erasure", "received_at": "2026-01-31T10:00:00",
         "closed_at": "2026-02-28T10:00:01"}])
    detail = evaluate_source(src, "2026-02").findings.detail.tolist()
    assert detail == ["erasure request received 2026-01-31T10:00:00Z; deadline 2026-02-28T10:00:00Z; "
                      "closed 2026-02-28T10:00:01Z, 0 days late"]


@pytest.mark.parametrize("closed, late", [("2026-02-21T10:00:00", "1 day late"), ("2026-02-22T09:00:00", "2 days late")])
def test_dsr001_detail_counts_days_in_words(tmp_path, closed, late):
    """Deadline 2026-02-20T10:00:00Z; closed the next day, or two calendar days after (it said "day(s)")."""
    src = write_source(tmp_path / "s", dsr_requests=[
        {"request_id": "R1", "right": "access", "received_at": "2026-01-20T10:00:00", "closed_at": closed}])
    assert evaluate_source(src, "2026-02").findings.detail.tolist() == [
        f"access request received 2026-01-20T10:00:00Z; deadline 2026-02-20T10:00:00Z; closed {closed}Z, {late}"]


def test_min001_vat_number_on_consumer_account(tmp_path):
    src = write_source(tmp_path / "s", customers=[
        {"customer_id": "C1", "account_type": "consumer", "vat_number": "BE0123.456.789"},
        {"customer_id": "C2", "account_type": "pro", "vat_number": "BE0123.456.789"},
        {"customer_id": "C3", "account_type": "consumer", "vat_number": "BE0123.456.789",
         "erased_at": "2026-10-01T00:00:00"},
        {"customer_id": "C4", "account_type": "consumer", "vat_number": "BE0123.456.789",
         "created_at": "2026-11-01T00:00:00"},
    ])
    assert found(src, "2026-10", "MIN-001") == [("MIN-001", "C1", "2018-01-01T00:00:00")]


def test_one_event_can_meet_several_rules_sorted_by_rule_then_subject(tmp_path):
    src = write_source(tmp_path / "s", access_log=_events(
        {"event_id": "E2", "processor": "wipro", "source_country": "CN", "action": "export",
         "record_count": "5000", "ticket_id": None},
        {"event_id": "E1", "processor": "wipro", "source_country": "CN", "ticket_id": None},
    ))
    assert [(f[0], f[1]) for f in found(src, "2026-10")] == [
        ("XB-001", "E1"), ("XB-001", "E2"), ("XB-004", "E2"), ("XB-005", "E1"), ("XB-005", "E2"),
        # wipro from CN, a country outside the EEA, with no TIA recorded (no evidence file): XB-006 (a)
        ("XB-006", "wipro|CN")]
