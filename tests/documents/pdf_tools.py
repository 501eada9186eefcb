"""Reading PDFs the way a recipient would: poppler's command-line tools."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path


def _run(arguments: list[str], pdf: bytes, *, after: tuple[str, ...] = (), with_errors: bool = False) -> str:
    """Run a poppler tool on ``pdf`` (written to a temporary file named before ``after``)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        completed = subprocess.run([*arguments, file.name, *after], capture_output=True, text=True, check=False)
    return completed.stdout + (completed.stderr if with_errors else "")


def text_of(pdf: bytes) -> str:
    """The PDF's text without any whitespace, so that line breaks do not split phrases."""
    return re.sub(r"\s+", "", _run(["pdftotext", "-q", "-enc", "UTF-8"], pdf, after=("-",)))


def text_of_page(pdf: bytes, page: int) -> str:
    """The text of one page (1-based), without whitespace."""
    number = str(page)
    return re.sub(r"\s+", "", _run(["pdftotext", "-q", "-enc", "UTF-8", "-f", number, "-l", number], pdf, after=("-",)))


def page_count(pdf: bytes) -> int:
    match = re.search(r"^Pages:\s+(\d+)", _run(["pdfinfo"], pdf), re.MULTILINE)
    assert match, "pdfinfo could not read the PDF"
    return int(match.group(1))


def fonts_of(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts' table as {name, embedded} rows ("yes"/"no")."""
    fonts = []
    for line in _run(["pdffonts"], pdf).splitlines()[2:]:
        columns = line.split()
        # name, type (one or more words), encoding, emb, sub, uni, object number, generation
        fonts.append({"name": columns[0], "embedded": columns[-5]})
    return fonts


def pdfsig(pdf: bytes, nss_directory: Path | None = None) -> str:
    """pdfsig's report; with ``nss_directory``, certificates are checked against that database."""
    arguments = ["pdfsig"] + (["-nssdir", f"sql:{nss_directory}"] if nss_directory else [])
    return _run(arguments, pdf, with_errors=True)


def first_page_png(pdf: bytes, destination: Path) -> Path:
    """The first page at 60 dpi, written to ``destination`` (a .png path)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    _run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"], pdf,
         after=(str(destination.with_suffix("")),))
    assert destination.exists(), f"pdftoppm wrote no {destination}"
    return destination
