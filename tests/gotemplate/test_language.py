"""The template language and Go's value semantics, beyond the corpus.

Expected outputs and messages are Go 1.19's, derived from its source.
"""

import pytest

from actions.gotemplate import (
    Template,
    TemplateError,
    TemplateExecError,
    TemplateSyntaxError,
    parse,
    render,
)


def error_of(source, data=None, missingkey="default"):
    with pytest.raises(TemplateError) as caught:
        render(source, {} if data is None else data, missingkey)
    return caught.value


# --- text, actions, trim markers, comments ---------------------------------------------


def test_trim_markers_eat_spaces_tabs_and_newlines_on_their_side_only():
    assert render("a \t\n {{- .x -}} \n\t b", {"x": "X"}) == "aXb"
    assert render("a {{- .x}} b", {"x": "X"}) == "aX b"
    assert render("a {{.x -}} b", {"x": "X"}) == "a Xb"


def test_a_trimmed_comment_joins_the_text_around_it():
    assert render("Hi\n{{- /* greeting */ -}}\n there", {}) == "Hithere"


def test_a_multi_line_sms_keeps_only_the_wanted_newlines():
    source = "Dear {{.name}},\n{{- if .vip}}\nVIP offer!\n{{- end}}\nThanks"
    assert render(source, {"name": "Jo", "vip": False}) == "Dear Jo,\nThanks"


def test_values_are_printed_as_they_are_without_escaping_or_evaluation():
    assert render("{{.x}}", {"x": "<b>{{.y}}</b> & co"}) == "<b>{{.y}}</b> & co"


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "printed"),
    [
        (3, "3"),
        (3.5, "3.5"),
        (-42, "-42"),
        (0.1, "0.1"),
        (999999, "999999"),
        (1000000, "1e+06"),
        (1234567, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (447911123456, "4.47911123456e+11"),
        (12345678901234567890, "1.2345678901234567e+19"),
        (-0.0, "-0"),
    ],
)
def test_json_numbers_print_like_go_float64(number, printed):
    assert render("{{.n}}", {"n": number}) == printed


def test_template_literals_keep_go_int_and_float64_apart():
    assert render("{{1}} {{1.0}} {{0x1F}} {{'a'}} {{1e3}} {{0b101}} {{1_000}}", {}) == (
        "1 1 31 97 1000 5 1000"
    )


def test_string_literals_take_go_escapes_and_raw_strings_take_none():
    source = (
        '{{"a\\tb \\u00e9 \\x41\\101 \\"q\\""}}|{{`raw\\n \\t`}}|{{print nil}}|{{print true false}}'
    )
    assert render(source, {}) == 'a\tb é AA "q"|raw\\n \\t|<nil>|true false'


def test_complex_and_imaginary_literals_print_like_go():
    assert render('{{1i}} {{1+2.5i}} {{printf "%.1f" 2i}}', {}) == "(0+1i) (1+2.5i) (0.0+2.0i)"


def test_an_integer_literal_compared_with_a_json_number_is_an_error_as_in_go():
    error = error_of("{{if eq .n 3}}three{{end}}", {"n": 3})
    assert isinstance(error, TemplateExecError)
    assert "error calling eq: incompatible types for comparison" in str(error)


def test_a_float_literal_compares_with_a_json_number():
    assert render("{{if eq .n 3.0}}three{{end}} {{lt .n 10.0}}", {"n": 3}) == "three true"


def test_ordering_bools_is_invalid_and_mixing_kinds_is_incompatible():
    assert "error calling lt: invalid type for comparison" in str(error_of("{{lt true false}}"))
    assert "error calling lt: incompatible types for comparison" in str(error_of("{{lt true 1}}"))
    assert "error calling lt: incompatible types for comparison" in str(error_of('{{lt "a" 1}}'))


def test_a_byte_from_index_compares_with_an_int_literal():
    assert render('{{eq (index "a" 0) 97}} {{lt (index "a" 0) 98}}', {}) == "true true"


# --- maps, lists, missing keys -------------------------------------------------------------


def test_range_over_map_visits_keys_in_sorted_order():
    data = {"m": {"b": 2, "a": 1, "C": 3, "10": 4, "9": 5}}
    assert render("{{range $k, $v := .m}}{{$k}}={{$v}} {{end}}", data) == ("10=4 9=5 C=3 a=1 b=2 ")


