"""The parser and its tree: Go 1.19's text/template/parse (parse.go and node.go), ported.

``parse_trees(source)`` returns every template the source defines, by name; the main one
is named ``tmpl``. Errors are ``TemplateSyntaxError`` with Go's message and line.
"""

from . import lexer as L
from .errors import TemplateSyntaxError
from .formatting import quote_go
from .values import GoInt, string_of

# Nesting deeper than this (control structures and parenthesized pipelines together) is
# refused, so that parsing, compiling and executing stay well inside Python's stack.
MAX_NESTING_DEPTH = 64


class _ParseFailure(Exception):
    def __init__(self, message, line, pos):
        super().__init__(message)
        self.message = message
        self.line = line
        self.pos = pos


# --- Nodes ---------------------------------------------------------------------------------


class Node:
    __slots__ = ("pos", "tree")

    def __str__(self):
        return "".join(self.write_to([]))

    def write_to(self, out):
        raise NotImplementedError


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, tree, pos):
        self.tree, self.pos, self.nodes = tree, pos, []

    def write_to(self, out):
        for n in self.nodes:
            n.write_to(out)
        return out


class TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, tree, pos, text):
        self.tree, self.pos, self.text = tree, pos, text

    def write_to(self, out):
        out.append(self.text)
        return out


class PipeNode(Node):
    __slots__ = ("line", "is_assign", "decl", "cmds")

    def __init__(self, tree, pos, line):
        self.tree, self.pos, self.line = tree, pos, line
        self.is_assign = False
        self.decl = []
        self.cmds = []

    def write_to(self, out):
        if self.decl:
            for i, v in enumerate(self.decl):
                if i > 0:
                    out.append(", ")
                v.write_to(out)
            out.append(" = " if self.is_assign else " := ")
        for i, c in enumerate(self.cmds):
            if i > 0:
                out.append(" | ")
            c.write_to(out)
        return out


class ActionNode(Node):
    __slots__ = ("line", "pipe")

    def __init__(self, tree, pos, line, pipe):
        self.tree, self.pos, self.line, self.pipe = tree, pos, line, pipe

    def write_to(self, out):
        out.append("{{")
        self.pipe.write_to(out)
        out.append("}}")
        return out


class CommandNode(Node):
    __slots__ = ("args",)

    def __init__(self, tree, pos):
        self.tree, self.pos, self.args = tree, pos, []

    def write_to(self, out):
        for i, arg in enumerate(self.args):
            if i > 0:
                out.append(" ")
            if isinstance(arg, PipeNode):
                out.append("(")
                arg.write_to(out)
                out.append(")")
            else:
                arg.write_to(out)
        return out


class IdentifierNode(Node):
    __slots__ = ("ident",)

    def __init__(self, tree, pos, ident):
        self.tree, self.pos, self.ident = tree, pos, ident

    def write_to(self, out):
        out.append(self.ident)
        return out


class VariableNode(Node):
    __slots__ = ("idents",)

    def __init__(self, tree, pos, ident):
        self.tree, self.pos, self.idents = tree, pos, ident.split(".")

    def write_to(self, out):
        out.append(".".join(self.idents))
        return out


class DotNode(Node):
    __slots__ = ()

    def __init__(self, tree, pos):
        self.tree, self.pos = tree, pos

    def write_to(self, out):
        out.append(".")
        return out


class NilNode(Node):
    __slots__ = ()

    def __init__(self, tree, pos):
        self.tree, self.pos = tree, pos

    def write_to(self, out):
        out.append("nil")
        return out


class FieldNode(Node):
    __slots__ = ("idents",)

    def __init__(self, tree, pos, ident):
        self.tree, self.pos, self.idents = tree, pos, ident[1:].split(".")

    def write_to(self, out):
        for ident in self.idents:
            out.append("." + ident)
        return out


