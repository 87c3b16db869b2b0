#!/usr/bin/env python3
"""The generated reference of each module README, in terraform-docs' "markdown table" layout.

    python3 infra/tests/readme_tables.py           check: exit 1 if a README's generated block
                                                    differs (a variable, output or resource missing,
                                                    stale or unsorted)
    python3 infra/tests/readme_tables.py --write   rewrite the blocks in place

terraform-docs is not installable here, so this script writes what `terraform-docs markdown table
--output-mode inject` writes with its default settings (anchors, escaping, sort by name, the
Required column): between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`, the sections
Requirements, Providers, Modules, Resources, Inputs and Outputs. A user who runs terraform-docs on
a module gets the same block, so their own tooling can take over.

Read from every *.tf file of the module: `terraform { required_version, required_providers }`,
`resource`/`data`/`module` blocks, and `variable`/`output` blocks with the one-line `description`
and `default` attributes this repository writes and their `type` (one line, or several up to the
balancing bracket, printed as written in `<pre>` as terraform-docs does). Heredoc descriptions
and multi-line defaults are refused rather than printed differently from terraform-docs.

One rule beyond terraform-docs: a description may not hold `<word>` outside backticks
(terraform-docs leaves it raw and GitHub drops it as an unknown HTML tag); write `` `<word>` ``.
"""
import json
import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
MODULES = [INFRA / "modules" / "writer-function", INFRA / "modules" / "target-bucket"]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
REGISTRY = "https://registry.terraform.io/providers"


class Refused(Exception):
    pass


def module_text(module: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(module.glob("*.tf")))


def blocks(text: str, kind: str):
    """(labels, body) of every top-level `kind "a" ["b"] {` block."""
    for m in re.finditer(rf'^{kind}((?: "[^"]+")+) \{{(?:\}}$|\n(.*?)^\}})', text, re.M | re.S):
        yield tuple(re.findall(r'"([^"]+)"', m.group(1))), m.group(2) or ""


def attr(body: str, name: str):
    """A top-level (two-space indented) one-line attribute, as written."""
    m = re.search(rf"^  {name}\s+= (.*)$", body, re.M)
    return m.group(1).strip() if m else None


# --- terraform-docs' sanitizer for table cells (escape on, html on) -------------------------

def split_code(s: str, fence: str, normal, code) -> str:
    """terraform-docs' processSegments: alternate plain/code segments around `fence`."""
    in_code = s.startswith(fence)
    out = []
    for segment in s.split(fence):
        if segment:
            out.append(code(segment) if in_code else normal(segment))
            in_code = not in_code
        # terraform-docs skips empty segments without toggling
    return "".join(out)


def escape_underscores(line: str) -> str:
    """Escape `_`, except a leading list-like run and `_emphasis_` wrapped in whitespace."""
    keep = "\0"
    for pattern, groups in ((r"^(\s*)(_+)(\s+)(.*)", (2,)),
                            (r"(\s+)(_+)([^\t\n\f\r _])(.*)([^\t\n\f\r _])(_+)(\s+)", (6, 2))):
        for m in list(re.finditer(pattern, line)):
            for g in groups:
                line = line[:m.start(g)] + m.group(g).replace("_", keep) + line[m.end(g):]
    return line.replace("_", "\\_").replace(keep, "_")


def sanitize_cell(s: str) -> str:
    if s == "":
        return "n/a"
    if "```" in s:
        raise Refused("a fenced code block in a description")

    def plain(segment: str) -> str:
        segment = split_code(segment, "`", lambda t: t.replace("|", "\\|"), lambda t: f"`{t}`")
        segment = split_code(segment, "`",
                             lambda t: "\n".join(escape_underscores(x) for x in t.split("\n")),
                             lambda t: f"`{t}`")
        segment = segment.strip()
        segment = re.sub(r"(\S*)(\r?\n)(\s*)(\w+)", r"\1  \2\3\4", segment)
        segment = segment.replace("    \n", "  \n").replace("  \n\n", "\n\n").replace("\n  \n", "\n\n")
        segment = segment.replace("  \n", "<br/>").replace("\n", "<br/>")
        # URLs keep their underscores
        return re.sub(r"https?://[^\s)>\]]+", lambda m: m.group(0).replace("\\", ""), segment)

    return split_code(s, "```", plain, lambda t: t)


