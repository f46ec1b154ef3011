"""Fuzzing the form reader (hypothesis): mutated returned forms - byte flips, truncations and splices of the zip, XML
mutations of word/document.xml (deleted, duplicated, moved elements, deep nesting, huge attributes, odd text, changed
tags, a DOCTYPE), changed identity properties, package mutations - each end in a reading or a clear refusal
(FormRejected) within the time limit, never another exception, a hang or unbounded memory. The corpus in
tests/corpus/ (seeds and hostile files; any reproducer the fuzzer finds) is replayed with its expected outcomes.

Bounded: a few hundred examples in all (about 15 s). In CI (CI set) the examples are derandomised, so a run is
reproducible; locally each run explores new ones and hypothesis keeps any failure in .hypothesis/.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import fuzzforms as ff
import pytest
from formfill import Fill, fill_form
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.plan.assignments import report_date
from generator.returns.model import FormReading
from generator.errors import FormRejected
from generator.returns.read import read_form
from generator.plan.loader import load_plan
from generator.paths import default_plan_dir

CORPUS = Path(__file__).parent / "corpus"
LIMIT_S = 5.0  # per example: the reader's own time budget is set to this, the alarm fires a little later
MEMORY_GROWTH_MB = 1500  # peak resident memory the whole fuzz run may add
FUZZ = settings(deadline=None, derandomize=bool(os.environ.get("CI")), print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Raise Hang if the block runs longer than `seconds` (SIGALRM; the reader's loops are Python code)."""

    def alarm(signum, frame):
        raise Hang(f"more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@lru_cache(maxsize=None)
def _plan_for_year(year: int):
    base = load_plan(default_plan_dir())
    return load_plan(default_plan_dir(), report_date(base, year))


def outcome(data: bytes, plan) -> FormReading | FormRejected:
    """Read as `kehoach ingest` does; anything but a reading or a FormRejected fails the test."""
    start = time.monotonic()
    try:
        with time_limit(LIMIT_S + 3):
            result = read_form(data, plan, filename="bieu-mau.docx", time_budget=LIMIT_S,
                               plan_for_year=_plan_for_year)
        assert isinstance(result, FormReading)
    except FormRejected as e:
        assert str(e) and "\n" not in str(e)  # one sentence
        result = e
    assert time.monotonic() - start < LIMIT_S + 1
    return result


@pytest.fixture(scope="module")
def seeds(forms_2024) -> list[bytes]:
    filled = fill_form(forms_2024["so-cong-thuong"],
                       {"nv14": Fill(result=["Đã làm", "x"], bullets=["a"], status="Hoàn thành", note="n"),
                        "nv15": Fill(result=["Ngoài ô"], outside=True, status="đang triển khai", status_typed=True)},
                       {"kho-khan": ["Khó"], "kien-nghi": ["Kiến nghị"]})
    return [filled, forms_2024["ubnd-thanh-pho-nha-trang"], (CORPUS / "controls-removed.docx").read_bytes()]


@pytest.fixture(scope="module")
def memory():
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start
    assert grown < MEMORY_GROWTH_MB, f"peak memory grew by {grown:.0f} MB while fuzzing"


@settings(FUZZ, max_examples=300)
@given(which=st.integers(0, 2), ops=ff.byte_ops)
def test_fuzz_zip_bytes(plan_2024, seeds, memory, which, ops):
    outcome(ff.apply_bytes(seeds[which], ops), plan_2024)


@settings(FUZZ, max_examples=160)
@given(which=st.integers(0, 2), ops=ff.xml_ops)
def test_fuzz_document_xml(plan_2024, seeds, memory, which, ops):
    outcome(ff.apply_xml(seeds[which], ops), plan_2024)


@settings(FUZZ, max_examples=100)
@given(which=st.integers(0, 2), ops=ff.prop_ops)
@example(which=0, ops=[("kehoach.agency", "set", "0\n0")])  # found by the fuzzer: a line break in the message
@example(which=0, ops=[("kehoach.year", "set", "0\n0")])
def test_fuzz_identity_properties(plan_2024, seeds, memory, which, ops):
    outcome(ff.apply_props(seeds[which], ops), plan_2024)


@settings(FUZZ, max_examples=80)
@given(which=st.integers(0, 2), ops=ff.package_ops)
def test_fuzz_package(plan_2024, seeds, memory, which, ops):
    outcome(ff.apply_package(seeds[which], ops), plan_2024)


def test_mutations_reach_the_reading_code(plan_2024, seeds):
    """The XML mutations keep the identity, so they exercise the row and section reading, not just the gate."""
    ops = [("text", 0.5, "Hoàn thành"), ("duplicate", 0.3), ("delete", 0.7)]
    assert isinstance(outcome(ff.apply_xml(seeds[0], ops), plan_2024), FormReading)


EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def test_corpus_is_small_and_complete():
    files = sorted(p.name for p in CORPUS.glob("*.docx"))
    assert files == sorted(EXPECTED)
    assert sum(p.stat().st_size for p in CORPUS.iterdir()) < 200 * 1024


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(plan_2024, name):
    expected = EXPECTED[name]
    result = outcome((CORPUS / name).read_bytes(), plan_2024)
    if expected["outcome"] == "ok":
        assert isinstance(result, FormReading), result
        assert next(e.result for e in result.entries if e.task_id == "nv14") == expected["nv14"]
    else:
        assert isinstance(result, FormRejected) and expected["contains"] in str(result), result
