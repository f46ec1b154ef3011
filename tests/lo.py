"""LibreOffice helper for the PDF checks: convert an office document to PDF headlessly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")
requires_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def to_pdf(path: Path, outdir: Path) -> Path:
    """Convert `path` to PDF in `outdir` with a private LibreOffice profile; return the PDF path."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    path, outdir = Path(path).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    result = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(outdir), str(path)],
        capture_output=True, text=True, timeout=180,
    )
    pdf = outdir / (path.stem + ".pdf")
    if result.returncode != 0 or not pdf.is_file():
        raise AssertionError(f"soffice failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    return pdf


def to_pdfs(paths: list[Path], outdir: Path) -> list[Path]:
    """Convert several documents to PDF in one LibreOffice run (much faster than one process each)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    paths, outdir = [Path(p).resolve() for p in paths], Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    result = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, paths)],
        capture_output=True, text=True, timeout=300,
    )
    pdfs = [outdir / (p.stem + ".pdf") for p in paths]
    if result.returncode != 0 or not all(p.is_file() for p in pdfs):
        raise AssertionError(f"soffice failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    return pdfs
