"""The parse-tree nodes: Go 1.19's text/template/parse (node.go), ported."""

from .formatting import quote_go


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
