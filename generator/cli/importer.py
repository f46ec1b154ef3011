"""The command that starts a new plan: import-plan (a plan's document -> a draft plan folder and its review list)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import _friendly, app, out


REVIEW_EXIT = 3  # the draft is written, and items remain to review (README "Thêm một kế hoạch mới")


@app.command("import-plan", help="Nhập một kế hoạch từ văn bản chính thức (.docx, .doc, .pdf): ghi thư mục kế hoạch "
                                 "nháp và danh sách cần xem lại (CAN-XEM-LAI.md).")
@_friendly
def import_plan(
    document: Path = typer.Argument(..., metavar="TỆP", help="Văn bản kế hoạch (.docx; .doc qua LibreOffice; .pdf có "
                                                             "lớp chữ)."),
    out_dir: Path | None = typer.Option(None, "--out", metavar="THƯ_MỤC", help="Thư mục kế hoạch cần ghi (mặc định: "
                                        "plan_data/<mã kế hoạch>, ví dụ plan_data/khanh-hoa-1627)."),
    registry: str | None = typer.Option(None, "--registry", metavar="TÊN", help="Danh mục đơn vị của tỉnh: tên trong "
                                        "plan_data/registries hoặc đường dẫn tệp .yaml (mặc định: danh mục có tên tỉnh "
                                        "trùng với cơ quan ban hành).", show_default=False),
    force: bool = typer.Option(False, "--force", help="Ghi lại một bản nháp do import-plan ghi trước đây (chỉ khi "
                               "chưa sửa)."),
):
    from ..importer.draft import import_plan as read_plan
    from ..importer.write import REVIEW_FILE, review_lines, write_draft

    draft = read_plan(document, registry)
    target = write_draft(draft, out_dir, force)
    out.print(f"Đã ghi bản nháp kế hoạch {draft.plan.get('number', '(chưa rõ số)')} vào {target}: "
              f"{len(draft.appendix.groups)} nhóm, {draft.tasks} nhiệm vụ, {draft.matched} đơn vị khớp danh mục "
              f"{draft.province.name}, {len(draft.proposed)} tên chưa có trong danh mục.", markup=False)
    for note in draft.notes:
        out.print(f"Suy ra theo quy tắc: {note}.", markup=False)
    lines = review_lines(draft)
    if not lines:
        out.print(f"Không có mục nào cần xem lại; bước tiếp theo: kehoach validate --plan {target}", markup=False)
        return
    out.print(f"Cần xem lại {len(lines)} mục (cũng ghi trong {target / REVIEW_FILE}):", markup=False)
    for line in lines:
        out.print(f"- {line}", markup=False)
    raise typer.Exit(REVIEW_EXIT)

