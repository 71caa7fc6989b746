"""gdpr-analytics: the monthly report as an Airflow DAG (Airflow 2.4+ or 3, without a deprecation warning on 3).

Copy this file into the DAG folder of a deployment whose workers see the paths below (or give the
tasks a `queue=` that only such a worker serves) and edit the paths. The worker's user must be able to
read SOURCE and write DB's folder and OUT. Airflow shows each step's timestamped line in the task log.

Two tasks run the documented commands (README, "Running unattended"): `load`, then `report`.

- Schedule: the 2nd of each month at 06:00 UTC, after the export lands. `catchup=False`: the
  report command picks the month itself (`--month latest`, the last month the data covers
  completely), so runs for past intervals would all build the same month. A backfill is one run of
  `report --month 2025-11..2026-10` by hand: it builds the months in order, each against the month
  before, and leaves up-to-date months as they are. `max_active_runs=1`: never two runs at once.
- Status 75 (another run, e.g. a backfill by hand, held the lock on OUT for longer than --wait) is
  retried: `retries` times, `retry_delay` apart. Any other failure fails at once, without retries
  (a retry after status 3 would find the month up to date and succeed: the alert would be lost).
- Status 3 (the report is written completely but holds new high-severity findings) fails the
  `report` task, so Airflow's failure alerting (email_on_failure, on_failure_callback, a notifier)
  raises the alert. For "warn but don't fail", give the report task `skip_on_exit_code=3`: it then
  ends as *skipped* (visible in the grid, no failure alert) and the run succeeds.
- Status 1 (failed) and 2 (bad usage) fail the task; the log's last line says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow import DAG

try:  # Airflow 3: the task SDK's exceptions (those of airflow.exceptions are deprecated there)
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 2 (and a 3.0 whose SDK does not have them yet)
    from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

try:
    from airflow.providers.standard.operators.bash import BashOperator  # Airflow 3
except ImportError:
    from airflow.operators.bash import BashOperator  # Airflow 2

GDPR_ANALYTICS = "/opt/gdpr-analytics/.venv/bin/gdpr-analytics"
SOURCE = "/srv/mystamp/export"
DB = "/var/lib/gdpr-analytics/mystamp.duckdb"
OUT = "/srv/gdpr-reports"

LOAD = f"{GDPR_ANALYTICS} load --source {SOURCE} --db {DB}"
REPORT = f"{GDPR_ANALYTICS} report --db {DB} --month latest --out {OUT} --wait 3600 --fail-on new-high"

LOCKED = 75  # EX_TEMPFAIL: another run holds the lock on OUT


class GdprAnalyticsOperator(BashOperator):
    """A BashOperator that retries only status 75 (locked); any other failure is final."""

    def execute(self, context):
        try:
            return super().execute(context)
        except AirflowSkipException:
            raise
        except AirflowException:
            process = getattr(self.subprocess_hook, "sub_process", None)
            status = getattr(process, "returncode", None)
            if status is not None and status != LOCKED:
                raise AirflowFailException(f"gdpr-analytics exited with status {status}") from None
            raise


with DAG(
    dag_id="gdpr_analytics_monthly",
    description="Load the MyStamp export, then report the latest complete month",
    schedule="0 6 2 * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "gdpr-analytics", "retries": 4, "retry_delay": timedelta(minutes=30)},
    tags=["gdpr"],
) as dag:
    load = GdprAnalyticsOperator(
        task_id="load",
        bash_command=LOAD,
        env={"GDPR_ANALYTICS_MEMORY_LIMIT": "2GB"},
        append_env=True,
        execution_timeout=timedelta(hours=2),
    )
    report = GdprAnalyticsOperator(
        task_id="report",
        bash_command=REPORT,
        env={"GDPR_ANALYTICS_MEMORY_LIMIT": "2GB"},
        append_env=True,
        execution_timeout=timedelta(hours=4),
    )
    load >> report
