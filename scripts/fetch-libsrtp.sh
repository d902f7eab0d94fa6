#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fetches Debian's libsrtp2 source package into subprojects/libsrtp2 (built by meson with OpenSSL crypto).
#
# Debian's binary libsrtp2 uses NSS, which is several times slower than libsrtp's
# OpenSSL backend, so we build our own from Debian's (patched, security-tracked)
# source. The tree is fetched, never committed (see .gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."

# The one pin: the Debian source version we build and test against.
LIBSRTP_DEBIAN_VERSION=2.5.0-3

DEST=subprojects/libsrtp2

have_version() {
	[ -f "$DEST/debian/changelog" ] && [ -f "$DEST/meson.build" ] &&
		[ "$(dpkg-parsechangelog -l "$DEST/debian/changelog" -S Version 2>/dev/null)" = "$LIBSRTP_DEBIAN_VERSION" ]
}

if have_version; then
	exit 0
fi

# shellcheck source=lib/debsrc.sh
. "$(dirname "$0")/lib/debsrc.sh"
vr_debsrc_check fetch-libsrtp
vr_debsrc_enable libsrtp2 "$LIBSRTP_DEBIAN_VERSION"
vr_debsrc_unpack libsrtp2 "$LIBSRTP_DEBIAN_VERSION"
tree=$VR_DEBSRC_TREE
[ -f "$tree/meson.build" ] || {
	echo "fetch-libsrtp: no unpacked tree with meson.build at $tree" >&2
	exit 1
}
mkdir -p subprojects
rm -rf "$DEST"
mv "$tree" "$DEST"
have_version
echo "fetch-libsrtp: $DEST is libsrtp2 $LIBSRTP_DEBIAN_VERSION from Debian's source package"
