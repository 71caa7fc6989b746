"""Executed notebook -> one self-contained HTML page for auditors.

nbconvert's HTMLExporter with the `gdpr_audit` template (templates/gdpr_audit, extending `lab`):
no code (inputs, prompts, the parameters cells and stderr are left out), no request to any other host
(the template drops require.js, MathJax and Mermaid; `finalize` drops any other external script,
stylesheet or frame and turns external links into plain text with the address shown), plotly.js
embedded exactly once in the page head, a table of contents from the headings, a header block and a
print stylesheet (A4).

Plotly trap: under papermill, plotly's default `plotly_mimetype` renderer writes only
`application/vnd.plotly.v1+json`, which nbconvert drops, so the page silently has no chart. The
notebooks use `plotly_mimetype+notebook`; for any figure that still has no HTML we build it here from
the figure JSON, so a chart can never go missing.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "gdpr_audit"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Cells with these tags never reach the auditor page (papermill tags the injected cell).
REMOVED_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell", "hide-cell"})
_TOC_MARK = "<!--gdpr-toc-->"
_SCHEME = re.compile(r"^\s*(?:([a-zA-Z][a-zA-Z0-9+.\-]*):|//)")
_LOCAL_SCHEMES = {"data", "mailto", "blob"}
# Attributes through which a browser fetches something by itself when the page loads.
_FETCHING = {
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
    "frame": ("src",), "embed": ("src",), "object": ("data",), "source": ("src", "srcset"),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "input": ("src",),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"), "base": ("href",),
}
_WITH_CONTENT = {"script", "iframe", "frame", "object", "video", "audio"}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*(?:https?:)?//""", re.I)


def is_external(url: str | None) -> bool:
    """True for a URL that points to another host or scheme (http, https, //host, ftp, javascript…)."""
    if not url:
        return False
    m = _SCHEME.match(url)
    if not m:
        return False  # relative path or #anchor
    return (m.group(1) or "").lower() not in _LOCAL_SCHEMES


#: The one copy of plotly.js of a report folder, beside its pages, loaded by relative path.
PLOTLY_FILE = "plotly.min.js"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@dataclass
class PageInfo:
    """What the page says about itself; the header block of every auditor page."""

    title: str
    subtitle: str
    month: str
    period_start: str
    as_of: str
    parameters: dict[str, Any]
    policy_name: str
    policy_version: str
    policy_sha256: str
    loaded_at: str
    generated_at: str
    tool_version: str
    inputs: list[dict[str, Any]] = field(default_factory=list)


class AuditPreprocessor(Preprocessor):
    """Leave out what an auditor should not see, and make every plotly figure render as HTML.

    - stderr streams (warnings) and code cells without output are dropped;
    - a figure output with only the plotly JSON gets an HTML rendering without plotly.js;
    - every copy of plotly.js in the outputs is removed: the template loads the folder's one copy
      (PLOTLY_FILE) in the head, or embeds it when the page must travel alone (`standalone`).
    Sets resources["gdpr"]["plotly_js"] (standalone) or ["plotly_src"] when the page has a chart.
    """

    def preprocess(self, nb, resources):
        bundle = plotly_js()
        charts = False
        cells = []
        title = resources.get("gdpr", {}).get("title")
        for cell in nb.cells:
            if title and cell.cell_type == "markdown":
                # the header block shows the title: drop the notebook's own `# Title` line
                lines = cell.source.splitlines()
                heading = next((i for i, line in enumerate(lines) if line.strip()), None)
                if heading is not None and _h1(lines[heading]) == title:
                    cell.source = "\n".join(lines[:heading] + lines[heading + 1:])
                title = None
                if not cell.source.strip():
                    continue
            if cell.cell_type == "code":
                outputs = []
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "stream" and out.get("name") == "stderr":
                        continue
                    data = out.get("data")
                    if data is not None:
                        if PLOTLY_MIME in data and "text/html" not in data:
                            data["text/html"] = _figure_html(data[PLOTLY_MIME])
                        if "text/html" in data:
                            text = _text(data["text/html"])
                            if bundle in text:
                                text = text.replace(bundle, "")
                            if PLOTLY_MIME in data or "plotly-graph-div" in text:
                                charts = True
                            data["text/html"] = text
                    outputs.append(out)
                cell.outputs = outputs
                if not outputs:
                    continue
            cells.append(cell)
        nb.cells = cells
        gdpr = resources.setdefault("gdpr", {})
        alone = gdpr.get("standalone", False)
        gdpr["plotly_js"] = bundle if charts and alone else ""
        gdpr["plotly_src"] = PLOTLY_FILE if charts and not alone else ""
        return nb, resources


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _figure_html(figure: dict) -> str:
    import plotly.io as pio

    return pio.to_html(
        figure, include_plotlyjs=False, include_mathjax=False, full_html=False,
        default_width="100%", default_height=525, validate=False,
    )


