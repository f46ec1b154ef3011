"""The way around the office's pages: every link of the navigation and of a round's board leads to a page (no 404),
as a clerk clicking through them would find."""

from __future__ import annotations

import re

from generator.web.pages import NAV

BOARD = "/ke-hoach/khanh-hoa-1627/2024"


def test_every_navigation_link_leads_to_a_page(office_client):
    page = office_client.get("/")
    assert page.status_code == 200
    for label, href in NAV:
        assert f'href="{href}"' in page.text, label
        r = office_client.get(href, follow_redirects=True)  # as a browser does
        assert r.status_code == 200, (label, href, r.status_code)
        assert "<h1" in r.text, label


def test_nhat_ky_leads_to_the_history_of_the_round_reported_now(office_client):
    r = office_client.get("/nhat-ky", follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/ke-hoach/khanh-hoa-1627/\d{4}/nhat-ky", r.headers["location"])


def test_a_round_board_links_to_every_page_of_its_round(office_client):
    board = office_client.get(BOARD)
    assert board.status_code == 200
    for page, words in (("tai-len", "Tải lên"), ("tai-lieu", "Tài liệu"), ("don-doc", "Đôn đốc"),
                        ("nhat-ky", "Nhật ký")):
        assert f'href="{BOARD}/{page}"' in board.text, page
        assert words in board.text, words
        assert office_client.get(f"{BOARD}/{page}").status_code == 200, page
