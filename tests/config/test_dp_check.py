#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-dp --check-config: a file with dataplane: is valid, one written for voxrelay-cp alone is refused with one clear line.
import subprocess
import sys

dp, good, cp_only = sys.argv[1:4]
r = subprocess.run([dp, "--check-config", good], capture_output=True, text=True)
assert r.returncode == 0 and "valid" in r.stdout, (r.returncode, r.stdout, r.stderr)
r = subprocess.run([dp, "--check-config", cp_only], capture_output=True, text=True)
want = f"{cp_only}: no dataplane: section (a file for voxrelay-cp alone)\n"
assert r.returncode == 1 and r.stderr == want, (r.returncode, r.stderr)
print("dp_check_config: PASS")
