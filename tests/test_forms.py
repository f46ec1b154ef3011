"""The yearly report pack (`kehoach pack`): one Word form per reporting agency, read back with python-docx and as raw
OOXML, and checked against the official appendix of Kế hoạch 1627/KH-UBND and a hand-checked role table."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.run import Run
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
PLAN_DIR = ROOT / "plan_data" / "khanh-hoa-1627"
SOURCE = ROOT.parent / "shared" / "source" / "ke-hoach-1627-KH-UBND.txt"
YEARS = (2023, 2024)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"

from formxml import ROLES, Form, ptext, read_form, xml  # noqa: E402
CELL_KINDS = ("code", "task", "deliverable", "timeframe", "result", "status", "label", "note")
LOCKED_KINDS = ("code", "task", "deliverable", "timeframe", "label")
# The cells of a task row and the controls each holds: the product and timeframe under the task text, the note
# under the status, after its "Ghi chú:" label (a prefilled cell is locked).
CELLS = (("code",), ("task", "deliverable", "timeframe"), ("result",), ("status", "label", "note"))
STATUSES = ["Hoàn thành", "Đang thực hiện", "Chưa thực hiện"]
COLUMN_TITLES = ("TT", "Nhiệm vụ", "Kết quả thực hiện", "Tình trạng")

# --------------------------------------------------------------------------------------------------------------------
# HAND-CHECKED from the PHỤ LỤC of ../shared/source/ke-hoach-1627-KH-UBND.txt (cells "Đơn vị chủ trì",
# "Đơn vị phối hợp", "Thời gian hoàn thành"), applying by hand the role rules of issue #3: groups fan out to their
# members (21 sở, ban, ngành; 4 cơ quan Trung ương; 9 UBND cấp huyện); an agency named explicitly keeps that role
# even when a group it belongs to holds the other one (Sở Nội vụ in II.6, Sở Thông tin và Truyền thông in I.1);
# otherwise lead beats partner; "2023" tasks (III.2, III.7, IV.1) are expired in 2024, "2023-2024" (II.17) and
# "2023-2025" tasks are active in 2024, "Thường xuyên"/"Hàng năm"/"Hằng năm"/"Sau khi có..." are active every year.
# NOT computed by the code under test. Codes in table order.
# --------------------------------------------------------------------------------------------------------------------
EXPECTED_ROLES = {
    2023: {
        "so-cong-thuong": {
            "lead": ["I.1", "II.6", "II.11", "II.12", "II.13"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18", "II.19",
                        "III.1", "III.2", "III.3", "III.5", "III.6", "III.7", "IV.1", "IV.2", "IV.3", "IV.4", "V.2"],
            "expired": [],
        },
        "so-noi-vu": {
            "lead": ["I.1"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.6", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18",
                        "II.19", "III.1", "III.2", "III.3", "III.5", "III.6", "III.7", "IV.1", "IV.2", "IV.3", "IV.4",
                        "V.2"],
            "expired": [],
        },
        "cuc-thue-tinh": {
            "lead": ["I.1", "II.8"],
            "partner": ["I.2"],
            "expired": [],
        },
        "lien-minh-hop-tac-xa-tinh": {
            "lead": ["I.3", "II.17", "II.18", "III.5", "III.6", "III.7", "IV.2", "V.2"],
            "partner": ["III.1", "III.2", "III.3", "IV.4", "V.1"],
            "expired": [],
        },
        "uy-ban-mat-tran-to-quoc-tinh": {
            "lead": ["V.1"],
            "partner": ["V.2"],
            "expired": [],
        },
        "ubnd-huyen-truong-sa": {
            "lead": ["I.1", "II.2", "II.6", "II.7", "III.1", "III.3", "IV.3", "IV.4"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.8", "II.9", "II.10", "II.11", "II.12", "II.13", "II.15",
                        "II.16", "II.17", "II.18", "II.19", "III.2", "III.4", "III.5", "III.6", "IV.1", "IV.2"],
            "expired": [],
        },
        "so-ke-hoach-va-dau-tu": {
            "lead": ["I.1", "II.1", "II.6", "II.14", "III.2", "IV.1", "IV.3"],
            "partner": ["I.2", "I.3", "II.2", "II.3", "II.7", "II.10", "II.15", "II.17", "II.18", "II.19", "III.1",
                        "III.3", "III.5", "III.6", "III.7", "IV.2", "IV.4", "V.2"],
            "expired": [],
        },
        "so-thong-tin-va-truyen-thong": {
            "lead": ["I.2", "II.3", "II.6"],
            "partner": ["I.1", "I.3", "II.1", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18", "II.19", "III.1",
                        "III.2", "III.3", "III.5", "III.6", "III.7", "IV.1", "IV.2", "IV.3", "IV.4", "V.2"],
            "expired": [],
        },
    },
    2024: {
        "so-cong-thuong": {
            "lead": ["I.1", "II.6", "II.11", "II.12", "II.13"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18", "II.19",
                        "III.1", "III.3", "III.5", "III.6", "IV.2", "IV.3", "IV.4", "V.2"],
            "expired": ["III.2", "III.7", "IV.1"],
        },
        "so-noi-vu": {
            "lead": ["I.1"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.6", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18",
                        "II.19", "III.1", "III.3", "III.5", "III.6", "IV.2", "IV.3", "IV.4", "V.2"],
            "expired": ["III.2", "III.7", "IV.1"],
        },
        "cuc-thue-tinh": {
            "lead": ["I.1", "II.8"],
            "partner": ["I.2"],
            "expired": [],
        },
        "lien-minh-hop-tac-xa-tinh": {
            "lead": ["I.3", "II.17", "II.18", "III.5", "III.6", "IV.2", "V.2"],
            "partner": ["III.1", "III.3", "IV.4", "V.1"],
            "expired": ["III.2", "III.7"],
        },
        "uy-ban-mat-tran-to-quoc-tinh": {
            "lead": ["V.1"],
            "partner": ["V.2"],
            "expired": [],
        },
        "ubnd-huyen-truong-sa": {
            "lead": ["I.1", "II.2", "II.6", "II.7", "III.1", "III.3", "IV.3", "IV.4"],
            "partner": ["I.2", "I.3", "II.1", "II.3", "II.8", "II.9", "II.10", "II.11", "II.12", "II.13", "II.15",
                        "II.16", "II.17", "II.18", "II.19", "III.4", "III.5", "III.6", "IV.2"],
            "expired": ["III.2", "IV.1"],
        },
        "so-ke-hoach-va-dau-tu": {
            "lead": ["I.1", "II.1", "II.6", "II.14", "IV.3"],
            "partner": ["I.2", "I.3", "II.2", "II.3", "II.7", "II.10", "II.15", "II.17", "II.18", "II.19", "III.1",
                        "III.3", "III.5", "III.6", "IV.2", "IV.4", "V.2"],
            "expired": ["III.2", "III.7", "IV.1"],
        },
        "so-thong-tin-va-truyen-thong": {
            "lead": ["I.2", "II.3", "II.6"],
            "partner": ["I.1", "I.3", "II.1", "II.7", "II.10", "II.14", "II.15", "II.17", "II.18", "II.19", "III.1",
                        "III.3", "III.5", "III.6", "IV.2", "IV.3", "IV.4", "V.2"],
            "expired": ["III.2", "III.7", "IV.1"],
        },
    },
}

# Header wording and number code of the hand-checked agencies (Nghị định 30: agency name in capitals).
# HAND-WRITTEN: how each kind of body heads its documents (the left column of page 1: the parent line, if any, then
# the name on the lines it is split on) and the place of its date line (see the registry, `headers`).
EXPECTED_HEADER = {
    "so-cong-thuong": (["UBND TỈNH KHÁNH HÒA", "SỞ CÔNG THƯƠNG"], "SCT", "Khánh Hòa"),
    "so-noi-vu": (["UBND TỈNH KHÁNH HÒA", "SỞ NỘI VỤ"], "SNV", "Khánh Hòa"),
    "cuc-thue-tinh": (["TỔNG CỤC THUẾ", "CỤC THUẾ TỈNH KHÁNH HÒA"], "CT", "Khánh Hòa"),
    "bao-hiem-xa-hoi-tinh": (["BẢO HIỂM XÃ HỘI VIỆT NAM", "BẢO HIỂM XÃ HỘI", "TỈNH KHÁNH HÒA"], "BHXH", "Khánh Hòa"),
    "lien-minh-hop-tac-xa-tinh": (["LIÊN MINH HỢP TÁC XÃ", "TỈNH KHÁNH HÒA"], "LMHTX", "Khánh Hòa"),
    "uy-ban-mat-tran-to-quoc-tinh": (["ỦY BAN MTTQ VIỆT NAM", "TỈNH KHÁNH HÒA"], "MTTQ", "Khánh Hòa"),
    "ubnd-huyen-truong-sa": (["ỦY BAN NHÂN DÂN", "HUYỆN TRƯỜNG SA"], "UBND", "Trường Sa"),
    "ubnd-thanh-pho-nha-trang": (["ỦY BAN NHÂN DÂN", "THÀNH PHỐ NHA TRANG"], "UBND", "Nha Trang"),
    "so-ke-hoach-va-dau-tu": (["UBND TỈNH KHÁNH HÒA", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"], "SKHĐT", "Khánh Hòa"),
    "so-thong-tin-va-truyen-thong": (["UBND TỈNH KHÁNH HÒA", "SỞ THÔNG TIN", "VÀ TRUYỀN THÔNG"], "STTTT",
                                     "Khánh Hòa"),
}
RECEIVER = "so-ke-hoach-va-dau-tu"  # the receiver of the 2023 and 2024 reports: its own form is a working sheet

# The reporting agencies: 21 sở, ban, ngành + 4 cơ quan Trung ương + Liên minh HTX + UBMTTQ + 9 UBND cấp huyện.
DEPARTMENTS = [
    "so-ke-hoach-va-dau-tu", "so-tai-chinh", "so-noi-vu", "so-tu-phap", "so-cong-thuong",
    "so-nong-nghiep-va-phat-trien-nong-thon", "so-tai-nguyen-va-moi-truong", "so-thong-tin-va-truyen-thong",
    "so-lao-dong-thuong-binh-va-xa-hoi", "so-khoa-hoc-va-cong-nghe", "so-giao-duc-va-dao-tao", "van-phong-ubnd-tinh",
    "so-giao-thong-van-tai", "so-xay-dung", "so-y-te", "so-van-hoa-va-the-thao", "so-du-lich", "so-ngoai-vu",
    "thanh-tra-tinh", "ban-dan-toc", "ban-quan-ly-khu-kinh-te-van-phong",
]
CENTRAL = ["cuc-thue-tinh", "ngan-hang-nha-nuoc-tinh", "bao-hiem-xa-hoi-tinh", "cong-an-tinh"]
ORGANISATIONS = ["lien-minh-hop-tac-xa-tinh", "uy-ban-mat-tran-to-quoc-tinh"]
DISTRICTS = [
    "ubnd-thanh-pho-nha-trang", "ubnd-thanh-pho-cam-ranh", "ubnd-thi-xa-ninh-hoa", "ubnd-huyen-van-ninh",
    "ubnd-huyen-dien-khanh", "ubnd-huyen-cam-lam", "ubnd-huyen-khanh-vinh", "ubnd-huyen-khanh-son",
    "ubnd-huyen-truong-sa",
]
REPORTING = DEPARTMENTS + CENTRAL + ORGANISATIONS + DISTRICTS
NON_REPORTING = ["to-chuc-kinh-te-tap-the", "bao-khanh-hoa", "dai-phat-thanh-va-truyen-hinh-khanh-hoa",
                 "co-quan-bao-chi", "to-chuc-chinh-tri-xa-hoi", "cac-don-vi-lien-quan"]

# The table order of the appendix gives the stable task ids (I.1 = nv01 ... V.2 = nv35); a few spot values by hand.
TASK_ID_SPOTS = {"I.1": "nv01", "I.3": "nv03", "II.1": "nv04", "II.11": "nv14", "II.19": "nv22", "III.1": "nv23",
                 "III.7": "nv29", "IV.1": "nv30", "IV.4": "nv33", "V.1": "nv34", "V.2": "nv35"}

NV14_OFFICIAL = ("Tổ chức các lớp bồi dưỡng, tập huấn nâng cao nghiệp vụ cho các tổ chức kinh tế tập thể, hợp tác xã "
                 "về hội nhập kinh tế quốc tế, thương mại điện tử, xúc tiến thương mại")
TRICKY = "Kiểm tra \"A & B\" <ngay> 'x'"


# ==================================================================================================== helpers


def clean(text: str) -> str:
    text = text.replace("<p>", "").replace("</p>", "")
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class SourceTask:
    id: str
    code: str
    task: str
    lead: str
    partners: str
    deliverable: str
    timeframe: str


def read_source() -> dict[str, SourceTask]:
    """The PHỤ LỤC table of the official text, keyed by code ("II.11"); repeated header rows dropped."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "PHỤ LỤC")
    tasks: dict[str, SourceTask] = {}
    numeral = None
    for line in lines[start:]:
        cells = line.split("\t")
        if len(cells) != 6 or cells[0] == "TT":
            continue
        tt = cells[0].strip()
        if re.fullmatch(r"[IVX]+", tt):
            numeral = tt
            continue
        assert numeral and tt.isdigit(), line
        code = f"{numeral}.{tt}"
        c = [clean(x) for x in cells]
        tasks[code] = SourceTask(f"nv{len(tasks) + 1:02d}", code, c[1], c[2], c[3], c[4], c[5])
    return tasks


