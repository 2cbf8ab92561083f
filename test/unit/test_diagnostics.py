"""Diagnostics: locations from MLIR, and the --verify-diagnostics checker."""

from fpga_sdf.diagnostics import Diagnostic, location_parts
from fpga_sdf.verify_diagnostics import check_expectations, expectations, split_input


def test_location_forms():
    assert location_parts('loc("model.mlir":12:5)') == ("model.mlir", 12, 5, None)
    assert location_parts('loc("conv1"("net.py":40:8))') == ("net.py", 40, 8, None)
    assert location_parts('loc("conv1")') == (None, 0, 0, "conv1")
    assert location_parts("loc(unknown)") == (None, 0, 0, None)


def test_diagnostic_text():
    assert str(Diagnostic("error", "bad", "a.mlir", 3, 7)) == "a.mlir:3:7: error: bad"
    assert str(Diagnostic("warning", "slow", where="conv1")) == "conv1: warning: slow"


def test_split_input_keeps_line_numbers():
    text = "a\n// -----\nb\nc\n// -----\nd\n"
    assert split_input(text) == [(1, "a\n"), (3, "b\nc\n"), (6, "d\n")]


def test_expectation_offsets():
    text = "x\n// expected-error @+1 {{one}}\ny // expected-warning {{two}}\n// expected-error @-2 {{three}}\n" \
           "// expected-note @above {{four}}\n// expected-remark @below {{five}}\n// expected-error @unknown {{six}}\n"
    found = [(e.severity, e.line, e.text) for e in expectations(text)]
    assert found == [("error", 3, "one"), ("warning", 3, "two"), ("error", 2, "three"),
                     ("note", 4, "four"), ("remark", 7, "five"), ("error", None, "six")]


def test_checker_matches_and_reports_both_ways():
    text = "line1\n// expected-error @+1 {{must divide}}\nline3\n"
    met = [Diagnostic("error", "coarse_in (3) must divide 4", "f.mlir", 3, 1)]
    assert check_expectations(text, "f.mlir", met) == []
    wrong_line = [Diagnostic("error", "coarse_in (3) must divide 4", "f.mlir", 1, 1)]
    problems = check_expectations(text, "f.mlir", wrong_line)
    assert any("unexpected error" in p for p in problems)
    assert any('expected error "must divide"' in p and "not produced" in p for p in problems)
