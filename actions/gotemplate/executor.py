"""The executor: Go 1.19's text/template/exec.go, compiled into Python closures.

Each parse-tree node is compiled once into a closure ``run(st, dot)``; expressions into
``value(st, dot)``. The closures follow Go's evaluation step for step, including which
node an error names (``st.node`` plays the part of Go's ``s.at(node)``), and keep a few
fast paths for the common case (a field of a map printed or tested), which fall back to
the faithful path whenever anything is unusual.
"""

from .builtins import ANY, IFACE, RV, STR, BuiltinError, builtin_table, indirect_interface
from .errors import TemplateExecError, TemplateLimitError
from .formatting import FormatTooLarge, Printer, format_float_v, quote_go, sprint_value
from .literals import ideal_constant
from .nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    NilNode,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)
from .parser import byte_column
from .values import (
    MISSING,
    NO_FINAL,
    GoInt,
    GoSlice,
    NilMap,
    as_float,
    byte_len,
    is_true,
    type_name,
    valid_text,
)

MAX_OUTPUT_BYTES = 64 * 1024
MAX_RANGE_ITERATIONS = 10_000
MAX_TEMPLATE_DEPTH = 64  # template calls, plus the nesting of the blocks they are in
_BIG = 1024  # emitting a string longer than this checks the output size at once

MISSINGKEY_MODES = {"": 0, "default": 0, "invalid": 0, "zero": 1, "error": 2}
_MK_ZERO = 1
_MK_ERROR = 2


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_BREAK = _Break()
_CONTINUE = _Continue()


class State:
    """What one execution carries: the output, the variables, the error context."""

    __slots__ = (
        "out",
        "emit",
        "checked",
        "size",
        "vars",
        "node",
        "tmpl",
        "mk",
        "iters",
        "depth",
        "templates",
    )

    def __init__(self, templates, missingkey):
        self.out = []
        self.emit = self.out.append
        self.checked = 0
        self.size = 0
        self.vars = None
        self.node = None
        self.tmpl = "tmpl"
        self.mk = missingkey
        self.iters = 0
        self.depth = 0
        self.templates = templates


# --- errors ---------------------------------------------------------------------------------


def exec_error(st, message, node=None, limit=None):
    """The error Go would raise at the current node (or at node)."""
    if node is None:
        node = st.node
    if node is None:
        text, line, col = f"template: {st.tmpl}: {message}", None, None
    else:
        line, col = byte_column(node.tree.text, node.pos)
        location = f"{node.tree.parse_name}:{line}:{col}"
        text = f"template: {location}: executing {quote_go(st.tmpl)} at <{node}>: {message}"
    if limit is not None:
        return TemplateLimitError(
            text, detail=message, name=st.tmpl, line=line, col=col, limit=limit
        )
    return TemplateExecError(text, detail=message, name=st.tmpl, line=line, col=col)


def check_output(st):
    out = st.out
    n = st.size
    for i in range(st.checked, len(out)):
        p = out[i]
        n += len(p) if p.isascii() else byte_len(p)
    st.size = n
    st.checked = len(out)
    if n > MAX_OUTPUT_BYTES:
        raise exec_error(
            st, f"output size limit exceeded ({MAX_OUTPUT_BYTES} bytes)", limit="output"
        )


def _too_large(st):
    return exec_error(
        st,
        f"output size limit exceeded ({MAX_OUTPUT_BYTES} bytes) by a formatted value",
        limit="output",
    )


# --- values ---------------------------------------------------------------------------------


def _missing_key(st, name):
    mk = st.mk
    if mk == 0:
        return MISSING
    if mk == _MK_ZERO:
        return None  # the zero value of interface{}
    raise exec_error(st, f"map has no entry for key {quote_go(name)}")


def eval_field(st, name, has_args, receiver, iface):
    """Go's evalField on a value: a key of a map, or one of Go's errors."""
    if type(receiver) is dict:
        if has_args:
            raise exec_error(st, f"{name} is not a method but has arguments")
        v = receiver.get(name, MISSING)
        if v is MISSING:
            return _missing_key(st, name)
        return v
    if receiver is MISSING:
        if st.mk == _MK_ERROR:
            raise exec_error(st, f"nil data; no entry for key {quote_go(name)}")
        return MISSING
    if receiver is None:
        raise exec_error(st, f"nil pointer evaluating interface {{}}.{name}")
    if isinstance(receiver, dict):  # a NilMap, the root of null data: it has no keys
        if has_args:
            raise exec_error(st, f"{name} is not a method but has arguments")
        return _missing_key(st, name)
    typ = "interface {}" if iface else type_name(receiver)
    raise exec_error(st, f"can't evaluate field {name} in type {typ}")


