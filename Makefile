# Entry points: `make book`, `make test`, `make refresh`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp

.DEFAULT_GOAL := help
.PHONY: help venv book test refresh clean distclean

help:
	@echo "make book     build the book into _build/html (committed outputs, no execution)"
	@echo "make test     run the package tests and nbval over every chapter"
	@echo "make refresh  re-execute the chapter notebooks (or NOTEBOOKS=\"a.ipynb b.ipynb\")"
	@echo "make clean    remove build and test artefacts (distclean also removes .venv)"

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

test: venv
	$(BIN)/python -m pytest

refresh: venv
	$(BIN)/python scripts/refresh_notebooks.py $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
