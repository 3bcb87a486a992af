"""Weizenbaum's 1966 ELIZA as a deterministic, OpenAI-compatible LLM server for tests.

The wheel carries the static `eliza-lambda` server binary (no Swift, no other dependency):

- the `eliza-lambda` command (and `python -m eliza_lambda`): the binary itself, same flags and variables;
- the `elizac` command: the script authors' tool (`elizac check FILE`, `elizac chat --trace FILE`);
- `binary_path()`, `elizac_path()`: where those binaries are;
- `serve()`: start it on a free 127.0.0.1 port, as a context manager (`scripts=[...]` adds models);
- the pytest plugin `eliza_lambda.pytest_plugin` (registered on install): the session fixture
  `eliza_server`.
"""

from importlib import metadata as _metadata

from ._server import LOG_LINES, Server, ServerError, binary_path, elizac_path, serve

__all__ = ["LOG_LINES", "Server", "ServerError", "binary_path", "elizac_path", "serve"]
__version__ = _metadata.version("eliza-lambda")
