"""The office's upload page, `/ke-hoach/{plan}/{year}/tai-len`: several returned forms at once (a file field with
`multiple`, or dropped onto the page), the day they arrived (`kehoach ingest --received`), and one line per file
as `kehoach ingest` prints it (`returns.ingest_lines`), through the same reading and storing (`returns.upload
.receive_uploads`, on `returns.ingest`).

The body is read part by part (python-multipart's parser): a file is cut off as soon as it passes MAX_FILE_BYTES
(that file alone is refused, with the sentence `ingest` gives a file too large on disk; the others go on), a form
field as soon as it passes MAX_FIELD_BYTES, and the request as a whole is bounded by the app's upload limit while
it is read (`security.RequestBody`). A file's name is shown and stored, never used as a path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from ..errors import KehoachError, TooLarge
from ..office.vnformat import not_a_date, parse_date
from ..returns.ingest_lines import ingest_line
from ..returns.package import MAX_FILE_BYTES
from ..returns.review import arrival_day
from ..returns.upload import Upload, receive_uploads
from .auth import require_user
from .pages import render
from .rounds import Round, round_of

MAX_UPLOAD_FILES = 1000  # files in one upload
MAX_FIELD_BYTES = 64 * 1024  # one form field that is not a file (the date, the CSRF token)
FILE_FIELD = "tep"  # the file field's name (several files)
DATE_FIELD = "ngay-nhan"  # the received date
DATE_LABEL = "Ngày nhận"
CHUNK = 64 * 1024  # bytes handed to the parser at a time
NO_FILES = "chưa chọn tệp nào; hãy chọn (hoặc kéo vào) một hay nhiều tệp biểu mẫu .docx đã điền rồi bấm Nhận các tệp"
NOT_A_FORM = "yêu cầu không phải biểu mẫu tải tệp lên của trang này; hãy tải lại trang Tải lên rồi làm lại"


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    over: bool = False  # passed its limit: the rest is only counted
    size: int = 0
    disposition: bytes = b""


@dataclass
class UploadForm:
    fields: dict[str, str]
    files: list[Upload]  # the parts of FILE_FIELD that hold a file, in the order sent


class _Reader:
    """python-multipart's callbacks: the fields kept whole (refused past MAX_FIELD_BYTES), each file kept up to
    MAX_FILE_BYTES and from then on only counted (its size says it is too large)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.files: list[Upload] = []
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.count = 0

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).lower() == b"content-disposition":
            self.part.disposition = bytes(self.header_value)
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.part.filename = options[b"filename"].decode("utf-8", "replace")
            self.count += 1
            if self.count > MAX_UPLOAD_FILES:
                raise TooLarge(f"quá nhiều tệp trong một lần gửi (tối đa {MAX_UPLOAD_FILES:,} tệp); hãy gửi ít tệp hơn "
                               "mỗi lần".replace(",", "."))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.size += end - start
        if part.over:
            return
        limit = MAX_FIELD_BYTES if part.filename is None else MAX_FILE_BYTES
        if len(part.data) + (end - start) > limit:
            if part.filename is None:
                raise TooLarge(f'ô "{part.name[:40]}" của biểu mẫu quá dài; hãy tải lại trang Tải lên rồi làm lại')
            part.over, part.data = True, bytearray()  # refused by its size; the others are still read
            return
        part.data += data[start:end]

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            self.fields.setdefault(part.name, part.data.decode("utf-8", "replace"))
        elif part.name == FILE_FIELD and (part.filename or part.data or part.over):  # no file chosen: empty part
            self.files.append(Upload(part.filename, bytes(part.data), part.size))


async def read_upload(request: Request) -> UploadForm:
    """The fields and files of a multipart/form-data request, read within the limits (see the module)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise KehoachError(NOT_A_FORM)
    reader = _Reader()
    parser = MultipartParser(boundary, {name: getattr(reader, name) for name in (
        "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value", "on_header_end",
        "on_headers_finished")})
    try:
        async for chunk in request.stream():
            for start in range(0, len(chunk), CHUNK):
                parser.write(chunk[start:start + CHUNK])
        parser.finalize()
    except (ValueError, LookupError) as e:  # python-multipart's parse errors (FormParserError is a ValueError)
        raise KehoachError(NOT_A_FORM) from e
    return UploadForm(reader.fields, reader.files)


def received_day(text: str, today: dt.date) -> str | None:
    """The received date of the form, as stored (`returns.review.arrival_day`); empty: today (None, as `ingest`
    without --received)."""
    text = text.strip()
    if not text:
        return None
    day = parse_date(text)
    if day is None:
        raise KehoachError(not_a_date(DATE_LABEL, text))
    return arrival_day(day, today, DATE_LABEL)


def agency_path(r: Round, agency: str) -> str:
    return f"{r.base}/don-vi/{agency}"


def _receive(request: Request, form: UploadForm, user: str) -> dict:
    r = round_of(request)
    today = dt.date.today()
    arrived_on = received_day(form.fields.get(DATE_FIELD, ""), today)
    if not form.files:
        raise KehoachError(NO_FILES)
    s = r.settings
    events = receive_uploads(form.files, db=s.db, year=r.year, plan_dir=s.plan_dir, registry=s.registry,
                             arrived_on=arrived_on, user=user)
    lines = [ingest_line(e, see=lambda sub: f"trang của đơn vị ({agency_path(r, sub.agency)})", with_database=False)
             for e in events]
    return {"round": r, "lines": lines, "received": form.fields.get(DATE_FIELD, ""), "message": None,
            "agency_path": lambda a: agency_path(r, a)}


def _page(request: Request) -> dict:
    r = round_of(request)
    return {"round": r, "lines": None, "received": dt.date.today().isoformat(), "message": None,
            "agency_path": lambda a: agency_path(r, a)}


async def upload_page(request: Request):
    user = require_user(request)
    if request.method == "GET":
        context = await run_in_threadpool(_page, request)
        if request.query_params.get("format") == "json":
            from starlette.responses import JSONResponse

            r = context["round"]
            return JSONResponse({"plan": r.plan.id, "year": r.year, "received": context["received"],
                                 "file_field": FILE_FIELD, "date_field": DATE_FIELD, "max_files": MAX_UPLOAD_FILES,
                                 "max_file_bytes": MAX_FILE_BYTES})
        return render(request, "upload.html", context)
    form = await read_upload(request)
    try:
        context = await run_in_threadpool(_receive, request, form, user)
    except KehoachError as e:
        if e.kind not in ("user", "rejected"):
            raise
        context = await run_in_threadpool(_page, request)  # the form again, with the sentence above it
        context.update(message=str(e), received=form.fields.get(DATE_FIELD, ""))
        return render(request, "upload.html", context, 400)
    if request.query_params.get("format") == "json":
        from starlette.responses import JSONResponse

        return JSONResponse({"lines": [{"kind": x.kind, "level": x.level, "text": x.text, "details": list(x.details),
                                        "agency": x.agency} for x in context["lines"]]})
    return render(request, "upload.html", context)


ROUTES = [
    Route("/ke-hoach/{plan}/{year}/tai-len", upload_page, methods=["GET", "POST"], name="upload"),
]
