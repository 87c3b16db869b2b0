#!/usr/bin/env python3
"""One truth for where the deployed zip is: the Makefile, the READMEs and the example agree.

    python3 infra/tests/package_path.py     exit 1 naming each place that disagrees

`make build-arm64` must leave the arm64 zip (and its architecture record, `<zip>.arch`) at
DEPLOY_ZIP in the checkout, whatever CARGO_TARGET_DIR says (read from `make -n build-arm64`, so the
Makefile's own expansion is what is checked); the top README's deploy section, the example's
default package_path (main.tf, relative to the example root), its variable description and README,
and the writer-function module README's usage must name that path; and none of the example's files
may point at the host build (target/lambda/...), which is x86_64 on most machines.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY_ZIP = "target/lambda-arm64/cross-account-s3-writer/bootstrap.zip"
HOST_ZIP = "target/lambda/cross-account-s3-writer/bootstrap.zip"
EXAMPLE = REPO / "infra" / "examples" / "two-accounts"


def make_dry_run(cargo_target_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("CARGO_TARGET_DIR", "MAKEFLAGS", "MAKELEVEL")}
    if cargo_target_dir:
        env["CARGO_TARGET_DIR"] = cargo_target_dir
    out = subprocess.run(["make", "-n", "-s", "--no-print-directory", "build-arm64"], cwd=REPO, env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return out.stdout, ""


def main() -> int:
    problems = []
    if shutil.which("make") is None:
        problems.append("make is not installed: cannot read the Makefile's build-arm64 recipe")
    else:
        for target_dir in (None, "/elsewhere/cargo-target"):
            text, err = make_dry_run(target_dir)
            where = f"make -n build-arm64 (CARGO_TARGET_DIR={target_dir or 'unset'})"
            if text is None:
                problems.append(f"{where} failed: {err}")
            elif not re.search(rf"package_arch\.py .*{re.escape(DEPLOY_ZIP)}(\s|$)", text, re.M):
                problems.append(f"{where} does not record the architecture of, or copy to, {DEPLOY_ZIP} "
                                f"(scripts/package_arch.py ... {DEPLOY_ZIP})")

    must_name = {
        REPO / "README.md": DEPLOY_ZIP,
        EXAMPLE / "main.tf": '"${path.root}/../../../' + DEPLOY_ZIP + '"',
        EXAMPLE / "variables.tf": "../../../" + DEPLOY_ZIP,
        EXAMPLE / "README.md": DEPLOY_ZIP,
        REPO / "infra" / "modules" / "writer-function" / "README.md": DEPLOY_ZIP,
    }
    for path, needle in must_name.items():
        if needle not in path.read_text():
            problems.append(f"{path.relative_to(REPO)} does not name {needle}")
    for path in [*sorted(EXAMPLE.glob("*.tf")), EXAMPLE / "terraform.tfvars.example"]:
        if HOST_ZIP in path.read_text():
            problems.append(f"{path.relative_to(REPO)} points at the host build {HOST_ZIP}, not the arm64 "
                            f"zip {DEPLOY_ZIP}")

    if problems:
        for p in problems:
            print(f"package_path.py: {p}")
        return 1
    print(f"package_path.py: the Makefile (build-arm64), the READMEs and the example agree on {DEPLOY_ZIP}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
