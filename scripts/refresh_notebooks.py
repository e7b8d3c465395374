#!/usr/bin/env python3
"""Re-execute chapter notebooks and rewrite their committed outputs with quiet metadata.

Usage:
    python scripts/refresh_notebooks.py                 # every notebook listed in _toc.yml
    python scripts/refresh_notebooks.py book/a.ipynb    # only these
    python scripts/refresh_notebooks.py --check         # exit 1 if a notebook would change

Each notebook runs top to bottom in a fresh ``python3`` kernel of the current interpreter, with
the notebook's folder as working directory. A cell that raises fails the refresh (nothing is
written for that notebook) unless the cell carries the ``raises-exception`` tag. The written
notebook has no timing metadata, a minimal kernelspec/language_info, and execution counts 1..n.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from traitlets import default

from toc import toc_paths  # scripts/toc.py

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
NB_METADATA_DROP = ("widgets", "papermill", "execution", "vscode")
CELL_METADATA_DROP = ("execution", "ExecuteTime", "collapsed", "scrolled", "papermill")


class CurrentEnvKernelSpecManager(KernelSpecManager):
    """Resolve ``python3`` to ipykernel in *this* interpreter, whatever kernels are installed."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name == KERNEL_NAME:
            return self.kernel_spec_class(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )
        return super().get_kernel_spec(kernel_name)


class CurrentEnvKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self):
        return CurrentEnvKernelSpecManager(data_dir=self.data_dir)


def toc_notebooks() -> list[Path]:
    return [p for p in toc_paths() if p.suffix == ".ipynb"]


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip run-specific metadata and renumber execution counts 1..n in cell order."""
    for key in NB_METADATA_DROP:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    count = 0
    for cell in nb.cells:
        for key in CELL_METADATA_DROP:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if not cell.source.strip():
            cell.execution_count = None
            cell.outputs = []
            continue
        count += 1
        cell.execution_count = count
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
    return nb


def execute(path: Path, timeout: int) -> str:
    """Run ``path`` in a fresh kernel; return the normalised notebook text (not written)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_manager_class=CurrentEnvKernelManager,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=False,  # cells tagged `raises-exception` may still raise
        record_timing=False,
        coalesce_streams=True,  # one stream output per cell, however the kernel flushed it
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb = normalise(nb)
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all in _toc.yml")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 on change")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    args = parser.parse_args(argv)

    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    if not notebooks:
        print("refresh_notebooks: no notebooks listed in _toc.yml", file=sys.stderr)
        return 1
    failed, changed = [], []
    for path in notebooks:
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if not path.is_file():
            print(f"refresh_notebooks: {label}: no such notebook", file=sys.stderr)
            failed.append(path)
            continue
        print(f"executing {label} ...", flush=True)
        try:
            text = execute(path, args.timeout)
        except (CellExecutionError, CellTimeoutError) as exc:
            print(f"refresh_notebooks: {label}: a cell failed; notebook left unchanged "
                  f"(tag the cell `raises-exception` if the error is intended)\n{exc}",
                  file=sys.stderr)
            failed.append(path)
            continue
        if text != path.read_text(encoding="utf-8"):
            changed.append(label)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "would change" if args.check else "rewritten"
    print(f"{len(notebooks)} notebook(s): {len(changed)} {verb}, {len(failed)} failed")
    for label in changed:
        print(f"  {verb}: {label}")
    return 1 if failed or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