def check_tags(where: str, text: str):
    outside = re.sub(r"`[^`]*`", "", text)
    if re.search(r"<[A-Za-z/!?]", outside):
        raise Refused(f"{where}: description holds <...> outside backticks (GitHub drops it as an "
                      f"HTML tag; terraform-docs leaves it raw): write `<...>`")


def anchor(kind: str, name: str) -> str:
    return f'<a name="{kind}_{name}"></a> [{name.replace("_", chr(92) + "_")}](#{kind}\\_{name.replace("_", chr(92) + "_")})'


def description(where: str, body: str) -> str:
    raw = attr(body, "description")
    if raw is not None and raw.startswith("<<"):
        raise Refused(f"{where}: heredoc description")
    text = json.loads(raw) if raw else ""
    check_tags(where, text)
    return sanitize_cell(text)


def value_cell(where: str, raw: str) -> str:
    """terraform-docs' `value`: the default as JSON; compact in backticks, or indented in <pre>."""
    if raw in ("null", "true", "false") or re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return f"`{raw}`"
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise Refused(f"{where}: default {raw!r} is not a literal this script can print as "
                      f"terraform-docs does")
    if isinstance(parsed, str):
        return f"`{json.dumps(parsed)}`"
    if not parsed:
        return f"`{json.dumps(parsed)}`"
    pretty = json.dumps(parsed, indent=2).replace("\n", "<br/>")
    return f"<pre>{pretty}</pre>"


def type_source(body: str):
    """The `type` expression as written: one line, or the lines up to its balancing bracket."""
    m = re.search(r"^  type\s+= (.*)$", body, re.M)
    if not m:
        return None
    lines = [m.group(1).rstrip()]
    rest = body[m.end() + 1:].split("\n")
    depth = lambda text: sum(text.count(c) for c in "({[") - sum(text.count(c) for c in ")}]")
    while depth("\n".join(lines)) > 0:
        if not rest:
            raise Refused("unbalanced type expression")
        lines.append(rest.pop(0).rstrip())
    return "\n".join(lines)


def type_cell(where: str, raw) -> str:
    """terraform-docs: a one-line type in backticks, a multi-line one as written in <pre>."""
    if raw is None:
        return "`any`"
    if "\n" in raw:
        return "<pre>" + raw.strip().replace("\n", "<br/>") + "</pre>"
    return f"`{raw}`"


# --- sections ------------------------------------------------------------------------------

def requirements(text: str):
    m = re.search(r"^terraform \{\n(.*?)^\}", text, re.M | re.S)
    body = m.group(1) if m else ""
    rows = []
    tf = re.search(r'^  required_version\s+= "([^"]*)"', body, re.M)
    if tf:
        rows.append(("terraform", tf.group(1)))
    providers = []
    for pm in re.finditer(r'^    ([a-z0-9_-]+) = \{\n(.*?)^    \}', body, re.M | re.S):
        src = re.search(r'source\s+= "([^"]+)"', pm.group(2))
        ver = re.search(r'version\s+= "([^"]+)"', pm.group(2))
        providers.append((pm.group(1), src.group(1) if src else f"hashicorp/{pm.group(1)}",
                          ver.group(1) if ver else None))
    rows += [(name, ver) for name, _, ver in sorted(providers)]
    return rows, providers


def table(title: str, header: list, rows: list, empty: str) -> str:
    if not rows:
        return f"## {title}\n\n{empty}"
    head = "| " + " | ".join(header) + " |"
    rule = "|" + "|".join(":" + "-" * len(h) + ":" if h == "Required" else "-" * (len(h) + 2)
                          for h in header) + "|"
    return "\n".join([f"## {title}", "", head, rule] + ["| " + " | ".join(r) + " |" for r in rows])


