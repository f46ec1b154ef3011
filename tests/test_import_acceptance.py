"""Issue 17, "Done when", through the command line as a clerk runs it: `kehoach import-plan TỆP --out THƯ_MỤC
[--registry TÊN] [--force]` on the plan documents of tests/plandocs.py.

- Kế hoạch 1627 as a Word document (and as its PDF export) imports into a draft whose tasks.yaml is the shipped one
  cell for cell, with every agency resolved and nothing about agencies to review; the draft validates, and its
  appendix and its 2024 and 2026 packs are those of the shipped plan byte for byte, but for the plan version the
  forms carry (the draft's plan.yaml and tasks.yaml are other files, so the version hash differs).
- The second province's plan (Lâm Đồng 245/KH-UBND) imports with a review list naming exactly its three unknown
  agencies; once the clerk completes them as the list says, it validates and packs for 2024 and 2026 with the right
  tasks for the right agencies.
- A draft is written again only with --force and only while unedited; a hand-made plan folder never.
(`import-plan` of the 1627 document in under a second is a benchmark, benchmarks/run.py, not a test.)"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import plandocs
from test_deadlines import read_forms
from test_names import form_rows

pytestmark = pytest.mark.skipif(not plandocs.SOURCE.is_file(), reason="../shared/source is not beside the checkout")

REVIEW_EXIT = 3  # README "Thêm một kế hoạch mới": the draft is written and items remain to review (0: none remain)
FIELDS = ("task", "lead", "partners", "deliverable", "timeframe")
VERSION_PROPERTY = re.compile(r'(<property [^>]*name="kehoach\.plan_version"[^>]*><vt:lpwstr>)([^<]*)(</vt:lpwstr>)')


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180)


def import_plan(document: Path, out: Path, *extra: str, cwd: Path) -> subprocess.CompletedProcess:
    return run("import-plan", str(document), "--out", str(out), *extra, cwd=cwd)


def review_items(folder: Path) -> list[str]:
    """The items of the draft's review list (CAN-XEM-LAI.md): the "- " lines of the list its "N mục cần xem lại ...:"
    line introduces (the file's other list is of values inferred by rule, to check, not to decide)."""
    path = folder / "CAN-XEM-LAI.md"
    assert path.is_file(), f"the draft has no review list {path}: {sorted(p.name for p in folder.iterdir())}"
    items, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- "):
            if inside:
                items.append(line[2:])
        elif line.strip():
            inside = bool(re.search(r"\d+ mục cần xem lại.*:$", line))
    return items


def about_agencies(items: list[str]) -> list[str]:
    return [i for i in items if re.search(r"đơn vị|danh mục", i, re.IGNORECASE)]


def succeeded(result: subprocess.CompletedProcess, folder: Path) -> None:
    """The draft is written: exit 0, or REVIEW_EXIT with the items listed; never a traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, REVIEW_EXIT), f"import-plan exit {result.returncode}:\n{result.stdout}\n{result.stderr}"
    items = review_items(folder)
    assert result.returncode == (REVIEW_EXIT if items else 0), (result.returncode, items)
    assert (folder / "plan.yaml").is_file() and (folder / "tasks.yaml").is_file()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(result: subprocess.CompletedProcess, folder: Path) -> None:
    """One sentence naming the folder, a failure exit code, no traceback."""
    assert result.returncode not in (0, REVIEW_EXIT), result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip()
    assert str(folder) in message or folder.name in message, message
    assert len(message.splitlines()) == 1, message


# --------------------------------------------------------------------------- comparing outputs


def zip_parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def masked(part: str, data: bytes, version: str) -> bytes:
    """A part with the plan version hash masked: only the value of the kehoach.plan_version custom property."""
    if part != "docProps/custom.xml":
        return data
    text, count = VERSION_PROPERTY.subn(lambda m: m[1] + "VERSION" + m[3] if m[2] == version else m[0],
                                        data.decode("utf-8"))
    assert count == 1 and "VERSION" in text, f"no kehoach.plan_version property {version!r} in {part}"
    return text.encode("utf-8")


def office_differences(a: Path, b: Path, va: str, vb: str, label: str) -> list[str]:
    pa, pb = zip_parts(a), zip_parts(b)
    if [n for n, _ in pa] != [n for n, _ in pb]:
        return [f"{label}: parts {[n for n, _ in pa]} != {[n for n, _ in pb]}"]
    return [f"{label}: {name}" for (name, da), (_, db) in zip(pa, pb)
            if masked(name, da, va) != masked(name, db, vb)]


def manifest_differences(a: Path, b: Path, label: str) -> list[str]:
    """manifest.json with plan_version masked; each form's sha256 must be that of the form in its own pack (the
    forms themselves are compared part by part), then left out."""
    out = []
    docs = []
    for pack in (a, b):
        m = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
        m["plan_version"] = "VERSION"
        for form in m["forms"]:
            if form.pop("sha256") != hashlib.sha256((pack / form["file"]).read_bytes()).hexdigest():
                out.append(f"{label}: manifest sha256 of {form['file']} is not the file's")
        docs.append(m)
    if docs[0] != docs[1]:
        out.append(f"{label}: manifest.json differs")
    return out


def pack_differences(a: Path, b: Path, label: str) -> list[str]:
    names_a = sorted(p.name for p in a.iterdir())
    names_b = sorted(p.name for p in b.iterdir())
    if names_a != names_b:
        return [f"{label}: files {sorted(set(names_a) ^ set(names_b))} in one pack only"]
    va, vb = (json.loads((p / "manifest.json").read_text(encoding="utf-8"))["plan_version"] for p in (a, b))
    out = manifest_differences(a, b, label)
    for name in names_a:
        if name.endswith((".docx", ".xlsx")):
            out += office_differences(a / name, b / name, va, vb, f"{label}/{name}")
        elif name != "manifest.json" and (a / name).read_bytes() != (b / name).read_bytes():
            out.append(f"{label}/{name}")
    return out


def task_cells(tasks_yaml: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    """(group titles, [(group numeral, id, task, lead, partners, deliverable, timeframe)]) of a tasks.yaml."""
    data = yaml.safe_load(tasks_yaml.read_text(encoding="utf-8"))
    titles, tasks = [], []
    for gi, g in enumerate(data["groups"]):
        titles.append(g["title"])
        for ti, t in enumerate(g.get("tasks") or []):
            tasks.append((f"{plandocs._roman(gi + 1)}.{ti + 1}", t["id"], *(t[f] for f in FIELDS)))
    return titles, tasks


def cell_differences(got: list[tuple[str, ...]], want: list[tuple[str, ...]]) -> list[str]:
    out = [f"{len(got)} tasks, expected {len(want)}"] if len(got) != len(want) else []
    for g, w in zip(got, want):
        for name, a, b in zip(("code", "id", *FIELDS), g, w):
            if a != b:
                out.append(f"{w[0]} {name}: {a!r} (expected {b!r})")
    return out


# --------------------------------------------------------------------------- Kế hoạch 1627


@pytest.fixture(scope="module", params=["docx", pytest.param("pdf", marks=pytest.mark.libreoffice)])
def imported_1627(request, tmp_path_factory):
    """The 1627 document imported (as .docx, or as its PDF export) into <tmp>/khanh-hoa-1627, validated, with its
    appendix and its 2024 and 2026 packs."""
    root = tmp_path_factory.mktemp(f"import-1627-{request.param}")
    document = plandocs.kh1627_docx(root / "ke-hoach-1627.docx")
    if request.param == "pdf":
        if shutil.which("soffice") is None:
            pytest.skip("LibreOffice (soffice) is not installed")
        document = plandocs.kh1627_pdf(document, root / "ke-hoach-1627.pdf")
    draft = root / "khanh-hoa-1627"
    result = import_plan(document, draft, cwd=root)
    outputs = {"import": result, "draft": draft, "root": root}
    if result.returncode in (0, REVIEW_EXIT) and (draft / "tasks.yaml").is_file():
        outputs["validate"] = run("validate", "--plan", str(draft), cwd=root)
        for year in (2024, 2026):
            outputs[year] = run("pack", "--year", str(year), "--plan", str(draft), "--out", str(root / str(year)),
                                cwd=root)
        outputs["appendix"] = run("appendix", "--plan", str(draft), "--out", str(root / "phu-luc.xlsx"),
                                  "--as-of", "15/12/2024", cwd=root)
    return outputs


@pytest.fixture(scope="module")
def shipped_1627(tmp_path_factory):
    """The appendix and the 2024 and 2026 packs of the shipped plan, written the same way."""
    from generator.paths import default_plan_dir

    root = tmp_path_factory.mktemp("shipped-1627")
    plan = str(default_plan_dir())
    for year in (2024, 2026):
        result = run("pack", "--year", str(year), "--plan", plan, "--out", str(root / str(year)), cwd=root)
        assert result.returncode == 0, result.stderr
    result = run("appendix", "--plan", plan, "--out", str(root / "phu-luc.xlsx"), "--as-of", "15/12/2024", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def test_1627_imports(imported_1627):
    succeeded(imported_1627["import"], imported_1627["draft"])


def test_1627_tasks_are_the_shipped_ones_cell_for_cell(imported_1627):
    from generator.paths import default_plan_dir

    succeeded(imported_1627["import"], imported_1627["draft"])
    got_titles, got = task_cells(imported_1627["draft"] / "tasks.yaml")
    want_titles, want = task_cells(default_plan_dir() / "tasks.yaml")
    assert got_titles == want_titles
    assert not cell_differences(got, want), "\n".join(cell_differences(got, want))


def test_1627_plan_fields_are_those_the_document_states(imported_1627):
    """What the opening and the end of the document say, as the shipped plan.yaml has it (`subject`, inferred by a
    rule, is not stated by the document; the forms compare it through the packs)."""
    from generator.paths import default_plan_dir

    succeeded(imported_1627["import"], imported_1627["draft"])
    got = yaml.safe_load((imported_1627["draft"] / "plan.yaml").read_text(encoding="utf-8"))
    want = yaml.safe_load((default_plan_dir() / "plan.yaml").read_text(encoding="utf-8"))
    diffs = [f"{k}: {got.get(k)!r} (expected {want[k]!r})" for k in (
        "id", "registry", "number", "date", "issuer", "issuer_full", "place", "parent_header", "title", "signer",
        "appendix") if got.get(k) != want[k]]
    reporting = {k: (got.get("reporting") or {}).get(k) for k in ("receiver", "deadline")}
    if reporting != {k: want["reporting"][k] for k in ("receiver", "deadline")}:
        diffs.append(f"reporting: {reporting!r}")

    def documents(p: dict) -> list[tuple]:
        # the shipped file writes "Ban Chấp hành Trung ương" where the text has "Ban chấp hành": letter case aside
        return [(d["kind"], d["number"], d["date"], d["issuer"].casefold()) for d in p.get("implements") or []]
    if documents(got) != documents(want):
        diffs.append(f"implements: {documents(got)!r}")
    assert not diffs, "\n".join(diffs)


def test_1627_every_agency_is_resolved_with_nothing_to_review(imported_1627):
    succeeded(imported_1627["import"], imported_1627["draft"])
    assert about_agencies(review_items(imported_1627["draft"])) == []
    own = imported_1627["draft"] / "agencies.yaml"  # no agency of its own proposed
    assert not own.exists() or not (yaml.safe_load(own.read_text(encoding="utf-8")) or {}).get("agencies")


def test_1627_draft_validates(imported_1627):
    succeeded(imported_1627["import"], imported_1627["draft"])
    result = imported_1627["validate"]
    assert result.returncode == 0, result.stderr
    assert "Kế hoạch 1627/KH-UBND hợp lệ: 5 nhóm, 35 nhiệm vụ" in result.stdout


def test_1627_appendix_is_the_shipped_one(imported_1627, shipped_1627):
    succeeded(imported_1627["import"], imported_1627["draft"])
    assert imported_1627["appendix"].returncode == 0, imported_1627["appendix"].stderr
    diffs = office_differences(imported_1627["root"] / "phu-luc.xlsx", shipped_1627 / "phu-luc.xlsx", "", "",
                               "phu-luc.xlsx")
    assert not diffs, diffs


@pytest.mark.parametrize("year", [2024, 2026])
def test_1627_packs_are_the_shipped_ones_but_for_the_version(imported_1627, shipped_1627, year):
    succeeded(imported_1627["import"], imported_1627["draft"])
    assert imported_1627[year].returncode == 0, imported_1627[year].stderr
    mine, theirs = imported_1627["root"] / str(year), shipped_1627 / str(year)
    versions = {json.loads((p / "manifest.json").read_text(encoding="utf-8"))["plan_version"] for p in (mine, theirs)}
    assert len(versions) == 2  # the comparison masks a value that does differ
    diffs = pack_differences(mine, theirs, str(year))
    assert not diffs, "\n".join(diffs[:40])


# --------------------------------------------------------------------------- a second province


def complete_proposals(draft: Path, registry: Path) -> None:
    """What the clerk does with the review list: each unknown agency gets its entry — the one the draft proposes in
    its agencies.yaml, completed (code, kind, header), or, when the draft proposes none, a new one in the province's
    registry."""
    proposals = draft / "agencies.yaml"
    data = yaml.safe_load(proposals.read_text(encoding="utf-8")) if proposals.is_file() else None
    entries = {e["name"]: e for e in (data or {}).get("agencies") or []}
    missing = []
    for name, text in plandocs.UNKNOWN_ENTRIES.items():
        [wanted] = yaml.safe_load(text)
        if name in entries:
            entries[name].update({k: v for k, v in wanted.items() if k not in ("id", "name", "source")})
        else:
            missing.append(name)
    if data:
        proposals.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if missing:
        plandocs.add_unknown_agencies(registry, only=missing)


@pytest.fixture(scope="module")
def imported_245(tmp_path_factory):
    """Kế hoạch 245 of Lâm Đồng imported against its province registry (<tmp>/registries/lam-dong.yaml), the unknown
    agencies completed, validated and packed for 2024 and 2026."""
    root = tmp_path_factory.mktemp("import-245")
    registry = plandocs.lam_dong_registry(root)
    document = plandocs.second_plan_docx(root / "ke-hoach-245.docx")
    draft = root / "lam-dong-245"
    result = import_plan(document, draft, "--registry", str(registry), cwd=root)
    outputs = {"import": result, "draft": draft, "root": root}
    if result.returncode in (0, REVIEW_EXIT) and (draft / "tasks.yaml").is_file():
        outputs["items"] = review_items(draft)
        outputs["before"] = run("validate", "--plan", str(draft), cwd=root)
        complete_proposals(draft, registry)
        outputs["validate"] = run("validate", "--plan", str(draft), cwd=root)
        for year in (2024, 2026):
            outputs[year] = run("pack", "--year", str(year), "--plan", str(draft), "--out", str(root / str(year)),
                                cwd=root)
    return outputs


def manifest_forms(pack: Path) -> dict[str, dict]:
    """Agency name -> its form's entry in the pack's manifest (lead, partner, expired task codes; file)."""
    return {f["name"]: f for f in json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["forms"]}


def test_245_imports_with_the_cells_of_the_document(imported_245):
    succeeded(imported_245["import"], imported_245["draft"])
    titles, tasks = task_cells(imported_245["draft"] / "tasks.yaml")
    assert titles == [title for title, _ in plandocs.LD_GROUPS]
    want = [(code, *cells) for code, *cells, _note in plandocs.ld_tasks()]
    got = [(code, *cells) for code, _id, *cells in tasks]
    assert got == want  # the merged lead cell on its 3 rows, "1." and "1" alike, the Ghi chú column left out
    assert [t[1] for t in tasks] == [f"nv{i:02d}" for i in range(1, 18)]


def test_245_plan_fields_are_those_the_document_states(imported_245):
    import datetime as dt

    succeeded(imported_245["import"], imported_245["draft"])
    got = yaml.safe_load((imported_245["draft"] / "plan.yaml").read_text(encoding="utf-8"))
    assert {k: got.get(k) for k in ("id", "registry", "number", "date", "place", "title")} == {
        "id": "lam-dong-245", "registry": "lam-dong", "number": plandocs.LD_NUMBER, "date": dt.date(2024, 3, 10),
        "place": "Lâm Đồng", "title": plandocs.LD_TITLE}
    assert {k: got["reporting"][k] for k in ("receiver", "deadline")} == {
        "receiver": "so-thong-tin-va-truyen-thong", "deadline": "30/11"}
    assert {(d["kind"], d["number"], d["date"], d["issuer"]) for d in got["implements"]} == {
        ("Nghị quyết", "05-NQ/TU", dt.date(2023, 12, 15), "Ban Chấp hành Đảng bộ tỉnh Lâm Đồng"),
        ("Quyết định", "749/QĐ-TTg", dt.date(2020, 6, 3), "Thủ tướng Chính phủ")}
    signer = got["signer"]  # TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH / the name
    assert signer["authority"] == "TM. ỦY BAN NHÂN DÂN" and signer["name"] == "Nguyễn Văn Hòa", signer
    assert "PHÓ CHỦ TỊCH" in signer["title"], signer


def test_245_review_list_names_exactly_the_three_unknown_agencies(imported_245):
    succeeded(imported_245["import"], imported_245["draft"])
    items = about_agencies(imported_245["items"])
    named = [[u for u in plandocs.UNKNOWN_AGENCIES if f'"{u}"' in item] for item in items]
    assert sorted(n for ns in named for n in ns) == sorted(plandocs.UNKNOWN_AGENCIES), items
    assert all(len(ns) == 1 for ns in named), items  # one item each, nothing else about agencies
    assert imported_245["before"].returncode != 0  # not usable before they are completed


def test_245_validates_once_the_agencies_are_added(imported_245):
    succeeded(imported_245["import"], imported_245["draft"])
    result = imported_245["validate"]
    assert result.returncode == 0, result.stderr
    assert "Kế hoạch 245/KH-UBND hợp lệ: 4 nhóm, 17 nhiệm vụ" in result.stdout


def test_245_pack_2024_gives_each_agency_its_tasks(imported_245):
    succeeded(imported_245["import"], imported_245["draft"])
    assert imported_245[2024].returncode == 0, imported_245[2024].stderr
    pack = imported_245["root"] / "2024"
    forms = manifest_forms(pack)
    assert json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["receiver"] == "Sở Thông tin và Truyền thông"
    # the lead cell merged over III.1-III.3
    assert {"III.1", "III.2", "III.3"} <= set(forms["Văn phòng UBND tỉnh"]["lead"])
    # the sub-unit: Sở Nội vụ leads I.4, and its form says which unit
    assert "I.4" in forms["Sở Nội vụ"]["lead"]
    assert f"(Giao cho: {plandocs.SUB_UNIT})" in form_rows(pack / forms["Sở Nội vụ"]["file"])["I.4"]
    # "Quý IV/2024" is due in 2024
    assert "I.2" in forms["Sở Tư pháp"]["lead"] and not forms["Sở Tư pháp"]["expired"]
    # the three agencies the clerk added
    assert forms["Ban Quản lý các khu công nghiệp tỉnh"]["lead"] == ["IV.2"]
    assert forms["Tỉnh Đoàn"]["partner"] == ["I.4"]
    assert forms["Cục Thống kê tỉnh"]["partner"] == ["II.5"]
    # a group reaches every member: the 12 districts partner II.1
    districts = [f for name, f in forms.items() if name.startswith("Ủy ban nhân dân huyện")
                 or name.startswith("Ủy ban nhân dân thành phố")]
    assert len(districts) == 12 and all("II.1" in f["partner"] for f in districts)


def test_245_pack_2026_shows_the_quarter_deadline_as_past(imported_245):
    succeeded(imported_245["import"], imported_245["draft"])
    assert imported_245[2026].returncode == 0, imported_245[2026].stderr
    pack = imported_245["root"] / "2026"
    forms = manifest_forms(pack)
    assert json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["receiver"] == "Sở Khoa học và Công nghệ"
    justice = forms["Sở Tư pháp"]
    assert "I.2" in justice["expired"] and "I.2" not in justice["lead"] + justice["partner"]
    # in the form: the table of tasks past their deadline, with the wording kept
    assert (Path(justice["file"]).stem, "expired", "Quý IV/2024") in read_forms(pack)["I.2"]
    office = forms["Văn phòng UBND tỉnh"]
    assert "III.2" in office["lead"] and {"III.1", "III.3"} <= set(office["expired"])  # Tháng 6/2024, Năm 2024
    assert "I.4" in forms["Sở Nội vụ"]["expired"]  # Quý I năm 2025
    assert "IV.2" in forms["Ban Quản lý các khu công nghiệp tỉnh"]["expired"]  # Giai đoạn 2024-2025


# --------------------------------------------------------------------------- never overwriting a plan


@pytest.fixture
def kh1627_document(tmp_path) -> Path:
    return plandocs.kh1627_docx(tmp_path / "ke-hoach-1627.docx")


def test_a_second_import_onto_the_draft_needs_force(tmp_path, kh1627_document):
    draft = tmp_path / "khanh-hoa-1627"
    succeeded(import_plan(kh1627_document, draft, cwd=tmp_path), draft)
    first = snapshot(draft)
    refused(import_plan(kh1627_document, draft, cwd=tmp_path), draft)
    assert snapshot(draft) == first
    succeeded(import_plan(kh1627_document, draft, "--force", cwd=tmp_path), draft)
    assert snapshot(draft) == first  # the same document gives the same draft, byte for byte


def test_an_edited_draft_is_never_overwritten_even_with_force(tmp_path, kh1627_document):
    draft = tmp_path / "khanh-hoa-1627"
    succeeded(import_plan(kh1627_document, draft, cwd=tmp_path), draft)
    tasks = draft / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8").replace('"Thường xuyên"', '"Hằng năm"', 1), encoding="utf-8")
    edited = snapshot(draft)
    for extra in ((), ("--force",)):
        refused(import_plan(kh1627_document, draft, *extra, cwd=tmp_path), draft)
        assert snapshot(draft) == edited


def test_a_hand_made_plan_folder_is_never_overwritten(tmp_path, kh1627_document):
    from generator.paths import default_plan_dir

    folder = tmp_path / "khanh-hoa-1627"
    shutil.copytree(default_plan_dir(), folder)
    before = snapshot(folder)
    for extra in ((), ("--force",)):
        refused(import_plan(kh1627_document, folder, *extra, cwd=tmp_path), folder)
        assert snapshot(folder) == before
