"""The C Hyperscan module (detectors/pii/_hs.c, over the system's libhs) against the
hyperscan wheel (prefilter._WheelDatabase), on the built-in prefilter database.

The install without libhyperscan-dev has no C module (prefilter.py uses the wheel there):
these tests are skipped in it, and the compiled run of .ci/run runs them."""

from __future__ import annotations

import hyperscan
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import Scanner, prefilter
from tests.pii.test_prefilter import _PIECES, SAMPLES

c_hs = pytest.importorskip("detectors.pii._hs", reason="built only where libhyperscan-dev is installed")

_SCANNER = Scanner(key=b"k" * 32)


def _built_in_patterns() -> tuple[list[bytes], list[int], list[int]]:
    exprs, ids, flags = [], [], []
    for gid, r in enumerate(_SCANNER._by_gid):
        if r is None:
            continue
        for p in r[0].prefilter or r[0].patterns:
            exprs.append(prefilter.segment_anchors(p).encode())
            ids.append(gid)
            flags.append(prefilter._flags(p))
    return exprs, ids, flags


def _wheel_blob(exprs, ids, flags) -> bytes:
    db = hyperscan.Database()
    db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)
    return hyperscan.dumpb(db)


_PATTERNS = _built_in_patterns()
NATIVE = c_hs.Database(c_hs.compile(*_PATTERNS))
WHEEL = prefilter._WheelDatabase(_wheel_blob(*_PATTERNS))


def joined(segments: list[str]) -> tuple[bytes, list[int]]:
    """A wave's buffer and its segment starts, as the scanner builds them."""
    parts = [s.encode("utf-8", "replace") for s in segments]
    starts, pos = [], 0
    for p in parts:
        starts.append(pos)
        pos += len(p) + 1
    return b"\x00".join(parts), starts


def test_the_scanner_uses_the_c_module():
    assert prefilter._NATIVE is c_hs
    assert isinstance(_SCANNER._pre._db, c_hs.Database)
    assert prefilter._backend() == f"libhs {c_hs.version()}"


def test_reports_agree_with_the_wheel_on_samples():
    data, starts = joined(SAMPLES)
    got = NATIVE.scan(data, starts, 0.0)
    assert got == WHEEL.scan(data, starts, 0.0)
    assert len(got) > 20  # most recognisers can match somewhere in the samples


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_PIECES, max_size=12).map("".join), min_size=1, max_size=12))
def test_reports_agree_with_the_wheel_on_random_segments(segments):
    data, starts = joined(segments)
    assert NATIVE.scan(data, starts, 0.0) == WHEEL.scan(data, starts, 0.0)


def test_a_passed_deadline_stops_a_long_scan():
    data, starts = joined(["4155550132 " * 2000] * 3)  # tens of thousands of reports
    assert NATIVE.scan(data, starts, 1.0) is None  # a perf_counter() time long past
    whole = NATIVE.scan(data, starts, 0.0)
    assert whole == WHEEL.scan(data, starts, 0.0)
    assert [seg for seg, _ in whole[next(iter(whole))]] == [0, 1, 2]


def test_an_uncompilable_pattern_is_named():
    with pytest.raises(c_hs.CompileError) as e:
        c_hs.compile([b"\\d{3}", b"(?U)EMP-\\d{6}"], [0, 1], [0, 0])
    message, index = e.value.args
    assert index == 1 and message


@pytest.mark.parametrize("blob", [b"", b"not a database", _wheel_blob(*_PATTERNS)[:100]])
def test_a_damaged_database_is_refused(blob):
    with pytest.raises(ValueError):
        c_hs.Database(blob)


def test_bad_arguments_raise_not_crash():
    with pytest.raises(ValueError):
        NATIVE.scan(b"x", [], 0.0)
    with pytest.raises(TypeError):
        NATIVE.scan(b"x", (0,), 0.0)
    with pytest.raises(TypeError):
        NATIVE.scan("text", [0], 0.0)
    with pytest.raises(ValueError):
        c_hs.compile([b"a\x00b"], [0], [0])
