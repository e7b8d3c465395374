"""Render test: build the book and load every page in headless Chromium, offline.

A session fixture builds the book with the flags of ``make book`` (``-W -n --keep-going --all``)
into a temporary directory, then loads every HTML page of the build in headless Chromium (two at
a time) and keeps the DOM after MathJax ran. The tests then check, over all pages:

* every math element is typeset by a MathJax served from the build itself (no CDN), with its
  fonts present on disk, no MathJax error, and no raw TeX left in the visible text;
* every ``<img>`` points to a file of the build;
* every cross-reference (``{prf:ref}``, ``{eq}``, ``{numref}``, ``{doc}``, citations, glue)
  resolved: no ``??``, no unresolved-reference marker, no ``[key]`` left by a citation;
* every internal link points to an existing page, and its ``#anchor`` to an existing id.

One more test needs no browser: ``book/api.md`` lists exactly the modules whose docstring
references resolve (``make api`` updates it).

Chromium missing: the tests skip, except when the environment variable ``CI`` is set (CI
installs it, see ``.ci/run``), where they fail. ``RENDER_HTML=_build/html`` reuses an existing
build instead of building again (quicker while editing; the default builds fresh).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import api_page  # noqa: E402  (scripts/api_page.py)
import browser  # noqa: E402  (scripts/browser.py)
import toc  # noqa: E402  (scripts/toc.py)

PARALLEL = 2
MATHJAX_DIR = Path("_static/mathjax")
# Tags whose text is not prose: code, scripts, and MathJax's own output.
NOT_PROSE = ("script", "style", "noscript", "template", "textarea", "pre", "code", "svg",
             "mjx-container", "mjx-assistive-mml")
RAW_TEX = (
    ("$$", re.compile(r"\$\$")),
    ("\\(", re.compile(r"\\\(")),
    ("\\[", re.compile(r"\\\[")),
    ("\\begin{", re.compile(r"\\begin\{")),
    ("$...\\cmd...$", re.compile(r"\$[^$\s][^$\n]*?\\[A-Za-z]+[^$\n]*?\$")),
)
UNDEFINED_MACRO = re.compile(r'<mtext mathcolor="red">(\\[A-Za-z]+)</mtext>')
UNRESOLVED_TEXT = (
    ("??", re.compile(r"\?\?")),
    ("MyST role left as text", re.compile(r"\{(?:cite(?::[a-z]+)?|prf:ref|eq|ref|numref|doc|"
                                           r"glue(?::[a-z]+)?|term)\}`")),
    ("citation key left in brackets", re.compile(r"\[[a-z][a-z_-]*\d{4}[a-z0-9_:-]*\]")),
    # autodoc output parsed as MyST instead of reST (automodule outside eval-rst), or a role
    # written in the wrong syntax.
    ("reST directive left as text", re.compile(r"(?<!\w)\.\. [a-z]+(?::[a-z]+)?::")),
    ("reST role left as text", re.compile(r":(?:func|class|mod|meth|attr|exc|prf:ref|numref|"
                                         r"cite:[pt]):")),
)
EXTERNAL = ("http:", "https:", "mailto:", "javascript:", "data:", "tel:", "ftp:")


@dataclass
class Page:
    path: Path  # relative to the html root
    source: str  # HTML as written by Sphinx
    dom: str  # DOM after scripts ran
    _soups: dict = field(default_factory=dict, repr=False)

    def soup(self, which: str) -> BeautifulSoup:
        if which not in self._soups:
            self._soups[which] = BeautifulSoup(getattr(self, which), "html.parser")
        return self._soups[which]

    def prose(self) -> str:
        """Visible text of the rendered DOM, without code, scripts and typeset math."""
        soup = BeautifulSoup(self.dom, "html.parser")
        for tag in soup.find_all(NOT_PROSE):
            tag.decompose()
        for tag in soup.select(".highlight, .headerlink, .output.text_plain, .cell_output pre"):
            tag.decompose()
        return soup.get_text(" ")


@dataclass
class Site:
    html: Path
    pages: dict[str, Page]
    build_seconds: float
    render_seconds: float


def toc_files() -> list[str]:
    """Every ``root``/``file`` of ``_toc.yml``, as written (no suffix)."""
    names = toc.toc_names()
    return [str(Path(n).with_suffix("")) if Path(n).suffix in (".md", ".ipynb") else n
            for n in names]


def build_book(out: Path) -> Path:
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going", "--all"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        problems = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        tail = "\n".join(log.splitlines()[-25:])
        pytest.fail(
            f"jupyter-book build failed (exit {result.returncode}); warnings and errors:\n"
            + ("\n".join(problems[:60]) or "(none)") + f"\n\nlast lines:\n{tail}",
            pytrace=False,
        )
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    chromium = browser.find_chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI: install it (apt-get install -y chromium; "
                        "see .ci/run)", pytrace=False)
        pytest.skip("chromium not installed (apt-get install -y chromium); render test skipped")

    start = time.perf_counter()
    reuse = os.environ.get("RENDER_HTML")
    html = Path(reuse).resolve() if reuse else build_book(tmp_path_factory.mktemp("render"))
    built = time.perf_counter()
    assert (html / "index.html").is_file(), f"no index.html in {html}"

    paths = sorted(
        p.relative_to(html) for p in html.rglob("*.html")
        if p.relative_to(html).parts[0] not in ("_static", "_sources", "_images")
    )
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        doms = list(pool.map(lambda p: browser.dump_dom(chromium, html / p), paths))
    pages = {
        p.as_posix(): Page(p, (html / p).read_text(encoding="utf-8"), dom)
        for p, dom in zip(paths, doms, strict=True)
    }
    return Site(html, pages, built - start, time.perf_counter() - built)


def report(problems: list[str], what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n" + "\n".join(problems[:80])


def _classes(tag) -> list[str]:
    return tag.get("class") or []


def math_elements(page: Page) -> int:
    """Number of elements MathJax must typeset: Sphinx math spans/divs in the source HTML."""
    return sum(1 for tag in page.soup("source").find_all(["span", "div"])
               if "math" in _classes(tag))


# --------------------------------------------------------------------------------------------
def test_every_toc_page_built(site):
    missing = [f"{name}.html" for name in toc_files() if f"{name}.html" not in site.pages]
    assert not missing, f"_toc.yml entries with no page in the build: {missing}"
    assert "index.html" in site.pages
    print(f"\nbuild {site.build_seconds:.0f} s, {len(site.pages)} pages rendered in "
          f"{site.render_seconds:.0f} s")


def test_mathjax_is_local_with_fonts(site):
    problems = []
    missing_fonts: dict[Path, str] = {}
    fonts = site.html / MATHJAX_DIR / "output" / "chtml" / "fonts" / "woff-v2"
    if not (fonts / "MathJax_Main-Regular.woff").is_file():
        problems.append(f"MathJax CHTML fonts missing: {fonts} has no MathJax_Main-Regular.woff")
    for name, page in site.pages.items():
        for script in page.soup("source").find_all("script", src=True):
            src = script["src"]
            if "mathjax" in src.lower() and urlsplit(src).scheme:
                problems.append(f"{name}: MathJax loaded from the network: {src}")
        # The CHTML stylesheet MathJax injects names every font file it may load.
        for url in set(re.findall(r'url\("?(file://[^")]+)"?\)', page.dom)):
            target = Path(unquote(urlsplit(url).path))
            if not target.is_file():
                missing_fonts.setdefault(target, name)
        if math_elements(page) and "MathJax_Main-Regular.woff" not in page.dom:
            problems.append(f"{name}: page has math but MathJax declared no local font")
    problems += [f"MathJax font missing on disk (asked for by {page} and maybe others): {font}"
                 for font, page in sorted(missing_fonts.items())]
    report(problems, "MathJax problems")


def test_math_typeset(site):
    problems = []
    for name, page in site.pages.items():
        expected = math_elements(page)
        typeset = page.dom.count("<mjx-container")
        if typeset < expected:
            problems.append(f"{name}: {typeset} typeset formulas for {expected} math elements")
        for err in page.soup("dom").find_all("mjx-merror"):
            problems.append(f"{name}: MathJax error: {err.get('data-mjx-error', err.get_text())}")
        # MathJax's noundefined extension shows an unknown macro as red text, not as an error.
        for macro in sorted(set(UNDEFINED_MACRO.findall(page.dom))):
            problems.append(f"{name}: undefined TeX macro {macro} (define it in _config.yml "
                            "mathjax3_config, or fix the spelling)")
        text = page.prose()
        for label, pattern in RAW_TEX:
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60):match.end() + 60].replace("\n", " ")
                problems.append(f"{name}: raw TeX ({label}) in visible text: ...{context}...")
    report(problems, "math rendering problems")


def test_images_exist(site):
    problems = []
    for name, page in site.pages.items():
        base = (site.html / name).parent
        for img in page.soup("dom").find_all("img"):
            src = img.get("src", "")
            if not src:
                problems.append(f"{name}: <img> without src")
                continue
            parts = urlsplit(src)
            if parts.scheme == "data":
                continue
            if parts.scheme == "file":
                target = Path(unquote(parts.path))
            elif parts.scheme:
                problems.append(f"{name}: image from the network: {src}")
                continue
            else:
                target = base / unquote(parts.path)
            if not target.is_file():
                problems.append(f"{name}: image not found: {src}")
    report(problems, "missing images")


def test_references_resolved(site):
    problems = []
    for name, page in site.pages.items():
        soup = page.soup("source")
        # Sphinx leaves an unresolved reference as its xref node, outside any link.
        for tag in soup.select(".xref"):
            if tag.find_parent("a") is None and tag.name != "a":
                problems.append(f"{name}: unresolved reference {tag.get_text()!r} "
                                f"({' '.join(_classes(tag))})")
        # sphinxcontrib-bibtex renders an unknown key as an empty citation.
        for tag in soup.select(".bibtex-citation"):
            if tag.find("a") is None:
                problems.append(f"{name}: unresolved citation {str(tag)[:120]!r}")
        text = page.prose()
        for label, pattern in UNRESOLVED_TEXT:
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60):match.end() + 60].replace("\n", " ")
                problems.append(f"{name}: {label}: ...{context}...")
    report(problems, "unresolved references")


def test_internal_links(site):
    ids_cache: dict[Path, set[str]] = {}

    def ids_of(target: Path) -> set[str]:
        if target not in ids_cache:
            text = target.read_text(encoding="utf-8", errors="replace")
            ids_cache[target] = set(re.findall(r'\b(?:id|name)="([^"]+)"', text))
        return ids_cache[target]

    problems = []
    for name, page in site.pages.items():
        here = site.html / name
        for a in page.soup("source").find_all("a", href=True):
            href = a["href"].strip()
            if not href or href == "#" or href.lower().startswith(EXTERNAL):
                continue
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue
            target = (here.parent / unquote(parts.path)).resolve() if parts.path else here
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{name}: broken link {href!r} (no file {target})")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in ids_of(target):
                problems.append(f"{name}: broken anchor {href!r} (no id {fragment!r})")
    report(problems, "broken internal links")


def test_api_page_up_to_date(capsys):
    """book/api.md documents every module whose references resolve (run `make api` if not)."""
    status = api_page.main([])
    report_text = capsys.readouterr()
    assert status == 0, (
        "book/api.md does not list the modules whose references resolve; run `make api`\n"
        + report_text.out + report_text.err
    )
