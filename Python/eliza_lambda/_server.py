"""Starting and stopping the bundled server: `binary_path`, `elizac_path`, `serve`, `Server`,
`ServerError`; the failure-simulation helpers `simulation_spec`, `simulate_headers` and `simulated_model`."""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# The line the binary prints once it listens (ElizaLambdaMain: "... the base URL http://HOST:PORT/v1 ...").
_BANNER = re.compile(r"http://127\.0\.0\.1:(\d+)/v1")
# serve() owns these: the address and port are always 127.0.0.1 and a free port, the key is `api_key`.
_OWN_VARIABLES = ("ELIZA_HOST", "ELIZA_PORT", "ELIZA_API_KEY")
# Never inherited: with it set, the binary runs the AWS Lambda Runtime API loop instead of serving HTTP.
_LAMBDA_VARIABLE = "AWS_LAMBDA_RUNTIME_API"
# Lines of server output kept (one access-log line per request); older ones are dropped.
LOG_LINES = 10_000
# Requests to the server itself never go through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# The header that carries a simulation spec (docs/failures.md).
SIMULATE_HEADER = "x-eliza-simulate"


def simulation_spec(**spec: str | int) -> str:
    """A failure-simulation spec as the server reads it: `simulation_spec(fault="rate_limit", times=2)`
    is `"fault=rate_limit,times=2"`. The keys are fault, times, key, after, retry_after_ms, delay_ms,
    ttft_ms and tps; the server answers a bad key or value with a 400 naming it."""
    if not spec:
        raise TypeError("give at least one key, e.g. fault='server_error'")
    for name, value in spec.items():
        text = str(value)
        if isinstance(value, bool) or not text or any(c in text for c in ",= "):
            raise ValueError(f"{name}={value!r}: a value is a name or a whole number without ',', '=' or spaces")
    return ",".join(f"{name}={value}" for name, value in spec.items())


def simulate_headers(**spec: str | int) -> dict:
    """`{"x-eliza-simulate": "fault=rate_limit,times=2"}`, for an SDK's `extra_headers` or `default_headers`."""
    return {SIMULATE_HEADER: simulation_spec(**spec)}


def simulated_model(model: str = "eliza", **spec: str | int) -> str:
    """`"eliza@fault=server_error"`: a model name that carries the spec, which survives the LiteLLM
    proxy and router (`model: openai/eliza@fault=server_error` in a config)."""
    return f"{model}@{simulation_spec(**spec)}"


def binary_path() -> Path:
    """The `eliza-lambda` executable this wheel installed.

    Raises FileNotFoundError outside an installed wheel (a source checkout has no binary) and
    PermissionError if the installer dropped its executable mode.
    """
    return _bundled("eliza-lambda")


def elizac_path() -> Path:
    """The `elizac` executable this wheel installed (the script authors' tool: `check`, `chat`,
    `chat --trace`). Raises as `binary_path()` does."""
    return _bundled("elizac")


def _bundled(name: str) -> Path:
    path = Path(__file__).resolve().parent / "bin" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: eliza_lambda works only as installed from its platform wheel")
    if not os.access(path, os.X_OK):
        raise PermissionError(f"{path} is not executable: the installer dropped its mode (chmod +x it)")
    return path


class ServerError(RuntimeError):
    """The server did not start or did not stop cleanly. `output` holds what it printed, `returncode` its
    exit status (None if it was still running)."""

    def __init__(self, message: str, output: str = "", returncode: int | None = None):
        super().__init__(message + ("\n--- eliza-lambda output ---\n" + output if output else ""))
        self.output = output
        self.returncode = returncode


