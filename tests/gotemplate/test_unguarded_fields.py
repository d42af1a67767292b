"""Template.unguarded_fields(): the chains read where a missing key stops the template."""

import pytest

from actions.gotemplate import parse


@pytest.mark.parametrize(
    ("source", "unguarded"),
    [
        ("{{ .parameters.x }}", {("parameters", "x")}),
        ("{{ if .parameters.x }}{{ .parameters.x }}{{ end }}", set()),
        ("{{ with .parameters.x }}{{ . }}{{ .y }}{{ end }}", set()),
        ("{{ if .parameters.a }}{{ .parameters.b }}{{ end }}", {("parameters", "b")}),
        ("{{ if .a }}{{ else }}{{ .a }}{{ end }}", {("a",)}),
        ("{{ range .items }}{{ .name }}{{ end }}", set()),
        ("{{ if and .a .b }}{{ .a }}{{ .b }}{{ end }}", set()),
        ("{{ with .p }}{{ end }}{{ .p.q }}", {("p", "q")}),
        ('{{ with index .variables "a-b" }}{{ . }}{{ end }}', set()),
    ],
)
def test_reads_outside_a_test_of_the_chain_are_unguarded(source, unguarded):
    template = parse(source)
    assert template.unguarded_fields() == unguarded
    assert template.unguarded_fields() <= template.fields()
