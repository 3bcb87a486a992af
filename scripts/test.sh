#!/usr/bin/env bash
# Placeholder: runs the Swift test suite. To be replaced by the project's full test script.
set -euo pipefail
cd "$(dirname "$0")/.."
swift test