def test_range_over_a_list_sets_dot_and_the_index_and_element_variables():
    source = "{{range $i, $e := .l}}{{if $i}}, {{end}}{{$i}}:{{$e}}{{end}}"
    assert render(source, {"l": ["x", "y"]}) == "0:x, 1:y"


def test_range_with_break_and_continue():
    source = "{{range .l}}{{if eq . 2.0}}{{continue}}{{end}}{{if eq . 4.0}}{{break}}{{end}}{{.}}"
    assert render(source + "{{end}}", {"l": [1, 2, 3, 4, 5]}) == "13"


def test_range_else_runs_for_an_empty_list_a_null_and_a_missing_key():
    source = "{{range .l}}x{{else}}none{{end}}"
    assert render(source, {"l": []}) == "none"
    assert render(source, {"l": None}) == "none"
    assert render(source, {}) == "none"


def test_range_over_a_string_is_an_error():
    assert "range can't iterate over hello" in str(error_of("{{range .s}}{{end}}", {"s": "hello"}))


def test_lists_and_maps_print_like_go():
    data = {"l": ["a", 1, None, True, {"k": [2.5]}], "m": {}}
    assert render("{{.l}} {{.m}}", data) == "[a 1 <nil> true map[k:[2.5]]] map[]"


def test_missingkey_default_prints_no_value():
    assert render("[{{.a}}] [{{.a.b}}]", {}) == "[<no value>] [<no value>]"


def test_missingkey_zero_prints_no_value_for_interface_maps_but_fails_deeper():
    assert render("[{{.a}}]", {}, "zero") == "[<no value>]"
    error = error_of("[{{.a.b}}]", {}, "zero")
    assert "nil pointer evaluating interface {}.b" in str(error)


def test_missingkey_error_names_the_first_missing_key():
    error = error_of("Hi {{.parameters.name}}", {"parameters": {}}, "error")
    assert 'map has no entry for key "name"' in str(error)
    # Go places a field chain at its second field: ".name" starts at byte 16.
    assert (error.line, error.col) == (1, 16)


def test_missingkey_error_also_fails_inside_if_and_or():
    assert 'no entry for key "x"' in str(error_of("{{if .x}}y{{end}}", {}, "error"))
    assert 'no entry for key "x"' in str(error_of('{{or .x "d"}}', {}, "error"))


def test_index_ignores_missingkey_error():
    assert render('[{{index . "missing"}}]', {}, "error") == "[<no value>]"


def test_a_json_null_prints_no_value_but_nil_as_an_argument():
    assert render('{{.z}} {{print .z}} {{printf "%v" .z}}', {"z": None}) == (
        "<no value> <nil> <nil>"
    )


def test_field_on_a_string_names_the_interface_type_as_go_does():
    assert "can't evaluate field b in type interface {}" in str(error_of("{{.a.b}}", {"a": "s"}))
    assert "can't evaluate field b in type string" in str(
        error_of("{{with .a}}{{.b}}{{end}}", {"a": "s"})
    )


def test_a_key_with_a_dash_is_read_with_index():
    assert render('{{index . "first-name"}}', {"first-name": "Ann"}) == "Ann"


def test_null_data_behaves_as_an_empty_map():
    assert render("{{.}}|{{.x}}|{{len .}}", None) == "map[]|<no value>|0"


# --- control structures, variables, templates ----------------------------------------------


def test_if_else_if_chain():
    source = "{{if eq .c 1.0}}one{{else if eq .c 2.0}}two{{else}}many{{end}}"
    assert [render(source, {"c": c}) for c in (1, 2, 3)] == ["one", "two", "many"]


def test_truthiness_follows_go():
    values = ["", "0", "false", 0, 0.5, [], [0], {}, {"a": 1}, None, False, True]
    source = "{{if .v}}T{{else}}F{{end}}"
    assert "".join(render(source, {"v": v}) for v in values) == "FTTFTFTFTFFT"


def test_with_sets_dot_and_else_keeps_it():
    source = "{{with .user}}{{.name}}{{else}}{{.fallback}}{{end}}"
    assert render(source, {"user": {"name": "Kim"}}) == "Kim"
    assert render(source, {"user": None, "fallback": "guest"}) == "guest"


def test_variables_are_scoped_to_their_control_structure():
    source = (
        "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}{{if true}}{{$x = 3}}{{end}}{{$x}}"
    )
    assert render(source, {}) == "213"


def test_dollar_is_the_root_inside_range_and_with():
    source = "{{range .items}}{{.sku}}@{{$.shop}} {{end}}"
    assert render(source, {"shop": "S1", "items": [{"sku": "a"}, {"sku": "b"}]}) == "a@S1 b@S1 "


