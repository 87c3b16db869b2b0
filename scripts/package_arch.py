#!/usr/bin/env python3
"""Record which CPU architecture a Lambda package was built for, next to it: `<zip>.arch`.

    python3 scripts/package_arch.py ZIP [--expect arm64|x86_64] [--copy-to DEPLOY_ZIP]

The architecture is read from the `bootstrap` inside the zip (its ELF header's machine field),
not assumed from the build command, and written in Lambda's own words (`arm64` or `x86_64`,
the values of a function's `architectures`) as `<zip>.arch`: one word and a newline. The
Terraform module reads `${package_path}.arch` and refuses, at plan time, a package whose
architecture is not the function's.

--expect fails (exit 1) when the binary is another architecture. --copy-to also puts the zip and
its record at DEPLOY_ZIP (and DEPLOY_ZIP.arch), unless that is the same file: `make build-arm64`
uses it so the path the README and the Terraform example name (`target/lambda-arm64/...` in the
checkout) holds the build even when CARGO_TARGET_DIR points elsewhere. Each file is written
beside its final name and renamed into place; the copy's old record goes first and the new one
comes last, so an interrupted copy leaves a zip without a record (nothing for Terraform to check),
never a record that describes another zip. Python standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

# ELF e_machine values (the System V ABI's registry) -> Lambda's architecture names.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}


class PackageError(Exception):
    pass


def elf_architecture(header: bytes) -> str:
    """Lambda's name for the architecture of the ELF executable starting with `header` (>= 20 bytes)."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        raise PackageError("bootstrap is not an ELF executable")
    if header[4] != 2:
        raise PackageError("bootstrap is not a 64-bit ELF executable")
    byteorder = {1: "little", 2: "big"}.get(header[5])
    if byteorder is None:
        raise PackageError("bootstrap's ELF header names no byte order")
    machine = int.from_bytes(header[18:20], byteorder)
    if machine not in ELF_MACHINES:
        raise PackageError(f"bootstrap is built for ELF machine {machine:#x}, which Lambda does not run")
    return ELF_MACHINES[machine]


def package_architecture(zip_path: Path) -> str:
    """The architecture of the `bootstrap` in the Lambda package `zip_path`."""
    try:
        with zipfile.ZipFile(zip_path) as z, z.open("bootstrap") as binary:
            return elf_architecture(binary.read(64))
    except KeyError:
        raise PackageError(f"{zip_path} has no `bootstrap` at its root") from None
    except (OSError, zipfile.BadZipFile) as e:
        raise PackageError(f"{zip_path}: {e}") from None


def _replace(destination: Path, write) -> None:
    """Write a file beside `destination` with `write(path)`, then rename it into place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(zip_path: Path, expect: str | None = None, copy_to: Path | None = None) -> str:
    """Write `<zip>.arch` (and copy both to `copy_to`); returns the architecture."""
    arch = package_architecture(zip_path)
    if expect and arch != expect:
        raise PackageError(f"{zip_path} holds an {arch} bootstrap, not {expect}")
    text = f"{arch}\n"
    _replace(arch_path(zip_path), lambda p: p.write_text(text))
    if copy_to is not None and copy_to.resolve() != zip_path.resolve():
        arch_path(copy_to).unlink(missing_ok=True)
        _replace(copy_to, lambda p: shutil.copyfile(zip_path, p))
        _replace(arch_path(copy_to), lambda p: p.write_text(text))
    return arch


def arch_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + ".arch")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zip", type=Path, help="the Lambda package (bootstrap.zip)")
    ap.add_argument("--expect", choices=sorted(set(ELF_MACHINES.values())),
                    help="fail unless the bootstrap is built for this architecture")
    ap.add_argument("--copy-to", type=Path, help="also place the zip and its record here")
    args = ap.parse_args(argv)
    try:
        arch = record(args.zip, args.expect, args.copy_to)
    except PackageError as e:
        print(f"package_arch: {e}", file=sys.stderr)
        return 1
    print(f"{arch_path(args.zip)}: {arch}")
    if args.copy_to is not None and args.copy_to.resolve() != args.zip.resolve():
        print(f"{args.copy_to} (+ .arch): copied, {arch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
