"""Weizenbaum's 1966 ELIZA as a deterministic, OpenAI-compatible LLM server for tests.

The wheel carries the static `eliza-lambda` server binary (no Swift, no other dependency):

- the `eliza-lambda` command (and `python -m eliza_lambda`): the binary itself, same flags and variables;
- the `elizac` command: the script authors' tool (`elizac check FILE`, `elizac chat --trace FILE`);
- `binary_path()`, `elizac_path()`: where those binaries are;
- `serve()`: start it on a free 127.0.0.1 port, as a context manager (`scripts=[...]` adds models);
- the pytest plugin `eliza_lambda.pytest_plugin` (registered on install): the session fixture
  `eliza_server`, and `eliza_requests`, which empties the request journal before a test;
- `simulate_headers()`, `simulated_model()`, `simulation_spec()`: make the server fail on cue.
"""

from importlib import metadata as _metadata

from ._server import (LOG_LINES, SIMULATE_HEADER, Server, ServerError, binary_path, elizac_path, serve,
                      simulate_headers, simulated_model, simulation_spec)

__all__ = ["LOG_LINES", "SIMULATE_HEADER", "Server", "ServerError", "binary_path", "elizac_path", "serve",
           "simulate_headers", "simulated_model", "simulation_spec"]
__version__ = _metadata.version("eliza-lambda")
