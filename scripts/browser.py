"""Headless Chromium for the render test and the screenshots: find it, run it, read the DOM.

Used by ``tests/test_render.py`` and ``scripts/screenshots.py``. Each call starts a fresh
browser with a fresh profile directory and no network services (no updates, no sync, no QUIC),
so a page that tries to reach the internet shows it: MathJax from a CDN would leave raw TeX.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

# Debian names the package and binary `chromium`; other systems use one of the others.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

# Virtual time lets MathJax finish typesetting before the DOM is read, without real waiting.
VIRTUAL_TIME_MS = 15000

# Headless Chromium never lays a page out narrower than this (window sizes are clamped).
MIN_WIDTH = 500


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$CHROMIUM`` if set, else the first candidate on PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(chromium: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run Chromium in its own session (its signals never reach the caller); on timeout, kill
    its whole process group, which holds only the browser's own processes."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            err += f"\n(killed after {timeout:.0f} s)"
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def dump_dom(chromium: str, path: Path, *, timeout: float = 120.0, attempts: int = 2) -> str:
    """The DOM of a local HTML file after its scripts ran (``--dump-dom``)."""
    url = Path(path).resolve().as_uri()
    args = [f"--virtual-time-budget={VIRTUAL_TIME_MS}", "--dump-dom", url]
    result = None
    for _ in range(attempts):
        result = _run(chromium, args, timeout)
        if result.returncode == 0 and "</html>" in result.stdout:
            return result.stdout
    raise RuntimeError(
        f"chromium could not render {path} (exit {result.returncode}):\n{result.stderr[-2000:]}"
    )


def screenshot(
    chromium: str, path: Path, out: Path, *, width: int, height: int, timeout: float = 120.0
) -> None:
    """A PNG of a local HTML file at the given window size.

    Headless Chromium lays pages out at least ``MIN_WIDTH`` pixels wide whatever the window size,
    so a narrower page is loaded in an iframe of the requested width and the picture cropped.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    url = Path(path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="chromium-frame-") as tmp:
        if width < MIN_WIDTH:
            frame = Path(tmp) / "frame.html"
            frame.write_text(
                "<!DOCTYPE html><html><body style='margin:0'>"
                f"<iframe src='{url}' style='border:0;display:block;width:{width}px;"
                f"height:{height}px'></iframe></body></html>",
                encoding="utf-8",
            )
            url = frame.as_uri()
        args = [
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            f"--window-size={max(width, MIN_WIDTH)},{height}",
            f"--screenshot={out.resolve()}",
            url,
        ]
        result = _run(chromium, args, timeout)
    if not out.is_file():
        raise RuntimeError(
            f"chromium wrote no screenshot of {path} (exit {result.returncode}):\n"
            f"{result.stderr[-2000:]}"
        )
    if width < MIN_WIDTH:
        from PIL import Image

        with Image.open(out) as image:
            cropped = image.crop((0, 0, width, height))
        cropped.save(out)
