"""docs/authoring.md, run as printed with only the wheel: every named code block (```eliza catbot.eliza,
```python chat.py, ...) is written to an empty directory under its name, then every ```console session
runs there, command by command, and must print what the guide shows (stdout and stderr together; `…`
stands for any text within a line). `eliza-lambda ... &` starts the server the later commands talk to;
its lines must appear in order among what it prints. The guide's port, 5005, is replaced by a free one
(ELIZA_PORT), so that the run cannot meet another server. The ```sh deploy example is run (dry) by
IntegrationTests/test_deploy_sh.py."""

import os
import re
import signal
import socket
import subprocess
import time

from support import ROOT

GUIDE = ROOT / "docs" / "authoring.md"
BLOCK = re.compile(r"^```(\w+)(?: (\S+))?\n(.*?)^```$", re.M | re.S)


def blocks():
    return [match.groups() for match in BLOCK.finditer(GUIDE.read_text())]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def matches(expected, actual):
    pattern = "".join(".*" if part == "…" else re.escape(part) for part in re.split("(…)", expected))
    return re.fullmatch(pattern, actual) is not None


def sessions(text):
    """(command, expected output lines) of a console block; `\\` at a line's end continues the command."""
    steps = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append([line[2:], []])
        elif steps and steps[-1][0].endswith("\\"):
            steps[-1][0] = steps[-1][0][:-1] + line
        else:
            steps[-1][1].append(line)
    return steps


def start_background(command, cwd, env, expected):
    process = subprocess.Popen(["bash", "-c", "exec " + command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen, wanted = [], list(expected)
    deadline = time.monotonic() + 30
    while wanted and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        if matches(wanted[0], seen[-1]):
            wanted.pop(0)
    assert not wanted, f"{command!r} did not print {wanted[0]!r}; it printed:\n" + "\n".join(seen)
    return process


def test_every_example_of_the_authoring_guide_runs_as_printed(tmp_path):
    port = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIZA_")} | {"ELIZA_PORT": port}
    found = blocks()
    files = [name for _, name, _ in found if name]
    assert {"catbot.eliza", "chat.py", "inline.py", "test_catbot.py"} <= set(files)
    for _, name, body in found:
        if name:
            (tmp_path / name).write_text(body.replace("5005", port))
    background, ran = [], 0
    try:
        for language, name, body in found:
            if language != "console" or name:
                continue
            for command, expected in sessions(body.replace("5005", port)):
                if command.endswith(" &"):
                    background.append(start_background(command[:-2], tmp_path, env, expected))
                    continue
                result = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=tmp_path, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
                actual = result.stdout.splitlines()
                assert len(actual) == len(expected) and all(map(matches, expected, actual)), \
                    f"$ {command}\nexpected:\n" + "\n".join(expected) + "\nprinted:\n" + result.stdout
                ran += 1
    finally:
        for process in background:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
    assert background, "the guide starts no server"
    assert ran >= 9, f"only {ran} commands ran"


def readme_commands():
    """The commands of the README's "Your own scripts" block, without their comments."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Your own scripts\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readmes_own_scripts_commands_run(tmp_path):
    """The README's three lines, with the guide's script saved as mybot.eliza: elizac chat --trace and
    eliza-lambda --script here (the deploy line: IntegrationTests/test_deploy_sh.py)."""
    (script,) = [body for _, name, body in blocks() if name == "catbot.eliza"]
    (tmp_path / "mybot.eliza").write_text(script)
    chat, serve, deploy = readme_commands()
    assert deploy.startswith("./deploy.sh ")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIZA_")} | {"ELIZA_PORT": str(free_port())}
    result = subprocess.run(["bash", "-c", chat], cwd=tmp_path, env=env, input="My cat is grumpy.\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "WHY IS YOUR CAT GRUMPY"
    assert "trace: keyword CAT (line 10)" in result.stderr
    server = start_background(serve, tmp_path, env, ["ELIZA is listening. … eliza-palindrome, mybot)"])
    os.killpg(server.pid, signal.SIGTERM)
    assert server.wait(10) == 0
