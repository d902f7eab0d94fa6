#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Prints the Ethernet line rate in Mpps for given frame sizes (FCS included) and link speeds (docs/benchmarking.md).
import sys

# frame = destination MAC .. FCS inclusive (RFC 2544 / IEEE 802.3 frame size; a pcap holds frame - 4 bytes);
# on the wire each frame also takes 7 B preamble + 1 B start delimiter + 12 B minimum inter-frame gap.
OVERHEAD = 20
sizes = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "64,218,228").split(",")]
speeds = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "10,25,40,100").split(",")]
print("| frame (B, with FCS) | wire (B) | " + " | ".join(f"{g} GbE (Mpps)" for g in speeds) + " |")
print("|---:|---:|" + "---:|" * len(speeds))
for s in sizes:
    wire = s + OVERHEAD
    print(f"| {s} | {wire} | " + " | ".join(f"{g * 1e9 / (wire * 8) / 1e6:.3f}" for g in speeds) + " |")
