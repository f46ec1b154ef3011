"""The agencies' links printed in their forms (`kehoach pack --base-url URL`): each form's closing paragraph says
"Gửi báo cáo qua đường dẫn: <link>".

A link can be shown only when it is issued (only its hash is kept, `returns.links`), so `pack --base-url` issues the
links itself. Issuing a new link for an agency that has a live one would make the link already sent to it stop
working; so, unless `reissue` (`--reissue-links`) says so, a pack for a year in which some agency already has a live
link is refused before anything is written, and the clerk chooses: re-issue every link (the old ones stop working),
or pack without links."""

from __future__ import annotations

from ..errors import Conflict
from ..plan.model import Plan
from .links import hand_out, link_path, live_links, reporting_agencies
from .store import Store


def form_links(store: Store, plan: Plan, year: int, base_url: str, *, reissue: bool = False,
               by: str | None = None) -> dict[str, str]:
    """The full link of every agency that reports for `year` (agency id -> URL), each issued now. An agency that
    already has a live link: Conflict (nothing issued) unless `reissue`, which replaces it (the old link stops
    working)."""
    agencies = reporting_agencies(plan, year)
    live = live_links(store, plan.id, year)
    having = [name for agency, name in agencies if agency in live]
    if having and not reissue:
        shown = ", ".join(having[:3]) + (f" và {len(having) - 3} đơn vị khác" if len(having) > 3 else "")
        raise Conflict(f"{len(having)} đơn vị đã có liên kết nộp báo cáo năm {year} ({shown}), mà liên kết chỉ in "
                       "được đúng lúc cấp nên không ghi lại được vào biểu mẫu; chưa tạo bộ biểu mẫu, hãy chạy lại với "
                       "--reissue-links để cấp liên kết mới cho mọi đơn vị (liên kết đã gửi thôi dùng được), hoặc "
                       "bỏ --base-url")
    lines = hand_out(store, plan, year, reissue=tuple(agency for agency, _ in agencies) if reissue else (), by=by)
    return {line.agency: f"{base_url}{link_path(line.token)}" for line in lines}
