"""The draft plan folder written from a `DraftPlan`: plan.yaml, tasks.yaml, agencies.yaml (the names the province's
registry does not know, proposed for the plan's own registry), CAN-XEM-LAI.md (the review list) and a marker file
holding the sha256 of every file written. Commented YAML like the shipped dataset, every text double-quoted (JSON
escapes, which YAML reads the same).

A folder is written whole or not at all (`fsutil.build_dir`). An existing folder is replaced only when it is a draft
this command wrote (the marker) and is unchanged since (every file's hash as written, no file added or removed),
and only with `force`; a folder the clerk has edited is refused even then."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from pathlib import Path

from ..errors import KehoachError
from ..fsutil import build_dir, visible_entries, write_file
from .. import paths
from .draft import DraftPlan


MARKER = ".kehoach-import.json"
REVIEW_FILE = "CAN-XEM-LAI.md"


def q(text: str) -> str:
    """A text as a YAML double-quoted scalar: JSON's escapes, plus line and paragraph separators escaped."""
    out = json.dumps(unicodedata.normalize("NFC", text), ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if c in "\u0085\u2028\u2029\ufeff" else c for c in out)


def _origin(d: DraftPlan) -> str:
    return f"# Nguồn: {d.source.name} (sha256 {d.source.sha256}), nhập bằng kehoach import-plan."


def plan_yaml(d: DraftPlan) -> str:
    p = d.plan
    lines = [f"# Thông tin chung của Kế hoạch số {p.get('number', '...')}, bản nháp nhập từ văn bản.",
             _origin(d), '# Xem README.md, mục "Thêm một kế hoạch mới"; các mục còn thiếu ghi trong CAN-XEM-LAI.md.',
             ""]

    def put(key: str, comment: str, value=None) -> None:
        if key not in p and value is None:
            lines.append(f"# {key}:  # CẦN XEM LẠI: {comment} (không tìm thấy trong văn bản)")
            return
        v = p[key] if value is None else value
        text = v.isoformat() if isinstance(v, dt.date) else q(str(v))
        lines.append(f"{key}: {text}  # {comment}")

    put("id", "mã kế hoạch: tên thư mục đầu ra")
    put("registry", "danh mục đơn vị của tỉnh (plan_data/registries/<tên>.yaml)")
    put("number", "số, ký hiệu")
    put("date", "ngày ban hành (YYYY-MM-DD)")
    put("issuer", "cơ quan ban hành, như Kế hoạch tự ghi")
    put("issuer_full", "tên đầy đủ của cơ quan ban hành")
    put("place", 'địa danh ở dòng "..., ngày ... tháng ... năm ..."')
    put("parent_header", "cơ quan chủ quản in ở góc trái biểu mẫu của các đơn vị")
    put("title", "tên Kế hoạch")
    put("subject", "lĩnh vực, dùng trong trích yếu của báo cáo (suy ra từ tên Kế hoạch: kiểm tra lại)")
    lines.append("")
    lines.append("implements:  # các văn bản mà Kế hoạch triển khai" + ("" if p.get("implements") else " (không thấy)"))
    if not p.get("implements"):
        lines[-1] = "implements: []  # các văn bản mà Kế hoạch triển khai (không tìm thấy: ghi thêm nếu có)"
    for doc in p.get("implements", []):
        lines += [f"  - kind: {q(doc['kind'])}", f"    number: {q(doc['number'])}",
                  f"    date: {doc['date'].isoformat()}", f"    issuer: {q(doc['issuer'])}"]
    lines.append("")
    if "signer" in p:
        s = p["signer"]
        lines += ["signer:  # người ký Kế hoạch", f"  authority: {q(s['authority'])}", f"  title: {q(s['title'])}",
                  f"  name: {q(s['name'])}"]
    else:
        lines.append("# signer:  # CẦN XEM LẠI: người ký Kế hoạch (authority, title, name) không tìm thấy trong văn bản")
    lines.append("")
    if "reporting" in p:
        r = p["reporting"]
        lines.append("reporting:  # chế độ báo cáo hằng năm")
        if "receiver" in r:
            lines.append(f"  receiver: {q(r['receiver'])}  # mã đơn vị nhận báo cáo (trong danh mục đơn vị)")
        else:
            lines.append("  # receiver:  # CẦN XEM LẠI: mã đơn vị nhận báo cáo (trong danh mục đơn vị)")
        lines += [f"  deadline: {q(r['deadline'])}  # hạn gửi báo cáo mỗi năm (ngày/tháng)",
                  f"  source: {q(r['source'])}"]
    else:
        lines.append("# reporting:  # CẦN XEM LẠI: receiver (mã đơn vị nhận báo cáo), deadline (ngày/tháng), source")
    lines.append("")
    if "appendix" in p:
        a = p["appendix"]
        lines.append("appendix:  # phần đầu của PHỤ LỤC")
        for k in ("heading", "title", "attached"):
            lines.append(f"  {k}: {q(a[k])}" if a[k] else f"  # {k}:  # CẦN XEM LẠI: không tìm thấy trong văn bản")
    else:
        lines.append("# appendix:  # CẦN XEM LẠI: heading, title, attached của PHỤ LỤC")
    return "\n".join(lines) + "\n"


