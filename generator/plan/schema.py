"""The shape of the plan folder's YAML files (pydantic), and pydantic errors turned into Vietnamese."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError


SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RawTask(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    task: str = Field(min_length=1)
    lead: str = Field(min_length=1)
    partners: str
    deliverable: str
    timeframe: str = Field(min_length=1)


class RawGroup(_Strict):
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    tasks: list[RawTask]


class RawTasksFile(_Strict):
    groups: list[RawGroup] = Field(min_length=1)


KIND = r"^(so|huyen|xa|trung-uong|to-chuc|bao-chi|kinh-te-tap-the)$"
HeaderText = str | list[Annotated[str, Field(min_length=1)]]  # one line, or the lines it is printed on


class RawAgency(_Strict):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    header: HeaderText | None = None
    parent_header: str | None = Field(default=None, min_length=1)
    place: str | None = Field(default=None, min_length=1)
    code: str = Field(min_length=1)
    kind: str = Field(pattern=KIND)
    reports: bool
    aliases: list[str] = []
    established: dt.date | None = None
    source: str = Field(min_length=1)


class RawGenericForm(_Strict):
    name: str = Field(min_length=1)
    header: HeaderText
    code: str = Field(min_length=1)
    kind: str = Field(default="nhom", pattern=r"^(nhom|so|huyen|xa|trung-uong|to-chuc)$")
    parent_header: str | None = Field(default=None, min_length=1)
    place: str | None = Field(default=None, min_length=1)


class RawHeaderRule(_Strict):
    kind: str = Field(pattern=KIND)
    parent: Literal["tinh", "khong", "rieng"]
    place: Literal["tinh", "rieng"]
    source: str = Field(min_length=1)


class RawAgencyGroup(_Strict):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    aliases: list[str] = []
    members: list[str] = []
    unspecified: bool = False
    gap: str | None = None
    generic_form: RawGenericForm | None = None
    established: dt.date | None = None
    source: str = Field(min_length=1)


class RawEvent(_Strict):
    date: dt.date
    kind: Literal["renamed", "merged", "split", "abolished"]
    agencies: list[str] = Field(min_length=1)
    into: list[str] = []
    name: str | None = None
    header: HeaderText | None = None
    parent_header: str | None = Field(default=None, min_length=1)
    place: str | None = Field(default=None, min_length=1)
    code: str | None = None
    basis: str = Field(min_length=1)
    source: str = Field(min_length=1)


class RawAgenciesFile(_Strict):
    """A province's registry (plan_data/registries/<name>.yaml), or the whole registry of a plan folder that names
    none (agencies.yaml, as before registries were shared)."""

    province: str | None = None
    agencies: list[RawAgency] = Field(min_length=1)
    groups: list[RawAgencyGroup] = []
    events: list[RawEvent] = []
    headers: list[RawHeaderRule] = []


class RawPlanAgenciesFile(_Strict):
    """A plan's own additions (agencies.yaml in a plan folder whose plan.yaml names a registry)."""

    agencies: list[RawAgency] = []
    groups: list[RawAgencyGroup] = []
    events: list[RawEvent] = []
    headers: list[RawHeaderRule] = []


class RawNationalEvent(RawEvent):
    """A change of the national pattern: the agencies it names (standard ids, matched to a province's by id or
    name), or every agency of the province of some kinds."""

    agencies: list[str] = []
    kinds: list[str] = []


class RawNationalFile(_Strict):
    """The national layer every province's registry builds on (plan_data/registries/national-2025.yaml)."""

    agencies: list[RawAgency] = []
    groups: list[RawAgencyGroup] = []
    events: list[RawNationalEvent] = []


class RawAmendmentDocument(_Strict):
    kind: str = "Kế hoạch"
    number: str = Field(min_length=1)
    date: dt.date
    issuer: str = Field(min_length=1)
    title: str = Field(min_length=1)


_TASK_ID = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")


class AddTask(_Strict):
    action: Literal["add_task"]
    group: str
    after: str | None = None
    id: str = _TASK_ID
    task: str = Field(min_length=1)
    lead: str = Field(min_length=1)
    partners: str = ""
    deliverable: str = ""
    timeframe: str = Field(min_length=1)