def field_chain(st, receiver, iface, idents, has_args):
    last = len(idents) - 1
    for i in range(last):
        receiver = eval_field(st, idents[i], False, receiver, iface)
        iface = True  # a value found in a map is an interface{}
    return eval_field(st, idents[last], has_args, receiver, iface)


def var_entry(st, name):
    for entry in reversed(st.vars):
        if entry[0] == name:
            return entry
    raise exec_error(st, f"undefined variable: {name}")


def set_var(st, name, value):
    var_entry(st, name)[1:] = [value, False]


def validate(st, v, typ):
    """Go's validateType for the three parameter types of the builtins."""
    if typ is RV or typ is None:
        return v
    if typ is ANY:
        return None if v is MISSING else v
    if type(v) is str:
        return v
    if v is MISSING:
        raise exec_error(st, "invalid value; expected string")
    got = "interface {}" if v is None else type_name(v)
    raise exec_error(st, f"wrong type for value; expected string; got {got}")


def range_error_value(v):
    p = Printer(MAX_OUTPUT_BYTES)
    try:
        p.print_arg(v, "v")
    except FormatTooLarge:
        pass
    return "".join(p.buf)


# --- the compiler ---------------------------------------------------------------------------


class Compiler:
    """Compiles the trees of one source into closures."""

    def __init__(self):
        self.table = builtin_table(MAX_OUTPUT_BYTES)

    # -- lists and nodes --

    def compile_list(self, lst, iface, depth):
        fns = tuple(self.compile_node(n, iface, depth) for n in lst.nodes)
        if not fns:
            return _noop
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            f0, f1 = fns

            def run2(st, dot):
                f0(st, dot)
                f1(st, dot)

            return run2

        def run(st, dot):
            for f in fns:
                f(st, dot)

        return run

    def compile_node(self, node, iface, depth):
        if isinstance(node, TextNode):
            text = node.text

            def run_text(st, dot):
                st.emit(text)

            return run_text
        if isinstance(node, ActionNode):
            return self.compile_action(node, iface, depth)
        if isinstance(node, IfNode):
            return self.compile_if_with(node, iface, depth, False)
        if isinstance(node, WithNode):
            return self.compile_if_with(node, iface, depth, True)
        if isinstance(node, RangeNode):
            return self.compile_range(node, iface, depth)
        if isinstance(node, TemplateNode):
            return self.compile_template(node, iface, depth)
        if isinstance(node, BreakNode):
            return _run_break
        if isinstance(node, ContinueNode):
            return _run_continue
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def compile_action(self, node, iface, depth):
        pipe = self.compile_pipeline(node.pipe, iface, depth)
        if node.pipe.decl:
            return pipe  # a declaration prints nothing

        def run(st, dot):
            v = pipe(st, dot)
            if type(v) is str:
                st.emit(v)
                if len(v) > _BIG:
                    check_output(st)
            else:
                _emit_value(st, v)

        fast = _fast_getter(node.pipe)
        if fast is None:
            return run

        def run_fast(st, dot):
            v = fast(dot)
            t = type(v)
            if t is str:
                st.emit(v)
                if len(v) > _BIG:
                    check_output(st)
            elif t is float:
                st.emit(format_float_v(v))
            else:
                run(st, dot)

        return run_fast

    def compile_if_with(self, node, iface, depth, is_with):
        pipe = self.compile_pipeline(node.pipe, iface, depth)
        body = self.compile_list(node.list, False if is_with else iface, depth + 1)
        els = None
        if node.else_list is not None:
            els = self.compile_list(node.else_list, iface, depth + 1)
        fast = _fast_getter(node.pipe)

        def run(st, dot):
            mark = len(st.vars)
            v = fast(dot) if fast is not None else _SLOW
            if v is _SLOW:
                v = pipe(st, dot)
            if is_true(v):
                body(st, v if is_with else dot)
            elif els is not None:
                els(st, dot)
            if len(st.vars) > mark:
                del st.vars[mark:]

        return run

    def compile_range(self, node, iface, depth):
        pipe = self.compile_pipeline(node.pipe, iface, depth)
        body = self.compile_list(node.list, True, depth + 1)
        els = None
        if node.else_list is not None:
            els = self.compile_list(node.else_list, iface, depth + 1)
        ndecl = len(node.pipe.decl)

        def iteration(st, mark, index, elem):
            st.iters += 1
            if st.iters > MAX_RANGE_ITERATIONS:
                raise exec_error(
                    st,
                    f"range iteration limit exceeded ({MAX_RANGE_ITERATIONS} iterations)",
                    node=node,
                    limit="range",
                )
            vs = st.vars
            if ndecl > 0:
                vs[-1][1:] = [elem, True]  # Go's setTopVar(1, elem)
                if ndecl > 1:
                    vs[-2][1:] = [index, False]  # setTopVar(2, index)
            try:
                body(st, elem)
            except _Continue:
                pass
            if len(vs) > mark:
                del vs[mark:]
            if len(st.out) > st.checked:
                check_output(st)

        def run(st, dot):
            mark0 = len(st.vars)
            v = pipe(st, dot)
            mark = len(st.vars)
            try:
                t = type(v)
                if t is list or t is GoSlice:
                    if v:
                        for i, elem in enumerate(v):
                            iteration(st, mark, GoInt(i), elem)
                        del st.vars[mark0:]
                        return
                elif t is dict or t is NilMap:
                    if v:
                        for key in sorted(v):
                            iteration(st, mark, key, v[key])
                        del st.vars[mark0:]
                        return
                elif v is not MISSING:
                    raise exec_error(st, f"range can't iterate over {range_error_value(v)}")
                if els is not None:
                    els(st, dot)
            except _Break:
                pass
            del st.vars[mark0:]

        return run

    def compile_template(self, node, iface, depth):
        name = node.name
        pipe = self.compile_pipeline(node.pipe, iface, depth) if node.pipe else None
        site = depth + 1

        def run(st, dot):
            st.node = node
            body = st.templates.get(name)
            if body is None:
                raise exec_error(st, f"template {quote_go(name)} not defined")
            if st.depth + site > MAX_TEMPLATE_DEPTH:
                raise exec_error(
                    st,
                    f"exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})",
                    limit="depth",
                )
            new_dot = pipe(st, dot) if pipe is not None else MISSING
            saved = st.vars, st.tmpl, st.depth, st.node
            st.vars = [["$", new_dot, False]]
            st.tmpl = name
            st.depth += site
            if len(st.out) > st.checked:
                check_output(st)
            body(st, new_dot)
            st.vars, st.tmpl, st.depth, st.node = saved

        return run

    # -- pipelines and commands --

    def compile_pipeline(self, pipe, iface, depth):
        cmds = tuple(self.compile_command(c, iface, depth) for c in pipe.cmds)
        names = tuple(d.idents[0] for d in pipe.decl)
        is_assign = pipe.is_assign
        if len(cmds) == 1 and not names and not isinstance(pipe.cmds[0].args[0], PipeNode):
            c0 = cmds[0]

            def run1(st, dot):
                v = c0(st, dot, NO_FINAL)
                return MISSING if v is None else v

            return run1

        def run(st, dot):
            st.node = pipe
            v = NO_FINAL
            for c in cmds:
                v = c(st, dot, v)
                if v is None:
                    v = MISSING  # a nil interface{} becomes the invalid value
            if names:
                if is_assign:
                    for name in names:
                        set_var(st, name, v)
                else:
                    for name in names:
                        st.vars.append([name, v, False])
            return v

        return run

    def compile_command(self, cmd, iface, depth):
        first = cmd.args[0]
        nargs = len(cmd.args)
        if isinstance(first, FieldNode):
            idents = tuple(first.idents)
            static_args = nargs > 1

            def run_field(st, dot, final):
                st.node = first
                return field_chain(st, dot, iface, idents, static_args or final is not NO_FINAL)

            return run_field
        if isinstance(first, ChainNode):
            base = self.compile_arg(first.node, None, iface, depth)
            fields = tuple(first.fields)
            static_args = nargs > 1

            def run_chain(st, dot, final):
                st.node = first
                receiver = base(st, dot)
                return field_chain(
                    st, receiver, False, fields, static_args or final is not NO_FINAL
                )

            return run_chain
        if isinstance(first, IdentifierNode):
            return self.compile_call(first, cmd, cmd.args[1:], iface, depth)
        if isinstance(first, PipeNode):
            inner = self.compile_pipeline(first, iface, depth)

            def run_pipe(st, dot, final):
                if nargs > 1 or final is not NO_FINAL:
                    raise exec_error(st, f"can't give argument to non-function {first}")
                return inner(st, dot)

            return run_pipe
        if isinstance(first, VariableNode):
            name = first.idents[0]
            fields = tuple(first.idents[1:])
            static_args = nargs > 1

            def run_var(st, dot, final):
                st.node = first
                entry = var_entry(st, name)
                if not fields:
                    if static_args or final is not NO_FINAL:
                        raise exec_error(st, f"can't give argument to non-function {first}")
                    return entry[1]
                return field_chain(
                    st, entry[1], entry[2], fields, static_args or final is not NO_FINAL
                )

            return run_var
        # A literal, or dot.
        error = None
        value = None
        if isinstance(first, BoolNode):
            value = first.true
        elif isinstance(first, StringNode):
            value = first.text
        elif isinstance(first, NilNode):
            error = "nil is not a command"
        elif isinstance(first, NumberNode):
            what, value = ideal_constant(first)
            if what == "error":
                error = value
            elif what == "missing":
                value = MISSING
        is_dot = isinstance(first, DotNode)

        def run_literal(st, dot, final):
            st.node = first
            if nargs > 1 or final is not NO_FINAL:
                raise exec_error(st, f"can't give argument to non-function {first}")
            if error is not None:
                raise exec_error(st, error)
            return dot if is_dot else value

        return run_literal

    def compile_arg(self, node, typ, iface, depth):
        """Go's evalArg: the value of an argument, checked against the parameter type."""
        if isinstance(node, DotNode):

            def arg_dot(st, dot):
                st.node = node
                return validate(st, dot, typ)

            return arg_dot
        if isinstance(node, NilNode):
            if typ is STR:

                def arg_nil_error(st, dot):
                    st.node = node
                    raise exec_error(st, "cannot assign nil to string")

                return arg_nil_error
            nil_value = None if typ is ANY else MISSING

            def arg_nil(st, dot):
                st.node = node
                return nil_value

            return arg_nil
        if isinstance(node, FieldNode):
            idents = tuple(node.idents)
            if len(idents) == 1 and typ is not STR:
                k0 = idents[0]

                def arg_field1(st, dot):
                    st.node = node
                    if type(dot) is dict:
                        v = dot.get(k0, MISSING)
                        if v is MISSING:
                            v = _missing_key(st, k0)
                    else:
                        v = eval_field(st, k0, False, dot, iface)
                    if v is MISSING and typ is ANY:
                        return None
                    return v

                return arg_field1

            def arg_field(st, dot):
                st.node = node
                return validate(st, field_chain(st, dot, iface, idents, False), typ)

            return arg_field
        if isinstance(node, VariableNode):
            name = node.idents[0]
            fields = tuple(node.idents[1:])

            def arg_var(st, dot):
                st.node = node
                entry = var_entry(st, name)
                if not fields:
                    return validate(st, entry[1], typ)
                return validate(st, field_chain(st, entry[1], entry[2], fields, False), typ)

            return arg_var
        if isinstance(node, PipeNode):
            pipe = self.compile_pipeline(node, iface, depth)

            def arg_pipe(st, dot):
                st.node = node
                return validate(st, pipe(st, dot), typ)

            return arg_pipe
        if isinstance(node, IdentifierNode):
            call = self.compile_call(node, node, [], iface, depth)

            def arg_call(st, dot):
                st.node = node
                return validate(st, call(st, dot, NO_FINAL), typ)

            return arg_call
        if isinstance(node, ChainNode):
            base = self.compile_arg(node.node, None, iface, depth)
            fields = tuple(node.fields)

            def arg_chain(st, dot):
                st.node = node
                return validate(st, field_chain(st, base(st, dot), False, fields, False), typ)

            return arg_chain
        # A literal.
        error = None
        value = None
        if typ is STR:
            if isinstance(node, StringNode):
                value = node.text
            else:
                error = f"expected string; found {node}"
        elif isinstance(node, BoolNode):
            value = node.true
        elif isinstance(node, StringNode):
            value = node.text
        elif isinstance(node, NumberNode):
            what, value = ideal_constant(node)
            if what == "error":
                error = value
            elif what == "missing":
                value = None if typ is ANY else MISSING
        else:  # pragma: no cover - the parser produces no other argument
            error = f"can't handle {node} for arg"

        def arg_literal(st, dot):
            st.node = node
            if error is not None:
                raise exec_error(st, error)
            return value

        return arg_literal

    def compile_call(self, ident, cmd, arg_nodes, iface, depth):
        """Go's evalFunction and evalCall for a builtin."""
        name = ident.ident
        params, variadic, fn = self.table[name]
        num_params = len(params)
        nargs = len(arg_nodes)

        def count_error(final_present):
            num_in = nargs + (1 if final_present else 0)
            if variadic:
                if num_in < num_params - 1:
                    return f"wrong number of args for {name}: want at least {num_params - 1} got {nargs}"  # noqa: E501
            elif num_in != num_params:
                return f"wrong number of args for {name}: want {num_params} got {num_in}"
            return None

        err_plain, err_final = count_error(False), count_error(True)
        if variadic:
            types = [params[i] if i < num_params - 1 else params[-1] for i in range(nargs)]
            final_type = params[nargs] if nargs < num_params - 1 else params[-1]
        else:
            types = list(params[:nargs]) + [RV] * (nargs - num_params)
            final_type = params[-1]
        argfns = [
            self.compile_arg(n, t, iface, depth) for n, t in zip(arg_nodes, types, strict=True)
        ]
        if name == "slice":
            argfns = argfns[:1] + [
                self._iface_marking(n, a, iface)
                for n, a in zip(arg_nodes[1:], argfns[1:], strict=True)
            ]

        if fn is None:  # and, or: evaluate the arguments only as far as needed
            want = name == "or"

            def run_logic(st, dot, final):
                st.node = ident
                error = err_plain if final is NO_FINAL else err_final
                if error is not None:
                    raise exec_error(st, error)
                v = MISSING
                for a in argfns:
                    v = a(st, dot)
                    if is_true(indirect_interface(v)) == want:
                        return v
                if final is not NO_FINAL:
                    v = final
                return v

            return run_logic

        printf_fast = _printf_fast(name, arg_nodes)

        def run_call(st, dot, final):
            st.node = ident
            if final is NO_FINAL:
                if err_plain is not None:
                    raise exec_error(st, err_plain)
                argv = [a(st, dot) for a in argfns]
            else:
                if err_final is not None:
                    raise exec_error(st, err_final)
                argv = [a(st, dot) for a in argfns]
                argv.append(validate(st, final, final_type))
            if printf_fast is not None:
                s = printf_fast(argv)
                if s is not None:
                    if len(s) > MAX_OUTPUT_BYTES:
                        raise _too_large(st)
                    return s
            try:
                result = fn(*argv)
            except BuiltinError as e:
                st.node = cmd
                raise exec_error(st, f"error calling {name}: {e}") from None
            except FormatTooLarge:
                raise _too_large(st) from None
            if type(result) is str and len(result) > MAX_OUTPUT_BYTES:
                raise _too_large(st)
            return result

        return run_call

    def _iface_marking(self, node, argfn, iface):
        """slice does not unwrap interface{} indexes; mark those arguments."""
        if isinstance(node, (FieldNode, ChainNode)) or (isinstance(node, DotNode) and iface):

            def marked(st, dot):
                v = argfn(st, dot)
                return MISSING if v is MISSING else IFACE

            return marked
        if isinstance(node, VariableNode):
            name = node.idents[0]
            has_fields = len(node.idents) > 1

            def marked_var(st, dot):
                v = argfn(st, dot)
                if v is MISSING:
                    return v
                if has_fields or var_entry(st, name)[2]:
                    return IFACE
                return v

            return marked_var
        return argfn