def test_define_template_and_block():
    source = '{{define "sig"}}-- {{.}}{{end}}Hi{{template "sig" .brand}}{{block "f" .}} STOP{{end}}'
    assert render(source, {"brand": "Acme"}) == "Hi-- Acme STOP"


def test_templates_do_not_see_the_callers_variables():
    error = error_of('{{define "t"}}{{$x}}{{end}}{{$x := 1}}{{template "t"}}')
    assert isinstance(error, TemplateSyntaxError)
    assert 'undefined variable "$x"' in str(error)


def test_a_redefinition_of_a_template_is_an_error():
    error = error_of('{{define "a"}}1{{end}}{{define "a"}}2{{end}}')
    assert 'multiple definition of template "a"' in str(error)


def test_pipes_pass_the_value_as_the_last_argument():
    assert render('{{"x" | printf "%s-%s" "y"}} {{.n | printf "%.1f"}}', {"n": 2}) == "y-x 2.0"


def test_and_or_return_an_operand_and_short_circuit():
    # The second operand of or is never evaluated: its error never happens.
    assert render("{{or .a (index .l 5)}} {{and .a 0 (index .l 5)}}", {"a": "A", "l": []}) == (
        "A 0"
    )


# --- builtins -----------------------------------------------------------------------------


def test_len_counts_bytes_and_slice_cuts_bytes():
    assert render(
        "{{len .s}} {{slice .s 1 3}} {{slice .p 0 3}}***", {"s": "héllo", "p": "+4479"}
    ) == ("6 é +44***")


def test_slice_of_a_decoded_json_list_may_reach_its_capacity_as_in_go():
    # encoding/json leaves a 3-element list with capacity 4.
    assert render("{{slice .l 0 4}}", {"l": [1, 2, 3]}) == "[1 2 3 <nil>]"
    assert "index out of range: 5" in str(error_of("{{slice .l 0 5}}", {"l": [1, 2, 3]}))


def test_index_one_past_the_end_fails_inside_reflect_as_in_go_1_19():
    error = error_of("{{index .l 1}}", {"l": ["x"]})
    assert "error calling index: reflect: slice index out of range" in str(error)


def test_html_js_and_urlquery_escape_like_go():
    data = {"s": '<a href="x">Tom & Jerry\'s</a>', "q": "a b&c/é"}
    assert (
        render("{{html .s}}", data) == "&lt;a href=&#34;x&#34;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
    )
    assert render("{{js .s}}", data) == (
        '\\u003Ca href\\u003D\\"x\\"\\u003ETom \\u0026 Jerry\\\'s\\u003C/a\\u003E'
    )
    assert render("{{urlquery .q}}", data) == "a+b%26c%2F%C3%A9"


def test_print_puts_spaces_between_operands_when_neither_is_a_string():
    assert render('{{print "a" 1 2 "b" 3.5 true}}|{{println "x" 1}}|', {}) == "a1 2b3.5 true|x 1\n|"


@pytest.mark.parametrize(
    ("source", "output"),
    [
        ('{{printf "%d" .n}}', "%!d(float64=3)"),
        ('{{printf "%s" .n}}', "%!s(float64=3)"),
        ('{{printf "%d" "x"}}', "%!d(string=x)"),
        ('{{printf "%t" 1}}', "%!t(int=1)"),
        ('{{printf "%s" .missing}}', "%!s(<nil>)"),
        ('{{printf "%s %s" "a"}}', "a %!s(MISSING)"),
        ('{{printf "%s" "a" "b"}}', "a%!(EXTRA string=b)"),
        ('{{printf "%z" 1}}', "%!z(int=1)"),
        ('{{printf "%"}}', "%!(NOVERB)"),
        ('{{printf "%[3]d" 1}}', "%!d(BADINDEX)"),
        ('{{printf "%*d" "x" 1}}', "%!(BADWIDTH)1"),
        ('{{printf "%d" .l}}', "[%!d(float64=1) %!d(float64=2)]"),
    ],
)
def test_printf_bad_verbs_and_operands_print_like_go(source, output):
    assert render(source, {"n": 3, "l": [1, 2]}) == output


