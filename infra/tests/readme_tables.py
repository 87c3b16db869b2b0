#!/usr/bin/env python3
"""The Inputs/Outputs tables of each module README, generated from its variables.tf/outputs.tf.

    python3 infra/tests/readme_tables.py           check: exit 1 if a README table differs
                                                    (a variable or output missing, stale or unsorted)
    python3 infra/tests/readme_tables.py --write   rewrite the tables in place

Tables sit between the "## Inputs" / "## Outputs" heading and the next heading; rows sorted
by name. The parser reads the one-line `description`, `type`, `default` and `sensitive`
attributes this repository writes (no heredocs, no multi-line types or defaults).
"""
import html
import json
import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
MODULES = [INFRA / "modules" / "writer-function", INFRA / "modules" / "target-bucket"]


def blocks(text: str, kind: str):
    """(name, body) of every top-level `kind "name" {` block."""
    for m in re.finditer(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, re.M | re.S):
        yield m.group(1), m.group(2)


def attr(body: str, name: str):
    """A top-level (two-space indented) one-line attribute, as written."""
    m = re.search(rf"^  {name}\s+= (.*)$", body, re.M)
    return m.group(1).strip() if m else None


def describe(body: str) -> str:
    raw = attr(body, "description")
    text = json.loads(raw) if raw else ""
    if attr(body, "sensitive") == "true" and "sensitive" not in text:
        text += " (sensitive)"
    return html.escape(text, quote=False).replace("|", "\\|")


def inputs_table(module: Path) -> str:
    rows = ["| name | description | type | default |", "|---|---|---|---|"]
    for name, body in sorted(blocks((module / "variables.tf").read_text(), "variable")):
        default = attr(body, "default")
        rows.append(f"| `{name}` | {describe(body)} | `{attr(body, 'type')}` | "
                    f"{'required' if default is None else '`' + default + '`'} |")
    return "\n".join(rows)


def outputs_table(module: Path) -> str:
    rows = ["| name | description |", "|---|---|"]
    for name, body in sorted(blocks((module / "outputs.tf").read_text(), "output")):
        rows.append(f"| `{name}` | {describe(body)} |")
    return "\n".join(rows)


def replace_section(readme: str, heading: str, table: str) -> str:
    pattern = re.compile(rf"(^## {heading}\n\n)(\|.*?\n)(?=\n|\Z)", re.M | re.S)
    if not pattern.search(readme):
        raise SystemExit(f"readme_tables.py: no '## {heading}' table found")
    return pattern.sub(lambda m: m.group(1) + table + "\n", readme, count=1)


def main() -> int:
    write = "--write" in sys.argv[1:]
    stale = []
    for module in MODULES:
        path = module / "README.md"
        old = path.read_text()
        new = replace_section(old, "Inputs", inputs_table(module))
        new = replace_section(new, "Outputs", outputs_table(module))
        if new != old:
            if write:
                path.write_text(new)
                print(f"readme_tables.py: rewrote {path.relative_to(INFRA)}")
            else:
                stale.append(path.relative_to(INFRA))
    if stale:
        for path in stale:
            print(f"readme_tables.py: the Inputs/Outputs tables of infra/{path} are out of date "
                  f"(missing, stale or unsorted rows); run python3 infra/tests/readme_tables.py --write")
        return 1
    print(f"readme_tables.py: Inputs/Outputs tables of {len(MODULES)} module READMEs match variables.tf/outputs.tf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