class Server:
    """A running eliza-lambda on 127.0.0.1, made by `serve()`; as a context manager, stopped on exit.

    - `base_url`: `http://127.0.0.1:PORT/v1`, the OpenAI SDK's `base_url` and LiteLLM's `api_base`.
    - `url`: the same without `/v1` (`/health` lives there); `port`, `pid`.
    - `api_key`: the key the server requires (`Authorization: Bearer KEY`), or None for none.
    - `log`: what it printed (stdout and stderr, the last LOG_LINES lines); `returncode`: None while
      it runs, then its exit status (negative: the signal that ended it).
    - `requests()`, `clear_requests()`: the request journal (route, model, status, fault, attempt).
    - `simulate_headers(**spec)`, `simulated_model(model, **spec)`: a failure-simulation spec as a
      header dict or a model suffix (docs/failures.md).
    """

    def __init__(self, command: list, env: dict, api_key: str | None, timeout: float):
        self.api_key = api_key
        self.port: int | None = None
        self._lines: collections.deque = collections.deque(maxlen=LOG_LINES)
        self._count = 0
        self._lock = threading.Lock()
        self._printed = threading.Condition(self._lock)
        self._last_line_at = time.monotonic()
        self._listening = threading.Event()
        self._process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, name=f"eliza-lambda-{self.pid}-output", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        try:
            if not self._listening.wait(timeout) or self.port is None:
                self._fail(f"did not print its base URL within {timeout:g} s")
            self._wait_for_health(deadline, timeout)
        except BaseException:  # ServerError, or Ctrl-C while waiting: leave no server behind
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            raise

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    @property
    def log(self) -> str:
        return "".join(line + "\n" for line in self.log_since(0))

    @property
    def log_position(self) -> int:
        """How many lines the server has printed so far; pass it to `log_since` later."""
        with self._lock:
            return self._count

    def log_since(self, position: int) -> list:
        """The lines printed since `log_position` was `position` (those still kept)."""
        with self._lock:
            kept_from = self._count - len(self._lines)
            return list(self._lines)[max(position - kept_from, 0):]

    def wait_for_log(self, quiet: float = 0.05, timeout: float = 1.0) -> None:
        """Waits until the server has printed nothing for `quiet` seconds (at most `timeout` seconds in
        all). Its access-log line for a request may come a moment after the response, so call this
        before reading the log of requests just made."""
        deadline = time.monotonic() + timeout
        with self._printed:
            while self._reader.is_alive():
                now = time.monotonic()
                until = min(self._last_line_at + quiet, deadline)
                if now >= until:
                    return
                self._printed.wait(until - now)

    def requests(self) -> list:
        """The request journal: the requests the server answered, oldest first (the last 1,000), each a
        dict with at least `route`, `model`, `status`, `fault` (None when none applied) and `attempt`."""
        return json.loads(self._journal("GET"))["data"]

    def clear_requests(self) -> None:
        """Empties the request journal and the server's count of `times=N` attempts."""
        self._journal("DELETE")

    simulation_spec = staticmethod(simulation_spec)
    simulate_headers = staticmethod(simulate_headers)
    simulated_model = staticmethod(simulated_model)

    def _journal(self, method: str) -> bytes:
        request = urllib.request.Request(self.url + "/eliza/requests", method=method)
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        with _DIRECT.open(request, timeout=10) as response:
            return response.read()

    def stop(self, timeout: float = 10.0) -> int:
        """Sends SIGTERM, then SIGKILL if it has not exited after `timeout` seconds; returns the exit
        status (0 after a clean SIGTERM shutdown). Calling it again returns the same status."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reader.join(5)
        return self._process.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.returncode is None else f"exited {self.returncode}"
        return f"<eliza_lambda.Server {self.base_url} pid {self.pid} {state}>"

    def _read(self) -> None:
        for raw in iter(self._process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._printed:
                self._lines.append(line)
                self._count += 1
                self._last_line_at = time.monotonic()
                self._printed.notify_all()
            match = _BANNER.search(line) if self.port is None else None
            if match:
                self.port = int(match.group(1))
                self._listening.set()
        self._process.stdout.close()
        self._listening.set()  # end of output: it has exited, or is about to

    def _wait_for_health(self, deadline: float, timeout: float) -> None:
        problem = "no answer"
        while True:
            try:
                with _DIRECT.open(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return
                    problem = f"status {response.status}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(error)
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._fail(f"did not answer GET /health with 200 within {timeout:g} s ({problem})")
            time.sleep(0.05)

    def _fail(self, why: str):
        """Stops what is left of the process and raises ServerError with its output."""
        returncode = None
        try:
            # Its output has ended: it has exited or is exiting, so give it a moment to be reaped.
            returncode = self._process.wait(2 if not self._reader.is_alive() else 0)
            why = f"exited with status {returncode} before it was ready"
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(5)
        raise ServerError(f"eliza-lambda {why}: {' '.join(self._process.args)}", self.log, returncode)


def serve(api_key: str | None = None, *, timeout: float = 30.0, binary: str | os.PathLike | None = None,
          scripts: "list[str | os.PathLike] | tuple" = (), **env: str | None) -> Server:
    """Starts eliza-lambda on a free 127.0.0.1 port and returns it once `GET /health` answers 200.

    - Parameters:
      - api_key: The key the server requires; None (or "") for none.
      - timeout: Seconds to wait for it to listen and answer.
      - binary: Another eliza-lambda executable to run (default: `binary_path()`).
      - scripts: `.eliza` files, or folders of them, to serve as extra models, each named after its
        file (`mybot.eliza` is the model `mybot`); passed as `--script PATH`. A script with errors
        makes the server exit, so `serve()` raises `ServerError` holding every `file:line:col` diagnostic.
      - env: Environment variables for it, e.g. `ELIZA_MAX_TRANSFORMATIONS="1000"`, `LOG_LEVEL="ERROR"`;
        None removes an inherited one. The rest of `os.environ` is inherited, except
        AWS_LAMBDA_RUNTIME_API and ELIZA_API_KEY.
    - Returns: The running `Server`; use it in a `with` block, or call `stop()`.
    - Raises: `ServerError` with the server's output when it exits or times out before it is ready;
      TypeError for ELIZA_HOST, ELIZA_PORT or ELIZA_API_KEY in `env` (serve() sets those).
    """
    for name in _OWN_VARIABLES:
        if name in env:
            raise TypeError(f"serve() sets {name} itself (127.0.0.1, a free port, api_key=)")
    environment = {k: v for k, v in os.environ.items() if k not in (_LAMBDA_VARIABLE, "ELIZA_API_KEY")}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = str(value)
    if api_key:
        environment["ELIZA_API_KEY"] = api_key
    # Flags win over the environment, so inherited ELIZA_HOST / ELIZA_PORT cannot move it.
    command = [os.fspath(binary or binary_path()), "--host", "127.0.0.1", "--port", "0"]
    if isinstance(scripts, (str, os.PathLike)):
        scripts = [scripts]  # one path, not its characters
    for script in scripts:
        command += ["--script", os.fspath(script)]
    return Server(command, environment, api_key or None, timeout)