class ChainNode(Node):
    __slots__ = ("node", "fields")

    def __init__(self, tree, pos, node):
        self.tree, self.pos, self.node, self.fields = tree, pos, node, []

    def add(self, field):
        self.fields.append(field[1:])

    def write_to(self, out):
        if isinstance(self.node, PipeNode):
            out.append("(")
            self.node.write_to(out)
            out.append(")")
        else:
            self.node.write_to(out)
        for field in self.fields:
            out.append("." + field)
        return out


class BoolNode(Node):
    __slots__ = ("true",)

    def __init__(self, tree, pos, true):
        self.tree, self.pos, self.true = tree, pos, true

    def write_to(self, out):
        out.append("true" if self.true else "false")
        return out


class NumberNode(Node):
    __slots__ = (
        "text",
        "is_int",
        "is_uint",
        "is_float",
        "is_complex",
        "int64",
        "uint64",
        "float64",
        "complex128",
    )

    def __init__(self, tree, pos, text):
        self.tree, self.pos, self.text = tree, pos, text
        self.is_int = self.is_uint = self.is_float = self.is_complex = False
        self.int64 = self.uint64 = 0
        self.float64 = 0.0
        self.complex128 = 0j

    def write_to(self, out):
        out.append(self.text)
        return out


class StringNode(Node):
    __slots__ = ("quoted", "text")

    def __init__(self, tree, pos, quoted, text):
        self.tree, self.pos, self.quoted, self.text = tree, pos, quoted, text

    def write_to(self, out):
        out.append(self.quoted)
        return out


class EndNode(Node):
    __slots__ = ()

    def __init__(self, tree, pos):
        self.tree, self.pos = tree, pos

    def write_to(self, out):
        out.append("{{end}}")
        return out


class ElseNode(Node):
    __slots__ = ("line",)

    def __init__(self, tree, pos, line):
        self.tree, self.pos, self.line = tree, pos, line

    def write_to(self, out):
        out.append("{{else}}")
        return out


class BranchNode(Node):
    __slots__ = ("line", "pipe", "list", "else_list")
    keyword = ""

    def __init__(self, tree, pos, line, pipe, list_, else_list):
        self.tree, self.pos, self.line = tree, pos, line
        self.pipe, self.list, self.else_list = pipe, list_, else_list

    def write_to(self, out):
        out.append("{{" + self.keyword + " ")
        self.pipe.write_to(out)
        out.append("}}")
        self.list.write_to(out)
        if self.else_list is not None:
            out.append("{{else}}")
            self.else_list.write_to(out)
        out.append("{{end}}")
        return out


class IfNode(BranchNode):
    __slots__ = ()
    keyword = "if"


class RangeNode(BranchNode):
    __slots__ = ()
    keyword = "range"


class WithNode(BranchNode):
    __slots__ = ()
    keyword = "with"


class BreakNode(Node):
    __slots__ = ("line",)

    def __init__(self, tree, pos, line):
        self.tree, self.pos, self.line = tree, pos, line

    def write_to(self, out):
        out.append("{{break}}")
        return out


class ContinueNode(Node):
    __slots__ = ("line",)

    def __init__(self, tree, pos, line):
        self.tree, self.pos, self.line = tree, pos, line

    def write_to(self, out):
        out.append("{{continue}}")
        return out


class TemplateNode(Node):
    __slots__ = ("line", "name", "pipe")

    def __init__(self, tree, pos, line, name, pipe):
        self.tree, self.pos, self.line, self.name, self.pipe = tree, pos, line, name, pipe

    def write_to(self, out):
        out.append("{{template " + quote_go(self.name))
        if self.pipe is not None:
            out.append(" ")
            self.pipe.write_to(out)
        out.append("}}")
        return out


# --- Go literals ---------------------------------------------------------------------------

_SYNTAX = "invalid syntax"


def _unhex(c):
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "f":
        return ord(c) - 87
    if "A" <= c <= "F":
        return ord(c) - 55
    return -1