def exporter() -> HTMLExporter:
    exp = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_output_stdin=True,
        sanitize_html=False,  # plotly figures are scripts; outputs come from our own notebooks
        theme="light",
    )
    exp.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVED_TAGS)), enabled=True)
    exp.register_preprocessor(AuditPreprocessor(), enabled=True)
    return exp


def export_html(nb: nbformat.NotebookNode, page: PageInfo, standalone: bool = False) -> str:
    """The auditor page of an executed notebook (the notebook itself is not modified). Its charts load
    the report folder's plotly.js (PLOTLY_FILE, beside the page: `write_plotly_js`), or, `standalone`,
    carry their own copy (a page that travels alone)."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = f"{page.title} — {page.month}"
    body, _ = exporter().from_notebook_node(nb, resources={"gdpr": {**vars(page), "standalone": standalone}})
    return finalize(body)


def export_file(ipynb: Path, target: Path, page: PageInfo) -> None:
    """One page on its own (it carries plotly.js)."""
    nb = nbformat.read(str(ipynb), as_version=4)
    target.write_text(export_html(nb, page, standalone=True), encoding="utf-8")


def uses_plotly_file(page: str) -> bool:
    return f'src="{PLOTLY_FILE}"' in page


def write_plotly_js(folder: Path) -> None:
    """The folder's one copy of plotly.js, which its pages load by relative path."""
    (folder / PLOTLY_FILE).write_text(plotly_js(), encoding="utf-8")


def strip_plotly_js(nb: nbformat.NotebookNode) -> None:
    """Remove the copies of plotly.js the kernel embedded in the outputs of an executed notebook (4.8 MB
    each): JupyterLab draws the figures from their plotly JSON (plotly's lab extension), and the pages
    load the folder's copy."""
    bundle = plotly_js()
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data") or {}
            html_text = data.get("text/html")
            if html_text is not None:
                text = _text(html_text)
                if bundle in text:
                    data["text/html"] = text.replace(bundle, "")