def tasks_yaml(d: DraftPlan) -> str:
    lines = ["# PHỤ LỤC của Kế hoạch, bản nháp nhập từ văn bản.", _origin(d),
             "# Mỗi ô chép đúng nguyên văn (chuẩn hóa Unicode NFC, khoảng trắng và xuống dòng trong ô thành một dấu cách).",
             '# Cấu trúc: xem README.md, mục "Dữ liệu kế hoạch". Dòng "# I.1" chỉ là ghi chú; số thật được tính tự động.',
             "", "groups:"]
    for gid, g, ids in zip(d.group_ids, d.appendix.groups, d.task_ids):
        lines += [f"  # ---------------------------------------------------------------- {g.tasks[0].code.split('.')[0] if g.tasks else ''}".rstrip(),
                  f"  - id: {gid}", f"    title: {q(g.title)}", "    tasks:" + ("" if g.tasks else " []")]
        for tid, t in zip(ids, g.tasks):
            lines += [f"      # {t.code}", f"      - id: {tid}"]
            lines += [f"        {f}: {q(t.cells[f])}" for f in ("task", "lead", "partners", "deliverable", "timeframe")]
        lines.append("")
    return "\n".join(lines)


def agencies_yaml(d: DraftPlan) -> str | None:
    if not d.proposed:
        return None
    lines = ["# Đơn vị riêng của kế hoạch: các tên trong PHỤ LỤC mà danh mục đơn vị của tỉnh "
             f"({d.province.name}) không có.", _origin(d),
             "# Mỗi mục là một đề xuất: hãy điền code (chữ viết tắt) và kind (loại đơn vị, xem danh mục của tỉnh),",
             "# kiểm tra reports; hoặc xóa mục và sửa tên trong tasks.yaml cho khớp danh mục (hoặc thêm tên vào",
             "# aliases của đơn vị đó trong danh mục của tỉnh). kehoach validate báo lỗi các mục chưa điền.", "",
             "agencies:"]
    for p in d.proposed:
        near = "; ".join(p.closest) or "(không có)"
        lines += [f"  # gặp ở: {', '.join(p.where)}", f"  # tên gần nhất trong danh mục: {near}",
                  f"  - id: {p.id}", f"    name: {q(p.name)}",
                  '    code: ""  # CẦN ĐIỀN: chữ viết tắt dùng trong số văn bản',
                  '    kind: ""  # CẦN ĐIỀN: so | huyen | xa | trung-uong | to-chuc | bao-chi | kinh-te-tap-the',
                  "    reports: true  # true nếu đơn vị phải báo cáo",
                  f"    source: {q('nhập từ ' + d.source.name + ' (kehoach import-plan)')}", ""]
    return "\n".join(lines)


def review_lines(d: DraftPlan) -> list[str]:
    return [str(item) for item in d.review]


def review_md(d: DraftPlan) -> str:
    lines = [f"# Cần xem lại: bản nháp nhập từ {d.source.name}", "",
             f"sha256 của văn bản: {d.source.sha256}", ""]
    if d.review:
        lines.append(f"{len(d.review)} mục cần xem lại (mỗi dòng: nhiệm vụ hoặc tệp, trường, việc cần làm):")
        lines.append("")
        lines += [f"- {line}" for line in review_lines(d)]
    else:
        lines.append("Không có mục nào cần xem lại.")
    if d.notes:
        lines += [""] + [f"Suy ra theo quy tắc (không phải mục cần xem lại, nhưng nên kiểm tra): {n}." for n in d.notes]
    return "\n".join(lines) + "\n"


def default_out(d: DraftPlan) -> Path:
    if not d.id:
        raise KehoachError("không ghép được mã kế hoạch (thiếu số văn bản hoặc địa danh); hãy chỉ thư mục ghi bằng "
                           "--out THƯ_MỤC")
    target = paths.plan_data_dir() / d.id
    try:  # shown as the clerk would type it, from where the command runs
        return target.relative_to(Path.cwd())
    except ValueError:
        return target


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _owned(force: bool):
    def check(target: Path) -> None:
        if not visible_entries(target):
            return
        marker = target / MARKER
        try:
            written = json.loads(marker.read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError):
            raise KehoachError(f'thư mục "{target}" đã có và không phải bản nháp do kehoach import-plan ghi; kehoach '
                               "không ghi đè một thư mục kế hoạch; hãy chọn thư mục khác bằng --out") from None
        now = _digest(target)
        if now != written:
            changed = sorted(set(now) ^ set(written) | {n for n in now if n in written and now[n] != written[n]})
            raise KehoachError(f'thư mục "{target}" là bản nháp do import-plan ghi nhưng đã được sửa sau đó '
                               f"({', '.join(changed)}); kehoach không ghi đè để không mất phần đã sửa, kể cả với "
                               "--force; hãy chọn thư mục khác bằng --out")
        if not force:
            raise KehoachError(f'thư mục "{target}" đã có (bản nháp do import-plan ghi trước đây, chưa sửa); thêm '
                               "--force để ghi lại, hoặc chọn thư mục khác bằng --out")
    return check


def write_draft(d: DraftPlan, out: Path | None, force: bool = False) -> Path:
    """Write the draft folder (default plan_data/<plan id>); returns where."""
    target = Path(out) if out is not None else default_out(d)
    files = {"plan.yaml": plan_yaml(d), "tasks.yaml": tasks_yaml(d), "agencies.yaml": agencies_yaml(d),
             REVIEW_FILE: review_md(d)}

    def build(staging: Path) -> None:
        for name, text in files.items():
            if text is not None:
                write_file(staging / name, text.encode("utf-8"))
        marker = {"source": d.source.name, "sha256": d.source.sha256, "files": _digest(staging)}
        write_file(staging / MARKER, (json.dumps(marker, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())

    build_dir(target, build, owned=_owned(force))
    return target
