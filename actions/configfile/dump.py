"""Writing the configuration as the file: `export_config`, and the YAML style it is written in."""

import yaml

from actions.configfile.sections import SECTIONS


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        # Lists indented under their key, as in the documentation's examples.
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str):
    # Several lines read best as a block (|) rather than one quoted line with \n in it.
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def export_config() -> str:
    """The whole configuration as YAML: no credentials, no API keys; the same text each time.

    Items are sorted by name (by code point, whatever the database's collation), and keys
    come in the order of the format's documentation.
    """
    data = {
        section: [module.values(o) for o in sorted(module.stored(), key=lambda o: o.name)]
        for section, module in SECTIONS.items()
    }
    return to_yaml(data)


def to_yaml(data) -> str:
    """Data as this project writes YAML: keys in their order, lists indented, blocks for text
    on several lines."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
