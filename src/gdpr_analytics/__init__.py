"""gdpr-analytics: monthly GDPR compliance analytics for the MyStamp service."""

import sys as _sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat, which plotly.io and papermill import) builds three Earley parsers
# for the IRI formats at import time when the optional package rfc3987-syntax is installed: 0.8 s of
# CPU in every process and every notebook kernel. Nothing here validates IRIs, so it is not loaded
# (a None entry in sys.modules makes its import fail, which jsonschema expects and skips).
_sys.modules.setdefault("rfc3987_syntax", None)

# pyspark (the extra `spark`) warns at import that it does not fully support pandas >= 3; jupysql imports
# it when installed (the explore notebook). Nothing here converts through pyspark's pandas layer: Spark's
# answers come back as Arrow and are converted by DuckDB (engines.spark.engine.as_duckdb_frame).
import warnings as _warnings  # noqa: E402

_warnings.filterwarnings("ignore", message=r"(?s).*recommended to use pandas < 3", module=r"pyspark(\.|$)")
_warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
