"""Reading a configuration file's YAML, within its limits, into data and the line of each place.

A file is refused before it is parsed when it is over MAX_BYTES, and before its data is built
when its aliases would expand it past MAX_NODES or it is nested past MAX_DEPTH. Keys given twice
are refused rather than silently replaced. Only the top level is checked here: each section's
items are checked when the file is planned (actions.configfile.planning).
"""

import yaml

from actions.configfile import polyai
from actions.configfile.problems import ConfigError, Path, Problem, Problems, kind, unknown_key
from actions.configfile.sections import SECTIONS

MAX_BYTES = 1_048_576
# Aliases let a small file stand for a huge document ("billion laughs"); nodes are counted
# as if every alias were written out, and a file beyond this is refused before it is built.
MAX_NODES = 1_000_000
# Far deeper than any configuration needs, and shallow enough for every check to recurse.
MAX_DEPTH = 64
TOP_LEVEL_KEYS = (*SECTIONS, polyai.SMS_TEMPLATES)


class ConfigData(dict):
    """The file's data, as a dict; `lines` maps places in it to their line in the file."""

    lines: dict[Path, int]

    def __init__(self, data: dict, lines: dict[Path, int] | None = None):
        super().__init__(data)
        self.lines = lines or {}


class _Loader(yaml.SafeLoader):
    """YAML's safe subset: no Python objects.

    The pure-Python parser, not libyaml's: libyaml's composer recurses in C and crashes the
    process on a few kilobytes of nested brackets, where Python's raises RecursionError.
    """


def load(text: str | bytes) -> dict:
    """The file's text -> its data (a ConfigData); ConfigError when it cannot be read.

    The size is checked first: a file over MAX_BYTES is refused without being parsed.
    """
    if isinstance(text, bytes | bytearray):
        size = len(text)
        if size > MAX_BYTES:
            raise ConfigError([too_big(size)])
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = text.count(b"\n", 0, exc.start) + 1
            raise ConfigError(
                [
                    Problem(
                        "file",
                        f"is not UTF-8 text (byte 0x{text[exc.start]:02x} on line {line}): "
                        "save it as UTF-8",
                    )
                ]
            ) from None
    else:
        # Characters never outnumber bytes: the long string is refused before it is encoded.
        if len(text) > MAX_BYTES:
            raise ConfigError([too_big(len(text))])
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            raise ConfigError([too_big(size)])
        text = text.removeprefix("\ufeff")
    data, lines = _parse(text)
    problems = Problems(lines)
    check_top_level(data, problems)
    problems.raise_if_any()
    return ConfigData(data, lines)


def too_big(size: int) -> Problem:
    return Problem(
        "file",
        f"is too big ({size:,} bytes): a configuration file may be at most {MAX_BYTES:,} bytes",
    )


def _parse(text: str) -> tuple[object, dict[Path, int]]:
    loader = None
    try:
        loader = _Loader(text)  # refuses characters YAML does not allow, with their position
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _check_nodes(node)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_yaml_problem(exc)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        column = exc.position - (text.rfind("\n", 0, max(exc.position, 0)) + 1) + 1
        character = exc.character
        if isinstance(character, int):
            character = f"U+{character:04X}"
        raise ConfigError(
            [Problem(f"line {line}, column {column}", f"{exc.reason} ({character})")]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem("file", f"is not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem("file", "is nested too deeply to be read")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_problem(exc: "yaml.MarkedYAMLError") -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "is not valid YAML"
    if exc.context and exc.problem:
        where = ""
        if exc.context_mark and mark and exc.context_mark.line != mark.line:
            where = f" at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        message = f"{exc.problem} ({exc.context}{where})"
    if mark is None:
        return Problem("file", message)
    return Problem(f"line {mark.line + 1}, column {mark.column + 1}", message)


def _check_nodes(root) -> dict[Path, int]:
    """The line of each place in the document; refuses repeated keys and alias bombs.

    Repeated keys are an error because YAML would silently keep the last one: a second
    `message:` in an action would quietly replace the first.
    """
    lines: dict[Path, int] = {(): root.start_mark.line + 1}
    measured: dict[int, tuple[int, int]] = {}  # node -> (values, depth), aliases expanded
    walking: set[int] = set()

    def mark(node) -> str:
        return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"

    def walk(node, path: Path | None) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in walking:
            raise ConfigError([Problem(mark(node), "an alias refers to the node that holds it")])
        walking.add(key)
        children = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, object] = {}
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key_node.tag == "tag:yaml.org,2002:merge":
                    name = None
                if name is not None:
                    if name in seen:
                        raise ConfigError(
                            [
                                Problem(
                                    mark(key_node),
                                    f"the key {name!r} is repeated (first at "
                                    f"{mark(seen[name])}); give each key once",
                                )
                            ]
                        )
                    seen[name] = key_node
                child = None if path is None or name is None else (*path, name)
                if child is not None:
                    lines.setdefault(child, key_node.start_mark.line + 1)
                children += [walk(key_node, None), walk(value_node, child)]
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = None if path is None else (*path, index)
                if child is not None:
                    lines.setdefault(child, item.start_mark.line + 1)
                children.append(walk(item, child))
        walking.discard(key)
        size = 1 + sum(s for s, _ in children)
        depth = 1 + max((d for _, d in children), default=0)
        if size > MAX_NODES:
            raise ConfigError(
                [
                    Problem(
                        "file",
                        f"holds more than {MAX_NODES:,} values once its aliases are expanded",
                    )
                ]
            )
        if depth > MAX_DEPTH:
            raise ConfigError([Problem("file", f"is nested more than {MAX_DEPTH} levels deep")])
        measured[key] = (size, depth)
        return size, depth

    walk(root, ())
    return lines


def check_top_level(data, problems: Problems) -> bool:
    """Whether `data` is a mapping of known sections; what is wrong goes to `problems`."""
    if data is None:
        problems.add(("file",), f"is empty: it should hold {_known_sections()}")
        return False
    if not isinstance(data, dict):
        problems.add(("file",), f"must be a mapping of {_known_sections()}, not {kind(data)}")
        return False
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.add(("file",), unknown_key(key, TOP_LEVEL_KEYS))
    if not data:
        problems.add(("file",), f"is an empty mapping: it should hold {_known_sections()}")
    return not problems.items


def _known_sections() -> str:
    return "channels:, actions:, handoffs:, agents: (or a PolyAI sms_templates:)"