def _h1(line: str) -> str | None:
    m = re.match(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", line)
    return re.sub(r"[*_`]", "", m.group(1)).strip() if m else None


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The notebook's `# Title` (the first non-empty line of its first markdown cell), as plain text."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        return (_h1(lines[0]) if lines else None) or default
    return default


# ---------------------------------------------------------------------------------------------
# Final pass over the rendered page: located with html.parser (so text inside <script>, such as
# the plotly.js bundle, is never mistaken for markup) and edited in place, byte for byte otherwise.


class _Scanner(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.text = text
        self._line_starts = [0]
        for m in re.finditer("\n", text):
            self._line_starts.append(m.end())
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
        self.headings: list[tuple[int, str, str]] = []  # (level, id, text)
        self.toc_at: int | None = None
        self._drop: tuple[str, int] | None = None  # element being dropped, and where it started
        self._heading: list | None = None  # [level, id, parts, in_anchor_link]

    def _pos(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, closed=True)

    def _start(self, tag, attrs, closed):
        if self._drop:
            return
        start = self._pos()
        raw = self.get_starttag_text() or ""
        end = start + len(raw)
        a = dict(attrs)
        fetching = [k for k in _FETCHING.get(tag, ()) if is_external(a.get(k))]
        if fetching:
            if tag in _WITH_CONTENT and not closed:
                self._drop = (tag, start)
            else:
                self.edits.append((start, end, ""))
            return
        if tag == "a" and is_external(a.get("href")):
            url = a["href"]
            kept = [(k, v) for k, v in attrs if k not in ("href", "target", "rel", "class")]
            classes = " ".join(filter(None, [a.get("class"), "external-link"]))
            rebuilt = "<a" + "".join(
                f' {k}="{html.escape(v or "", quote=True)}"' for k, v in
                [("class", classes), ("data-url", url), *kept]
            ) + (" />" if closed else ">")
            self.edits.append((start, end, rebuilt))
        if re.fullmatch(r"h[1-6]", tag) and a.get("id") and "%" in a["id"]:
            # nbconvert writes the heading id percent-encoded (`P1-%E2%80%94-…`) and the links to it
            # the same way; a browser percent-decodes a link's fragment before looking the id up, so
            # the id itself must be the decoded text for the links to land
            rebuilt = "<" + tag + "".join(
                f' {k}="{html.escape(unquote(v) if k == "id" else (v or ""), quote=True)}"' for k, v in attrs
            ) + (" />" if closed else ">")
            self.edits.append((start, end, rebuilt))
        if re.fullmatch(r"h[1-3]", tag) and a.get("id") and self._heading is None:
            self._heading = [int(tag[1]), a["id"], [], 0]
        elif tag == "a" and self._heading is not None and "anchor-link" in (a.get("class") or ""):
            self._heading[3] += 1

    def handle_endtag(self, tag):
        if self._drop:
            name, start = self._drop
            if tag == name:
                close = self.text.find(">", self._pos())
                self.edits.append((start, close + 1, ""))
                self._drop = None
            return
        if self._heading is not None:
            if tag == "a" and self._heading[3]:
                self._heading[3] -= 1
            elif tag == f"h{self._heading[0]}":
                level, hid, parts, _ = self._heading
                text = " ".join("".join(parts).split())
                if text:
                    self.headings.append((level, hid, text))
                self._heading = None

    def handle_data(self, data):
        if self._heading is not None and not self._heading[3]:
            self._heading[2].append(data)

    def handle_comment(self, data):
        if self.toc_at is None and f"<!--{data}-->" == _TOC_MARK:
            self.toc_at = self._pos()


def _toc(headings: list[tuple[int, str, str]]) -> str:
    """Sections (##) numbered, their subsections (###) in a list under each."""
    items = [(lvl, hid, text) for lvl, hid, text in headings if lvl in (2, 3)]
    if not items:
        items = [(2, hid, text) for lvl, hid, text in headings]
    if not items:
        return ""
    lines = ['<nav class="gdpr-toc" aria-label="Contents">', "<h2>Contents</h2>", "<ol>"]
    open_item = sub = False
    for lvl, hid, text in items:
        target = quote(unquote(hid), safe="/:@!$&'()*+,;=-._~")
        link = f'<a href="#{html.escape(target, quote=True)}">{html.escape(text)}</a>'
        if lvl == 3 and open_item:
            if not sub:
                lines.append("<ul>")
                sub = True
            lines.append(f'<li class="gdpr-toc-3">{link}</li>')
            continue
        if sub:
            lines.append("</ul>")
            sub = False
        if open_item:
            lines.append("</li>")
        lines.append(f'<li class="gdpr-toc-{lvl}">{link}')
        open_item = True
    if sub:
        lines.append("</ul>")
    if open_item:
        lines.append("</li>")
    lines += ["</ol>", "</nav>"]
    return "\n".join(lines)


def finalize(page: str) -> str:
    """Drop external fetches, neutralise external links, and put the table of contents in place."""
    scan = _Scanner(page)
    scan.feed(page)
    scan.close()
    edits = list(scan.edits)
    if scan.toc_at is not None:
        edits.append((scan.toc_at, scan.toc_at + len(_TOC_MARK), _toc(scan.headings)))
    out, last = [], 0
    for start, end, repl in sorted(edits):
        if start < last:  # nested in an element already dropped
            continue
        out.append(page[last:start])
        out.append(repl)
        last = end
    out.append(page[last:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Checks, used after export and by the tests.


class _RefFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "xlink:href", "action", "formaction"):
                if is_external(v):
                    self.found.append(f"<{tag} {k}={v!r}>")
            elif k == "style" and v and _CSS_URL.search(v):
                self.found.append(f"<{tag} style={v[:80]!r}>")
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style and _CSS_URL.search(data):
            self.found.append("<style> " + _CSS_URL.search(data).group(0))


_EVIDENCE = re.compile(r'id="evidence-([A-Z]+-[0-9]{3})"')


def evidence_ids(page: str) -> list[str]:
    """The rules whose evidence the page holds, in page order."""
    return list(dict.fromkeys(_EVIDENCE.findall(page)))


def external_references(page: str) -> list[str]:
    """Every element attribute or stylesheet in the page that refers to another host.
    Text inside <script> (e.g. URLs inside the plotly.js bundle) is not markup and is not counted."""
    finder = _RefFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def plotly_js_copies(page: str) -> int:
    """How many copies of plotly.js the page embeds."""
    return page.count(plotly_js()[:200])
