#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs promtool (Debian package prometheus) with the given arguments; skipped when it is not installed.
set -euo pipefail
command -v promtool >/dev/null || { echo "promtool not installed (Debian package prometheus): skipped"; exit 77; }
exec promtool "$@"
