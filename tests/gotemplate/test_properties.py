"""Property tests: any template on any JSON ends in output or a TemplateError, quickly.

Three sources of templates: random text, random text made of template-ish tokens, and
random well-formed templates from a grammar of the language. The data is random JSON
whose keys are the ones the templates use, so fields are often found.
"""

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.gotemplate import TemplateError, parse, render
from actions.gotemplate.executor import MAX_OUTPUT_BYTES

KEYS = ["a", "b", "name", "items", "n", "x"]

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=timedelta(milliseconds=2000),
    suppress_health_check=[HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=20,
)
json_data = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6) | json_values
missingkeys = st.sampled_from(["default", "zero", "error"])


def assert_ends_in_output_or_template_error(source, data, missingkey):
    try:
        output = render(source, data, missingkey)
    except TemplateError as error:
        assert str(error).startswith("template: ")
        assert error.line is None or error.line >= 1
        return
    assert isinstance(output, str)
    assert len(output.encode("utf-8", "surrogatepass")) <= MAX_OUTPUT_BYTES
    json.dumps(output)  # the output can always be sent on


def assert_fields_is_a_set_of_string_tuples(source):
    try:
        template = parse(source)
    except TemplateError:
        return
    for chain in template.fields():
        assert isinstance(chain, tuple)
        assert all(isinstance(key, str) for key in chain)


# --- random text ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(source=st.text(max_size=60), data=json_data, missingkey=missingkeys)
def test_random_text_as_a_template_ends_in_output_or_a_template_error(source, data, missingkey):
    assert_ends_in_output_or_template_error(source, data, missingkey)


TOKENS = [
    "{{", "}}", "{{- ", " -}}", "{{/*", "*/}}", " ", "\n", ".", "$", "$x", ":=", "=", "|", "(",
    ")", ",", "'a'", '"s"', "`r`", "1", "-1", "2.5", "1e6", "0x1F", "1i", "nil", "true",
    ".a", ".b", ".name", ".items", ".n", "if", "else", "end", "range", "with", "define",
    "template", "block", "break", "continue", "and", "or", "not", "len", "index", "slice",
    "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge", "html", "js",
    "urlquery", "call", '"%d"', '"%v %s"', '"%5.2f"', '"x"', "é", "-",
]  # fmt: skip


@PROPERTY_SETTINGS
@given(
    parts=st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=40),
    data=json_data,
    missingkey=missingkeys,
)
def test_random_template_tokens_end_in_output_or_a_template_error(parts, data, missingkey):
    source = "".join(parts)
    assert_ends_in_output_or_template_error(source, data, missingkey)
    assert_fields_is_a_set_of_string_tuples(source)


# --- well-formed templates from a grammar --------------------------------------------------

FUNCTIONS = {
    "and": 2, "or": 2, "not": 1, "len": 1, "index": 2, "slice": 2, "print": 2, "printf": 2,
    "println": 1, "eq": 2, "ne": 2, "lt": 2, "le": 2, "gt": 2, "ge": 2, "html": 1, "js": 1,
    "urlquery": 1,
}  # fmt: skip

literals = st.sampled_from(
    ['"s"', '"%v"', '"%d|%s"', '"%.2f"', '"a"', "0", "1", "-2", "2.5", "1e6", "true", "false",
     "'x'", "0x10", "nil", "`raw`"]
)  # fmt: skip
fields = st.lists(st.sampled_from(KEYS), min_size=1, max_size=3).map(lambda ks: "." + ".".join(ks))
variables = st.sampled_from(["$", "$v", "$.a", "$v.name", "."])


def operands(depth):
    simple = fields | variables | literals
    if depth <= 0:
        return simple
    return simple | commands(depth - 1).map(lambda c: f"({c})")


def commands(depth):
    def call(name):
        arity = FUNCTIONS[name]
        return st.lists(operands(depth), min_size=0, max_size=arity + 1).map(
            lambda args: " ".join([name, *args])
        )

    return operands(depth) | st.sampled_from(sorted(FUNCTIONS)).flatmap(call)


def pipelines(depth=2):
    first = commands(depth)
    # A field after "|" is always an error (a map key takes no argument): keep it rare.
    later = st.sampled_from(sorted(FUNCTIONS)) | st.sampled_from(['printf "%v"', "eq .a"])
    return st.tuples(first, st.lists(later, max_size=2)).map(lambda t: " | ".join([t[0], *t[1]]))


texts = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=8)


def actions(pipeline):
    left = st.sampled_from(["{{", "{{- "])
    right = st.sampled_from(["}}", " -}}"])
    return st.tuples(left, pipeline, right).map("".join)


def blocks(depth, in_range=False):
    body = st.deferred(lambda: bodies(depth - 1, in_range)) if depth > 0 else texts
    range_body = st.deferred(lambda: bodies(depth - 1, True)) if depth > 0 else texts
    pipe = pipelines()
    parts = [
        texts,
        actions(pipe),
        st.tuples(pipe).map(lambda t: "{{$v := " + t[0] + "}}"),
        st.tuples(pipe, body).map(lambda t: "{{if " + t[0] + "}}" + t[1] + "{{end}}"),
        st.tuples(pipe, body, body).map(
            lambda t: "{{if " + t[0] + "}}" + t[1] + "{{else if .b}}" + t[2] + "{{end}}"
        ),
        st.tuples(pipe, body, body).map(
            lambda t: "{{with " + t[0] + "}}" + t[1] + "{{else}}" + t[2] + "{{end}}"
        ),
        st.tuples(pipe, range_body, body).map(
            lambda t: "{{range $i, $e := " + t[0] + "}}" + t[1] + "{{else}}" + t[2] + "{{end}}"
        ),
        st.tuples(pipe, range_body).map(lambda t: "{{range " + t[0] + "}}" + t[1] + "{{end}}"),
        st.tuples(pipe).map(lambda t: '{{template "t" ' + t[0] + "}}"),
    ]
    if in_range:
        parts.append(st.sampled_from(["{{break}}", "{{continue}}"]))
    return st.one_of(parts)


def bodies(depth, in_range=False):
    return st.lists(blocks(depth, in_range), max_size=4).map("".join)


templates = st.tuples(bodies(2), bodies(1)).map(
    lambda t: '{{$v := .}}{{define "t"}}{{$v := .}}' + t[1] + "{{end}}" + t[0]
)


@PROPERTY_SETTINGS
@given(source=templates, data=json_data, missingkey=missingkeys)
def test_well_formed_templates_on_random_json_end_in_output_or_a_template_error(
    source, data, missingkey
):
    assert_ends_in_output_or_template_error(source, data, missingkey)
    assert_fields_is_a_set_of_string_tuples(source)


@PROPERTY_SETTINGS
@given(source=templates)
def test_templates_from_the_grammar_always_parse(source):
    # The grammar builds valid syntax only (misuse such as {{nil}} fails at execution).
    template = parse(source)
    assert template.source == source


@PROPERTY_SETTINGS
@given(data=json_data)
def test_printing_any_json_value_never_fails(data):
    output = render('{{.}}|{{printf "%v %s %d %q %x %#v" . . . . . .}}', data)
    assert isinstance(output, str)
