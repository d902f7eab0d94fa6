#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reserves 2 MiB hugepages (at least N, default 1024 = 2 GiB) and mounts hugetlbfs for DPDK.
set -euo pipefail
want=${1:-1024}
cur=$(cat /proc/sys/vm/nr_hugepages)
if [ "$cur" -lt "$want" ]; then
	echo "$want" > /proc/sys/vm/nr_hugepages
	got=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$got" -lt "$want" ]; then
		echo "hugepages: asked for $want, the kernel gave $got" >&2
		exit 1
	fi
fi
if ! mount | grep -q 'type hugetlbfs'; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
