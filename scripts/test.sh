#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test suite on a fresh Debian 12 machine: install, build (gcc; clang with ASan+UBSan and fuzzers), run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (apt-get, hugepages, network namespaces, XDP)" >&2
	exit 1
fi
scripts/deps.sh
scripts/hugepages.sh 1024

BUILD=${BUILD:-build}
SAN=${SAN_BUILD:-build-san}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD"
# Sanitizer build: the packet logic's unit tests and the libFuzzer targets under ASan and UBSan.
if [ ! -f "$SAN/build.ninja" ]; then
	CC=clang meson setup "$SAN" -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true >/dev/null
fi
ninja -C "$SAN"

status=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
meson test -C "$BUILD" --print-errorlogs --num-processes 2 || status=1
meson test -C "$SAN" --print-errorlogs --num-processes 2 --suite unit --suite fuzz --suite cp || status=1

# One closing line for CI: totals over both builds.
/usr/bin/python3 - "$BUILD" "$SAN" <<'PY'
import json, sys
passed = failed = skipped = 0
for b in sys.argv[1:]:
    try:
        lines = open(f"{b}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
