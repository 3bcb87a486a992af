"""The README and docs/ stay true.

- Every relative link and #anchor in README.md and docs/*.md (and the Markdown files they link to)
  resolves: the file exists, and the anchor is a heading of it, spelled as GitHub spells anchors.
- docs/configuration.md's table holds exactly the flags `eliza-lambda --help` prints, with their
  variables and defaults, and exactly the environment variables the sources read.
- The Python examples (every ```python block that talks to http://127.0.0.1:5005) and the curl
  examples (every ```sh block that starts with `curl -s http://127.0.0.1:5005`) run against a local
  server and print what their comments show; a page's Python blocks run in order in one interpreter,
  as a reader would paste them.
- The script in docs/scripts.md loads cleanly in `elizac` and holds the conversation printed under it.
- The shell examples that cannot run here (deploying, building) name real make targets, options of
  deploy.sh, eliza-lambda and elizac, and files of the repository.
The README's pytest example runs with the installed wheel in Python/tests/test_readme.py.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from local_server import ROOT, Server, server_binary

PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
LOCAL = "http://127.0.0.1:5005"


def outside_code(text):
    """The text with fenced blocks and inline code blanked out (links there are not links)."""
    text = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "``", text)


def fenced_blocks(text, language):
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


def anchors(path):
    """The anchors GitHub gives the headings of a Markdown file."""
    seen, result = {}, set()
    # Headings are read with their inline code kept: it is part of the anchor.
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, re.M):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def links(path):
    """(target, line) of every Markdown link and image of a file, outside code."""
    found = []
    for number, line in enumerate(outside_code(path.read_text()).splitlines(), 1):
        for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            found.append((target, number))
    return found


def broken_links(pages, root=ROOT):
    problems, checked, queue, done = [], 0, list(pages), set()
    while queue:
        page = queue.pop(0)
        if page in done:
            continue
        done.add(page)
        for target, line in links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            checked += 1
            file_part, _, anchor = target.partition("#")
            resolved = (page.parent / file_part).resolve() if file_part else page
            where = f"{page.relative_to(root)}:{line}: {target}"
            if not resolved.exists():
                problems.append(f"{where}: no such file")
                continue
            if root not in resolved.parents and resolved != root:
                problems.append(f"{where}: outside the repository")
                continue
            if resolved.suffix == ".md":
                queue.append(resolved)
            if anchor:
                if resolved.suffix != ".md":
                    problems.append(f"{where}: an anchor into a file that is not Markdown")
                elif anchor not in anchors(resolved):
                    problems.append(f"{where}: no heading with the anchor #{anchor}")
    return problems, checked


def test_every_internal_link_resolves():
    problems, checked = broken_links(PAGES)
    assert not problems, "\n".join(problems)
    assert checked >= 60, f"only {checked} internal links found: is the link pattern still right?"


def test_the_link_check_catches_broken_links(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\n## A section: `GET /x`\n\n[ok](#a-section-get-x) [ok](b.md#b)\n"
                                   "[missing](c.md) [anchor](b.md#nope) `[code](nowhere.md)`\n\n```\n[x](y.md)\n```\n")
    (tmp_path / "b.md").write_text("# B\n\n[back](a.md#title)\n")
    problems, checked = broken_links([tmp_path / "a.md"], root=tmp_path)
    assert checked == 5
    assert [p.split(": ", 1)[1] for p in problems] == ["c.md: no such file", "b.md#nope: no heading with the anchor #nope"]


# MARK: configuration.md against --help and the sources


def table_rows(section):
    rows = []
    for line in section.splitlines():
        if line.startswith("| `") or line.startswith("| |"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def configuration_table():
    text = (ROOT / "docs" / "configuration.md").read_text()
    section = text.split("\n## Flags and variables\n", 1)[1].split("\n## ", 1)[0]
    return table_rows(section)


def help_options():
    """{flag: (variables, default)} from `eliza-lambda --help`."""
    output = subprocess.run([str(server_binary()), "--help"], capture_output=True, text=True, timeout=30,
                            check=True).stdout
    options_text = output.split("OPTIONS:\n", 1)[1]
    entries = re.split(r"\n(?=  --)", options_text.strip("\n"))
    options = {}
    for entry in entries:
        flag = entry.split()[0].rstrip(",")
        if flag == "--help":
            continue
        joined = " ".join(entry.split())
        m = re.search(r"\(([A-Z_]+(?: or [A-Z_]+)*),? default:? ([^)]+)\)$", joined)
        assert m, f"cannot read the variables and default of {flag}: {joined}"
        options[flag] = (m.group(1).split(" or "), m.group(2).strip())
    return options


def source_variables():
    pattern = re.compile(r'"((?:ELIZA|AWS_LAMBDA)_[A-Z0-9_]+|LOG_LEVEL|ALLOWED_CALLER_CIDRS)"')
    return {name for path in (ROOT / "Sources").rglob("*.swift") for name in pattern.findall(path.read_text())}


def test_the_configuration_table_matches_help_and_the_sources():
    rows = configuration_table()
    assert rows and all(len(row) == 4 for row in rows), rows
    by_flag = {row[1].strip("`"): row for row in rows if row[1]}
    options = help_options()
    assert set(by_flag) == set(options), f"flags: table {sorted(by_flag)}, --help {sorted(options)}"
    for flag, (variables, default) in options.items():
        row = by_flag[flag]
        assert re.findall(r"`([A-Z_]+)`", row[0]) == variables, f"{flag}: {row[0]} vs {variables}"
        assert row[2].strip("`") == default, f"{flag}: default {row[2]} in the table, {default} in --help"
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0])}
    read = source_variables()
    # ELIZA_LOG_PREVIEW_CHARS is read only to be refused: the table names it in its successor's row.
    retired = {"ELIZA_LOG_PREVIEW_CHARS"}
    assert documented == read - retired, (
        f"variables read but not in the table: {sorted(read - retired - documented)}; "
        f"in the table but not read: {sorted(documented - read)}")
    for name in retired:
        assert name in " ".join(row[3] for row in rows)


# MARK: the commands of the shell examples


def shell_lines():
    """Every command line of the ```sh blocks (comments and continuations joined), with its page."""
    for page in PAGES:
        for block in fenced_blocks(page.read_text(), "sh"):
            for command in re.sub(r"\\\n", " ", block).splitlines():
                command = command.split(" # ", 1)[0].strip()
                if command and not command.startswith("#"):
                    yield page, command


def test_the_shell_examples_name_real_targets_options_and_files():
    """What the examples that cannot run here (deploying, building the wheel) name exists: the make
    targets, deploy.sh's and the binaries' options, elizac's subcommands, the repository's files."""
    targets = set(re.findall(r"^([A-Za-z0-9_-]+):", (ROOT / "Makefile").read_text(), re.M))
    deploy_help = subprocess.run([str(ROOT / "deploy.sh"), "--help"], capture_output=True, text=True,
                                 timeout=30).stdout
    server_help = subprocess.run([str(server_binary()), "--help"], capture_output=True, text=True,
                                 timeout=30).stdout
    elizac_help = subprocess.run([str(server_binary().parent / "elizac"), "--help"], capture_output=True,
                                 text=True, timeout=30).stdout
    problems, seen = [], 0
    for page, command in shell_lines():
        where = f"{page.relative_to(ROOT)}: {command}"
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", command):
            seen += 1
            if target not in targets:
                problems.append(f"{where}: no make target {target}")
        if command.startswith("./deploy.sh"):
            for option in re.findall(r"(?<!\S)(--[a-z-]+)", command):
                seen += 1
                if option not in deploy_help:
                    problems.append(f"{where}: deploy.sh has no {option}")
        if m := re.match(r"(?:\S+=\S+ )*swift run (eliza-lambda|elizac)\b(.*)", command):
            help_text = server_help if m.group(1) == "eliza-lambda" else elizac_help
            for word in m.group(2).split():
                if word.startswith("--") or (m.group(1) == "elizac" and re.fullmatch(r"[a-z]+", word)):
                    seen += 1
                    if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", help_text):
                        problems.append(f"{where}: {m.group(1)} --help does not know {word}")
        for path in re.findall(r"(?<![\w/.])((?:Tools|Fuzz|examples|IntegrationTests|Scripts|docs)/[\w./*-]+)", command):
            seen += 1
            if not list(ROOT.glob(path)):
                problems.append(f"{where}: no file {path}")
    assert not problems, "\n".join(problems)
    assert seen >= 30, f"only {seen} names checked"


# MARK: examples


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


def expected_prints(block):
    """What a block's print calls should print, from their trailing comments (or, for a print whose
    call spans lines, the comment line after it)."""
    expected, pending = [], False
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        if "print(" in code:
            if comment.strip() and not code.strip().startswith("#"):
                expected.append(comment.strip())
            else:
                pending = True
        elif pending and line.strip().startswith("#"):
            expected.append(line.strip()[1:].strip())
            pending = False
    return expected


def python_examples():
    for page in PAGES:
        blocks = [b for b in fenced_blocks(page.read_text(), "python") if LOCAL in b or "client." in b]
        blocks = [b for b in blocks if "def test_" not in b]
        if blocks:
            yield pytest.param(page, blocks, id=str(page.relative_to(ROOT)))


@pytest.mark.parametrize("page, blocks", list(python_examples()))
def test_the_python_examples_print_what_they_show(server, tmp_path, page, blocks):
    origin = server.base_url[: -len("/v1")]
    program = "\n\n".join(block.replace(LOCAL, origin) for block in blocks)
    (tmp_path / "example.py").write_text(program)
    environment = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False",
                       OPENAI_AGENTS_DISABLE_TRACING="1", OPENAI_API_KEY="unused", ANTHROPIC_API_KEY="unused")
    result = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    printed = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    expected = [e for block in blocks for e in expected_prints(block)]
    # A page shows its results by prints with the output in a comment, or by asserting them in every
    # example (docs/failures.md; IntegrationTests/test_failures_docs.py runs those too).
    assert expected or all(re.search(r"^\s*assert ", b, re.M) for b in blocks), \
        f"{page.name}: its examples neither print their output nor assert it"
    assert printed == expected


def curl_examples():
    for page in PAGES:
        for block in fenced_blocks(page.read_text(), "sh"):
            if block.startswith(f"curl -s {LOCAL}"):
                command = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
                comments = [line for line in block.splitlines() if line.startswith("#")]
                yield pytest.param(command, comments, id=f"{page.name}:{block.splitlines()[0][len(LOCAL) + 8:][:40]}")


@pytest.mark.parametrize("command, comments", list(curl_examples()))
def test_the_curl_examples_answer_what_they_show(server, command, comments):
    origin = server.base_url[: -len("/v1")]
    result = subprocess.run(["bash", "-c", command.replace(LOCAL, origin)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    output = squeeze(result.stdout)
    shown = squeeze("".join(re.sub(r"^# ?", "", line) for line in comments))
    position = 0
    for fragment in (f for f in shown.split("…") if f):
        found = output.find(fragment, position)
        assert found >= 0, f"{fragment!r} not in the output (after position {position}):\n{result.stdout[:3000]}"
        position = found + len(fragment)


def test_the_script_in_scripts_md_holds_its_conversation(tmp_path):
    text = (ROOT / "docs" / "scripts.md").read_text()
    (script,) = fenced_blocks(text, "eliza")
    transcript = text.split(script, 1)[1]
    (conversation,) = fenced_blocks(transcript, "text")[:1]
    lines = conversation.splitlines()
    inputs = [line[2:] for line in lines if line.startswith("> ")]
    replies = [line for line in lines if not line.startswith("> ")]
    path = tmp_path / "small.eliza"
    path.write_text(script)
    elizac = server_binary().parent / "elizac"
    check = subprocess.run([str(elizac), "check", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "error" not in check.stderr, check.stderr
    chat = subprocess.run([str(elizac), "chat", str(path)], input="\n".join(inputs) + "\n", capture_output=True,
                          text=True, timeout=60)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.splitlines() == replies, textwrap.indent(chat.stdout, "  ")
    assert len(inputs) >= 5
