"""The safety limits: output size, range iterations, nesting depth."""

import pytest

from actions.gotemplate import (
    TemplateExecError,
    TemplateLimitError,
    TemplateSyntaxError,
    parse,
    render,
)
from actions.gotemplate.executor import (
    MAX_OUTPUT_BYTES,
    MAX_RANGE_ITERATIONS,
    MAX_TEMPLATE_DEPTH,
)
from actions.gotemplate.parser import MAX_NESTING_DEPTH


def limit_error(source, data):
    with pytest.raises(TemplateLimitError) as caught:
        render(source, data)
    assert isinstance(caught.value, TemplateExecError)
    return caught.value


def test_output_of_exactly_64_kib_is_allowed():
    assert MAX_OUTPUT_BYTES == 64 * 1024
    assert len(render("{{.s}}", {"s": "x" * MAX_OUTPUT_BYTES})) == MAX_OUTPUT_BYTES


def test_output_one_byte_over_64_kib_is_an_exec_error_naming_the_limit():
    error = limit_error("{{.s}}!", {"s": "x" * MAX_OUTPUT_BYTES})
    assert error.limit == "output"
    assert "output size limit exceeded (65536 bytes)" in str(error)


def test_output_is_measured_in_utf8_bytes():
    assert render("{{.s}}", {"s": "é" * (MAX_OUTPUT_BYTES // 2)})
    assert limit_error("{{.s}}é", {"s": "é" * (MAX_OUTPUT_BYTES // 2)}).limit == "output"


def test_a_loop_that_repeats_a_value_stops_at_the_output_limit():
    error = limit_error("{{range .l}}{{$.s}}{{end}}", {"l": list(range(1000)), "s": "y" * 1000})
    assert error.limit == "output"
    assert len(error.partial_output) <= MAX_OUTPUT_BYTES + 1000


def test_printf_padding_beyond_the_output_limit_is_refused_before_it_is_printed():
    error = limit_error('{{$x := printf "%900000d" 1}}done', {})
    assert error.limit == "output"


def test_total_range_iterations_are_bounded_across_nested_loops():
    data = {"l": [list(range(200))] * 100}  # 20,000 iterations of the inner loop
    error = limit_error("{{range .l}}{{range .}}{{end}}{{end}}", data)
    assert error.limit == "range"
    assert f"range iteration limit exceeded ({MAX_RANGE_ITERATIONS} iterations)" in str(error)


def test_iterations_up_to_the_limit_are_allowed():
    assert render("{{range .l}}{{end}}ok", {"l": [0] * (MAX_RANGE_ITERATIONS - 1)}) == "ok"


def test_infinite_template_recursion_is_an_exec_error_naming_the_depth_limit():
    error = limit_error('{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}', {})
    assert error.limit == "depth"
    assert f"exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})" in str(error)


def test_template_recursion_over_nested_data_works_within_the_limit():
    source = '{{define "r"}}{{.n}}{{with .next}}>{{template "r" .}}{{end}}{{end}}{{template "r" .}}'
    data = {"n": 0}
    for n in range(1, 20):
        data = {"n": n, "next": data}
    assert render(source, data).startswith("19>18>17")


def test_control_structures_nested_to_the_limit_parse_and_run():
    depth = MAX_NESTING_DEPTH
    source = "{{if true}}" * depth + "deep" + "{{end}}" * depth
    assert render(source, {}) == "deep"


def test_nesting_one_level_deeper_is_refused_by_the_parser_naming_the_limit():
    depth = MAX_NESTING_DEPTH + 1
    with pytest.raises(TemplateSyntaxError) as caught:
        parse("{{if true}}" * depth + "deep" + "{{end}}" * depth)
    assert f"exceeded maximum template nesting depth ({MAX_NESTING_DEPTH})" in str(caught.value)


def test_deeply_parenthesized_pipelines_are_refused_by_the_parser():
    with pytest.raises(TemplateSyntaxError, match="nesting depth"):
        parse("{{" + "(" * 1000 + "1" + ")" * 1000 + "}}")


def test_printing_deeply_nested_data_does_not_exhaust_the_stack():
    value = "leaf"
    for _ in range(5000):
        value = [value]
    assert render("{{.}}", {"v": value}) == "map[v:" + "[" * 5000 + "leaf" + "]" * 5000 + "]"


def test_growing_a_string_in_a_loop_stops_at_the_output_limit():
    source = '{{$s := "ab"}}{{range .l}}{{$s = printf "%s%s" $s $s}}{{end}}{{len $s}}'
    assert limit_error(source, {"l": list(range(40))}).limit == "output"