def run_pack(year: int, cwd: Path, out: Path, plan: Path | None = None) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "generator", "pack", "--year", str(year), "--out", str(out)]
    if plan is not None:
        args += ["--plan", str(plan)]
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"pack failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def edit_task_field(plan_dir: Path, task_id: str, key: str, yaml_value: str) -> None:
    """Replace the `key:` line of one task in tasks.yaml by `key: <yaml_value>` (text edit, YAML stays valid)."""
    path = plan_dir / "tasks.yaml"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(- id: {task_id}\n(?:[ \t]+(?!- id:).*\n)*?([ \t]+){key}: ).*\n")
    m = pattern.search(text)
    assert m, f"{key} of {task_id} not found in tasks.yaml"
    path.write_text(text[: m.start()] + m.group(1) + yaml_value + "\n" + text[m.end():], encoding="utf-8")


def yaml_task(plan_dir: Path, task_id: str) -> dict:
    data = YAML(typ="safe", pure=True).load((plan_dir / "tasks.yaml").read_text(encoding="utf-8"))
    return next(t for g in data["groups"] for t in g["tasks"] if t["id"] == task_id)


def mm_to_twips(mm: float) -> float:
    return mm * 1440 / 25.4


# ==================================================================================================== fixtures


@pytest.fixture(scope="module")
def source() -> dict[str, SourceTask]:
    if not SOURCE.is_file():
        pytest.skip(f"official source text not found at {SOURCE}")
    return read_source()


