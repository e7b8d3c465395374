"""Checks on the committed chapter notebooks that nbval cannot make.

nbval re-executes every chapter and compares fresh outputs with the committed ones, but a cell
with no execution count is executed without being compared: a notebook stripped of its outputs
would pass while checking nothing. These tests require every chapter listed in ``_toc.yml`` to
be committed fully executed, top to bottom, with outputs that are stable from run to run
(``make refresh`` writes notebooks in this form).

Cell tags understood here:

``raises-exception``
    The cell is meant to raise (e.g. to show a validation error). Its committed outputs must
    contain that error; an error output in any other cell fails.
``no-output-ok``
    The code cell legitimately displays nothing (only imports or definitions), so it is exempt
    from the rule that every executed code cell shows at least one output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"
BOOK = ROOT / "book"

MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
TMP_PATH = re.compile(r"/tmp/")
NB_TIMING_KEYS = {"execution", "papermill", "widgets"}
CELL_TIMING_KEYS = {"execution", "ExecuteTime"}
BINARY_MIME = {"image/png", "image/jpeg", "image/gif"}

sys.path.insert(0, str(ROOT / "scripts"))
from toc import toc_paths as toc_entries  # noqa: E402  (scripts/toc.py)


TOC_NOTEBOOKS = sorted(p for p in toc_entries() if p.suffix == ".ipynb")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def output_texts(output) -> list[str]:
    """The text of one output that nbval compares (tracebacks and binary images excluded)."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return [output.ename, output.evalue]
    texts = []
    for mime, value in output.get("data", {}).items():
        if mime not in BINARY_MIME:
            texts.append(value if isinstance(value, str) else "".join(map(str, value)))
    return texts


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]


@pytest.fixture(params=TOC_NOTEBOOKS, ids=rel)
def notebook(request):
    path = request.param
    assert path.is_file(), f"{rel(path)} is listed in _toc.yml but does not exist"
    return path, nbformat.read(path, as_version=nbformat.NO_CONVERT)


def test_toc_lists_existing_files_and_some_notebooks():
    missing = [rel(p) for p in toc_entries() if not p.is_file()]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"
    assert TOC_NOTEBOOKS, "_toc.yml lists no notebook"


def test_every_book_notebook_is_in_toc():
    listed = {p.resolve() for p in TOC_NOTEBOOKS}
    on_disk = {
        p.resolve()
        for p in BOOK.rglob("*.ipynb")
        if not {".ipynb_checkpoints", "_build"} & set(p.relative_to(BOOK).parts)
    }
    orphans = sorted(rel(p) for p in on_disk - listed)
    assert not orphans, f"notebooks under book/ missing from _toc.yml: {orphans}"


def test_valid_nbformat4(notebook):
    path, nb = notebook
    assert nb.nbformat == 4, f"{rel(path)}: nbformat {nb.nbformat}, expected 4"
    nbformat.validate(nb)


def test_code_cells_executed_in_order_with_outputs(notebook):
    path, nb = notebook
    cells = code_cells(nb)
    assert cells, f"{rel(path)}: no code cell"
    counts = [c.execution_count for _, c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{rel(path)}: execution counts {counts}; expected 1..{len(cells)} "
        "(run `make refresh` to execute the notebook top to bottom in a fresh kernel)"
    )
    silent = [i for i, c in cells if not c.outputs and "no-output-ok" not in tags(c)]
    assert not silent, (
        f"{rel(path)}: code cells {silent} have no output; show a result or tag the cell "
        "`no-output-ok`"
    )


def test_errors_only_where_intended(notebook):
    path, nb = notebook
    for i, cell in code_cells(nb):
        has_error = any(o.output_type == "error" for o in cell.outputs)
        if "raises-exception" in tags(cell):
            assert has_error, f"{rel(path)}: cell {i} is tagged raises-exception but shows no error"
        else:
            assert not has_error, f"{rel(path)}: cell {i} raised an unexpected error"


def test_outputs_are_reproducible(notebook):
    path, nb = notebook
    for i, cell in code_cells(nb):
        for output in cell.outputs:
            for text in output_texts(output):
                for pattern, what in ((MEMORY_ADDRESS, "a memory address"), (TMP_PATH, "/tmp/")):
                    match = pattern.search(text)
                    assert match is None, (
                        f"{rel(path)}: cell {i} output contains {what} ({match.group(0)!r}), "
                        "which changes from run to run"
                    )


def test_no_timing_metadata(notebook):
    path, nb = notebook
    found = sorted(NB_TIMING_KEYS & set(nb.metadata))
    assert not found, f"{rel(path)}: notebook metadata has {found}"
    for i, cell in enumerate(nb.cells):
        found = sorted(CELL_TIMING_KEYS & set(cell.metadata))
        assert not found, f"{rel(path)}: cell {i} metadata has {found}"


COLAB_SETUP = "# Colab (or any environment without rankbound)"


def test_first_code_cell_installs_what_colab_lacks(notebook):
    """The Colab launch button opens a bare kernel: the first code cell installs the package (and
    the chapter's other imports) when rankbound is missing, and does nothing where it is present.
    It is hidden from the rendered page (``remove-cell``)."""
    path, nb = notebook
    first = code_cells(nb)[0][1]
    assert first.source.startswith(COLAB_SETUP), (
        f"{rel(path)}: the first code cell must be the Colab setup cell (see book/rank-lemma.ipynb)"
    )
    assert 'find_spec("rankbound") is None' in first.source
    assert {"remove-cell", "no-output-ok"} <= tags(first)
