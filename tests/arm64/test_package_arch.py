"""scripts/package_arch.py: the `.arch` record is read from the bootstrap's ELF header, and a
mismatch or a broken package fails instead of writing a record."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import package_arch


def elf(machine: int, byteorder: str = "little") -> bytes:
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4] = 2  # 64-bit
    header[5] = 1 if byteorder == "little" else 2
    header[18:20] = machine.to_bytes(2, byteorder)
    return bytes(header) + b"\0" * 64


def package(path: Path, content: bytes, name: str = "bootstrap") -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name, content)
    return path


@pytest.mark.parametrize("machine, arch", [(0xB7, "arm64"), (0x3E, "x86_64")])
def test_the_record_names_the_binarys_architecture(tmp_path, machine, arch):
    zip_path = package(tmp_path / "bootstrap.zip", elf(machine))
    assert package_arch.main([str(zip_path)]) == 0
    assert (tmp_path / "bootstrap.zip.arch").read_text() == f"{arch}\n"


def test_an_unexpected_architecture_fails_and_writes_no_record(tmp_path, capsys):
    zip_path = package(tmp_path / "bootstrap.zip", elf(0x3E))
    assert package_arch.main([str(zip_path), "--expect", "arm64"]) == 1
    assert "x86_64 bootstrap, not arm64" in capsys.readouterr().err
    assert not (tmp_path / "bootstrap.zip.arch").exists()


@pytest.mark.parametrize("content, name, message", [
    (b"#!/bin/sh\necho hi\n", "bootstrap", "not an ELF"),
    (elf(0x28), "bootstrap", "ELF machine 0x28"),  # 32-bit ARM's number in a 64-bit header
    (elf(0xB7), "bin/bootstrap", "no `bootstrap` at its root"),
])
def test_a_package_lambda_cannot_run_fails(tmp_path, capsys, content, name, message):
    zip_path = package(tmp_path / "bootstrap.zip", content, name)
    assert package_arch.main([str(zip_path)]) == 1
    assert message in capsys.readouterr().err


def test_the_deploy_copy_gets_the_zip_and_a_fresh_record(tmp_path):
    (tmp_path / "build").mkdir()
    zip_path = package(tmp_path / "build" / "bootstrap.zip", elf(0xB7))
    deploy = tmp_path / "checkout" / "target" / "lambda-arm64" / "cross-account-s3-writer" / "bootstrap.zip"
    deploy.parent.mkdir(parents=True)
    deploy.write_bytes(b"an older zip")
    (deploy.parent / "bootstrap.zip.arch").write_text("x86_64\n")
    assert package_arch.main([str(zip_path), "--expect", "arm64", "--copy-to", str(deploy)]) == 0
    assert deploy.read_bytes() == zip_path.read_bytes()
    assert (deploy.parent / "bootstrap.zip.arch").read_text() == "arm64\n"
    assert sorted(p.name for p in deploy.parent.iterdir()) == ["bootstrap.zip", "bootstrap.zip.arch"], "no temp files"


def test_copying_onto_itself_is_just_the_record(tmp_path):
    zip_path = package(tmp_path / "bootstrap.zip", elf(0xB7))
    before = zip_path.read_bytes()
    assert package_arch.main([str(zip_path), "--copy-to", str(zip_path)]) == 0
    assert zip_path.read_bytes() == before
    assert (tmp_path / "bootstrap.zip.arch").read_text() == "arm64\n"
