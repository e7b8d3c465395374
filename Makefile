# Entry points: `make book`, `make test`, `make refresh`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp
# Pages for `make screenshots` (paths under _build/html, without .html): the introduction, a proof
# chapter and an experiment chapter.
PAGES  ?= book/intro book/rank-lemma book/learning-to-rank-experiment

.DEFAULT_GOAL := help
.PHONY: help venv book test refresh api screenshots pdf clean distclean

help:
	@echo "make book         build the book into _build/html (committed outputs, no execution)"
	@echo "make test         package tests, nbval over every chapter, render test (Chromium)"
	@echo "make refresh      re-execute the chapter notebooks (or NOTEBOOKS=\"a.ipynb b.ipynb\")"
	@echo "make api          update the module list of book/api.md (modules whose references resolve)"
	@echo "make screenshots  desktop and narrow PNGs of PAGES=\"$(PAGES)\" in _build/screenshots"
	@echo "make pdf          optional: PDF through LaTeX (needs TeX Live, see README)"
	@echo "make clean        remove build and test artefacts (distclean also removes .venv)"

venv: $(STAMP)

# Re-installs only when requirements.txt or pyproject.toml changed since the last install.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

# -W turns warnings into errors, --keep-going reports all of them, --all re-reads every page
# so warnings from unchanged pages are not hidden by the incremental build.
book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going --all

# tests/test_render.py builds the book again in a temporary directory and loads every page in
# headless Chromium (skipped when Chromium is missing, except under CI=1).
test: venv
	$(BIN)/python -m pytest

refresh: venv
	$(BIN)/python scripts/refresh_notebooks.py $(NOTEBOOKS)

api: venv
	$(BIN)/python scripts/api_page.py --write

screenshots: book
	$(BIN)/python scripts/screenshots.py $(PAGES)

# Optional and separate from `make book`: needs texlive-xetex latexmk texlive-fonts-recommended
# texlive-latex-extra (apt). Writes _build/latex/book.pdf.
pdf: venv
	@command -v latexmk >/dev/null || { echo "make pdf needs TeX Live and latexmk (see README)"; exit 1; }
	$(BIN)/jupyter-book build . --builder pdflatex

clean:
	rm -rf _build .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
