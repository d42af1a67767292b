"""Configuration as code: a whole setup as one YAML file (DESIGN §6, docs/config.md).

`load` reads the file (loading), `plan` checks every item against the database and says what
would change, `apply` makes those changes in one transaction (planning), and `export_config`
writes the file (dump). Each section has its module (channels, sendtext, handoffs, agents):
its keys, how an item is read, checked by the builder's own form, and exported. Problems are
collected and raised together (problems); PolyAI's files are translated in polyai.

This module only names what the rest of the project uses.
"""

from actions.configfile.dump import export_config
from actions.configfile.loading import MAX_BYTES, load, too_big
from actions.configfile.planning import Change, FieldChange, Plan, apply, plan
from actions.configfile.problems import ConfigError, Problem

__all__ = [
    "MAX_BYTES",
    "Change",
    "ConfigError",
    "FieldChange",
    "Plan",
    "Problem",
    "apply",
    "export_config",
    "load",
    "plan",
    "too_big",
]