def _noop(st, dot):
    pass


def _run_break(st, dot):
    raise _BREAK


def _run_continue(st, dot):
    raise _CONTINUE


def _emit_value(st, v):
    if v is MISSING:
        st.emit("<no value>")
        return
    t = type(v)
    if t is float:
        st.emit(format_float_v(v))
        return
    if t is list or t is dict or t is GoSlice or t is NilMap:
        p = Printer(MAX_OUTPUT_BYTES)
        try:
            p.print_arg(v, "v")
        except FormatTooLarge:
            raise _too_large(st) from None
        s = "".join(p.buf)
    else:
        s = sprint_value(v)
    st.emit(s)
    if len(s) > _BIG:
        check_output(st)


_SLOW = object()


def _fast_getter(pipe):
    """For a pipeline that is one field chain (.a or .a.b), a getter for the common case.

    The getter returns the value when every step is a key present in a map and the value is
    not null; otherwise _SLOW, and the caller evaluates the pipeline the faithful way.
    """
    if pipe.decl or len(pipe.cmds) != 1 or len(pipe.cmds[0].args) != 1:
        return None
    first = pipe.cmds[0].args[0]
    if not isinstance(first, FieldNode):
        return None
    idents = tuple(first.idents)
    if len(idents) == 1:
        k0 = idents[0]

        def get1(dot):
            if type(dot) is dict:
                v = dot.get(k0)
                if v is not None:
                    return v
            return _SLOW

        return get1
    if len(idents) == 2:
        k0, k1 = idents

        def get2(dot):
            if type(dot) is dict:
                v = dot.get(k0)
                if type(v) is dict:
                    v = v.get(k1)
                    if v is not None:
                        return v
            return _SLOW

        return get2

    def get(dot):
        v = dot
        for k in idents:
            if type(v) is not dict:
                return _SLOW
            v = v.get(k)
        return _SLOW if v is None else v

    return get


