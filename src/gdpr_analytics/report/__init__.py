"""Presentation: the monthly report folder (build: tables, notebooks run with papermill, auditor pages,
index, summary, manifest), one run over months with its lock (runs), the overview across months, the
statuses against last month, the record as a workbook, and the findings as CSV or JSON."""
