"""The pytest plugin (entry point `pytest11: eliza_lambda`, so installing the wheel is all it takes).

- `eliza_server`: a session fixture, one `eliza_lambda.Server` on a free 127.0.0.1 port for the whole
  session; `eliza_server.base_url` is `http://127.0.0.1:PORT/v1`, `eliza_server.api_key` the key it was
  started with (None: it requires none). Stopped with SIGTERM at the end of the session.
- `eliza_requests`: a function fixture that empties the server's request journal (and its count of
  `times=N` attempts) before the test and returns `eliza_server.requests`, so a test can assert how
  many attempts its client made: `assert [r["attempt"] for r in eliza_requests()] == [0, 1, 2]`.
- `--eliza-api-key KEY` or the ini option `eliza_api_key`: start it with a key.
- `--eliza-script PATH` (repeatable) or the ini option `eliza_scripts` (one path a line, relative to
  the ini file's directory): `.eliza` files or folders served as extra models, named after their files.
- A test that uses it and fails gets a report section with the server's output during that test.

Disable it with `-p no:eliza_lambda`.
"""

import pytest

from ._server import ServerError, serve

_SERVER = pytest.StashKey()
_LOG_START = pytest.StashKey()
SECTION = "eliza-lambda server log"


def pytest_addoption(parser):
    group = parser.getgroup("eliza-lambda", "eliza-lambda (the eliza_server fixture)")
    group.addoption("--eliza-api-key", metavar="KEY", default=None,
                    help="start the eliza_server fixture's server with this API key (default: ini eliza_api_key)")
    parser.addini("eliza_api_key", "API key for the eliza_server fixture's server (empty: none)", default="")
    group.addoption("--eliza-script", metavar="PATH", action="append", default=[],
                    help="serve this .eliza file (or folder of them) as an extra model of eliza_server; repeatable "
                         "(default: ini eliza_scripts)")
    parser.addini("eliza_scripts", "`.eliza` files or folders served as extra models by eliza_server, one a line, "
                  "relative to the ini file", type="paths", default=[])


@pytest.fixture(scope="session")
def eliza_server(pytestconfig):
    """ELIZA on a free 127.0.0.1 port for the whole session: `.base_url`, `.api_key`, `.log`."""
    key = pytestconfig.getoption("eliza_api_key") or pytestconfig.getini("eliza_api_key") or None
    scripts = pytestconfig.getoption("eliza_script") or pytestconfig.getini("eliza_scripts")
    server = serve(api_key=key, scripts=scripts)
    pytestconfig.stash[_SERVER] = server
    try:
        yield server
    finally:
        running = server.returncode is None
        status = server.stop()
    if status != 0:
        how = "did not stop cleanly on SIGTERM" if running else "exited during the session"
        raise ServerError(f"eliza-lambda {how} (status {status})", server.log, status)


@pytest.fixture
def eliza_requests(eliza_server):
    """The request journal of `eliza_server`, emptied before this test: call it for the requests so far."""
    eliza_server.clear_requests()
    return eliza_server.requests


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Not waiting for the log to settle here (it would cost every test): a late line of the previous
    # test's last request may open a failing test's section.
    server = item.config.stash.get(_SERVER, None)
    item.stash[_LOG_START] = server.log_position if server else 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    server = item.config.stash.get(_SERVER, None)
    if not report.failed or server is None or "eliza_server" not in getattr(item, "fixturenames", ()):
        return
    server.wait_for_log()  # the access-log line of the last request may still be on its way
    lines = server.log_since(item.stash.get(_LOG_START, 0))
    state = "running" if server.returncode is None else f"exited with status {server.returncode}"
    text = f"{server.base_url} (pid {server.pid}, {state}); its output since this test began:\n" + "\n".join(lines)
    report.sections.append((f"{SECTION} ({report.when})", text))
