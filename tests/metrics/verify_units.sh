#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# systemd-analyze verify of conf/systemd/*.service, binaries replaced by stubs; any warning fails.
set -euo pipefail
units=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/vrt-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/units"
# verify checks that every Exec* binary exists; voxrelay-health is not written yet.
for b in voxrelay-dp voxrelay-decap voxrelay-exporter voxrelay-health; do
	printf '#!/bin/sh\nexit 0\n' > "$tmp/bin/$b"
	chmod +x "$tmp/bin/$b"
done
for u in "$units"/*.service; do
	sed "s|/usr/local/bin/|$tmp/bin/|g" "$u" > "$tmp/units/$(basename "$u")"
done
# A template is verified through an instance.
for t in "$tmp"/units/*@.service; do
	cp "$t" "${t%@.service}@eth0.service"
done
cd "$tmp/units"
out=$(systemd-analyze verify --man=no ./*.service 2>&1) || { echo "$out"; echo "FAIL: systemd-analyze verify"; exit 1; }
if [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: systemd-analyze verify printed warnings"
	exit 1
fi
# systemd ignores a misspelt capability without a word: check the names against the kernel's.
hdr=/usr/include/linux/capability.h
if [ -r "$hdr" ]; then
	bad=0
	for c in $(grep -hE '^(AmbientCapabilities|CapabilityBoundingSet)=' "$units"/*.service | grep -oE 'CAP_[A-Z_]+' | sort -u); do
		grep -qE "^#define $c[[:space:]]" "$hdr" || { echo "FAIL: unknown capability $c"; bad=1; }
	done
	[ "$bad" -eq 0 ] || exit 1
fi
echo "systemd_units: $(ls "$units"/*.service | wc -l) units verified"
