"""Keep the module list of ``book/api.md`` in step with the book (``make api``).

The API page documents the package with autodoc. Docstrings refer to the book's theorems
(``:prf:ref:`thm-...```), cite ``references.bib`` and link to other modules; a reference that does
not resolve fails the ``-W`` build. This script finds, for every public module of ``rankbound``:

* the labels its docstrings reference (``:prf:ref:``, ``:ref:``, ``:numref:``, ``:eq:``) and
  whether a page of the book defines them;
* the citation keys it uses and whether ``book/references.bib`` has them;
* the other ``rankbound`` modules it links to, which must be on the page too;

and lists on the page the modules whose references all resolve. Without options it prints the
report and exits 1 when ``book/api.md`` is not up to date; ``--write`` rewrites the list.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import sys
from pathlib import Path


from toc import toc_paths  # scripts/toc.py

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "api.md"
BIB = ROOT / "book" / "references.bib"
BEGIN = "% BEGIN api-modules: written by `make api` (scripts/api_page.py), do not edit by hand"
END = "% END api-modules"
PACKAGE = "rankbound"
# Page order: the data flow of DESIGN.md; modules not named here follow alphabetically.
ORDER = ["ranking", "metrics", "losses", "bounds", "symbolic", "worstcase", "datasets", "train"]

LABEL_ROLE = re.compile(r":(?:prf:ref|ref|numref|eq):`(?:[^`<]*<)?([^`<>]+?)>?`")
CITE_ROLE = re.compile(r":cite(?::[a-z]+)?:`([^`]+)`")
PY_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc):`~?(rankbound[\w.]*)`")
LABEL_DEF = re.compile(
    r"(?::label:|:name:)\s*([\w:.-]+)"  # directive options
    r"|^\s*\(([\w:.-]+)\)=\s*$"  # MyST targets
    r"|\$\$\s*\(([\w:.-]+)\)",  # labelled display math
    re.MULTILINE,
)
BIB_KEY = re.compile(r"@\w+\s*\{\s*([^,\s]+)\s*,")


def public_modules() -> list[str]:
    package = importlib.import_module(PACKAGE)
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def toc_sources() -> list[Path]:
    """The source files named in ``_toc.yml`` (only those are built)."""
    return [p for p in toc_paths() if p.is_file()]


def defined_labels() -> set[str]:
    """Labels defined by the pages of the book (those listed in _toc.yml)."""
    labels: set[str] = set()
    for path in toc_sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells)
        for match in LABEL_DEF.finditer(text):
            labels.update(g for g in match.groups() if g)
    return labels


def home_of(name: str) -> str | None:
    """The public module that defines a top-level name of the package."""
    obj = getattr(importlib.import_module(PACKAGE), name, None)
    home = getattr(obj, "__module__", None) if callable(obj) or isinstance(obj, type) else None
    if home and home.startswith(PACKAGE + "."):
        return home.split(".")[1]
    for module in public_modules():  # data (tuples, constants): the module that exports it
        if name in getattr(importlib.import_module(f"{PACKAGE}.{module}"), "__all__", ()):
            return module
    return None


def undocumented_data(module: str, name: str) -> bool:
    """A module-level constant without a ``#:`` doc comment, which autodoc leaves out."""
    source = (ROOT / PACKAGE / f"{module}.py").read_text(encoding="utf-8").splitlines()
    obj = getattr(importlib.import_module(f"{PACKAGE}.{module}"), name, None)
    if obj is None or callable(obj) or isinstance(obj, type):
        return False
    for i, line in enumerate(source):
        if re.match(rf"{re.escape(name)}\s*(:[^=]*)?=", line):
            return not (i > 0 and source[i - 1].lstrip().startswith("#:"))
    return True


def module_of(target: str) -> tuple[str | None, str]:
    """The public module that documents ``target``, and a problem ("" if none)."""
    parts = target.split(".")
    if len(parts) == 1:
        return PACKAGE, ""
    if parts[1].startswith("_"):
        return None, f"links to {target}, a private module"
    if parts[1] in public_modules():
        module, name = parts[1], (parts[2] if len(parts) > 2 else "")
    else:
        module, name = home_of(parts[1]), parts[1]
        if module is None:
            return None, f"links to {target}, which no public module defines"
    if name and undocumented_data(module, name):
        return None, (f"links to {target}, a constant of rankbound.{module} without a `#:` "
                      "doc comment (autodoc leaves it out)")
    return module, ""


def analyse() -> tuple[list[str], dict[str, list[str]]]:
    """Modules to document, and for each left-out module the reasons."""
    labels = defined_labels()
    bib_keys = set(BIB_KEY.findall(BIB.read_text(encoding="utf-8"))) if BIB.is_file() else set()
    modules = public_modules()
    reasons: dict[str, list[str]] = {}
    links: dict[str, set[str]] = {}
    for name in modules:
        problems = []
        try:
            importlib.import_module(f"{PACKAGE}.{name}")
        except Exception as exc:  # noqa: BLE001 - any import failure keeps the module out
            problems.append(f"import fails: {type(exc).__name__}: {exc}")
        source = (ROOT / PACKAGE / f"{name}.py").read_text(encoding="utf-8")
        missing = sorted(set(LABEL_ROLE.findall(source)) - labels)
        if missing:
            problems.append("labels not defined in the book: " + ", ".join(missing))
        keys = {k.strip() for group in CITE_ROLE.findall(source) for k in group.split(",")}
        if keys - bib_keys:
            missing_keys = ", ".join(sorted(keys - bib_keys))
            problems.append(f"keys missing from references.bib: {missing_keys}")
        links[name] = set()
        for target in sorted(set(PY_ROLE.findall(source))):
            home, problem = module_of(target)
            if problem:
                problems.append(problem)
            elif home not in (name, PACKAGE):
                links[name].add(home)
        if problems:
            reasons[name] = problems
    # A module that links to a left-out module cannot be documented either.
    changed = True
    while changed:
        changed = False
        for name in modules:
            if name in reasons:
                continue
            out = sorted(links[name] & set(reasons))
            if out:
                reasons[name] = [f"links to left-out module(s): {', '.join(out)}"]
                changed = True
    return [m for m in modules if m not in reasons], reasons


def block(included: list[str], reasons: dict[str, list[str]]) -> str:
    lines = [BEGIN]
    for name in included:
        # autodoc emits reStructuredText, so its directive must run inside eval-rst.
        lines += ["", f"## `{PACKAGE}.{name}`", "", "```{eval-rst}",
                  f".. automodule:: {PACKAGE}.{name}", "   :members:", "```"]
    if reasons:
        lines += ["", "% Left out until their references resolve (see `make api`):"]
        lines += [f"%   {PACKAGE}.{name}" for name in reasons]
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the list in book/api.md")
    args = parser.parse_args(argv)

    included, reasons = analyse()
    print("documented:", ", ".join(included) or "(none)")
    for name, problems in reasons.items():
        for problem in problems:
            print(f"left out  {name}: {problem}")

    page = PAGE.read_text(encoding="utf-8")
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        print(f"{PAGE.relative_to(ROOT)} has no '{BEGIN}' ... '{END}' block", file=sys.stderr)
        return 2
    updated = page[:start] + block(included, reasons) + page[end + len(END):]
    if updated == page:
        print(f"{PAGE.relative_to(ROOT)} is up to date")
        return 0
    if args.write:
        PAGE.write_text(updated, encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}")
        return 0
    print(f"{PAGE.relative_to(ROOT)} is out of date: run `make api`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
