"""The configuration export is a contract: the same database exports the same bytes.

`tests/data/config_export_golden.yaml` was written by the code as it stood before `actions/`
was regrouped by domain; any change to the export's bytes must be deliberate and show here.
"""

from pathlib import Path

import pytest

from actions.configfile import export_config
from tests.unit.test_configfile import build_setup, twilio_env  # noqa: F401 (a fixture)

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "config_export_golden.yaml"

pytestmark = pytest.mark.django_db


def test_the_export_of_a_full_setup_is_byte_identical_to_the_recorded_one(twilio_env):  # noqa: F811
    build_setup()

    assert export_config().encode() == GOLDEN.read_bytes()
