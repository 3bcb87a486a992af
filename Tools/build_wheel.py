#!/usr/bin/env python3
"""Builds the eliza-lambda wheel: the static `bootstrap` of `make lambda` inside the Python package in
Python/eliza_lambda. Standard library only; `make wheel` runs it.

    Tools/build_wheel.py --binary .build/lambda/bootstrap --elizac .build/lambda/elizac --out .build/wheel [--release]

- Version: the binary's own (`Entry.version`, what `eliza-lambda --version` prints), read from the
  binary's bytes. The wheel therefore cannot name a version other than that of the binary it carries,
  and a cross-built binary that cannot run here still gets its version.
- Platform tags: from the binary's ELF headers (`inspect_elf`, `platform_tags`). The binary must be a
  fully static x86_64 or aarch64 Linux executable: no PT_INTERP, no DT_NEEDED, no versioned symbol
  requirement.
- Deterministic: the same inputs give the same bytes (entries in a fixed order, one timestamp, fixed
  modes, deflate level 9; with the same zlib).
- `--release` also refuses to build without what a public release needs (a LICENSE file, project URLs,
  a clean git tree); see docs/development.md, "The Python wheel: building and releasing it".
"""

import argparse
import base64
import csv
import hashlib
import io
import re
import stat
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "Python" / "eliza_lambda"
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
LICENSE_FILE = ROOT / "LICENSE"

NAME = "eliza-lambda"
SUMMARY = ("Weizenbaum's 1966 ELIZA as a deterministic OpenAI-compatible LLM server for tests: a static "
           "binary, a Python API and a pytest fixture")
KEYWORDS = "eliza,llm,openai,litellm,pytest,testing,mock"
REQUIRES_PYTHON = ">=3.9"
# Metadata 2.1's free-text field. The project has not chosen a licence; say so rather than guess, and
# name what the static binary bundles (each under its own licence).
LICENSE = ("No licence has been chosen for eliza-lambda itself yet. The binary bundles: Anthony Hay's "
           "transcriptions of the ELIZA scripts (CC0-1.0); the Swift runtime, standard library and "
           "FoundationEssentials (Apache-2.0 WITH Swift-exception); the GNU C Library, statically linked "
           "(LGPL-2.1-or-later); libstdc++ and the GCC runtime (GPL-3.0-or-later WITH "
           "GCC-exception-3.1).")
# Label -> URL, as `Project-URL: Label, URL`. None is known yet; `--release` refuses an empty table.
PROJECT_URLS: dict = {}
CLASSIFIERS = [
    "Environment :: Console",
    "Framework :: Pytest",
    "Intended Audience :: Developers",
    "Operating System :: POSIX :: Linux",
    "Programming Language :: Python :: 3",
    "Topic :: Software Development :: Testing",
    "Topic :: Software Development :: Testing :: Mocking",
]
ENTRY_POINTS = """\
[console_scripts]
eliza-lambda = eliza_lambda.__main__:main
elizac = eliza_lambda.__main__:elizac_main

[pytest11]
eliza_lambda = eliza_lambda.pytest_plugin
"""
# The README sections (after the title and first paragraph) that make the long description, and the
# section of docs/configuration.md that follows them, headed "## Configuration".
DESCRIPTION_SECTIONS = ("Use it from Python tests",)
CONFIGURATION_SECTION = "Flags and variables"

BINARY_IN_WHEEL = "eliza_lambda/bin/eliza-lambda"
ELIZAC_IN_WHEEL = "eliza_lambda/bin/elizac"
TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
VERSION_PATTERN = re.compile(rb"eliza-lambda (\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?) \(")

ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
PT_DYNAMIC, PT_INTERP, PT_NOTE = 2, 3, 4
DT_NULL, DT_NEEDED, DT_VERNEED = 0, 1, 0x6FFFFFFE
NT_GNU_ABI_TAG = 1
# manylinux2014 (= manylinux_2_17) promises glibc 2.17 and CentOS 7's Linux 3.10. A static binary needs
# no glibc at all, but it does need the kernel its C library was built for (the GNU ABI tag).
MANYLINUX_KERNEL = (3, 10, 0)


class BuildError(Exception):
    """The inputs cannot make an honest wheel; the message says why."""


@dataclass(frozen=True)
class ElfFacts:
    arch: str
    """The wheel's name for the instruction set: x86_64 or aarch64."""
    min_kernel: tuple
    """The Linux version from the GNU ABI tag note (glibc's --enable-kernel), or () if there is none."""


