"""Reading the file's items: the checks of the YAML's shape, and the item each reader fills.

Each section's reader (channels, sendtext, handoffs, agents, and PolyAI's sms_templates) takes
the values it knows from an item's mapping; a value of the wrong type is a problem at its
place, and the item's form then hears a blank, and says nothing more about that key.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from actions.configfile.problems import Path, Problems, kind, unknown_key


class Shape:
    """Checks of the YAML's shape (mappings, lists, text, true/false), each problem recorded.

    Used for our sections and for PolyAI's sms_templates in actions.configfile.polyai.
    """

    def __init__(self, problems: Problems):
        self.problems = problems

    def add(self, path: Path, message: str) -> None:
        self.problems.add(path, message)

    def mapping(self, value, path: Path, keys: Iterable[str], refused=None) -> dict | None:
        """The value when it is a mapping (unknown keys reported), else None."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {kind(value)}")
            return None
        keys = tuple(keys)
        for key in value:
            if key in keys:
                continue
            if refused and key in refused:
                self.add(path, f"{key!r} is not accepted: {refused[key]}")
            else:
                self.add(path, unknown_key(key, keys))
        return value

    def items(self, value, path: Path, noun: str) -> list:
        """A list (empty when the key has no value), else [] and a problem."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be a list of {noun}, not {kind(value)}")
            return []
        return value

    def text(self, value, path: Path, bad: set[Path], field: Path) -> str:
        """Text, "" for no value; anything else is a problem (and the form hears "")."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        bad.add(field)
        if isinstance(value, bool):
            self.add(path, f"must be text, not {json.dumps(value)}: put it in quotes")
        elif isinstance(value, int) and len(str(abs(value))) >= 7:
            self.add(
                path,
                f"must be text, not the number {value}: put it in quotes (YAML reads an "
                'unquoted +441234567890 as a number; write "+441234567890")',
            )
        elif isinstance(value, int | float):
            self.add(path, f"must be text, not the number {value}: put it in quotes")
        else:
            self.add(path, f"must be text, not {kind(value)}")
        return ""

    def flag(self, value, path: Path, bad: set[Path], field: Path, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        bad.add(field)
        self.add(path, f"must be true or false, not {kind(value)}")
        return default

    def names(
        self, value, path: Path, bad: set[Path], field: Path, noun: str, at: dict[str, int]
    ) -> list[str]:
        """The names in a list; `at` gets the index each was written at."""
        if value is None:
            return []
        if not isinstance(value, list):
            bad.add(field)
            self.add(path, f"must be a list of {noun} names, not {kind(value)}")
            return []
        names: list[str] = []
        for index, name in enumerate(value):
            if not isinstance(name, str):
                bad.add(field)
                article = "an" if noun[0] in "aeiou" else "a"
                self.add((*path, index), f"must be {article} {noun} name, not {kind(name)}")
            elif name in names:
                self.add((*path, index), f"{name!r} is listed twice")
            else:
                names.append(name)
                at[name] = index
        return names


@dataclass
class Item:
    """One channel, action, handoff or agent of the file, in the file's own terms.

    `values` holds every key of its section (absent keys at their defaults). `origin` is where
    the item is in the file; `places` maps a key to another place, for items translated from
    PolyAI's sms_templates, which then report anything unmapped at their origin.
    """

    section: str
    origin: Path
    values: dict
    places: dict[Path, Path] = field(default_factory=dict)
    exact: bool = True
    bad: set[Path] = field(default_factory=set)
    # Where each name of an agent's actions and handoffs lists is written: (key, name) -> index.
    at: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        name = self.values.get("name")
        return name if isinstance(name, str) else ""

    def path(self, *key) -> Path:
        for length in range(len(key), 0, -1):
            if key[:length] in self.places:
                return self.places[key[:length]] + key[length:]
        return (*self.origin, *key) if self.exact or not key else self.origin

    def is_bad(self, key: Path) -> bool:
        return any(b[: len(key)] == key or key[: len(b)] == b for b in self.bad if key)


class Fields:
    """An item's mapping as its reader takes it: each key's value checked at the key's place.

    A value of the wrong type is recorded in the item's `bad` keys, so that its form's
    message about the blank it then hears is not reported as well.
    """

    def __init__(self, raw: dict, item: Item, shape: Shape):
        self.raw = raw
        self.item = item
        self.shape = shape

    @classmethod
    def of(cls, raw, path: Path, section: str, shape: Shape, keys, refused=None):
        """The fields of a new item of `section`, or None (and a problem) if `raw` is not a
        mapping of `keys`."""
        if shape.mapping(raw, path, keys, refused) is None:
            return None
        return cls(raw, Item(section, path, {}), shape)

    def path(self, *key) -> Path:
        return (*self.item.origin, *key)

    def text(self, key: str) -> str:
        return self.shape.text(self.raw.get(key), self.path(key), self.item.bad, (key,))

    def flag(self, key: str, default: bool) -> bool:
        return self.shape.flag(self.raw.get(key), self.path(key), self.item.bad, (key,), default)

    def texts(self, key: str, keys: tuple[str, ...]) -> dict[str, str]:
        """The mapping under `key`, of text under each of `keys` ("" where absent or wrong)."""
        found = {sub: "" for sub in keys}
        value = self.raw.get(key)
        if value is None:
            return found
        if self.shape.mapping(value, self.path(key), keys) is None:
            self.item.bad.add((key,))
            return found
        for sub in keys:
            found[sub] = self.shape.text(
                value.get(sub), self.path(key, sub), self.item.bad, (key, sub)
            )
        return found