def unquote_char(s, i, quote):
    """strconv.UnquoteChar on s[i:]: (value, multibyte, new index); ValueError if invalid."""
    if i >= len(s):
        raise ValueError(_SYNTAX)
    c = s[i]
    if c == quote and quote in "'\"":
        raise ValueError(_SYNTAX)
    if ord(c) >= 0x80:
        if "\udc80" <= c <= "\udcff":
            return 0xFFFD, True, i + 1
        return ord(c), True, i + 1
    if c != "\\":
        return ord(c), False, i + 1
    if i + 1 >= len(s):
        raise ValueError(_SYNTAX)
    c = s[i + 1]
    i += 2
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
    if c in simple:
        return simple[c], False, i
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        if len(s) - i < n:
            raise ValueError(_SYNTAX)
        v = 0
        for j in range(n):
            x = _unhex(s[i + j])
            if x < 0:
                raise ValueError(_SYNTAX)
            v = v << 4 | x
        i += n
        if c == "x":
            return v, False, i
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise ValueError(_SYNTAX)
        return v, True, i
    if "0" <= c <= "7":
        v = ord(c) - 48
        if len(s) - i < 2:
            raise ValueError(_SYNTAX)
        for j in range(2):
            x = ord(s[i + j]) - 48
            if x < 0 or x > 7:
                raise ValueError(_SYNTAX)
            v = (v << 3) | x
        i += 2
        if v > 255:
            raise ValueError(_SYNTAX)
        return v, False, i
    if c in "'\"":
        if c != quote:
            raise ValueError(_SYNTAX)
        return ord(c), False, i
    raise ValueError(_SYNTAX)


def unquote(s):
    """strconv.Unquote for the string literals the lexer produces."""
    if len(s) < 2:
        raise ValueError(_SYNTAX)
    quote = s[0]
    if quote != s[-1]:
        raise ValueError(_SYNTAX)
    body = s[1:-1]
    if quote == "`":
        if "`" in body:
            raise ValueError(_SYNTAX)
        return body.replace("\r", "")
    if quote != '"':
        raise ValueError(_SYNTAX)
    if "\n" in body:
        raise ValueError(_SYNTAX)
    if "\\" not in body and '"' not in body:
        return body
    buf = bytearray()
    i = 0
    while i < len(body):
        v, multibyte, i = unquote_char(body, i, '"')
        if v < 0x80 or not multibyte:
            buf.append(v)
        else:
            buf += chr(v).encode("utf-8")
    return string_of(bytes(buf))


def _underscore_ok(s):
    saw = "^"
    i = 0
    if s and s[0] in "+-":
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def parse_uint(s):
    """strconv.ParseUint(s, 0, 64), or None."""
    if not s:
        return None
    s0 = s
    base = 10
    if s[0] == "0":
        if len(s) >= 3 and s[1].lower() == "b":
            base, s = 2, s[2:]
        elif len(s) >= 3 and s[1].lower() == "o":
            base, s = 8, s[2:]
        elif len(s) >= 3 and s[1].lower() == "x":
            base, s = 16, s[2:]
        else:
            base, s = 8, s[1:]
    n = 0
    underscores = False
    for c in s:
        if c == "_":
            underscores = True
            continue
        d = _unhex(c) if c.isascii() else -1
        if d < 0 or d >= base:
            return None
        n = n * base + d
    if underscores and not _underscore_ok(s0):
        return None
    if n >= 1 << 64:
        return None
    return n


def parse_int(s):
    """strconv.ParseInt(s, 0, 64), or None."""
    if not s:
        return None
    neg = False
    if s[0] == "+":
        s = s[1:]
    elif s[0] == "-":
        neg = True
        s = s[1:]
    u = parse_uint(s)
    if u is None:
        return None
    if not neg and u >= 1 << 63:
        return None
    if neg and u > 1 << 63:
        return None
    return -u if neg else u


