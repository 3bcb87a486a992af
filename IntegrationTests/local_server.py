"""eliza-lambda started on a free 127.0.0.1 port for the integration tests (the real clients and the
browser playground test): the binary is $ELIZA_LAMBDA_BIN, or the debug build's."""

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import recorded

ROOT = Path(__file__).resolve().parents[1]


def server_binary() -> Path:
    explicit = os.environ.get("ELIZA_LAMBDA_BIN")
    if explicit:
        return Path(explicit)
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True, timeout=120).stdout.strip()
    return Path(bin_path) / "eliza-lambda"


class Server:
    """eliza-lambda on port 0; the base URL and the playground's URL are read from the lines it prints.
    Its later output (the access log) is drained into `lines`, so a long test cannot fill the pipe."""

    def __init__(self, env_extra=None, args=()):
        env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        env.update(env_extra or {})
        self.proc = subprocess.Popen([str(server_binary()), "--port", "0", *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = []
        deadline = time.monotonic() + 30
        self.base_url = None
        while time.monotonic() < deadline and self.base_url is None:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
            if m:
                self.base_url = m.group(1)
        if self.base_url is None:
            self.stop()
            raise RuntimeError("server did not print its base URL: " + "".join(self.lines))
        recorded.PORTS.add(int(self.base_url.split(":")[2].split("/")[0]))
        line = self.proc.stdout.readline()
        self.lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+/) in a browser", line)
        self.playground_url = m.group(1) if m else None
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
