"""Nothing the suite prints or writes counts with "(s)", "(ies)" or "(es)": the Python string literals of
src/ (messages, labels, docstrings), the templates, the notebooks' cells and the named SQL (whose findings
details reach findings.csv and the pages) say "1 row" and "2 rows" (core.words.plural and noun).
Comments and code are not read: `len(s)` is code."""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "gdpr_analytics"
#: a letter, then (s), (es) or (ies): "row(s)", "process(es)", "activity(ies)"
COUNTED = re.compile(r"[A-Za-z]\((?:s|es|ies)\)")
#: the tokens that hold a string's text (Python 3.12 splits an f-string into START, MIDDLE and END)
TEXT_TOKENS = {tokenize.STRING} | ({tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())


def in_python(source: str, name: str) -> list[str]:
    """file:line of every "(s)" in a string literal of a Python source."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in TEXT_TOKENS:
            for m in COUNTED.finditer(tok.string):
                out.append(f"{name}:{tok.start[0] + tok.string.count(chr(10), 0, m.start())}: {m.group()}")
    return out


def in_text(text: str, name: str) -> list[str]:
    return [f"{name}:{n}: {m.group()}" for n, line in enumerate(text.splitlines(), 1) for m in COUNTED.finditer(line)]


def in_notebook(text: str, name: str) -> list[str]:
    """notebook:cell N:line of every "(s)" in a cell's source (code and markdown)."""
    out = []
    for k, cell in enumerate(json.loads(text)["cells"], 1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        out += in_text(source, f"{name} cell {k}")
    return out


def counted_everywhere() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += in_python(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    templates = [p for p in sorted(SRC.rglob("*")) if p.is_file() and "templates" in p.relative_to(SRC).parts
                 and p.suffix != ".py"]
    sql = sorted((REPO / "queries").rglob("*.sql"))
    assert len(templates) > 10 and len(sql) > 15
    for path in templates + sql:
        found += in_text(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 5
    for path in notebooks:
        found += in_notebook(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    return found


def test_nothing_counts_with_parenthesised_plurals():
    found = counted_everywhere()
    assert not found, "say it with core.words.plural or noun:\n" + "\n".join(found)


def test_the_scan_finds_them_in_strings_not_in_code_or_comments():
    source = ('"""Reads the file(s)."""\n'
              'def f(s, n):\n'
              '    # a comment about row(s) is not read\n'
              '    x = len(s)\n'
              '    return f"{n} row(s)", "1 activity(ies)\\n2 process(es)"\n')
    assert in_python(source, "m.py") == ["m.py:1: e(s)", "m.py:5: w(s)", "m.py:5: y(ies)", "m.py:5: s(es)"]
    assert in_text("<p>{{ n }} month(s)</p>\nmonths\n|| ' day(s)'", "t.j2") == ["t.j2:1: h(s)", "t.j2:3: y(s)"]
    nb = json.dumps({"cells": [{"source": ["# Title\n", "a line\n"]}, {"source": "x\nprint('version(s)')"}]})
    assert in_notebook(nb, "n.ipynb") == ["n.ipynb cell 2:2: n(s)"]