def parse_float(s):
    """strconv.ParseFloat(s, 64), or None on any error (syntax or range)."""
    i = 0
    n = len(s)
    if i < n and s[i] in "+-":
        i += 1
    low = s[i:].lower()
    if low in ("inf", "infinity", "nan"):
        return float(s)
    base = 10
    if i + 2 < n and s[i] == "0" and s[i + 1] in "xX":
        base = 16
        i += 2
    sawdot = sawdigits = underscores = False
    while i < n:
        c = s[i]
        if c == "_":
            underscores = True
        elif c == ".":
            if sawdot:
                break
            sawdot = True
        elif "0" <= c <= "9" or (base == 16 and "a" <= c.lower() <= "f"):
            sawdigits = True
        else:
            break
        i += 1
    if not sawdigits:
        return None
    exp_char = "e" if base == 10 else "p"
    if i < n and s[i].lower() == exp_char:
        i += 1
        if i >= n:
            return None
        if s[i] in "+-":
            i += 1
        if i >= n or not ("0" <= s[i] <= "9"):
            return None
        while i < n and ("0" <= s[i] <= "9" or s[i] == "_"):
            if s[i] == "_":
                underscores = True
            i += 1
    elif base == 16:
        return None
    if underscores and not _underscore_ok(s[:i]):
        return None
    if i != n:
        return None
    text = s.replace("_", "")
    try:
        f = float.fromhex(text) if base == 16 else float(text)
    except (OverflowError, ValueError):
        return None
    if f in (float("inf"), float("-inf")):
        return None
    return f


def _simplify_complex(n):
    n.is_float = n.complex128.imag == 0
    if n.is_float:
        n.float64 = n.complex128.real
        f = n.float64
        n.is_int = f == f and abs(f) != float("inf") and float(int(f)) == f and _fits_int64(f)
        if n.is_int:
            n.int64 = int(f)
        n.is_uint = (
            f == f and abs(f) != float("inf") and f >= 0 and float(int(f)) == f and f < 2.0**64
        )
        if n.is_uint:
            n.uint64 = int(f)


def _fits_int64(f):
    return -(2.0**63) <= f < 2.0**63


def new_number(tree, pos, text, typ):
    """newNumber: the number node, or ValueError with Go's message."""
    n = NumberNode(tree, pos, text)
    if typ == L.CHAR_CONSTANT:
        try:
            rune, _, i = unquote_char(text, 1, "'")
        except ValueError:
            raise ValueError(_SYNTAX) from None
        if text[i:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        n.int64 = n.uint64 = rune
        n.is_int = n.is_uint = n.is_float = True
        n.float64 = float(rune)
        return n
    if typ == L.COMPLEX:
        cut = max(text.rfind("+", 1), text.rfind("-", 1))
        while cut > 0 and text[cut - 1] in "eEpP":
            cut = max(text.rfind("+", 1, cut), text.rfind("-", 1, cut))
        real = parse_float(text[:cut]) if cut > 0 else None
        imag = parse_float(text[cut:-1]) if cut > 0 else None
        if real is None or imag is None:
            raise ValueError(f"illegal number syntax: {quote_go(text)}")
        n.is_complex = True
        n.complex128 = complex(real, imag)
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        f = parse_float(text[:-1])
        if f is not None:
            n.is_complex = True
            n.complex128 = complex(0, f)
            _simplify_complex(n)
            return n
    u = parse_uint(text)
    if u is not None:
        n.is_uint = True
        n.uint64 = u
    i = parse_int(text)
    if i is not None:
        n.is_int = True
        n.int64 = i
        if i == 0:
            n.is_uint = True
            n.uint64 = u or 0
    if n.is_int:
        n.is_float = True
        n.float64 = float(n.int64)
    elif n.is_uint:
        n.is_float = True
        n.float64 = float(n.uint64)
    else:
        f = parse_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {quote_go(text)}")
            n.is_float = True
            n.float64 = f
            if not n.is_int and _fits_int64(f) and float(int(f)) == f:
                n.is_int = True
                n.int64 = int(f)
            if not n.is_uint and 0 <= f < 2.0**64 and float(int(f)) == f:
                n.is_uint = True
                n.uint64 = int(f)
    if not n.is_int and not n.is_uint and not n.is_float:
        raise ValueError(f"illegal number syntax: {quote_go(text)}")
    return n


def ideal_constant(n):
    """What a number literal is when nothing says its type: ('value', v) or ('error', msg)."""
    text = n.text
    if n.is_complex:
        return "value", n.complex128
    is_hex_int = (
        len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in "pP")
    )
    is_rune = text.startswith("'")
    if n.is_float and not is_hex_int and not is_rune and any(c in text for c in ".eEpP"):
        return "value", n.float64
    if n.is_int:
        return "value", GoInt(n.int64)
    if n.is_uint:
        return "error", f"{text} overflows int"
    return "missing", None


