#!/usr/bin/env python3
"""infra/README.md's "Broken copies" table lists every case of infra/tests/broken.sh, as declared.

    python3 infra/tests/broken_cases_listed.py    exit 1 naming each case missing, stale or different

A row is `| \`name\` | default or \`--all\` | \`file\` | \`test file\` | what |`, the file as broken.sh
names it with a leading `modules/` left out.
"""
import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
BROKEN = INFRA / "tests" / "broken.sh"
README = INFRA / "README.md"


def declared() -> dict:
    cases = {}
    for m in re.finditer(r"^(extra_)?case_ (\S+) (\S+) (\S+) ", BROKEN.read_text(), re.M):
        extra, name, path, test = m.groups()
        cases[name] = ("`--all`" if extra else "default", path.removeprefix("modules/"), test)
    return cases


def listed() -> dict:
    text = README.read_text()
    start = text.find("### Broken copies")
    if start < 0:
        return {}
    end = text.find("\n#", start + 1)
    rows = {}
    for m in re.finditer(r"^\| `([a-z0-9-]+)` \| (default|`--all`) \| `([^`]+)` \| `([^`]+)` \| [^|]+\|$",
                         text[start:end if end > 0 else len(text)], re.M):
        rows[m.group(1)] = m.group(2, 3, 4)
    return rows


def main() -> int:
    cases, rows = declared(), listed()
    problems = [f"{n}: not in the README's Broken copies table" for n in cases if n not in rows]
    problems += [f"{n}: listed in the README but not a case of broken.sh" for n in rows if n not in cases]
    problems += [f"{n}: README says {rows[n]}, broken.sh declares {cases[n]}"
                 for n in cases if n in rows and rows[n] != cases[n]]
    if not cases:
        problems.append("no case_ found in broken.sh")
    if problems:
        print("broken_cases_listed.py: infra/README.md (### Broken copies) and infra/tests/broken.sh disagree:")
        print("\n".join("  " + p for p in problems))
        return 1
    print(f"broken_cases_listed.py: all {len(cases)} broken.sh cases are listed in infra/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
