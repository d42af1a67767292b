"""The file's sections, in the file's order, each with the module that reads and writes it.

Each module gives NOUN (one of its items), MODEL, KEYS, PLACES (a form field -> its place in
the item), `read(raw, path, shape)`, `stored()` (the saved objects) and `values(obj)` (an
object as the file writes it).
"""

from actions.configfile import agents, channels, handoffs, sendtext

SECTIONS = {"channels": channels, "actions": sendtext, "handoffs": handoffs, "agents": agents}
