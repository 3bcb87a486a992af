"""The .whl file itself (what `make wheel` built, $ELIZA_WHEEL) and its builder, Tools/build_wheel.py:
tags, METADATA, WHEEL, entry points, RECORD, byte-for-byte determinism, and the binary inside: the very
static, stripped `bootstrap` of `make lambda`, which needs nothing from the host but the kernel, and the
script authors' `elizac`, built the same way."""

import ast
import base64
import configparser
import csv
import hashlib
import io
import os
import platform
import re
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
from email.parser import Parser
from importlib import metadata

import pytest
from packaging import tags as packaging_tags
from packaging.metadata import Metadata
from packaging.utils import parse_wheel_filename

import eliza_lambda
from support import ROOT, chat, wheel_path

WHEEL = wheel_path()
BOOTSTRAP = ROOT / ".build" / "lambda" / "bootstrap"
ELIZAC = ROOT / ".build" / "lambda" / "elizac"
BUILDER = ROOT / "Tools" / "build_wheel.py"
ARCH = platform.machine()
VERSION = metadata.version("eliza-lambda")
DIST_INFO = f"eliza_lambda-{VERSION}.dist-info"
BINARY = "eliza_lambda/bin/eliza-lambda"
ELIZAC_BINARY = "eliza_lambda/bin/elizac"
TAGS = {f"py3-none-manylinux_2_17_{ARCH}", f"py3-none-manylinux2014_{ARCH}", f"py3-none-musllinux_1_1_{ARCH}"}


@pytest.fixture(scope="module")
def archive():
    with zipfile.ZipFile(WHEEL) as z:
        yield z


def read_text(archive, name):
    return archive.read(name).decode()


def build(binary, out, *args, elizac=ELIZAC):
    return subprocess.run([sys.executable, str(BUILDER), "--binary", str(binary), "--elizac", str(elizac),
                           "--out", str(out), *args], capture_output=True, text=True, timeout=300)


def readelf(*args):
    return subprocess.run(["readelf", *args], capture_output=True, text=True, check=True).stdout


def test_file_name_tags_and_wheel_file(archive):
    name, version, build_tag, tags = parse_wheel_filename(WHEEL.name)
    assert (name, str(version), build_tag) == ("eliza-lambda", VERSION, ())
    assert {str(tag) for tag in tags} == TAGS
    assert tags & set(packaging_tags.sys_tags()), "this machine's pip would not pick it"
    wheel = Parser().parsestr(read_text(archive, f"{DIST_INFO}/WHEEL"))
    assert wheel["Wheel-Version"] == "1.0" and wheel["Root-Is-Purelib"] == "false"
    assert set(wheel.get_all("Tag")) == TAGS


def test_metadata(archive):
    text = read_text(archive, f"{DIST_INFO}/METADATA")
    meta = Metadata.from_email(text, validate=True)  # raises on any invalid field
    assert (meta.metadata_version, meta.name, str(meta.version)) == ("2.1", "eliza-lambda", VERSION)
    assert str(meta.requires_python) == ">=3.9" and not meta.requires_dist
    assert meta.license.startswith("No licence has been chosen for eliza-lambda itself yet.")
    assert "Framework :: Pytest" in meta.classifiers
    assert meta.description_content_type.startswith("text/markdown")
    # README-derived: the title and first paragraph, then the Python section, verbatim ...
    readme = (ROOT / "README.md").read_text()
    intro = "\n\n".join(readme.split("\n\n")[:2])
    python_section = "## Use it from Python tests\n" + readme.split("\n## Use it from Python tests\n")[1].split("\n## ")[0]
    assert meta.description.startswith(intro + "\n\n## Use it from Python tests\n")
    assert python_section.rstrip() in meta.description
    assert "\n## Configuration\n" in meta.description and "| `ELIZA_API_KEY` | `--api-key` |" in meta.description
    # ... and the configuration table of docs/configuration.md, headed "## Configuration".
    table = (ROOT / "docs" / "configuration.md").read_text().split("\n## Flags and variables\n")[1].split("\n## ")[0]
    assert "\n## Configuration\n" + table.rstrip() + "\n" in meta.description
    assert metadata.metadata("eliza-lambda")["Summary"] == meta.summary  # what pip installed


def test_entry_points(archive):
    points = configparser.ConfigParser()
    points.read_string(read_text(archive, f"{DIST_INFO}/entry_points.txt"))
    assert dict(points["console_scripts"]) == {"eliza-lambda": "eliza_lambda.__main__:main",
                                               "elizac": "eliza_lambda.__main__:elizac_main"}
    assert dict(points["pytest11"]) == {"eliza_lambda": "eliza_lambda.pytest_plugin"}
    (script,) = [e for e in metadata.entry_points(group="console_scripts") if e.name == "eliza-lambda"]
    assert script.load() is eliza_lambda.__main__.main
    (tool,) = [e for e in metadata.entry_points(group="console_scripts") if e.name == "elizac"]
    assert tool.load() is eliza_lambda.__main__.elizac_main


