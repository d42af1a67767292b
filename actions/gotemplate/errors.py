"""The errors the template engine raises: every failure is a TemplateError."""


class TemplateError(Exception):
    """Base of every error the engine raises.

    ``message`` is the full text, formatted like Go's (``template: tmpl:1:5: ...``);
    ``detail`` is Go's message without the location prefix. ``line`` and ``col`` locate the
    problem in the template source: ``line`` is 1-based, ``col`` is Go's column (the byte
    offset from the start of the line, 0-based). Either may be None when unknown.
    """

    def __init__(self, message, *, detail=None, name="tmpl", line=None, col=None):
        super().__init__(message)
        self.message = message
        self.detail = message if detail is None else detail
        self.name = name
        self.line = line
        self.col = col

    def __str__(self):
        return self.message


class TemplateSyntaxError(TemplateError):
    """The template source is not a valid Go template (raised by ``parse``).

    Go reports a line but no column for these; ``col`` is our best effort: the column of
    the token at which parsing stopped.
    """


class TemplateExecError(TemplateError):
    """Executing the template on the data failed (raised by ``execute`` and ``render``).

    ``partial_output`` is what had been written before the failure, as Go would have
    written it to its writer; the product never sends it.
    """

    def __init__(self, message, *, partial_output="", **kwargs):
        super().__init__(message, **kwargs)
        self.partial_output = partial_output


class TemplateLimitError(TemplateExecError):
    """Execution exceeded one of the engine's safety limits; ``limit`` names which."""

    def __init__(self, message, *, limit, **kwargs):
        super().__init__(message, **kwargs)
        self.limit = limit
