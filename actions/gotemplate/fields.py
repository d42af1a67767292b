"""Which field chains of the root data a template reads (``Template.fields()``).

A static walk of the parse trees that follows what ``.`` and each variable hold, as a path
from the root data (a tuple of keys), or None when the value does not come from the root
(a function result, a literal, a map key):

* ``.a.b`` where ``.`` is the root reads ``("a", "b")``; ``$.x`` always reads ``("x",)``.
* ``with .p`` reads ``("p",)`` and, inside, ``.`` is ``("p",)``: ``.q`` reads ``("p", "q")``.
* ``range .items`` reads ``("items",)`` and, inside, ``.`` is any element: ``.name``
  reads ``("items", "*", "name")``. ``"*"`` stands for every element of a list, and every
  value of a map. ``$i, $e := range .items``: ``$e`` is ``("items", "*")``, ``$i`` is not a
  field of the data.
* A variable bound to a field reads through it: ``$p := .parameters`` then ``$p.ref``
  reads ``("parameters", "ref")``.
* ``index X "k" 0`` with literal keys reads X's path plus ``("k", "*")``.
* ``template "name" .x`` reads the template's fields with ``.`` (and ``$``) as ``("x",)``.
  A template that calls itself again is not followed into the recursion.
* Only chains that are evaluated count: a bare ``.`` or ``$`` reads no field.

``unguarded_field_chains`` keeps the chains read at least once where a missing key stops the
template: outside every ``if``, ``with`` and ``range`` whose condition reads the chain (or a
prefix of it: inside ``with .p``, ``.q`` is guarded by ``.p``). A chain read only in such a
condition, or inside its body, is guarded; the ``else`` branch is not.
"""

from .nodes import (
    ActionNode,
    BoolNode,
    ChainNode,
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

ELEMENT = "*"
_MAX_TEMPLATE_VISITS = 10_000


class _Analysis:
    def __init__(self, trees):
        self.trees = trees
        self.found = set()
        self.unguarded = set()
        self.guards = []  # the chains the enclosing if/with/range conditions read
        self.visited = set()
        self.active = []
        self.visits = 0

    def record(self, path):
        if path:
            self.found.add(path)
            if not any(path[: len(guard)] == guard for guard in self.guards):
                self.unguarded.add(path)

    def condition(self, pipe, dot, vars_, ranging=False):
        """A branch's pipeline: the chains it reads are guards (of themselves too)."""
        found, self.found = self.found, set()
        unguarded = self.unguarded
        self.unguarded = set()
        value = self.pipeline(pipe, dot, vars_, ranging)
        read = self.found
        self.found, self.unguarded = found | read, unguarded
        return value, [path for path in read if path]

    # -- nodes --

    def run_template(self, name, dot):
        tree = self.trees.get(name)
        if tree is None or name in self.active or (name, dot) in self.visited:
            return
        self.visits += 1
        if self.visits > _MAX_TEMPLATE_VISITS:
            return
        self.visited.add((name, dot))
        self.active.append(name)
        self.walk_list(tree.root, dot, [["$", dot]])
        self.active.pop()

    def walk_list(self, lst, dot, vars_):
        for node in lst.nodes:
            self.walk(node, dot, vars_)

    def walk(self, node, dot, vars_):
        if isinstance(node, TextNode):
            return
        if isinstance(node, ActionNode):
            self.pipeline(node.pipe, dot, vars_)
        elif isinstance(node, (IfNode, WithNode)):
            mark = len(vars_)
            value, guards = self.condition(node.pipe, dot, vars_)
            self.guarded(node.list, value if isinstance(node, WithNode) else dot, vars_, guards)
            if node.else_list is not None:
                self.walk_list(node.else_list, dot, vars_)
            del vars_[mark:]
        elif isinstance(node, RangeNode):
            mark = len(vars_)
            value, guards = self.condition(node.pipe, dot, vars_, ranging=True)
            element = None if value is None else value + (ELEMENT,)
            self.guarded(node.list, element, vars_, guards)
            if node.else_list is not None:
                self.walk_list(node.else_list, dot, vars_)
            del vars_[mark:]
        elif isinstance(node, TemplateNode):
            value = self.pipeline(node.pipe, dot, vars_) if node.pipe is not None else None
            self.run_template(node.name, value)

    def guarded(self, lst, dot, vars_, guards):
        self.guards.extend(guards)
        self.walk_list(lst, dot, vars_)
        del self.guards[len(self.guards) - len(guards) :]

    # -- expressions: each returns the path of its value, or None --

    def pipeline(self, pipe, dot, vars_, ranging=False):
        value = None
        for cmd in pipe.cmds:
            value = self.command(cmd, dot, vars_)
        if pipe.decl:
            names = [d.idents[0] for d in pipe.decl]
            if ranging:
                element = None if value is None else value + (ELEMENT,)
                paths = [element] if len(names) == 1 else [None, element]
            else:
                paths = [value] * len(names)
            for name, path in zip(names, paths, strict=True):
                if pipe.is_assign:
                    for entry in reversed(vars_):
                        if entry[0] == name:
                            entry[1] = path
                            break
                else:
                    vars_.append([name, path])
        return value

    def command(self, cmd, dot, vars_):
        first = cmd.args[0]
        if isinstance(first, IdentifierNode):
            return self.call(first.ident, cmd.args[1:], dot, vars_)
        for arg in cmd.args[1:]:
            self.arg(arg, dot, vars_)
        return self.arg(first, dot, vars_)

    def call(self, name, args, dot, vars_):
        paths = [self.arg(a, dot, vars_) for a in args]
        if name in ("index", "slice") and paths and paths[0] is not None:
            base = paths[0]
            if name == "slice":
                return base
            for a in args[1:]:
                if isinstance(a, StringNode):
                    base = base + (a.text,)
                elif isinstance(a, NumberNode):
                    base = base + (ELEMENT,)
                else:
                    return None
            self.record(base)
            return base
        return None

    def arg(self, node, dot, vars_):
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, FieldNode):
            if dot is None:
                return None
            path = dot + tuple(node.idents)
            self.record(path)
            return path
        if isinstance(node, VariableNode):
            base = None
            for entry in reversed(vars_):
                if entry[0] == node.idents[0]:
                    base = entry[1]
                    break
            if base is None:
                return None
            if len(node.idents) == 1:
                return base
            path = base + tuple(node.idents[1:])
            self.record(path)
            return path
        if isinstance(node, ChainNode):
            base = self.arg(node.node, dot, vars_)
            if base is None:
                return None
            path = base + tuple(node.fields)
            self.record(path)
            return path
        if isinstance(node, PipeNode):
            return self.pipeline(node, dot, vars_)
        if isinstance(node, IdentifierNode):
            return self.call(node.ident, [], dot, vars_)
        if isinstance(node, (BoolNode, NilNode, NumberNode, StringNode)):
            return None
        return None  # pragma: no cover


def field_chains(trees, name="tmpl"):
    """The set of field chains (tuples of keys) the template reads from the root data."""
    analysis = _Analysis(trees)
    analysis.run_template(name, ())
    return analysis.found


def unguarded_field_chains(trees, name="tmpl"):
    """The field chains read at least once outside a condition that reads them."""
    analysis = _Analysis(trees)
    analysis.run_template(name, ())
    return analysis.unguarded
