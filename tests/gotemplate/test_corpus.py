"""Replays the conformance corpus produced by Go 1.19.8 (tests/gotemplate/cases.jsonl)."""

import json
from pathlib import Path

import pytest

from actions.gotemplate import TemplateExecError, TemplateSyntaxError, render

# The corpus is part of the repository; its README says how it was produced.
CORPUS = Path(__file__).with_name("cases.jsonl")


def load_cases():
    # parse_int=float, as the corpus README says: JSON numbers are float64 in Go.
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line, parse_int=float) for line in lines if line.strip()]


CASES = load_cases()


def test_the_corpus_holds_every_case():
    assert len(CASES) == 109


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_go_case(case):
    missingkey = case["missingkey"] or "default"
    if case["expected_error"] is None:
        assert render(case["template"], case["data"], missingkey) == case["expected_output"]
        return
    phase = case.get("error_phase")
    expected_class = TemplateSyntaxError if phase == "parse" else TemplateExecError
    with pytest.raises(expected_class) as caught:
        render(case["template"], case["data"], missingkey)
    assert case["expected_error"] in str(caught.value)
    if "expected_error_full" in case:
        assert str(caught.value) == case["expected_error_full"]
    if phase == "exec":
        assert caught.value.partial_output == case["partial_output"]
