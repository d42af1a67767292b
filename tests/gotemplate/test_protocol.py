"""The JSON-lines protocol of `python -m actions.gotemplate`, run as a real process."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_protocol(lines):
    completed = subprocess.run(
        [sys.executable, "-m", "actions.gotemplate"],
        input="".join(line + "\n" for line in lines).encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in completed.stdout.decode("utf-8").splitlines()]


def test_each_input_line_gets_one_answer_in_order():
    requests = [
        {"template": "Hi {{.name}}", "data": {"name": "Zoë"}},
        {"template": "{{.n}}", "data": {"n": 1000000}, "missingkey": ""},
        {"template": "{{.missing}}", "data": {}, "missingkey": "error"},
        {"template": "{{upper .x}}", "data": {}},
        {"template": "[{{.a}}]", "data": {}, "missingkey": "zero"},
    ]
    answers = run_protocol([json.dumps(r) for r in requests])
    assert answers == [
        {"output": "Hi Zoë", "error": ""},
        {"output": "1e+06", "error": ""},
        {
            "output": "",
            "error": 'template: tmpl:1:2: executing "tmpl" at <.missing>: '
            'map has no entry for key "missing"',
        },
        {"output": "", "error": 'template: tmpl:1: function "upper" not defined'},
        {"output": "[<no value>]", "error": ""},
    ]


def test_blank_lines_are_skipped_and_bad_lines_are_answered_with_an_error():
    answers = run_protocol(["", "not json", '{"data": {}}', '{"template": "ok"}'])
    assert [a["error"] != "" for a in answers] == [True, True, False]
    assert answers[0]["error"].startswith("invalid input line")
    assert answers[2] == {"output": "ok", "error": ""}


def test_an_unknown_missingkey_is_answered_with_an_error():
    answers = run_protocol(['{"template": "x", "data": {}, "missingkey": "loud"}'])
    assert answers == [{"output": "", "error": "unrecognized option: missingkey=loud"}]


def test_replaying_the_go_corpus_through_the_protocol_gives_gos_answers():
    from tests.gotemplate.test_corpus import CASES

    lines = [json.dumps({k: c[k] for k in ("template", "data", "missingkey")}) for c in CASES]
    for case, answer in zip(CASES, run_protocol(lines), strict=True):
        if case["expected_error"] is None:
            assert answer == {"output": case["expected_output"], "error": ""}, case["id"]
        else:
            assert answer["output"] == "", case["id"]
            assert case["expected_error"] in answer["error"], case["id"]
