"""Session fixtures: ONE emulator (and one deployment of the function) for the whole e2e run.

Starting ministack and provisioning two accounts takes seconds, and every trigger of the
deployed function is fired once (``fired``) and waited for once; the tests then assert on
what came of it. The function zip comes from ``FUNCTION_ZIP`` (``make test`` sets it to the
release host build); without it the deployment fixture fails instead of skipping, so a
missing build can never pass as green.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from emulator import Emulator  # noqa: E402
import scenario  # noqa: E402

# Bounded waits: generous for a loaded CI machine, far below the suite budget.
OBJECTS_TIMEOUT = 60
DLQ_TIMEOUT = 60


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    """Both accounts provisioned from infra/modules/*/policies; torn down after the session."""
    with Emulator(tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture(scope="session")
def deployment(emulator: Emulator) -> Emulator:
    """The function from $FUNCTION_ZIP deployed with all its triggers."""
    zip_path = os.environ.get("FUNCTION_ZIP", "")
    if not zip_path or not Path(zip_path).is_file():
        pytest.fail(f"FUNCTION_ZIP must name the function's bootstrap.zip (a host build, e.g. `cargo lambda "
                    f"build --release --output-format zip`); got {zip_path!r}", pytrace=False)
    emulator.deploy_function(zip_path)
    return emulator


@pytest.fixture(scope="session")
def fired(deployment: Emulator) -> scenario.Fired:
    """Every trigger fired once; returns after all objects landed and the bad message is dead-lettered."""
    result = scenario.fire_all(deployment)
    scenario.wait_for_objects(deployment, [expected.key for expected in result.expected], OBJECTS_TIMEOUT)
    scenario.wait_for_dead_letter(deployment, result.malformed_message_id, DLQ_TIMEOUT)
    return result