@pytest.fixture(scope="module")
def registry() -> dict:
    """The registry as data (names, headers, codes), to check every form, not only the hand-checked ones: the
    national layer's agencies, then Khánh Hòa's (which take precedence)."""
    out = {}
    for name in ("national-2025.yaml", "khanh-hoa.yaml"):
        data = YAML(typ="safe", pure=True).load((PLAN_DIR.parent / "registries" / name).read_text(encoding="utf-8"))
        out.update({a["id"]: a for a in data["agencies"]})
    return out


@pytest.fixture(scope="module", params=YEARS, ids=str)
def year(request) -> int:
    return request.param


@pytest.fixture(scope="module")
def pack_dir(form_pack, year) -> Path:
    return form_pack(year)


@pytest.fixture(scope="module")
def manifest(pack_dir) -> dict:
    return json.loads((pack_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def forms(pack_dir) -> dict[str, Form]:
    return {p.stem: read_form(p) for p in sorted(pack_dir.glob("*.docx"))}


# ==================================================================================================== 1. roles


def test_source_table_order_gives_the_task_ids(source):
    assert len(source) == 35
    assert {code: source[code].id for code in TASK_ID_SPOTS} == TASK_ID_SPOTS


@pytest.mark.parametrize("agency", sorted(EXPECTED_ROLES[2023]))
def test_manifest_roles_match_hand_checked_table(agency, year, manifest):
    entry = next((f for f in manifest["forms"] if f["agency"] == agency), None)
    assert entry is not None, f"no form for {agency} in the {year} manifest"
    got = {role: entry[role] for role in ROLES}
    assert got == EXPECTED_ROLES[year][agency]


@pytest.mark.parametrize("agency", sorted(EXPECTED_ROLES[2023]))
def test_form_tables_match_hand_checked_table(agency, year, forms, source):
    form = forms.get(agency)
    assert form is not None, f"no {agency}.docx in the {year} pack"
    expected = EXPECTED_ROLES[year][agency]
    got = {role: form.codes(role) for role in ROLES}
    assert got == expected
    # The expired section is there exactly when there is something in it.
    assert ("expired" in form.headings) == bool(expected["expired"])
    # Each row's stable id is the one of its code in the official table order.
    for row in form.all_rows():
        assert row.task_id == source[row.text("code")].id


def test_explicitly_named_agency_keeps_its_role(forms, year):
    """II.6: lead "Các Sở, ban, ngành có liên quan; UBND ...", partner "Sở Nội vụ" -> once, as partner, for Sở Nội vụ;
    I.1: partner "Sở Thông tin Truyền thông" although its group leads -> partner for Sở TT&TT. No group note there."""
    snv = forms["so-noi-vu"]
    assert "II.6" in snv.codes("partner") and "II.6" not in snv.codes("lead")
    row = next(r for r in snv.rows("partner") if r.text("code") == "II.6")
    assert not any(p.startswith("(Giao chung") for p in row.paragraphs("task"))
    tttt = forms["so-thong-tin-va-truyen-thong"]
    assert "I.1" in tttt.codes("partner") and "I.1" not in tttt.codes("lead")
    # Reached through a group: the form says which wording reached the agency.
    sct_i1 = next(r for r in forms["so-cong-thuong"].rows("lead") if r.text("code") == "I.1")
    assert sct_i1.paragraphs("task")[1:] == ["(Giao chung: Các sở, ban, ngành của tỉnh)"]
    ts_ii6 = next(r for r in forms["ubnd-huyen-truong-sa"].rows("lead") if r.text("code") == "II.6")
    assert ts_ii6.paragraphs("task")[1:] == ["(Giao chung: UBND các huyện, thị xã, thành phố)"]
    sct_ii11 = next(r for r in forms["so-cong-thuong"].rows("lead") if r.text("code") == "II.11")
    assert len(sct_ii11.paragraphs("task")) == 1


def test_every_form_agrees_with_the_manifest(forms, manifest, pack_dir, year):
    assert manifest["plan"] == "khanh-hoa-1627"
    assert manifest["year"] == year
    assert manifest["receiver"] == "Sở Kế hoạch và Đầu tư"
    assert manifest["appendix"] == "phu-luc.xlsx" and (pack_dir / "phu-luc.xlsx").is_file()
    assert isinstance(manifest["plan_version"], str) and manifest["plan_version"]
    assert sorted(f["file"] for f in manifest["forms"]) == sorted(p.name for p in pack_dir.glob("*.docx"))
    for entry in manifest["forms"]:
        assert entry["file"] == f"{entry['agency']}.docx"
        data = (pack_dir / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["file"]
        form = forms[entry["agency"]]
        assert {role: form.codes(role) for role in ROLES} == {role: entry[role] for role in ROLES}, entry["file"]
        if year == 2023:
            assert entry["expired"] == [], f"{entry['file']}: nothing can be expired in the plan's first year"


# ==================================================================================================== 2. file set


def test_exactly_the_reporting_agencies_get_a_form(pack_dir, manifest, year):
    assert len(REPORTING) == 36 and len(set(REPORTING)) == 36
    docx_names = sorted(p.name for p in pack_dir.glob("*.docx"))
    assert docx_names == sorted(f"{a}.docx" for a in REPORTING)
    for a in NON_REPORTING:
        assert not (pack_dir / f"{a}.docx").exists()
    assert [f["agency"] for f in manifest["forms"]].count("to-chuc-kinh-te-tap-the") == 0
    for name in docx_names:
        assert name.isascii() and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.docx", name), name
    # Nothing else in the folder (no staging leftovers), and nothing beside it.
    assert sorted(p.name for p in pack_dir.iterdir()) == sorted(docx_names + ["manifest.json", "phu-luc.xlsx"])
    assert [p.name for p in pack_dir.parent.iterdir()] == [str(year)]


# ==================================================================================================== 3. content


def test_custom_properties_identify_agency_and_year(forms, manifest, year):
    for agency, form in forms.items():
        props = {p.get("name"): "".join(p.itertext()) for p in xml(form.parts["docProps/custom.xml"])}
        assert props == {
            "kehoach.form": "bao-cao-don-vi",
            "kehoach.plan": "khanh-hoa-1627",
            "kehoach.plan_version": manifest["plan_version"],
            "kehoach.agency": agency,
            "kehoach.year": str(year),
        }, form.path.name
        # Declared in the package, otherwise Word ignores the part.
        overrides = {o.get("PartName"): o.get("ContentType") for o in xml(form.parts["[Content_Types].xml"])
                     if o.tag == CT + "Override"}
        assert overrides.get("/docProps/custom.xml") == \
            "application/vnd.openxmlformats-officedocument.custom-properties+xml"
        rels = [r for r in xml(form.parts["_rels/.rels"]) if r.get("Target") in ("docProps/custom.xml",
                                                                                   "/docProps/custom.xml")]
        assert len(rels) == 1 and rels[0].get("Type").endswith("/custom-properties")


def test_header_block_and_fixed_texts(forms, registry, year):
    for agency, form in forms.items():
        info = registry[agency]
        code = info["code"]
        # python-docx view of the header table
        d = docx.Document(str(form.path))
        left, right = d.tables[0].rows[0].cells
        left_lines = [p.text for p in left.paragraphs if p.text.strip()]
        right_lines = [p.text for p in right.paragraphs if p.text.strip()]
        # a header line never breaks inside: its words are joined by non-breaking spaces
        assert all(" " not in line for line in left_lines[:-1]), left_lines
        shown = [line.replace("\u00a0", " ") for line in left_lines]
        if agency in EXPECTED_HEADER:
            lines, expected_code, place = EXPECTED_HEADER[agency]
            assert (shown[:-1] if agency != RECEIVER else shown, code) == (lines, expected_code), form.path.name
        else:
            place = info.get("place", "Khánh Hòa")
            header = info.get("header") or info["name"].upper()
            names = header if isinstance(header, list) else [header]
            parent = {"so": ["UBND TỈNH KHÁNH HÒA"], "trung-uong": [info.get("parent_header")]}.get(info["kind"], [])
            assert shown[: len(parent) + len(names)] == parent + names, form.path.name
        assert all(line == line.upper() for line in shown[:-1])
        if agency != RECEIVER:
            assert re.fullmatch(rf"Số:\s+/BC-{re.escape(code)}", left_lines[-1]), left_lines
        assert right_lines[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
        assert len(right_lines) == 3
        assert re.fullmatch(rf"{place}, ngày\s+tháng\s+năm {year}", right_lines[2]), right_lines[2]
        # body paragraphs (python-docx for top-level ones, raw XML for everything)
        top = [p.text for p in d.paragraphs]
        texts = form.paragraph_texts()
        title = "PHIẾU TỔNG HỢP" if agency == RECEIVER else "BÁO CÁO"
        assert title in top
        subject = top[top.index(title) + 1]
        assert subject.endswith(f"năm {year}")
        if agency == RECEIVER:  # its own working sheet: not a letter to itself
            assert not any("Kính gửi" in t or "Sở Kế hoạch và Đầu tư;" in t or "Nơi nhận" in t for t in texts)
            assert any(t.startswith("(Tài liệu làm việc nội bộ của Sở Kế hoạch và Đầu tư") for t in top)
            assert "NGƯỜI TỔNG HỢP" in texts
        else:
            assert subject.startswith("Kết quả thực hiện Kế hoạch số 1627/KH-UBND ngày 24/02/2023 của UBND tỉnh "
                                      "Khánh Hòa")
            assert "Kính gửi: Sở Kế hoạch và Đầu tư" in top
            deadline = f"Báo cáo gửi Sở Kế hoạch và Đầu tư trước ngày 15 tháng 12 năm {year}"
            assert sum(deadline in t for t in texts) == 1, form.path.name
            for fixed in ("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên, đóng dấu)", "Nơi nhận:",
                          "- Sở Kế hoạch và Đầu tư;"):
                assert fixed in texts, (form.path.name, fixed)
        assert not any(mark in t for t in texts for mark in ("{{", "}}", "{%", "%}")), "template tags left over"
        tags = form.sdt_tags()
        assert tags.count("section|kho-khan") == 1 and tags.count("section|kien-nghi") == 1


def test_task_rows_are_content_controls(forms, plan_2024):
    for agency, form in forms.items():
        seen: list[str] = []
        for role in ROLES:
            tbl = form.tables.get(role)
            if tbl is None:
                continue
            trs = tbl.findall(W + "tr")
            head, data = trs[0], trs[1:]
            assert head.find(f"{W}trPr/{W}tblHeader") is not None, f"{form.path.name} {role}: header not repeated"
            assert head.find(f".//{W}sdt") is None
            assert [ptext(tc) for tc in head.findall(W + "tc")][:2] == ["TT", "Nhiệm vụ"]
            assert data, f"{form.path.name}: empty {role} table"
            for row in form.rows(role):
                tr = row.tr
                # a row may split across pages (the header row repeats): a long answer does not leave a blank page
                assert tr.find(f"{W}trPr/{W}cantSplit") is None, f"{form.path.name} {row.task_id}: row cannot split"
                assert tr.find(f"{W}trPr/{W}tblHeader") is None
                deliverable = plan_2024.task(row.task_id).deliverable
                kinds = [k for k in CELL_KINDS if k != "deliverable" or deliverable]  # an empty product: no line
                assert sorted(row.sdts) == sorted(kinds), (form.path.name, sorted(row.sdts))
                # every cell's text lives inside its controls, in the order of CELLS
                for tc, cell_kinds in zip(tr.findall(W + "tc"), CELLS, strict=True):
                    inner = [c for c in tc.iter(W + "sdt") if not any(a.tag == W + "sdt" for a in c.iterancestors())]
                    tags = [c.find(f"{W}sdtPr/{W}tag").get(W + "val").split("|")[1] for c in inner]
                    assert tags == [k for k in cell_kinds if k in kinds], (form.path.name, tags)
                    assert ptext(tc) == "".join(ptext(c) for c in inner), form.path.name
                for kind, sdt in row.sdts.items():
                    pr = sdt.find(W + "sdtPr")
                    lock = pr.find(W + "lock")
                    lock = lock.get(W + "val") if lock is not None else None
                    if kind in LOCKED_KINDS:
                        assert lock == "sdtContentLocked", (form.path.name, row.task_id, kind)
                    else:
                        assert lock not in ("sdtContentLocked", "contentLocked"), (form.path.name, row.task_id, kind)
                    typed = [c.tag for c in pr if c.tag in {W + t for t in (
                        "dropDownList", "comboBox", "date", "text", "picture", "docPartObj", "docPartList",
                        "checkbox", "group", "equation", "citation", "bibliography")}]
                    if kind == "status":
                        assert typed == [W + "dropDownList"]
                        items = [(li.get(W + "displayText"), li.get(W + "value"))
                                 for li in pr.find(W + "dropDownList").findall(W + "listItem")]
                        assert items == [(s, s) for s in STATUSES]
                    else:
                        assert typed == [], (form.path.name, row.task_id, kind, typed)  # rich text
                seen.append(row.task_id)
        assert len(seen) == len(set(seen)), f"{form.path.name}: a task listed twice: {seen}"


@pytest.mark.parametrize("agency", ["so-cong-thuong", "ubnd-huyen-truong-sa", "lien-minh-hop-tac-xa-tinh",
                                    "so-ke-hoach-va-dau-tu"])
def test_task_cells_keep_the_official_wording(agency, forms, source):
    form = forms[agency]
    rows = form.all_rows()
    assert rows
    for row in rows:
        official = source[row.text("code")]
        paras = row.paragraphs("task")
        assert paras[0] == official.task, row.text("code")
        # at most one extra paragraph: the group wording that reached the agency, quoted from the official cell
        assert len(paras) <= 2
        if len(paras) == 2:
            m = re.fullmatch(r"\(Giao chung: (.+?)(; báo cáo nếu có liên quan)?\)", paras[1])
            assert m, paras[1]
            assert m[1].lower() in (official.lead + "; " + official.partners).lower(), (row.text("code"), m[1])
        assert row.text("deliverable") == official.deliverable, row.text("code")
        assert row.text("timeframe") == official.timeframe, row.text("code")
    # spot checks written out by hand
    by_code = {r.text("code"): r for r in rows}
    if "II.19" in by_code:  # stray <p> tags of the source must not reach the form; the final full stop stays
        assert by_code["II.19"].paragraphs("task")[0].startswith("Hướng dẫn các hợp tác xã nông nghiệp chuyển hướng")
        assert by_code["II.19"].paragraphs("task")[0].endswith("tăng thu nhập cho thành viên.")
    if "II.11" in by_code:
        assert by_code["II.11"].paragraphs("task")[0] == NV14_OFFICIAL
        assert by_code["II.11"].text("deliverable") == "Kế hoạch tổ chức bồi dưỡng tập huấn"
        assert by_code["II.11"].text("timeframe") == "Hàng năm"
    if "II.2" in by_code:  # the official cell is empty
        assert by_code["II.2"].text("deliverable") == ""
    if "III.6" in by_code:
        assert by_code["III.6"].text("timeframe") == "Sau khi có Văn bản của cấp có thẩm quyền"


# The task tables' formatting lives in named styles of styles.xml, defined once: a cell paragraph carries only its
# w:pStyle and a placeholder run only its w:rStyle (repeating the formatting in every cell made up most of the XML).
CELL_STYLES = {"code": "TableCode", "task": "TableTask", "deliverable": "TableDetail", "timeframe": "TableDetail",
               "result": "TableText", "status": "TableTextCentered", "label": "TableDetail", "note": "TableText"}
HINTS = {"result": "Nhập kết quả thực hiện", "status": "Chọn", "note": "…"}
DIRECT = {W + n for n in ("sz", "szCs", "b", "i", "color", "rFonts", "spacing", "jc", "ind")}


def styles_by_id(form: Form) -> dict:
    return {s.get(W + "styleId"): s for s in xml(form.parts["word/styles.xml"]).findall(W + "style")}


def test_task_table_formatting_comes_from_named_styles(forms):
    for agency, form in forms.items():
        styles = styles_by_id(form)

        def prop(style_id, path):
            el = styles[style_id].find(path)
            return None if el is None else el.get(W + "val", "1")

        text = styles["TableText"]
        assert text.get(W + "type") == "paragraph" and prop("TableText", W + "basedOn") == "Normal"
        assert text.find(f"{W}name").get(W + "val") == "Bảng - nội dung"
        assert prop("TableText", f"{W}rPr/{W}sz") == "21"  # 10.5 pt: a blank form is as long as its task texts
        spacing = text.find(f"{W}pPr/{W}spacing")
        assert (spacing.get(W + "before"), spacing.get(W + "after")) == ("0", "0")
        assert prop("TableTextCentered", f"{W}pPr/{W}jc") == "center"
        for bold in ("TableHeading", "TableCode"):
            assert prop(bold, W + "basedOn") == "TableTextCentered" and prop(bold, f"{W}rPr/{W}b") == "1"
        assert (prop("TableNote", f"{W}rPr/{W}sz"), prop("TableNote", f"{W}rPr/{W}i")) == ("20", "1")
        hint = styles["PlaceholderText"]
        assert hint.get(W + "type") == "character"
        assert prop("PlaceholderText", f"{W}rPr/{W}color") == "808080"
        assert prop("PlaceholderText", f"{W}rPr/{W}i") == "1"
        # what keeps together across a page break: the column titles with the first row, a task's own lines; every
        # table paragraph has widow/orphan control
        assert prop("TableHeading", f"{W}pPr/{W}keepNext") == "1"
        assert prop("TableTask", W + "basedOn") == "TableText" and prop("TableTask", f"{W}pPr/{W}keepLines") == "1"
        assert prop("TableText", f"{W}pPr/{W}widowControl") == "1"
        assert (prop("TableDetail", W + "basedOn"), prop("TableDetail", f"{W}rPr/{W}sz")) == ("TableText", "20")
        # what a clerk types in a fill-in cell takes the paragraph style: it must not be grey or italic
        for plain in ("TableText", "TableTextCentered"):
            assert styles[plain].find(f"{W}rPr/{W}color") is None and styles[plain].find(f"{W}rPr/{W}i") is None

        for role, tbl in form.tables.items():
            head = tbl.find(W + "tr")
            for tc in head.findall(W + "tc"):
                [p] = tc.findall(W + "p")
                assert p.find(f"{W}pPr/{W}pStyle").get(W + "val") == "TableHeading", (form.path.name, ptext(tc))
            for row in form.rows(role):
                for el in row.tr.iter():
                    assert el.tag not in DIRECT, (form.path.name, row.task_id, el.tag)  # no repeated formatting
                for kind, sdt in row.sdts.items():
                    cell = sdt if kind != "status" else sdt.getparent()
                    paras = [cell] if cell.tag == W + "p" else cell.iter(W + "p")
                    for i, p in enumerate(paras):
                        style = p.find(f"{W}pPr/{W}pStyle").get(W + "val")
                        expected = "TableNote" if kind == "task" and i else CELL_STYLES[kind]  # 2nd: the note
                        assert style == expected, (form.path.name, row.task_id, kind, style)
                    runs = list(sdt.iter(W + "r"))
                    if kind in HINTS:
                        assert sdt.find(f"{W}sdtPr/{W}showingPlcHdr") is not None
                        # an unstyled zero width space first: typed over in LibreOffice, the hint's grey italic
                        # does not pass on to what the agency types
                        assert [ptext(r) for r in runs] == ["\u200b", HINTS[kind]]
                        assert runs[0].find(W + "rPr") is None
                        assert [c.tag for c in runs[1].find(W + "rPr")] == [W + "rStyle"]
                        assert runs[1].find(f"{W}rPr/{W}rStyle").get(W + "val") == "PlaceholderText"
                    else:
                        assert all(r.find(W + "rPr") is None for r in runs), (form.path.name, row.task_id, kind)
        for tag in ("section|kho-khan", "section|kien-nghi"):  # the free sections' hints too
            sdt = next(t for t in form.body.iter(W + "tag") if t.get(W + "val") == tag).getparent().getparent()
            lead, r = sdt.iter(W + "r")
            assert ptext(lead) == "\u200b" and lead.find(W + "rPr") is None
            assert r.find(f"{W}rPr/{W}rStyle").get(W + "val") == "PlaceholderText"


def _effective(paragraph, run, attr: str):
    """A font property of `run` as Word resolves it: the run, its character style, then the paragraph style chain."""
    value, style = getattr(run.font, attr), run.style
    while value is None and style is not None:
        value, style = getattr(style.font, attr), style.base_style
    style = paragraph.style
    while value is None and style is not None:
        value, style = getattr(style.font, attr), style.base_style
    return value


def test_task_table_styles_read_back_with_python_docx(pack_dir):
    """What Word shows: cell text 10.5 pt in "Bảng - nội dung" (the task in its variant "Bảng - nhiệm vụ"), the code
    bold and centred, the "(Giao chung: ...)" note 10 pt italic, and the hints grey italic through the "Placeholder
    Text" character style."""
    from docx.text.paragraph import Paragraph

    d = docx.Document(str(pack_dir / "so-cong-thuong.docx"))
    table = d.tables[1]
    body = d.element.body
    header = [Paragraph(p, table) for p in table.rows[0]._tr.iter(qn("w:p"))]
    assert [p.style.name for p in header] == ["Bảng - tiêu đề cột"] * len(COLUMN_TITLES)
    assert [p.text for p in header] == list(COLUMN_TITLES)
    assert all(_effective(p, p.runs[0], "bold") and _effective(p, p.runs[0], "size") == Pt(10.5) for p in header)
    by_tag = {t.get(qn("w:val")): t.getparent().getparent() for t in body.iter(qn("w:tag"))}
    code = Paragraph(next(by_tag["nv01|code"].iter(qn("w:p"))), table)
    assert code.style.name == "Bảng - mã nhiệm vụ" and code.text == "I.1"
    assert _effective(code, code.runs[0], "bold") is True and _effective(code, code.runs[0], "size") == Pt(10.5)
    assert code.style.base_style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    task = [Paragraph(p, table) for p in by_tag["nv01|task"].iter(qn("w:p"))]
    assert [p.style.name for p in task] == ["Bảng - nhiệm vụ", "Bảng - giao chung"]
    assert _effective(task[0], task[0].runs[0], "size") == Pt(10.5)
    assert not _effective(task[0], task[0].runs[0], "italic") and not _effective(task[0], task[0].runs[0], "bold")
    assert _effective(task[1], task[1].runs[0], "size") == Pt(10) and _effective(task[1], task[1].runs[0], "italic")
    fmt = task[0].style.base_style.paragraph_format  # "Bảng - nội dung"
    assert (fmt.space_before, fmt.space_after) == (Pt(0), Pt(0))
    assert task[0].style.paragraph_format.keep_together
    for kind, hint in HINTS.items():
        sdt = by_tag[f"nv01|{kind}"]
        lead, r = sdt.iter(qn("w:r"))
        p = Paragraph(r.getparent() if kind != "status" else sdt.getparent(), table)
        run = Run(r, p)
        assert run.text == hint and run.style.name == "Placeholder Text"
        lead = Run(lead, p)  # typed over in LibreOffice, it gives the typed text its formatting
        assert lead.text == "\u200b" and not _effective(p, lead, "italic") and lead.font.color.rgb is None
        assert run.style.font.italic and run.style.font.color.rgb == RGBColor(0x80, 0x80, 0x80)
        assert _effective(p, run, "size") == Pt(10.5)
        assert p.style.font.color.rgb is None and not p.style.font.italic  # typed text is not forced grey/italic


def test_page_setup(forms):
    for agency, form in forms.items():
        body = form.body
        sects = list(body.iter(W + "sectPr"))
        assert len(sects) == 1 and sects[0].getparent() is body, f"{form.path.name}: one section expected"
        sect = sects[0]
        size = sect.find(W + "pgSz")
        assert (size.get(W + "w"), size.get(W + "h")) == ("11906", "16838")
        assert size.get(W + "orient") in (None, "portrait")
        mar = sect.find(W + "pgMar")
        for side, mm in (("top", 20), ("bottom", 20), ("left", 30), ("right", 15)):
            assert abs(int(mar.get(W + side)) - mm_to_twips(mm)) <= 1, (form.path.name, side, mar.get(W + side))
        title_pg = sect.find(W + "titlePg")
        assert title_pg is not None and title_pg.get(W + "val") in (None, "1", "true", "on")
        rels = {r.get("Id"): r.get("Target") for r in xml(form.parts["word/_rels/document.xml.rels"])}
        refs = {h.get(W + "type"): rels[h.get(R_ID)] for h in sect.findall(W + "headerReference")}
        assert "default" in refs
        default = xml(form.parts["word/" + refs["default"]])
        assert any("PAGE" in (it.text or "").split() for it in default.iter(W + "instrText")), "no PAGE field"
        if "first" in refs:
            first = xml(form.parts["word/" + refs["first"]])
            assert not any("PAGE" in (it.text or "") for it in first.iter(W + "instrText"))
            assert not ptext(first).strip()
        # the same through python-docx
        s = docx.Document(str(form.path)).sections
        assert len(s) == 1
        s = s[0]
        assert abs(s.page_width - Mm(210)) < Mm(0.2) and abs(s.page_height - Mm(297)) < Mm(0.2)
        assert s.page_height > s.page_width
        for got, mm in ((s.top_margin, 20), (s.bottom_margin, 20), (s.left_margin, 30), (s.right_margin, 15)):
            assert abs(got - Mm(mm)) < Mm(0.1)
        assert s.different_first_page_header_footer
        assert s.first_page_header.is_linked_to_previous or not any(
            "PAGE" in (it.text or "") for it in s.first_page_header._element.iter(qn("w:instrText")))


# ==================================================================================================== 4-6. variants


def test_special_characters_in_task_text_are_escaped(tmp_path, plan_copy):
    plan = plan_copy
    # YAML single-quoted scalar: '' is one quote
    edit_task_field(plan, "nv14", "task", "'" + TRICKY.replace("'", "''") + "'")
    assert yaml_task(plan, "nv14")["task"] == TRICKY
    out = tmp_path / "out"
    run_pack(2024, tmp_path, out, plan)
    for agency in ("so-cong-thuong", "ubnd-huyen-truong-sa"):
        path = out / f"{agency}.docx"
        d = docx.Document(str(path))  # opens: the XML is well formed
        texts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in d.element.body.iter(qn("w:p"))]
        assert TRICKY in texts, agency
        form = read_form(path)
        row = next(r for r in form.all_rows() if r.text("code") == "II.11")
        assert row.task_id == "nv14"
        assert row.paragraphs("task")[0] == TRICKY
        assert NV14_OFFICIAL not in "\n".join(texts)


def test_same_pack_twice_is_byte_identical(form_pack, tmp_path):
    first = form_pack(2024)
    other = tmp_path / "elsewhere" / "again"
    run_pack(2024, tmp_path, other)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in other.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (other / name).read_bytes(), f"{name} differs between two packs"


def test_agency_named_twice_in_a_task_is_listed_once(tmp_path, plan_copy):
    plan = plan_copy
    edit_task_field(plan, "nv14", "lead", '"Sở Công Thương; Sở Công thương"')
    edit_task_field(plan, "nv14", "partners", '"Sở Khoa học và Công nghệ; Sở Khoa học và Công nghệ"')
    t = yaml_task(plan, "nv14")
    assert (t["lead"], t["partners"]) == ("Sở Công Thương; Sở Công thương",
                                          "Sở Khoa học và Công nghệ; Sở Khoa học và Công nghệ")
    out = tmp_path / "out"
    run_pack(2024, tmp_path, out, plan)
    manifest = {f["agency"]: f for f in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["forms"]}
    for agency, role in (("so-khoa-hoc-va-cong-nghe", "partner"), ("so-cong-thuong", "lead")):
        entry = manifest[agency]
        listed = entry["lead"] + entry["partner"] + entry["expired"]
        assert listed.count("II.11") == 1 and entry[role].count("II.11") == 1, (agency, entry)
        form = read_form(out / f"{agency}.docx")
        assert form.codes(role).count("II.11") == 1
        tags = form.sdt_tags()
        assert tags.count("nv14|code") == 1 and tags.count("nv14|status") == 1, agency
    # the districts are no longer partners of II.11
    assert "II.11" not in manifest["ubnd-huyen-truong-sa"]["partner"]
    assert "nv14|code" not in read_form(out / "ubnd-huyen-truong-sa.docx").sdt_tags()
