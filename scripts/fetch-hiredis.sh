#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fetches hiredis (with TLS) from Debian's redis source package into subprojects/hiredis, with our meson overlay.
#
# Debian 12's libhiredis is 0.14, which has no TLS; voxrelay-cp needs
# hiredis_ssl for rediss://. Debian's redis source package (patched,
# security-tracked) carries hiredis 1.0.3 in deps/hiredis, so we build that
# one, statically, from the pinned source version. The tree is fetched,
# never committed (see .gitignore); subprojects/packagefiles/hiredis/meson.build
# is ours and is copied in.
set -euo pipefail
cd "$(dirname "$0")/.."

# The one pin: the Debian source version (epoch included) we build and test against.
REDIS_DEBIAN_VERSION=5:7.0.15-1~deb12u10

DEST=subprojects/hiredis
OVERLAY=subprojects/packagefiles/hiredis
STAMP=$DEST/.debian-source

have_version() {
	[ -f "$DEST/ssl.c" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "redis $REDIS_DEBIAN_VERSION" ]
}

# Our overlay, copied in whenever it differs (an edited overlay needs no new fetch).
overlay() {
	cmp -s "$OVERLAY/meson.build" "$DEST/meson.build" || cp "$OVERLAY/meson.build" "$DEST/meson.build"
}

if have_version; then
	overlay
	exit 0
fi

# shellcheck source=lib/debsrc.sh
. "$(dirname "$0")/lib/debsrc.sh"
vr_debsrc_check fetch-hiredis
vr_debsrc_enable redis "$REDIS_DEBIAN_VERSION"
vr_debsrc_unpack redis "$REDIS_DEBIAN_VERSION"
tree=$VR_DEBSRC_TREE
[ -f "$tree/deps/hiredis/ssl.c" ] && [ -f "$tree/deps/hiredis/hiredis_ssl.h" ] || {
	echo "fetch-hiredis: no deps/hiredis with ssl.c in the unpacked tree at $tree" >&2
	exit 1
}
mkdir -p subprojects
rm -rf "$DEST"
mv "$tree/deps/hiredis" "$DEST"
echo "redis $REDIS_DEBIAN_VERSION" >"$STAMP"
overlay
have_version
echo "fetch-hiredis: $DEST is hiredis $(awk '/^#define HIREDIS_(MAJOR|MINOR|PATCH) / { v = v (v == "" ? "" : ".") $3 } END { print v }' "$DEST/hiredis.h") from Debian's redis $REDIS_DEBIAN_VERSION source package"