# --- The parser ---------------------------------------------------------------------------

_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_GO_SPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def is_empty_tree(node):
    if node is None:
        return True
    if isinstance(node, ListNode):
        return all(is_empty_tree(n) for n in node.nodes)
    if isinstance(node, TextNode):
        return node.text.strip(_GO_SPACE) == ""
    return False


class _Shared:
    """What the trees of one source share while parsing: the lexer and the nesting depth."""

    __slots__ = ("lex", "depth", "text", "parse_name")

    def __init__(self, text, parse_name):
        self.lex = L.Lexer(text)
        self.depth = 0
        self.text = text
        self.parse_name = parse_name


class Tree:
    """One template: its name, the root list, and the source it was parsed from."""

    def __init__(self, name, shared, funcs):
        self.name = name
        self.parse_name = shared.parse_name
        self.text = shared.text
        self.root = None
        self._shared = shared
        self._funcs = funcs
        self._token = [None, None, None]
        self._peek_count = 0
        self._vars = ["$"]
        self._tree_set = None
        self._action_line = 0
        self._range_depth = 0

    # -- tokens --

    def _next(self):
        if self._peek_count > 0:
            self._peek_count -= 1
        else:
            self._token[0] = self._shared.lex.next_item()
        return self._token[self._peek_count]

    def _backup(self):
        self._peek_count += 1

    def _backup2(self, t1):
        self._token[1] = t1
        self._peek_count = 2

    def _backup3(self, t2, t1):
        self._token[1] = t1
        self._token[2] = t2
        self._peek_count = 3

    def _peek(self):
        if self._peek_count > 0:
            return self._token[self._peek_count - 1]
        self._peek_count = 1
        self._token[0] = self._shared.lex.next_item()
        return self._token[0]

    def _next_non_space(self):
        while True:
            token = self._next()
            if token.typ != L.SPACE:
                return token

    def _peek_non_space(self):
        token = self._next_non_space()
        self._backup()
        return token

    # -- errors --

    def _errorf(self, message):
        token = self._token[0]
        raise _ParseFailure(message, token.line if token else 0, token.pos if token else 0)

    def _expect(self, expected, context):
        token = self._next_non_space()
        if token.typ != expected:
            self._unexpected(token, context)
        return token

    def _expect_one_of(self, expected1, expected2, context):
        token = self._next_non_space()
        if token.typ != expected1 and token.typ != expected2:
            self._unexpected(token, context)
        return token

    def _unexpected(self, token, context):
        if token.typ == L.ERROR:
            extra = ""
            if self._action_line != 0 and self._action_line != token.line:
                extra = f" in action started at {self.parse_name}:{self._action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self._errorf(f"{token}{extra}")
        self._errorf(f"unexpected {token} in {context}")

    def _enter(self):
        self._shared.depth += 1
        if self._shared.depth > MAX_NESTING_DEPTH:
            self._errorf(f"exceeded maximum template nesting depth ({MAX_NESTING_DEPTH})")

    def _leave(self):
        self._shared.depth -= 1

    # -- parsing --

    def _start_parse(self, tree_set):
        self._vars = ["$"]
        self._tree_set = tree_set

    def _add(self):
        tree = self._tree_set.get(self.name)
        if tree is None or is_empty_tree(tree.root):
            self._tree_set[self.name] = self
            return
        if not is_empty_tree(self.root):
            self._errorf(f"template: multiple definition of template {quote_go(self.name)}")

    def parse_top(self, tree_set):
        self._start_parse(tree_set)
        self.root = ListNode(self, self._peek().pos)
        while self._peek().typ != L.EOF:
            if self._peek().typ == L.LEFT_DELIM:
                delim = self._next()
                if self._next_non_space().typ == L.DEFINE:
                    new_t = Tree("definition", self._shared, self._funcs)
                    new_t._start_parse(self._tree_set)
                    new_t._parse_definition()
                    continue
                self._backup2(delim)
            n = self._text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                self._errorf(f"unexpected {n}")
            self.root.nodes.append(n)
        self._add()

    def _parse_definition(self):
        context = "define clause"
        name = self._expect_one_of(L.STRING, L.RAW_STRING, context)
        try:
            self.name = unquote(name.val)
        except ValueError as e:
            self._errorf(str(e))
        self._expect(L.RIGHT_DELIM, context)
        self.root, end = self._item_list()
        if not isinstance(end, EndNode):
            self._errorf(f"unexpected {end} in {context}")
        self._add()

    def _item_list(self):
        lst = ListNode(self, self._peek_non_space().pos)
        while self._peek_non_space().typ != L.EOF:
            n = self._text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                return lst, n
            lst.nodes.append(n)
        self._errorf("unexpected EOF")

    def _text_or_action(self):
        token = self._next_non_space()
        if token.typ == L.TEXT:
            return TextNode(self, token.pos, token.val)
        if token.typ == L.LEFT_DELIM:
            self._action_line = token.line
            try:
                return self._action()
            finally:
                self._action_line = 0
        self._unexpected(token, "input")

    def _action(self):
        token = self._next_non_space()
        typ = token.typ
        if typ == L.BLOCK:
            return self._block_control()
        if typ == L.BREAK:
            return self._break_control(token.pos, token.line)
        if typ == L.CONTINUE:
            return self._continue_control(token.pos, token.line)
        if typ == L.ELSE:
            return self._else_control()
        if typ == L.END:
            return self._end_control()
        if typ == L.IF:
            return IfNode(self, *self._parse_control(True, "if"))
        if typ == L.RANGE:
            return RangeNode(self, *self._parse_control(False, "range"))
        if typ == L.TEMPLATE:
            return self._template_control()
        if typ == L.WITH:
            return WithNode(self, *self._parse_control(False, "with"))
        self._backup()
        token = self._peek()
        # Do not pop variables; they persist until "end".
        return ActionNode(self, token.pos, token.line, self._pipeline("command", L.RIGHT_DELIM))

    def _break_control(self, pos, line):
        token = self._next_non_space()
        if token.typ != L.RIGHT_DELIM:
            self._unexpected(token, "{{break}}")
        if self._range_depth == 0:
            self._errorf("{{break}} outside {{range}}")
        return BreakNode(self, pos, line)

    def _continue_control(self, pos, line):
        token = self._next_non_space()
        if token.typ != L.RIGHT_DELIM:
            self._unexpected(token, "{{continue}}")
        if self._range_depth == 0:
            self._errorf("{{continue}} outside {{range}}")
        return ContinueNode(self, pos, line)

    def _pipeline(self, context, end):
        token = self._peek_non_space()
        pipe = PipeNode(self, token.pos, token.line)
        while True:  # declarations
            v = self._peek_non_space()
            if v.typ != L.VARIABLE:
                break
            self._next()
            # Space is a token, so 3-token look-ahead: in "$x foo" we must read "foo"
            # (as opposed to ":=") to know that $x is an argument, not a declaration.
            token_after_variable = self._peek()
            nxt = self._peek_non_space()
            if nxt.typ == L.ASSIGN or nxt.typ == L.DECLARE:
                pipe.is_assign = nxt.typ == L.ASSIGN
                self._next_non_space()
                pipe.decl.append(VariableNode(self, v.pos, v.val))
                self._vars.append(v.val)
            elif nxt.typ == L.CHAR and nxt.val == ",":
                self._next_non_space()
                pipe.decl.append(VariableNode(self, v.pos, v.val))
                self._vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self._peek_non_space().typ in (L.VARIABLE, L.RIGHT_DELIM, L.RIGHT_PAREN):
                        continue  # the second variable of a range
                    self._errorf("range can only initialize variables")
                self._errorf(f"too many declarations in {context}")
            elif token_after_variable.typ == L.SPACE:
                self._backup3(v, token_after_variable)
            else:
                self._backup2(v)
            break
        while True:
            token = self._next_non_space()
            typ = token.typ
            if typ == end:
                self._check_pipeline(pipe, context)
                return pipe
            if typ in _OPERAND_START:
                self._backup()
                pipe.cmds.append(self._command())
            else:
                self._unexpected(token, context)

    def _check_pipeline(self, pipe, context):
        if not pipe.cmds:
            self._errorf(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self._errorf(f"non executable command in pipeline stage {i + 2}")

    def _parse_control(self, allow_else_if, context):
        nvars = len(self._vars)
        self._enter()
        pipe = self._pipeline(context, L.RIGHT_DELIM)
        if context == "range":
            self._range_depth += 1
        lst, nxt = self._item_list()
        if context == "range":
            self._range_depth -= 1
        else_list = None
        if isinstance(nxt, ElseNode):
            if allow_else_if and self._peek().typ == L.IF:
                # "{{else if ...}}" is "{{else}}{{if ...}}" whose {{end}} closes both.
                self._next()
                else_list = ListNode(self, nxt.pos)
                else_list.nodes.append(IfNode(self, *self._parse_control(True, "if")))
            else:
                else_list, nxt = self._item_list()
                if not isinstance(nxt, EndNode):
                    self._errorf(f"expected end; found {nxt}")
        self._leave()
        del self._vars[nvars:]
        return pipe.pos, pipe.line, pipe, lst, else_list

    def _end_control(self):
        return EndNode(self, self._expect(L.RIGHT_DELIM, "end").pos)

    def _else_control(self):
        peek = self._peek_non_space()
        if peek.typ == L.IF:
            # "{{else if ...}}": leave the "if" for _parse_control.
            return ElseNode(self, peek.pos, peek.line)
        token = self._expect(L.RIGHT_DELIM, "else")
        return ElseNode(self, token.pos, token.line)

    def _block_control(self):
        context = "block clause"
        token = self._next_non_space()
        name = self._parse_template_name(token, context)
        pipe = self._pipeline(context, L.RIGHT_DELIM)
        self._enter()
        block = Tree(name, self._shared, self._funcs)
        block._start_parse(self._tree_set)
        block.root, end = block._item_list()
        if not isinstance(end, EndNode):
            self._errorf(f"unexpected {end} in {context}")
        block._add()
        self._leave()
        return TemplateNode(self, token.pos, token.line, name, pipe)

    def _template_control(self):
        context = "template clause"
        token = self._next_non_space()
        name = self._parse_template_name(token, context)
        pipe = None
        if self._next_non_space().typ != L.RIGHT_DELIM:
            self._backup()
            pipe = self._pipeline(context, L.RIGHT_DELIM)
        return TemplateNode(self, token.pos, token.line, name, pipe)

    def _parse_template_name(self, token, context):
        if token.typ in (L.STRING, L.RAW_STRING):
            try:
                return unquote(token.val)
            except ValueError as e:
                self._errorf(str(e))
        self._unexpected(token, context)

    def _command(self):
        cmd = CommandNode(self, self._peek_non_space().pos)
        while True:
            self._peek_non_space()  # skip leading spaces
            operand = self._operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self._next()
            if token.typ == L.SPACE:
                continue
            if token.typ in (L.RIGHT_DELIM, L.RIGHT_PAREN):
                self._backup()
            elif token.typ != L.PIPE:
                self._unexpected(token, "operand")
            break
        if not cmd.args:
            self._errorf("empty command")
        return cmd

    def _operand(self):
        node = self._term()
        if node is None:
            return None
        if self._peek().typ == L.FIELD:
            chain = ChainNode(self, self._peek().pos, node)
            while self._peek().typ == L.FIELD:
                chain.add(self._next().val)
            # Fields on a field or variable extend it; literals cannot have fields.
            if isinstance(node, FieldNode):
                node = FieldNode(self, chain.pos, str(chain))
            elif isinstance(node, VariableNode):
                node = VariableNode(self, chain.pos, str(chain))
            elif isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                self._errorf(f"unexpected . after term {quote_go(str(node))}")
            else:
                node = chain
        return node

    def _term(self):
        token = self._next_non_space()
        typ = token.typ
        if typ == L.IDENTIFIER:
            if token.val not in self._funcs:
                self._errorf(f"function {quote_go(token.val)} not defined")
            return IdentifierNode(self, token.pos, token.val)
        if typ == L.DOT:
            return DotNode(self, token.pos)
        if typ == L.NIL:
            return NilNode(self, token.pos)
        if typ == L.VARIABLE:
            return self._use_var(token.pos, token.val)
        if typ == L.FIELD:
            return FieldNode(self, token.pos, token.val)
        if typ == L.BOOL:
            return BoolNode(self, token.pos, token.val == "true")
        if typ in (L.CHAR_CONSTANT, L.COMPLEX, L.NUMBER):
            try:
                return new_number(self, token.pos, token.val, typ)
            except ValueError as e:
                self._errorf(str(e))
        if typ == L.LEFT_PAREN:
            self._enter()
            pipe = self._pipeline("parenthesized pipeline", L.RIGHT_PAREN)
            self._leave()
            return pipe
        if typ in (L.STRING, L.RAW_STRING):
            try:
                text = unquote(token.val)
            except ValueError as e:
                self._errorf(str(e))
            return StringNode(self, token.pos, token.val, text)
        self._backup()
        return None

    def _use_var(self, pos, name):
        v = VariableNode(self, pos, name)
        if v.idents[0] in self._vars:
            return v
        self._errorf(f"undefined variable {quote_go(v.idents[0])}")


_OPERAND_START = frozenset(
    (
        L.BOOL,
        L.CHAR_CONSTANT,
        L.COMPLEX,
        L.DOT,
        L.FIELD,
        L.IDENTIFIER,
        L.NUMBER,
        L.NIL,
        L.RAW_STRING,
        L.STRING,
        L.VARIABLE,
        L.LEFT_PAREN,
    )
)


def byte_column(text, pos):
    """(line, col) of a position like Go's ErrorContext: col is the byte offset in the line."""
    before = text[:pos]
    line = before.count("\n") + 1
    nl = before.rfind("\n")
    segment = before[nl + 1 :] if nl >= 0 else before
    col = len(segment) if segment.isascii() else len(segment.encode("utf-8", "surrogatepass"))
    return line, col


def parse_trees(source, funcs, name="tmpl"):
    """All the templates in source, by name; raises TemplateSyntaxError."""
    shared = _Shared(source, name)
    tree = Tree(name, shared, funcs)
    tree_set = {}
    try:
        tree.parse_top(tree_set)
    except _ParseFailure as e:
        message = f"template: {name}:{e.line}: {e.message}"
        _, col = byte_column(source, min(e.pos, len(source)))
        raise TemplateSyntaxError(
            message, detail=e.message, name=name, line=e.line, col=col
        ) from None
    return tree_set