class ChangeTask(_Strict):
    action: Literal["change_task"]
    id: str
    task: str | None = Field(default=None, min_length=1)
    lead: str | None = Field(default=None, min_length=1)
    partners: str | None = None
    deliverable: str | None = None
    timeframe: str | None = Field(default=None, min_length=1)


class RemoveTask(_Strict):
    action: Literal["remove_task"]
    id: str


class AddGroup(_Strict):
    action: Literal["add_group"]
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    after: str | None = None


class RetitleGroup(_Strict):
    action: Literal["retitle_group"]
    id: str
    title: str = Field(min_length=1)


Change = Annotated[Union[AddTask, ChangeTask, RemoveTask, AddGroup, RetitleGroup], Field(discriminator="action")]


class RawAmendmentFile(_Strict):
    document: RawAmendmentDocument
    changes: list[Change] = Field(min_length=1)


class RawDocument(_Strict):
    kind: str
    number: str
    date: dt.date
    issuer: str


class RawSigner(_Strict):
    authority: str
    title: str
    name: str


class RawReportSigner(_Strict):
    agency: str = Field(min_length=1)
    authority: str = ""
    title: str = Field("GIÁM ĐỐC", min_length=1)
    name: str = ""


class RawReporting(_Strict):
    receiver: str
    signers: list[RawReportSigner] = []
    deadline: str = Field(pattern=r"^\d{1,2}/\d{1,2}$")
    source: str


class RawAppendix(_Strict):
    heading: str
    title: str
    attached: str


class RawPlanFile(_Strict):
    id: str = Field(pattern=SLUG)
    registry: str | None = Field(default=None, min_length=1)  # a registry's name, or a path from the plan folder
    number: str
    date: dt.date
    issuer: str
    issuer_full: str
    place: str
    parent_header: str
    title: str
    subject: str
    implements: list[RawDocument] = []
    signer: RawSigner
    reporting: RawReporting
    appendix: RawAppendix


_MESSAGES = {
    "missing": 'thiếu trường bắt buộc "{field}"',
    "extra_forbidden": 'trường "{field}" không có trong mô tả dữ liệu (gõ sai tên trường?)',
    "string_type": 'trường "{field}" phải là một đoạn văn bản, không phải {value}',
    "string_too_short": 'trường "{field}" không được để trống',
    "string_pattern_mismatch": 'giá trị {value} của trường "{field}" không đúng dạng quy định',
    "bool_type": 'trường "{field}" phải là true hoặc false, không phải {value}',
    "bool_parsing": 'trường "{field}" phải là true hoặc false, không phải {value}',
    "date_type": 'trường "{field}" phải là ngày dạng YYYY-MM-DD, không phải {value}',
    "date_from_datetime_parsing": 'trường "{field}" phải là ngày dạng YYYY-MM-DD, không phải {value}',
    "date_parsing": 'trường "{field}" phải là ngày dạng YYYY-MM-DD, không phải {value}',
    "list_type": 'trường "{field}" phải là một danh sách',
    "model_type": 'mục "{field}" phải gồm các trường "tên: giá trị"',
    "too_short": 'danh sách "{field}" không được để trống',
    "literal_error": 'giá trị {value} của trường "{field}" không thuộc các giá trị cho phép',
    "union_tag_invalid": 'hành động {value} không hợp lệ; dùng add_task, change_task, remove_task, add_group '
                         "hoặc retitle_group",
    "union_tag_not_found": 'mỗi thay đổi phải có trường "action"',
}


def describe(error: dict) -> str:
    """One pydantic error as a Vietnamese sentence."""
    loc = [p for p in error["loc"] if isinstance(p, str)]
    if error["type"] == "union_tag_invalid":
        value = error.get("ctx", {}).get("tag", error.get("input"))
        return _MESSAGES["union_tag_invalid"].format(value=f'"{value}"')
    field = loc[-1] if loc else "(tệp)"
    value = error.get("input")
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    template = _MESSAGES.get(error["type"], 'giá trị {value} của trường "{field}" không hợp lệ')
    return template.format(field=field, value=shown)


__all__ = ["RawTasksFile", "RawAgenciesFile", "RawPlanFile", "RawAmendmentFile", "ValidationError", "describe"]
