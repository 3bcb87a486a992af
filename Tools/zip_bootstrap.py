#!/usr/bin/env python3
"""Zip a Lambda `bootstrap` executable: one entry named `bootstrap` at the root, mode 0755.

Used by `make lambda` when `zip` is not installed. The entry's timestamp is fixed, so the same binary
gives the same zip. Usage: zip_bootstrap.py BOOTSTRAP ZIPFILE
"""

import stat
import sys
import zipfile


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: zip_bootstrap.py BOOTSTRAP ZIPFILE", file=sys.stderr)
        return 64
    source, target = argv[1], argv[2]
    info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3  # Unix, so external_attr carries the mode
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(source, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(target, "w") as z:
        z.writestr(info, data, compresslevel=9)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