def test_record_lists_every_file_with_its_sha256_and_size(archive):
    names = archive.namelist()
    rows = list(csv.reader(io.StringIO(read_text(archive, f"{DIST_INFO}/RECORD"))))
    assert sorted(row[0] for row in rows) == sorted(names) and len(names) == len(set(names))
    for path, digest, size in rows:
        if path == f"{DIST_INFO}/RECORD":
            assert (digest, size) == ("", "")
            continue
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
        assert (digest, size) == (f"sha256={expected}", str(len(data))), path


def test_layout_modes_and_timestamps_are_fixed(archive):
    infos = archive.infolist()
    names = [info.filename for info in infos]
    package = [n for n in names if not n.startswith(DIST_INFO)]
    assert package == sorted(package) and names[len(package):][-1] == f"{DIST_INFO}/RECORD"
    assert set(package) == {"eliza_lambda/__init__.py", "eliza_lambda/__main__.py", "eliza_lambda/_server.py",
                            "eliza_lambda/pytest_plugin.py", "eliza_lambda/py.typed", BINARY, ELIZAC_BINARY}
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.create_system == 3, info.filename
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == (0o755 if info.filename in (BINARY, ELIZAC_BINARY) else 0o644)


def test_the_package_is_python_3_9_syntax(archive):
    """METADATA says Requires-Python >=3.9; only 3.11 runs here, so at least the grammar is checked."""
    for name in archive.namelist():
        if name.endswith(".py"):
            ast.parse(archive.read(name), name, feature_version=(3, 9))


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    for out in ("a", "b"):
        result = build(BOOTSTRAP, tmp_path / out)
        assert result.returncode == 0, result.stderr
    first, second = (tmp_path / out / WHEEL.name for out in ("a", "b"))
    assert first.read_bytes() == second.read_bytes() == WHEEL.read_bytes()


def test_the_binary_is_make_lambdas_bootstrap(archive):
    inside = archive.read(BINARY)
    assert inside == BOOTSTRAP.read_bytes(), "not byte-identical to .build/lambda/bootstrap"
    assert eliza_lambda.binary_path().read_bytes() == inside  # as pip installed it
    with zipfile.ZipFile(ROOT / ".build" / "lambda" / "bootstrap.zip") as lambda_zip:
        assert lambda_zip.read("bootstrap") == inside  # and what the Lambda zip ships


def test_elizac_is_make_wheels_static_elizac(archive):
    inside = archive.read(ELIZAC_BINARY)
    assert inside == ELIZAC.read_bytes(), "not byte-identical to .build/lambda/elizac"
    assert eliza_lambda.elizac_path().read_bytes() == inside  # as pip installed it


@pytest.mark.parametrize("path", [eliza_lambda.binary_path, eliza_lambda.elizac_path], ids=["eliza-lambda", "elizac"])
def test_the_binary_is_static_stripped_and_old_kernel_compatible(path):
    path = str(path())
    headers = readelf("-hlW", path)
    assert re.search(r"Machine:\s+Advanced Micro Devices X86-64" if ARCH == "x86_64" else r"Machine:\s+AArch64",
                     headers)
    assert "INTERP" not in headers and "DYNAMIC" not in headers, headers
    assert "There is no dynamic section in this file." in readelf("-d", path)
    assert "No version information found in this file." in readelf("-V", path)
    assert ".symtab" not in readelf("-SW", path), "not stripped"
    # manylinux2014's reference kernel is CentOS 7's 3.10; the static glibc asks for 3.2.0.
    (kernel,) = re.findall(r"OS: Linux, ABI: (\d+)\.(\d+)\.(\d+)", readelf("-n", path))
    assert tuple(map(int, kernel)) <= (3, 10, 0)


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot and mount need root")
def test_the_binary_serves_from_an_empty_root_file_system(tmp_path):
    """Why the musllinux tag is honest: with nothing but the binary and /proc (which the Swift runtime
    reads to find itself), it starts and answers. So it loads no libc, loader, NSS or locale file of the
    host, and runs alike on glibc and musl systems. The mount lives in a private namespace."""
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    shutil.copy2(eliza_lambda.binary_path(), root / "eliza-lambda")
    script = 'mount -t proc proc "$1/proc" && exec chroot "$1" /eliza-lambda --port 0'
    process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                                str(root)], env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/v1", line)
        assert match, line + process.stdout.read()
        assert chat(match.group(0), "Men are all alike.") == "IN WHAT WAY"
        process.terminate()
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.wait()