def _compile_printf_format(fmt):
    """The parts of a printf format made only of plain verbs: %s %v %d %q %f %.Nf %%."""
    parts = []
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            parts.append(fmt[i:])
            break
        if j > i:
            parts.append(fmt[i:j])
        j += 1
        if j >= n:
            return None
        c = fmt[j]
        if c == "%":
            parts.append("%")
            i = j + 1
            continue
        if c in "svdq":
            parts.append((c, None))
            i = j + 1
            continue
        if c == "." and j + 2 < n and fmt[j + 1].isdigit() and fmt[j + 2] == "f":
            parts.append(("f", int(fmt[j + 1])))
            i = j + 3
            continue
        if c == "f":
            parts.append(("f", 6))
            i = j + 1
            continue
        return None
    return parts


def _printf_fast(name, arg_nodes):
    """printf with a literal format of plain verbs and the right number of operands."""
    if name != "printf" or not arg_nodes or not isinstance(arg_nodes[0], StringNode):
        return None
    parts = _compile_printf_format(arg_nodes[0].text)
    if parts is None:
        return None
    nverbs = sum(1 for p in parts if type(p) is tuple)
    if nverbs != len(arg_nodes) - 1:
        return None
    parts = tuple(parts)

    def fast(argv):
        if len(argv) != nverbs + 1:
            return None
        out = []
        k = 1
        for p in parts:
            if type(p) is str:
                out.append(p)
                continue
            verb, prec = p
            a = argv[k]
            k += 1
            t = type(a)
            if t is int:
                a, t = as_float(a), float
            if verb == "f":
                if t is float and a - a == 0:
                    out.append(f"{a:.{prec}f}")
                else:
                    return None
            elif verb == "d":
                if t is GoInt:
                    out.append(str(int(a)))
                else:
                    return None
            elif t is str and verb != "q":
                out.append(a)
            elif verb == "v" and t is float:
                out.append(format_float_v(a))
            else:
                return None
        return "".join(out)

    return fast


def execute(templates, data, missingkey=0, name="tmpl"):
    """Run the compiled template name on data; the output, or a TemplateExecError."""
    st = State(templates, missingkey)
    st.tmpl = name
    root = NilMap() if data is None else data
    st.vars = [["$", root, False]]
    try:
        templates[name](st, root)
        check_output(st)
    except TemplateExecError as e:
        e.partial_output = valid_text("".join(st.out))
        raise
    except RecursionError:
        e = exec_error(st, "exceeded maximum template nesting depth", limit="depth")
        e.partial_output = valid_text("".join(st.out))
        raise e from None
    return valid_text("".join(st.out))
