#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs a libFuzzer target for a bounded time on a copy of its seed corpus, so the source tree stays clean.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=${3:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 -print_final_stats=1 "$work" "$seeds"
