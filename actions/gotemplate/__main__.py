"""The line protocol: ``python -m actions.gotemplate``.

Each line of stdin is a JSON object ``{"template", "data", "missingkey"}`` (``missingkey``
absent or ``""`` means Go's default); each answer is one line on stdout,
``{"output", "error"}``: the error is empty on success, the output empty on error. Lines
are answered in order, one for one, so a corpus produced by Go can be replayed from any
language.
"""

import json
import sys

from . import TemplateError, render


def answer(line):
    """The answer object for one input line."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError) as e:
        return {"output": "", "error": f"invalid input line: {e}"}
    if not isinstance(request, dict) or not isinstance(request.get("template"), str):
        return {"output": "", "error": 'invalid input line: want {"template": "...", ...}'}
    missingkey = request.get("missingkey") or "default"
    try:
        output = render(request["template"], request.get("data"), missingkey)
    except TemplateError as e:
        return {"output": "", "error": e.message}
    except ValueError as e:  # an unknown missingkey
        return {"output": "", "error": str(e)}
    return {"output": output, "error": ""}


def encode(obj):
    try:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, from a template: escape them
        return (json.dumps(obj) + "\n").encode("ascii")


def main(stdin=None, stdout=None):
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    for raw in stdin:
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        stdout.write(encode(answer(line)))
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
