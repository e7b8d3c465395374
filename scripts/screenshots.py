"""Screenshots of built pages, desktop and narrow, for a look at the layout (``make screenshots``).

Usage::

    python scripts/screenshots.py                       # PAGES below, from _build/html
    python scripts/screenshots.py book/ndcg-bound ...   # other pages (paths without .html)

Writes ``_build/screenshots/<page>-desktop.png`` (1280x1600) and ``<page>-narrow.png``
(420x1400). Build the book first (``make book``).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import browser  # noqa: E402

# The pages to look at: the introduction and one chapter with definitions, proofs and figures.
PAGES = ["book/intro", "book/ranking-metrics"]
SIZES = {"desktop": (1280, 1600), "narrow": (420, 1400)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=PAGES, help="pages, e.g. book/intro")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("--height", type=int, help="window height for both sizes (e.g. 8000 "
                        "to see a whole chapter)")
    args = parser.parse_args(argv)

    chromium = browser.find_chromium()
    if chromium is None:
        print("chromium not found (apt-get install -y chromium)", file=sys.stderr)
        return 1
    jobs = []
    for page in args.pages:
        src = args.html / f"{page.removesuffix('.html')}.html"
        if not src.is_file():
            print(f"{src} does not exist: run `make book` first", file=sys.stderr)
            return 1
        for size, (width, height) in SIZES.items():
            height = args.height or height
            out = args.out / f"{Path(page).stem}-{size}.png"
            jobs.append((src, out, width, height))

    def shoot(job):
        src, out, width, height = job
        browser.screenshot(chromium, src, out, width=width, height=height)
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        for out in pool.map(shoot, jobs):
            print(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