@pytest.mark.parametrize(
    ("source", "output"),
    [
        (
            '{{printf "%5s|%-5s|%05d|%.1f|%t|%%" "a" "b" 42 3.14159 true}}',
            "    a|b    |00042|3.1|true|%",
        ),
        (
            '{{printf "%08.3f|%+d|%x|%X|%o|%e|%g|%c|%U" '
            "3.14159 5 255 255 8 1234.5678 0.00001234 65 65}}",
            "0003.142|+5|ff|FF|10|1.234568e+03|1.234e-05|A|U+0041",
        ),
        ('{{printf "%q %+q %#q %x % X" "é" "é" "ab" "hi" "hi"}}', '"é" "\\u00e9" `ab` 6869 68 69'),
        ('{{printf "%v|%.2f|%6.2f|%-8.3e|" .n .n .n .n}}', "1234.5|1234.50|1234.50|1.234e+03|"),
        ('{{printf "%[2]s %[1]s" "a" "b"}}', "b a"),
        ('{{printf "%T %T %T %T" 1 .n "s" .l}}', "int float64 string []interface {}"),
    ],
)
def test_printf_verbs_flags_and_widths(source, output):
    assert render(source, {"n": 1234.5, "l": []}) == output


def test_printf_with_a_huge_width_gives_up_like_go_instead_of_allocating():
    assert render('{{printf "%999999999d" 1}}', {}) == "%!(NOVERB)%!(EXTRA int=1)"


def test_call_is_an_error_since_json_holds_no_functions():
    assert "error calling call: non-function of type string" in str(
        error_of("{{call .f}}", {"f": "x"})
    )


# --- syntax errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hello {{.name", "template: tmpl:1: unclosed action"),
        ("{{upper .name}}", 'template: tmpl:1: function "upper" not defined'),
        ("{{if .x}}", "template: tmpl:1: unexpected EOF"),
        ("{{else}}", "template: tmpl:1: unexpected {{else}}"),
        ("{{end}}", "template: tmpl:1: unexpected {{end}}"),
        ("{{.x | 1}}", "template: tmpl:1: non executable command in pipeline stage 2"),
        ('{{"abc}}', "template: tmpl:1: unterminated quoted string"),
        ("{{/* x", "template: tmpl:1: unclosed comment"),
        ("{{(.x}}", "template: tmpl:1: unclosed left paren"),
        ("{{99999999999999999999}}", 'template: tmpl:1: integer overflow: "99999999999999999999"'),
        ("{{with .a}}{{else with .b}}{{end}}", "template: tmpl:1: unexpected <with> in else"),
        ("a\nb\n{{.x\n\n", "template: tmpl:5: unclosed action started at tmpl:3"),
        ("{{continue}}", "template: tmpl:1: {{continue}} outside {{range}}"),
    ],
)
def test_syntax_errors_carry_gos_message_and_line(source, message):
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(source)
    assert str(caught.value) == message


def test_exec_errors_carry_line_and_byte_column():
    error = error_of("Olá\n  é {{.a.b}}", {"a": 1})
    assert isinstance(error, TemplateExecError)
    # "é" is two bytes; the chain is placed at ".b", byte 9 of line 2.
    assert str(error) == (
        'template: tmpl:2:9: executing "tmpl" at <.a.b>: '
        "can't evaluate field b in type interface {}"
    )
    assert (error.line, error.col) == (2, 9)
    assert error.detail == "can't evaluate field b in type interface {}"


def test_errors_inside_a_defined_template_name_it():
    error = error_of('{{define "t"}}{{.y}}{{end}}{{template "t" .}}', {}, "error")
    assert 'executing "t" at <.y>' in str(error)


def test_partial_output_is_kept_on_the_error():
    error = error_of("ok {{.a}} then {{.b.c}}", {"a": "A", "b": "s"})
    assert error.partial_output == "ok A then "


# --- the API -------------------------------------------------------------------------------


def test_parse_returns_a_template_that_executes_many_times():
    template = parse("Hi {{.n}}")
    assert isinstance(template, Template)
    assert [template.execute({"n": n}) for n in ("a", "b")] == ["Hi a", "Hi b"]


def test_render_caches_parsed_templates_by_source():
    from actions.gotemplate import _parse_cached

    source = "cache me {{.x}}"
    render(source, {"x": 1})
    hits = _parse_cached.cache_info().hits
    render(source, {"x": 2})
    assert _parse_cached.cache_info().hits == hits + 1


def test_an_unknown_missingkey_mode_is_refused():
    with pytest.raises(ValueError, match="missingkey=strict"):
        render("x", {}, "strict")


def test_a_template_must_be_a_string():
    with pytest.raises(TypeError):
        parse(b"{{.x}}")
