#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes a copy of a voxrelay YAML file with one VIP's backend list replaced (tests reconfigure the balancer).
"""
Edits text, not a parsed tree, so everything else (comments, order, the
other VIPs) stays as it is; the result is then parsed with PyYAML and checked
to hold exactly the requested backends for that VIP and to be otherwise
equal to the input.

    yaml_backends.py IN OUT --vip 10.77.100.1 --port 5004 10.77.2.11 10.77.2.12=draining
"""
import argparse
import re
import sys

import yaml


def indent(line):
    return len(line) - len(line.lstrip(" "))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--vip", required=True, help="VIP address of the entry to edit")
    ap.add_argument("--port", required=True, help="its `port:` or `ports:` value, as written")
    ap.add_argument("backends", nargs="+", help="ADDRESS[=STATE][:WEIGHT]")
    a = ap.parse_args()

    want = []
    for b in a.backends:
        m = re.fullmatch(r"([0-9A-Fa-f.:]+?)(?:=(up|draining|down))?(?:/(\d+))?", b)
        if not m:
            ap.error(f"bad backend {b}: ADDRESS[=STATE][/WEIGHT]")
        want.append({"address": m.group(1), "state": m.group(2), "weight": m.group(3)})

    lines = open(a.input).read().split("\n")
    out = []
    i = 0
    done = False
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)- address:\s*(\S+)", line)
        if not (m and m.group(2) == a.vip and not done):
            out.append(line)
            i += 1
            continue
        # The VIP item runs until the next line indented at or left of its dash.
        dash = len(m.group(1))
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#") or indent(lines[j]) > dash):
            j += 1
        item = lines[i:j]
        if not any(re.match(rf"^\s*ports?:\s*{re.escape(a.port)}\s*(#.*)?$", x) for x in item):
            out.extend(item)
            i = j
            continue
        k = next((n for n, x in enumerate(item) if re.match(r"^\s*backends:\s*(#.*)?$", x)), None)
        if k is None:
            print(f"yaml_backends: VIP {a.vip} port {a.port} has no block-style backends list", file=sys.stderr)
            return 1
        b = indent(item[k])
        end = k + 1
        while end < len(item) and (
            not item[end].strip() or indent(item[end]) > b or (indent(item[end]) == b and item[end].lstrip().startswith("-"))
        ):
            end += 1
        # Trailing blank lines belong to the layout, not to the list.
        while end > k + 1 and not item[end - 1].strip():
            end -= 1
        pad = " " * (b + 2)
        new = []
        for w in want:
            new.append(f"{pad}- address: {w['address']}")
            if w["weight"]:
                new.append(f"{pad}  weight: {w['weight']}")
            if w["state"]:
                new.append(f"{pad}  state: {w['state']}")
        out.extend(item[: k + 1] + new + item[end:])
        i = j
        done = True
    if not done:
        print(f"yaml_backends: no VIP {a.vip} with port(s) {a.port} in {a.input}", file=sys.stderr)
        return 1
    text = "\n".join(out)

    # The edit did what was asked and nothing else.
    before = yaml.safe_load(open(a.input))
    after = yaml.safe_load(text)
    for v in before["balancer"]["vips"]:
        if str(v.get("address")) == a.vip and str(v.get("port", v.get("ports"))) == a.port:
            v["backends"] = [
                {k: (int(x) if k == "weight" else x) for k, x in w.items() if x is not None} for w in want
            ]
    if before != after:
        print("yaml_backends: the edited file does not parse to the intended configuration", file=sys.stderr)
        return 1
    with open(a.output, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
