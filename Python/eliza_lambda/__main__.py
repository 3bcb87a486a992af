"""`eliza-lambda` (the console script) and `python -m eliza_lambda`: become the bundled binary; `elizac`
(the console script): become the bundled `elizac`.

The process execs the binary with the same arguments and environment, so the binary's flags, variables,
output, exit status and signal handling are exactly its own (it even keeps this process's PID).
"""

import os
import signal
import sys

from ._server import binary_path, elizac_path


def main() -> None:
    _become(os.fspath(binary_path()))


def elizac_main() -> None:
    _become(os.fspath(elizac_path()))


def _become(binary: str) -> None:
    # Python starts with SIGPIPE and SIGXFSZ ignored, and an ignored signal stays ignored across exec;
    # restore the defaults, as subprocess's restore_signals does, so the binary starts as from a shell.
    for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
