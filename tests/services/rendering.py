"""What a printed page shows: a PDF's pages rendered to PNG by pdftoppm (poppler) and read back
by tesseract's OCR, so a test sees the words a reader would, not the PDF's text layer (which
holds text whether or not it was drawn, clipped or covered)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = ("pdftoppm", "pdftotext", "tesseract")


def need_tools() -> None:
    """Skip (or on CI, fail) when poppler's pdftoppm or tesseract is not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (Debian: poppler-utils, tesseract-ocr)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run installs them")
    pytest.skip(reason)


def pages_png(pdf: Path, out: Path, *, dpi: int = 150, page: int | None = None) -> list[Path]:
    """Every page of `pdf` as a PNG, in order (or only the `page`th, counting from 1)."""
    out.mkdir(parents=True, exist_ok=True)
    only = [] if page is None else ["-f", str(page), "-l", str(page)]
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", *only, str(pdf), str(out / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(out.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


# One thread a page: tesseract's OpenMP threads spin while they wait for each other, which
# on a machine already running a test per core tripled the CPU a page took (8.5 s to 2.7 s
# for the impact report's four pages at 150 dpi), for the same words read.
SINGLE_THREADED = {"OMP_THREAD_LIMIT": "1"}


def ocr(png: Path) -> str:
    """The words tesseract reads on one page image."""
    done = subprocess.run(
        ["tesseract", str(png), "stdout", "--psm", "3", "-l", "eng"],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, **SINGLE_THREADED},
    )
    return done.stdout.decode("utf-8", "replace")


def normal(text: str) -> str:
    """Lower case, one space between words, straight quotes: OCR's and the page's text alike."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def read_pdf_pages(
    pdf: Path, out: Path, known: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """Each page of `pdf`, in order, as (the SHA-256 of its rendered image, the text OCR reads
    on it, normalised). A page whose image is byte for byte one of `known` (an earlier call's
    answer) takes the text OCR read from that image: tesseract is deterministic, so it is what
    it would read again, for none of the CPU-second a page takes."""
    need_tools()
    seen = dict(known or [])
    pages: list[tuple[str, str]] = []
    for png in pages_png(pdf, out):
        digest = hashlib.sha256(png.read_bytes()).hexdigest()
        if digest not in seen:
            seen[digest] = normal(ocr(png))
        pages.append((digest, seen[digest]))
    return pages


def read_page_with(pdf: Path, words: str, out: Path) -> str:
    """The one page of `pdf` whose text layer has `words` (poppler's pdftotext finds it), as
    OCR reads it, normalised: a test that looks for one line reads one page (tesseract takes
    most of a CPU-second a page), and still sees what is drawn there, not the text layer."""
    need_tools()
    layer = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=120
    ).stdout.decode("utf-8", "replace")
    pages = [n for n, text in enumerate(layer.split("\f"), start=1) if words in normal(text)]
    assert pages, f"{words!r} is on no page of {pdf.name}"
    return normal(ocr(pages_png(pdf, out, page=pages[0])[0]))
