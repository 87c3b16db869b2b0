#!/usr/bin/env python3
"""The example root passes every input of both modules (so it documents all of them).

    python3 infra/tests/example_inputs.py    exit 1 naming each module input the example does not set
"""
import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
EXAMPLE = INFRA / "examples" / "two-accounts" / "main.tf"
MODULES = {"writer_function": "writer-function", "target_bucket": "target-bucket"}


def main() -> int:
    main_tf = EXAMPLE.read_text()
    missing = []
    for block, folder in MODULES.items():
        m = re.search(rf'^module "{block}" \{{\n(.*?)^\}}', main_tf, re.M | re.S)
        if not m:
            missing.append(f'module "{block}" block')
            continue
        passed = set(re.findall(r"^  ([a-z0-9_]+) +=", m.group(1), re.M))
        inputs = re.findall(r'^variable "([^"]+)"', (INFRA / "modules" / folder / "variables.tf").read_text(), re.M)
        missing += [f"module.{block}.{name}" for name in inputs if name not in passed]
    if missing:
        print("example_inputs.py: examples/two-accounts/main.tf does not pass: " + ", ".join(missing))
        return 1
    print(f"example_inputs.py: the example passes every input of {len(MODULES)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
