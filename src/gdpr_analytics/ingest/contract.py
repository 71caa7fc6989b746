"""The input data contract of SPEC §3, as data: tables, columns, types, keys and allowed values.

The loader enforces it; the sample generator and the tests build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, DATE, TIMESTAMP, BOOLEAN, INTEGER, BIGINT, DECIMAL(10,2)
    nullable: bool = True
    allowed: tuple[str, ...] | None = None  # enumerated values (None: any)
    minimum: int | None = None  # inclusive lower bound for numbers
    exclusive_minimum: int | None = None  # exclusive lower bound for numbers
    personal: bool = False  # personal data of the customer (never shown to auditors)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: str
    required: bool
    time_column: str  # the instant that decides whether a row exists at as_of
    references: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (column, table, column)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


V = "VARCHAR"
TS = "TIMESTAMP"

CUSTOMERS = Table(
    "customers",
    (
        Column("customer_id", V, nullable=False),
        Column("account_type", V, nullable=False, allowed=("consumer", "pro")),
        Column("first_name", V, personal=True),
        Column("last_name", V, personal=True),
        Column("street", V, personal=True),
        Column("postal_code", V, personal=True),
        Column("city", V, personal=True),
        Column("country_code", V, personal=True),
        Column("email", V, personal=True),
        Column("birth_date", "DATE", personal=True),
        Column("gender", V, allowed=("F", "M", "X"), personal=True),
        Column("phone", V, personal=True),
        Column("mobile", V, personal=True),
        Column("vat_number", V, personal=True),
        Column("created_at", TS, nullable=False),
        Column("erased_at", TS),
        Column("marketing_objection_at", TS),
    ),
    key="customer_id",
    required=True,
    time_column="created_at",
)

ORDERS = Table(
    "orders",
    (
        Column("order_id", V, nullable=False),
        Column("customer_id", V, nullable=False),
        Column("ordered_at", TS, nullable=False),
        Column("product", V, allowed=("mystamp", "mystamp_pro")),
        Column("channel", V, allowed=("web", "app")),
        Column("quantity", "INTEGER", exclusive_minimum=0),
        Column("total_eur", "DECIMAL(10,2)", minimum=0),
        Column("status", V, allowed=("paid", "shipped", "cancelled", "refunded")),
    ),
    key="order_id",
    required=True,
    time_column="ordered_at",
    references=(("customer_id", "customers", "customer_id"),),
)

UPLOADS = Table(
    "uploads",
    (
        Column("upload_id", V, nullable=False),
        Column("customer_id", V, nullable=False),
        Column("order_id", V),
        Column("uploaded_at", TS, nullable=False),
        Column("kind", V, allowed=("photo", "image", "drawing", "text")),
        Column("depicts_persons", "BOOLEAN"),
        Column("size_bytes", "BIGINT", minimum=0),
        Column("erased_at", TS),
    ),
    key="upload_id",
    required=False,
    time_column="uploaded_at",
    references=(("customer_id", "customers", "customer_id"), ("order_id", "orders", "order_id")),
)

ACCESS_LOG = Table(
    "access_log",
    (
        Column("event_id", V, nullable=False),
        Column("occurred_at", TS, nullable=False),
        Column("processor", V, nullable=False),
        Column("actor_id", V, nullable=False),
        Column("source_country", "VARCHAR", nullable=False),
        Column("source_ip", V),
        Column("action", V, allowed=("read", "write", "export", "delete", "admin")),
        Column("resource", V, allowed=("customers", "orders", "uploads", "marketing", "requests", "infrastructure")),
        Column("customer_id", V),
        Column("record_count", "INTEGER", minimum=0),
        Column("ticket_id", V),
    ),
    key="event_id",
    required=True,
    time_column="occurred_at",
)

MARKETING_SENDS = Table(
    "marketing_sends",
    (
        Column("send_id", V, nullable=False),
        Column("customer_id", V, nullable=False),
        Column("sent_at", TS, nullable=False),
        Column("channel", V, allowed=("post", "email", "phone", "ad_platform", "onsite")),
        Column("campaign_id", V, nullable=False),
        Column("personalised", "BOOLEAN", nullable=False),
    ),
    key="send_id",
    required=False,
    time_column="sent_at",
    references=(("customer_id", "customers", "customer_id"),),
)

DSR_REQUESTS = Table(
    "dsr_requests",
    (
        Column("request_id", V, nullable=False),
        Column("customer_id", V),
        Column("received_at", TS, nullable=False),
        Column("right", V, allowed=("access", "rectification", "erasure", "restriction", "portability", "objection")),
        Column("extended", "BOOLEAN", nullable=False),
        Column("closed_at", TS),
        Column("outcome", V, allowed=("fulfilled", "refused", "manifestly_unfounded")),
    ),
    key="request_id",
    required=False,
    time_column="received_at",
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, UPLOADS, ACCESS_LOG, MARKETING_SENDS, DSR_REQUESTS)
}

#: Columns of customers that RET-004 expects to be empty once a customer is erased (SPEC §5).
ERASABLE_CUSTOMER_COLUMNS = (
    "first_name", "last_name", "street", "postal_code", "city", "email",
    "birth_date", "gender", "phone", "mobile", "vat_number",
)

#: Personal-data columns of customers that must never reach auditor output.
PERSONAL_COLUMNS = tuple(c.name for c in CUSTOMERS.columns if c.personal)
