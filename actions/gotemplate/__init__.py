"""Go's text/template in pure Python, for message bodies and recipients.

The reference is Go 1.19's own ``text/template``; data is what ``json.loads`` produces,
seen as Go's ``encoding/json`` decodes it (every JSON number is a float64)::

    >>> render("Hi {{.name}}, ref {{.ref}}", {"name": "Ann", "ref": "B-12"})
    'Hi Ann, ref B-12'

Every failure is a ``TemplateError``: ``TemplateSyntaxError`` from ``parse``,
``TemplateExecError`` from ``execute`` and ``render``, with Go's message, line and column.
"""

import functools

from .builtins import BUILTIN_NAMES
from .errors import TemplateError, TemplateExecError, TemplateLimitError, TemplateSyntaxError
from .executor import MISSINGKEY_MODES, Compiler, execute
from .fields import field_chains, unguarded_field_chains
from .parser import parse_trees

__all__ = [
    "Template",
    "TemplateError",
    "TemplateExecError",
    "TemplateLimitError",
    "TemplateSyntaxError",
    "parse",
    "render",
]

_CACHE_SIZE = 512


class Template:
    """A parsed template: execute it on data, or ask which fields it reads."""

    __slots__ = ("source", "name", "_trees", "_compiled", "_fields", "_unguarded")

    def __init__(self, source, name="tmpl"):
        if not isinstance(source, str):
            raise TypeError(f"a template is a str, not {type(source).__name__}")
        self.source = source
        self.name = name
        try:
            self._trees = parse_trees(source, BUILTIN_NAMES, name)
            compiler = Compiler()
            self._compiled = {
                n: compiler.compile_list(t.root, False, 0) for n, t in self._trees.items()
            }
        except TemplateError:
            raise
        except RecursionError:
            raise TemplateSyntaxError(
                f"template: {name}: template too deeply nested", name=name
            ) from None
        except Exception as e:  # pragma: no cover - a bug; never let it escape as such
            raise TemplateSyntaxError(
                f"template: {name}: internal error: {e!r}", name=name
            ) from None
        self._fields = None
        self._unguarded = None

    def execute(self, data, missingkey="default"):
        """The output of the template on data (what ``json.loads`` gives).

        ``missingkey`` is Go's option: ``"default"`` (or ``""``) prints ``<no value>`` for
        a missing map key, ``"zero"`` uses the zero value, ``"error"`` stops with an error.
        """
        mode = MISSINGKEY_MODES.get(missingkey if missingkey is not None else "")
        if mode is None:
            raise ValueError(f"unrecognized option: missingkey={missingkey}")
        try:
            return execute(self._compiled, data, mode, self.name)
        except TemplateError:
            raise
        except Exception as e:  # pragma: no cover - a bug; never let it escape as such
            raise TemplateExecError(
                f"template: {self.name}: internal error: {e!r}", name=self.name
            ) from None

    def fields(self):
        """The field chains the template reads from the root data, e.g.
        ``{("parameters", "booking_reference")}``; ``"*"`` stands for any element of a
        list (or value of a map) that ``range`` visits."""
        if self._fields is None:
            self._fields = frozenset(field_chains(self._trees, self.name))
        return set(self._fields)

    def unguarded_fields(self):
        """The field chains of ``fields()`` read at least once where a missing key stops the
        template: outside every ``if``/``with``/``range`` whose condition reads the chain."""
        if self._unguarded is None:
            self._unguarded = frozenset(unguarded_field_chains(self._trees, self.name))
        return set(self._unguarded)

    def __repr__(self):
        return f"Template({self.source!r})"


def parse(source, name="tmpl"):
    """Parse a template; raises TemplateSyntaxError."""
    return Template(source, name)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(source):
    return Template(source)


def render(source, data, missingkey="default"):
    """Parse (cached by source) and execute: the output, or a TemplateError."""
    if not isinstance(source, str):
        raise TypeError(f"a template is a str, not {type(source).__name__}")
    return _parse_cached(source).execute(data, missingkey)
