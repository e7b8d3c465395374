"""The files that ``_toc.yml`` names: one reader for the scripts and the tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_names(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every ``root``/``file`` entry (root, chapters, parts, sections), as written."""
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            names.extend(node[k] for k in ("root", "file") if isinstance(node.get(k), str))
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(Path(toc_path).read_text(encoding="utf-8")))
    return names


def toc_paths(toc_path: Path = ROOT / "_toc.yml") -> list[Path]:
    """Each entry resolved to a source file (``.ipynb`` before ``.md`` when the suffix is
    omitted); an entry with no file on disk resolves to the ``.ipynb`` it would be."""
    paths = []
    for name in toc_names(toc_path):
        base = Path(toc_path).parent / name
        candidates = [base] if base.suffix else [base.with_suffix(s) for s in (".ipynb", ".md")]
        paths.append(next((c for c in candidates if c.exists()), candidates[0]))
    return paths