def generate(module: Path) -> str:
    text = module_text(module)
    req, providers = requirements(text)
    source = {name: src for name, src, _ in providers}
    sections = [table("Requirements", ["Name", "Version"],
                      [[anchor("requirement", n), v or "n/a"] for n, v in req], "No requirements.")]
    sections.append(table("Providers", ["Name", "Version"],
                          [[anchor("provider", n), v or "n/a"] for n, _, v in sorted(providers)],
                          "No providers."))
    mods = []
    for (name,), body in sorted(blocks(text, "module")):
        src = json.loads(attr(body, "source") or '""')
        ver = json.loads(attr(body, "version") or '"n/a"')
        mods.append([anchor("module", name), src, ver])
    sections.append(table("Modules", ["Name", "Source", "Version"], mods, "No modules."))
    res = []
    for kind, mode, folder in (("resource", "resource", "resources"), ("data", "data source", "data-sources")):
        for (rtype, name) in sorted(labels for labels, _ in blocks(text, kind)):
            prov = rtype.split("_", 1)[0]
            src = source.get(prov, f"hashicorp/{prov}")
            res.append([f"[{rtype}.{name}]({REGISTRY}/{src}/latest/docs/{folder}/{rtype.split('_', 1)[1]})", mode])
    sections.append(table("Resources", ["Name", "Type"], res, "No resources."))
    inputs = []
    for (name,), body in sorted(blocks(text, "variable")):
        where = f"{module.name} variable {name}"
        default = attr(body, "default")
        inputs.append([anchor("input", name), description(where, body), type_cell(where, type_source(body)),
                       "n/a" if default is None else value_cell(where, default),
                       "yes" if default is None else "no"])
    sections.append(table("Inputs", ["Name", "Description", "Type", "Default", "Required"], inputs, "No inputs."))
    outputs = [[anchor("output", name), description(f"{module.name} output {name}", body)]
               for (name,), body in sorted(blocks(text, "output"))]
    sections.append(table("Outputs", ["Name", "Description"], outputs, "No outputs."))
    return BEGIN + "\n" + "\n\n".join(sections) + "\n" + END


def inject(readme: str, block: str) -> str:
    if BEGIN in readme and END in readme:
        start = readme.index(BEGIN)
        return readme[:start] + block + readme[readme.index(END, start) + len(END):]
    # The layout before this script wrote terraform-docs' block: "## Inputs" ... "## Outputs"
    # tables at the end of the README.
    m = re.search(r"^## Inputs\n\n\|.*?^## Outputs\n\n(?:\|.*\n)+", readme, re.M | re.S)
    if not m:
        raise Refused(f"no {BEGIN} ... {END} block (and no old '## Inputs'/'## Outputs' tables)")
    return readme[:m.start()] + block + "\n" + readme[m.end():]


def main() -> int:
    write = "--write" in sys.argv[1:]
    stale, refused = [], []
    for module in MODULES:
        path = module / "README.md"
        rel = path.relative_to(INFRA.parent)
        try:
            old = path.read_text()
            new = inject(old, generate(module))
        except Refused as e:
            refused.append(f"readme_tables.py: {rel}: {e}")
            continue
        if new != old:
            if write:
                path.write_text(new)
                print(f"readme_tables.py: rewrote {rel}")
            else:
                stale.append(rel)
    for line in refused:
        print(line)
    for rel in stale:
        print(f"readme_tables.py: the generated block of {rel} is out of date (a variable, output or "
              f"resource missing, stale or unsorted); run python3 infra/tests/readme_tables.py --write")
    if stale or refused:
        return 1
    print(f"readme_tables.py: the terraform-docs blocks of {len(MODULES)} module READMEs match their *.tf files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
