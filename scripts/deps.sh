#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs every Debian 12 package voxrelay needs to build, test, demo and benchmark; fetches the libsrtp2 and hiredis sources.
set -euo pipefail

PKGS=(
	# build
	meson ninja-build pkg-config gcc clang llvm lld libclang-rt-14-dev
	# dataplane
	dpdk dpdk-dev libdpdk-dev libyaml-dev libjansson-dev libpcap-dev libnuma-dev libelf-dev zlib1g-dev
	# bpf
	libbpf-dev bpftool linux-libc-dev
	# libsrtp 2, built from Debian's source package with OpenSSL (scripts/fetch-libsrtp.sh):
	# dpkg-dev unpacks it (apt-get source), libssl-dev is its crypto
	libssl-dev dpkg-dev
	# lab, demo and tests
	iproute2 iputils-ping ethtool tcpreplay tshark python3 python3-scapy
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-bad espeak-ng sox procps psmisc python3-numpy
	# voice clients (scripts/lab/voice_client.py): GStreamer from Python, srtpdec's request-key answered per SSRC
	python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
	# control plane (voxrelay-cp): WebSocket/HTTP/TLS, event loop, hash tables (the Redis client, hiredis
	# with TLS, is built from Debian's redis source: scripts/fetch-hiredis.sh, needing dpkg-dev and libssl-dev above);
	# its tests: a real Redis (over TLS too, certificates made with the openssl CLI) and WebSocket clients;
	# the web client in headless Chromium
	libwebsockets-dev libuv1-dev uthash-dev redis-server openssl python3-websockets
	chromium chromium-driver python3-selenium
	# metrics: promtool and a real Prometheus server for tests/metrics (libjansson-dev, above, builds the exporter)
	prometheus
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Source, not a package: the meson subproject subprojects/libsrtp2 (no-op when present at the pinned version).
"$(dirname "$0")/fetch-libsrtp.sh"
# Likewise subprojects/hiredis, from Debian's redis source package.
"$(dirname "$0")/fetch-hiredis.sh"
