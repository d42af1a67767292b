"""What is wrong with a configuration file: each problem at its place in the file, all at once.

A place is a path below the file's top (`("actions", 2, "parameters")`), written as the file's
reader would say it (`actions[2].parameters`). Problems are collected while the whole file is
checked, then raised together as one ConfigError, in the order of the file.
"""

import difflib
from collections.abc import Iterable
from typing import NamedTuple

Path = tuple[str | int, ...]


class Problem(NamedTuple):
    """One thing wrong with the file: where (e.g. `actions[2].parameters`) and what."""

    place: str
    message: str

    def __str__(self):
        return f"{self.place}: {self.message}"


class ConfigError(Exception):
    """The file cannot be imported; `problems` lists every problem found, not only the first.

    `lines` maps a problem's place to its line in the file, when the file was read by load().
    """

    def __init__(self, problems: Iterable[Problem], lines: dict[str, int] | None = None):
        self.problems = list(problems)
        self.lines = dict(lines or {})
        super().__init__("\n".join(str(p) for p in self.problems))

    def line_of(self, problem: Problem) -> int | None:
        return self.lines.get(problem.place)


def place(path: Path) -> str:
    """("actions", 2, "parameters") -> "actions[2].parameters"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "file"


class Problems:
    """Problems as (path, message), in the order of the file when its lines are known."""

    def __init__(self, lines: dict[Path, int] | None = None):
        self.items: list[tuple[Path, str]] = []
        self.lines = lines or {}

    def add(self, path: Path, message: str) -> None:
        if (path, message) not in self.items:
            self.items.append((path, message))

    def line(self, path: Path) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def raise_if_any(self) -> None:
        if not self.items:
            return
        order = {item: n for n, item in enumerate(self.items)}
        ranked = sorted(
            self.items,
            key=lambda item: (
                0 if item[0] == ("file",) else 1,
                self.line(item[0]) or 0,
                order[item],
            ),
        )
        problems = [Problem(place(path), message) for path, message in ranked]
        lines = {}
        for path, _ in ranked:
            line = None if path == ("file",) else self.line(path)
            if line is not None:
                lines[place(path)] = line
        raise ConfigError(problems, lines)


# --- Words for problems --------------------------------------------------------------------------


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" when a known name is close to `name`, else ""."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key(key, allowed: Iterable[str]) -> str:
    message = f"unknown key {key!r}"
    if isinstance(key, str):
        message += did_you_mean(key, allowed)
    return message


def kind(value) -> str:
    """What a value is, as the file's reader would say it: "a list", "text", "true/false"."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