def fake_elf(machine: int, kernel=(3, 2, 0), interp: bytes = b"", version: bytes = b"9.8.7") -> bytes:
    """A minimal ELF64 executable: a GNU ABI tag note, optionally PT_INTERP, and a version string."""
    segments = [(4, struct.pack("<III", 4, 16, 1) + b"GNU\0" + struct.pack("<IIII", 0, *kernel))]
    if interp:
        segments.append((3, interp + b"\0"))
    offset = 64 + 56 * len(segments)
    headers, payload = b"", b""
    for kind, data in segments:
        headers += struct.pack("<IIQQQQQQ", kind, 4, offset + len(payload), 0, 0, len(data), len(data), 4)
        payload += data
    elf = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0, 64, 0, 0, 64, 56,
                                                             len(segments), 64, 0, 0)
    return elf + headers + payload + b"eliza-lambda " + version + b" (ELIZA 1966)\0"


def test_an_aarch64_binary_gets_aarch64_tags(tmp_path):
    (tmp_path / "bootstrap").write_bytes(fake_elf(183))
    (tmp_path / "elizac").write_bytes(fake_elf(183, version=b""))
    result = build(tmp_path / "bootstrap", tmp_path / "out", elizac=tmp_path / "elizac")
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "out").iterdir()
    assert wheel.name == ("eliza_lambda-9.8.7-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64"
                          ".musllinux_1_1_aarch64.whl")


@pytest.mark.parametrize("binary, message", [
    (sys.executable, "dynamically linked: it needs the program interpreter /lib64/ld-linux-x86-64.so.2"),
    (fake_elf(62, interp=b"/lib/ld-musl-x86_64.so.1"), "needs the program interpreter /lib/ld-musl-x86_64.so.1"),
    (fake_elf(62, kernel=(4, 4, 0)), "needs Linux 4.4.0, newer than manylinux2014's 3.10"),
    (fake_elf(40), "ELF machine 40 is neither x86_64 (62) nor aarch64 (183)"),
    (fake_elf(62, version=b"one"), "expected one 'eliza-lambda X.Y.Z (' version string in the binary, found []"),
    (b"#!/bin/sh\n", "not an ELF executable"),
])
def test_the_builder_refuses_what_would_make_a_dishonest_wheel(tmp_path, binary, message):
    path = tmp_path / "bootstrap"
    if isinstance(binary, bytes):
        path.write_bytes(binary)
    else:
        shutil.copy(os.path.realpath(binary), path)
    result = build(path, tmp_path / "out")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


OTHER_ARCH, OTHER_MACHINE = ("aarch64", 183) if ARCH == "x86_64" else ("x86_64", 62)


@pytest.mark.parametrize("elizac, message", [
    (fake_elf(OTHER_MACHINE), f"is for {OTHER_ARCH}, "),
    (b"#!/bin/sh\n", "elizac: not an ELF executable"),
    (fake_elf(62 if ARCH == "x86_64" else 183, interp=b"/lib/ld.so"), "elizac: dynamically linked"),
])
def test_the_builder_refuses_an_elizac_that_would_not_run_beside_the_binary(tmp_path, elizac, message):
    (tmp_path / "elizac").write_bytes(elizac)
    result = build(BOOTSTRAP, tmp_path / "out", elizac=tmp_path / "elizac")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_a_release_build_needs_a_licence_and_project_urls(tmp_path):
    result = build(BOOTSTRAP, tmp_path, "--release")
    assert result.returncode == 1
    assert "not ready for a release: no LICENSE file" in result.stderr
    assert "PROJECT_URLS in Tools/build_wheel.py is empty" in result.stderr
    assert not list(tmp_path.iterdir())


def test_make_wheel_builds_make_lambdas_bootstrap_first():
    dry = subprocess.run(["make", "-n", "-C", str(ROOT), "wheel"], capture_output=True, text=True, check=True).stdout
    lines = dry.splitlines()
    build_line = next(i for i, line in enumerate(lines) if "--product eliza-lambda" in line)
    elizac_line = next(i for i, line in enumerate(lines) if "--product elizac" in line and "-c release" in line)
    wheel_line = next(i for i, line in enumerate(lines) if "Tools/build_wheel.py" in line)
    assert build_line < wheel_line and elizac_line < wheel_line
    assert "-static-executable" in lines[elizac_line] or "--swift-sdk" in lines[elizac_line]
    assert (f"--binary {ROOT}/.build/lambda/bootstrap --elizac {ROOT}/.build/lambda/elizac --out {ROOT}/.build/wheel"
            in lines[wheel_line])
