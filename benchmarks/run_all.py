"""Run All of one report notebook as an analyst does it in JupyterLab: the kernel is already running.

    python benchmarks/run_all.py --notebook notebooks/02_retention.ipynb --db FILE --month YYYY-MM

Sets the notebook's `parameters` cell to the month and database (as an analyst edits it), starts the
`python3` kernel with nbclient in the notebook's folder, then executes every cell in order. Prints
JSON: `kernel_start_s` (start and ready, not part of Run All) and `cells_s` (Run All itself).
A cell that fails makes the process fail.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "python3"


def set_parameters(nb, values: dict) -> None:
    """Edit the assignments of the cell tagged `parameters` (other parameters stay as they are)."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"expected one cell tagged 'parameters', found {len(cells)}")
    todo, lines = dict(values), []
    for line in cells[0].source.splitlines():
        m = re.match(r"(\w+)\s*=", line)
        if m and m.group(1) in todo:
            line = f"{m.group(1)} = {todo.pop(m.group(1))!r}"
        lines.append(line)
    cells[0].source = "\n".join(lines + [f"{k} = {v!r}" for k, v in todo.items()]) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", type=Path, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--save", type=Path, help="write the executed notebook here")
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    set_parameters(nb, {"month": args.month, "db_path": str(args.db.absolute())})
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=900, startup_timeout=120,
                            resources={"metadata": {"path": str(args.notebook.parent.absolute())}})
    client.reset_execution_trackers()
    t0 = time.perf_counter()
    with client.setup_kernel():
        t1 = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        t2 = time.perf_counter()
    if args.save:
        nbformat.write(nb, args.save)
    print(json.dumps({"kernel_start_s": round(t1 - t0, 3), "cells_s": round(t2 - t1, 3),
                      "code_cells": sum(c.cell_type == "code" for c in nb.cells)}))


if __name__ == "__main__":
    main()
