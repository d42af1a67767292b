"""Template.fields(): the field chains a template reads from the root data."""

from actions.gotemplate import parse


def fields(source):
    return parse(source).fields()


def test_a_field_chain_is_reported_whole():
    assert fields("Hi, ref {{ .parameters.booking_reference }}") == {
        ("parameters", "booking_reference")
    }


def test_with_moves_dot_so_inner_fields_extend_the_with_subject():
    assert fields("{{ with .parameters }}{{ .booking_reference }}{{ end }}") == {
        ("parameters",),
        ("parameters", "booking_reference"),
    }


def test_nested_with_blocks_compose_their_paths():
    source = "{{with .a}}{{with .b}}{{.c}}{{end}}{{.d}}{{end}}"
    assert fields(source) == {("a",), ("a", "b"), ("a", "b", "c"), ("a", "d")}


def test_the_else_branch_of_with_keeps_the_outer_dot():
    assert fields("{{with .a}}{{.x}}{{else}}{{.y}}{{end}}") == {("a",), ("a", "x"), ("y",)}


def test_range_marks_element_access_with_a_star():
    source = "{{range .parameters.items}}{{.name}} x{{.qty}}{{end}}"
    assert fields(source) == {
        ("parameters", "items"),
        ("parameters", "items", "*", "name"),
        ("parameters", "items", "*", "qty"),
    }


def test_range_variables_follow_the_element_and_not_the_index():
    source = "{{range $i, $item := .items}}{{$i}}{{$item.sku}}{{end}}"
    assert fields(source) == {("items",), ("items", "*", "sku")}


def test_nested_ranges_stack_their_stars():
    source = "{{range .orders}}{{range .lines}}{{.sku}}{{end}}{{end}}"
    assert fields(source) == {
        ("orders",),
        ("orders", "*", "lines"),
        ("orders", "*", "lines", "*", "sku"),
    }


def test_dollar_is_always_the_root_even_inside_range_and_with():
    source = "{{range .items}}{{$.shop}}{{with .x}}{{$.brand.name}}{{end}}{{end}}"
    assert fields(source) == {("items",), ("shop",), ("items", "*", "x"), ("brand", "name")}


def test_variables_bound_to_fields_propagate():
    source = "{{$p := .parameters}}{{$p.ref}}{{$r := $p.ref}}{{with $p}}{{.date}}{{end}}"
    assert fields(source) == {
        ("parameters",),
        ("parameters", "ref"),
        ("parameters", "date"),
    }


def test_fields_in_function_arguments_and_conditions_count():
    source = '{{if eq .parameters.country "GB"}}{{printf "%.2f" .parameters.amount}}{{end}}'
    assert fields(source) == {("parameters", "country"), ("parameters", "amount")}


def test_index_with_literal_keys_reads_that_key():
    assert fields('{{index .parameters "first-name"}}') == {
        ("parameters",),
        ("parameters", "first-name"),
    }


def test_a_template_call_reads_the_callees_fields_relative_to_its_argument():
    source = '{{define "addr"}}{{.street}}, {{$.city}}{{end}}{{template "addr" .customer}}'
    assert fields(source) == {("customer",), ("customer", "street"), ("customer", "city")}


def test_recursive_templates_are_not_followed_forever():
    source = '{{define "r"}}{{.n}}{{template "r" .next}}{{end}}{{template "r" .}}'
    assert fields(source) == {("n",), ("next",)}


def test_bare_dot_and_dollar_read_no_field():
    assert fields("{{.}}{{$}}{{with .a}}{{.}}{{end}}") == {("a",)}


def test_function_results_are_not_fields_of_the_data():
    assert fields('{{with or .a .b}}{{.c}}{{end}}{{(print "x").y}}') == {("a",), ("b",)}


def test_fields_returns_a_fresh_set_each_time():
    template = parse("{{.a}}")
    template.fields().add(("b",))
    assert template.fields() == {("a",)}