def inspect_elf(data: bytes) -> ElfFacts:
    """Checks that `data` is a fully static 64-bit little-endian Linux executable.

    Raises BuildError for anything else: another format, an unknown machine, a program interpreter
    (PT_INTERP), a shared library it needs (DT_NEEDED) or a symbol version requirement (DT_VERNEED).
    """
    if data[:4] != b"\x7fELF":
        raise BuildError("not an ELF executable (this builder makes Linux wheels only; see docs/development.md for macOS)")
    if data[4:6] != b"\x02\x01":
        raise BuildError("not a 64-bit little-endian ELF file")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_type not in (2, 3):  # ET_EXEC, or ET_DYN for a static PIE
        raise BuildError(f"ELF type {e_type} is not an executable")
    if e_machine not in ELF_MACHINES:
        raise BuildError(f"ELF machine {e_machine} is neither x86_64 (62) nor aarch64 (183)")
    (e_phoff,) = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    min_kernel = ()
    for index in range(e_phnum):
        p_type, _, p_offset, _, _, p_filesz, _, p_align = struct.unpack_from("<IIQQQQQQ", data,
                                                                               e_phoff + index * e_phentsize)
        segment = data[p_offset:p_offset + p_filesz]
        if p_type == PT_INTERP:
            loader = segment.rstrip(b"\0").decode(errors="replace")
            raise BuildError(f"dynamically linked: it needs the program interpreter {loader}")
        if p_type == PT_DYNAMIC:
            for tag, _ in struct.iter_unpack("<qQ", segment[:len(segment) // 16 * 16]):
                if tag == DT_NULL:
                    break
                if tag == DT_NEEDED:
                    raise BuildError("dynamically linked: it needs shared libraries (DT_NEEDED)")
                if tag == DT_VERNEED:
                    raise BuildError("it requires versioned symbols from shared libraries (DT_VERNEED)")
        if p_type == PT_NOTE:
            min_kernel = _gnu_abi_tag(segment, max(p_align, 4)) or min_kernel
    return ElfFacts(ELF_MACHINES[e_machine], min_kernel)


def _gnu_abi_tag(notes: bytes, align: int) -> tuple:
    """The (major, minor, patch) Linux version of a GNU ABI tag note in `notes`, or ()."""
    offset = 0
    while offset + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from("<III", notes, offset)
        name_at = offset + 12
        desc_at = name_at + -(-namesz // align) * align
        if notes[name_at:name_at + namesz] == b"GNU\0" and kind == NT_GNU_ABI_TAG and descsz >= 16:
            os_id, *version = struct.unpack_from("<IIII", notes, desc_at)
            if os_id == 0:  # ELF_NOTE_OS_LINUX
                return tuple(version)
        offset = desc_at + -(-descsz // align) * align
    return ()


def platform_tags(facts: ElfFacts) -> list:
    """The platform tags a fully static Linux executable may honestly claim.

    manylinux_2_17 / manylinux2014: it needs no glibc symbol at all, and the oldest manylinux whose
    reference platform has a kernel at least as new as the binary's ABI tag (3.2.0 for the glibc
    static build) is manylinux2014 (CentOS 7, Linux 3.10); manylinux1/2010 platforms ran 2.6 kernels.
    musllinux_1_1: it loads no libc, so it runs on musl systems too (Tools/test-wheel.sh runs it in an
    empty root file system with only /proc).
    """
    if facts.min_kernel > MANYLINUX_KERNEL:
        found = ".".join(map(str, facts.min_kernel))
        raise BuildError(f"the binary needs Linux {found}, newer than manylinux2014's 3.10")
    arch = facts.arch
    return [f"manylinux_2_17_{arch}", f"manylinux2014_{arch}", f"musllinux_1_1_{arch}"]


def binary_version(data: bytes) -> str:
    """The version in the binary's `--version` text (`eliza-lambda 1.0.0 (...)`), a PEP 440 version."""
    found = {match.group(1).decode() for match in VERSION_PATTERN.finditer(data)}
    if len(found) != 1:
        raise BuildError(f"expected one 'eliza-lambda X.Y.Z (' version string in the binary, found {sorted(found)}")
    return found.pop()


def sections_of(markdown: str) -> dict:
    """The text before the first `## ` heading (key ""), then each `## ` section with its heading."""
    sections = {}
    current, fenced = "", False
    for line in markdown.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("## ") and not fenced:
            current = line[3:].strip()
        sections[current] = sections.get(current, "") + line
    return sections


def long_description(readme: str, configuration: str) -> str:
    """The README's title and first paragraph, then the DESCRIPTION_SECTIONS, verbatim, then the
    configuration table (docs/configuration.md's CONFIGURATION_SECTION) headed "## Configuration"."""
    sections = sections_of(readme)
    intro = sections[""].split("\n\n")
    parts = ["\n\n".join(intro[:2]).rstrip()]
    for name in DESCRIPTION_SECTIONS:
        if name not in sections:
            raise BuildError(f"README.md has no '## {name}' section for the long description")
        parts.append(sections[name].rstrip())
    table = sections_of(configuration).get(CONFIGURATION_SECTION)
    if table is None:
        raise BuildError(f"docs/configuration.md has no '## {CONFIGURATION_SECTION}' section")
    parts.append("## Configuration\n" + table.split("\n", 1)[1].rstrip())
    text = "\n\n".join(parts) + "\n"
    relative = re.findall(r"\]\((?!https?://|#)([^)]+)\)", text)
    if relative:
        raise BuildError(f"the long description links to repository paths, broken on PyPI: {relative}")
    return text


def metadata(version: str, description: str) -> str:
    """METADATA (Core metadata 2.1)."""
    fields = [
        ("Metadata-Version", "2.1"),
        ("Name", NAME),
        ("Version", version),
        ("Summary", SUMMARY),
        ("Keywords", KEYWORDS),
        ("License", LICENSE),
        *[("Classifier", c) for c in CLASSIFIERS],
        ("Requires-Python", REQUIRES_PYTHON),
        *[("Project-URL", f"{label}, {url}") for label, url in PROJECT_URLS.items()],
        ("Description-Content-Type", "text/markdown; charset=UTF-8; variant=GFM"),
    ]
    return "".join(f"{key}: {value}\n" for key, value in fields) + "\n" + description


def wheel_file(tags: list) -> str:
    lines = ["Wheel-Version: 1.0", "Generator: eliza-lambda Tools/build_wheel.py", "Root-Is-Purelib: false"]
    return "\n".join(lines + [f"Tag: py3-none-{tag}" for tag in tags]) + "\n"


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def package_files() -> list:
    """(path in the wheel, bytes, mode) of the Python package's sources, sorted."""
    files = sorted(p for p in PACKAGE.rglob("*")
                   if p.is_file() and (p.suffix == ".py" or p.name == "py.typed") and "__pycache__" not in p.parts)
    if not files:
        raise BuildError(f"no Python sources in {PACKAGE}")
    return [(p.relative_to(PACKAGE.parent).as_posix(), p.read_bytes(), 0o644) for p in files]


def build(binary: Path, out_dir: Path, elizac: Path) -> Path:
    """Writes the wheel into `out_dir` and returns its path: the server `binary` and the script authors'
    `elizac`, both fully static executables for the same instruction set."""
    data = binary.read_bytes()
    try:
        facts = inspect_elf(data)
    except (BuildError, struct.error) as error:
        raise BuildError(f"{binary}: {error}") from None
    tool = elizac.read_bytes()
    try:
        tool_facts = inspect_elf(tool)
    except (BuildError, struct.error) as error:
        raise BuildError(f"{elizac}: {error}") from None
    if tool_facts.arch != facts.arch:
        raise BuildError(f"{elizac} is for {tool_facts.arch}, {binary} for {facts.arch}")
    tags = platform_tags(facts if facts.min_kernel >= tool_facts.min_kernel else tool_facts)
    version = binary_version(data)
    dist_info = f"eliza_lambda-{version}.dist-info"
    entries = package_files() + [(BINARY_IN_WHEEL, data, 0o755), (ELIZAC_IN_WHEEL, tool, 0o755)]
    entries.sort(key=lambda entry: entry[0])
    entries += [
        (f"{dist_info}/METADATA", metadata(version, long_description(README.read_text(), CONFIGURATION.read_text())).encode(), 0o644),
        (f"{dist_info}/WHEEL", wheel_file(tags).encode(), 0o644),
        (f"{dist_info}/entry_points.txt", ENTRY_POINTS.encode(), 0o644),
    ]
    if LICENSE_FILE.exists():
        entries.append((f"{dist_info}/LICENSE", LICENSE_FILE.read_bytes(), 0o644))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, content, _ in entries:
        writer.writerow([name, record_hash(content), len(content)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    entries.append((f"{dist_info}/RECORD", record.getvalue().encode(), 0o644))

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"eliza_lambda-{version}-py3-none-{'.'.join(tags)}.whl"
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    partial.replace(target)
    return target


def check_release() -> None:
    """What a public release needs beyond a development build."""
    problems = []
    if not LICENSE_FILE.exists():
        problems.append(f"no {LICENSE_FILE.name} file: choose a licence and update LICENSE in Tools/build_wheel.py")
    if not PROJECT_URLS:
        problems.append("PROJECT_URLS in Tools/build_wheel.py is empty")
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True)
    if dirty.returncode != 0 or dirty.stdout.strip():
        problems.append("the git work tree is not clean")
    if problems:
        raise BuildError("not ready for a release: " + "; ".join(problems))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(64)


def main(argv=None) -> int:
    parser = _Parser(description="Build the eliza-lambda wheel around a static eliza-lambda binary.")
    parser.add_argument("--binary", type=Path, required=True, help="the static binary (make lambda's bootstrap)")
    parser.add_argument("--elizac", type=Path, required=True, help="the static elizac (make wheel builds it)")
    parser.add_argument("--out", type=Path, required=True, help="directory for the .whl")
    parser.add_argument("--release", action="store_true", help="refuse to build what cannot be published")
    args = parser.parse_args(argv)
    try:
        if args.release:
            check_release()
        wheel = build(args.binary, args.out, args.elizac)
    except (BuildError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{wheel} ({wheel.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
