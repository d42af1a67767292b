"""The parser: Go 1.19's text/template/parse (parse.go), ported.

``parse_trees(source)`` returns every template the source defines, by name; the main one
is named ``tmpl``. Errors are ``TemplateSyntaxError`` with Go's message and line. The
nodes of the tree are in ``nodes`` (Go's node.go); number and string literals are parsed
by ``literals``.
"""

from . import lexer as L
from .errors import TemplateSyntaxError
from .formatting import quote_go
from .literals import new_number, unquote
from .nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
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

# Nesting deeper than this (control structures and parenthesized pipelines together) is
# refused, so that parsing, compiling and executing stay well inside Python's stack.
MAX_NESTING_DEPTH = 64


class _ParseFailure(Exception):
    def __init__(self, message, line, pos):
        super().__init__(message)
        self.message = message
        self.line = line
        self.pos = pos


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
