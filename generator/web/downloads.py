"""A document sent for download: built in a private temporary folder, streamed, the folder removed once it is sent
(or the client went away). Nothing is built under output/ or at a path taken from a request."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


@dataclass(frozen=True)
class Built:
    path: Path  # inside the private temporary folder
    media_type: str
    filename: str  # what the browser saves it as (an ASCII slug)


def private_folder() -> Path:
    """A new temporary folder only this process's user can read (mkdtemp: mode 0700)."""
    return Path(tempfile.mkdtemp(prefix="kehoach-web-"))


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def sent(built: Built, folder: Path) -> FileResponse:
    """The file, streamed; `folder` removed once it is sent."""
    return FileResponse(built.path, media_type=built.media_type, filename=built.filename,
                        background=BackgroundTask(discard, folder))
