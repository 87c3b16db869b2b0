"""The arm64 zip Terraform deploys, run on this (x86-64) machine under Debian's qemu-user.

``make test-arm64`` builds it (``make build-arm64``), installs ``qemu-user-static`` and
``libc6-arm64-cross`` when missing (scripts/install-arm64-emulation.sh) and sets ``ARM64_ZIP``.
Nothing here skips: without the zip, its ``.arch`` record or qemu, the fixtures fail, so a
missing piece can never pass as green.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from emulator import FUNCTION_NAME, LAMBDA_ACCOUNT, REGION, Emulator  # noqa: E402
from lambda_runtime_api import PROCESSES, Process  # noqa: E402
import package_arch  # noqa: E402

QEMU = "qemu-aarch64-static"
SYSROOT = Path("/usr/aarch64-linux-gnu")
LOADER = SYSROOT / "lib" / "ld-linux-aarch64.so.1"
# Seconds one step may take: init and the first AssumeRole run emulated, on a loaded 2-core CI box.
STEP_TIMEOUT = 60
# What Lambda's JSON log format and application log-level filtering set; WARN is the level the
# issue found dropping metrics (tests/arm64/test_smoke.py checks every line passes it).
LOG_LEVEL = "WARN"


@pytest.fixture(scope="session")
def arm64_zip() -> Path:
    value = os.environ.get("ARM64_ZIP", "")
    path = Path(value)
    if not value or not path.is_file():
        pytest.fail(f"ARM64_ZIP must name the arm64 bootstrap.zip (`make build-arm64`); got {value!r}", pytrace=False)
    record = package_arch.arch_path(path)
    if not record.is_file() or record.read_text() != "arm64\n":
        pytest.fail(f"{record} must say `arm64` (make build-arm64 writes it; Terraform checks it)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def qemu() -> list[str]:
    """The qemu-user command line that runs an arm64 executable here."""
    found = shutil.which(QEMU)
    if not found or not LOADER.exists():
        pytest.fail(f"{QEMU} on PATH and {LOADER} are required (Debian: qemu-user-static, libc6-arm64-cross; "
                    f"`bash scripts/install-arm64-emulation.sh` installs them)", pytrace=False)
    return [found, "-L", str(SYSROOT)]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> Emulator:
    """Both emulated accounts, provisioned from infra/modules/*/policies."""
    with Emulator(tmp_path_factory.mktemp("arm64-emulator")) as emu:
        yield emu


@pytest.fixture(scope="module")
def function(arm64_zip: Path, qemu: list[str], emulator: Emulator, tmp_path_factory) -> Process:
    """The zip's bootstrap under qemu, behind a local Runtime API, as the execution role."""
    assert package_arch.package_architecture(arm64_zip) == "arm64", "the zip holds an arm64 bootstrap"
    workdir = tmp_path_factory.mktemp("arm64-function")
    task_root = workdir / "task"
    task_root.mkdir()
    with zipfile.ZipFile(arm64_zip) as z:
        z.extract("bootstrap", task_root)
    bootstrap = task_root / "bootstrap"
    bootstrap.chmod(0o755)
    env = {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(workdir),
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": LOG_LEVEL,
        "AWS_EC2_METADATA_DISABLED": "true", "LAMBDA_TASK_ROOT": str(task_root), "_HANDLER": "bootstrap",
        # The execution role's session credentials, the endpoint, the CA and the function's settings.
        **emulator.local_run_environment(),
    }
    env.pop("RUST_LOG", None)  # the level comes from AWS_LAMBDA_LOG_LEVEL, as in Lambda
    process = Process([*qemu, str(bootstrap)], env, workdir, "arm64", STEP_TIMEOUT, cwd=task_root,
                      function_arn=f"arn:aws:lambda:{REGION}:{LAMBDA_ACCOUNT}:function:{FUNCTION_NAME}")
    try:
        yield process
    finally:
        process.stop()


def pytest_sessionfinish(session, exitstatus):
    for process in list(PROCESSES):
        process.stop()
