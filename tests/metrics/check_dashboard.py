#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks conf/grafana/voxrelay.json: a unit on every panel, SLO and twice-the-SLO lines on the latency panels, known metrics.
import copy
import json
import re
import sys

# (quantile, SLO threshold, twice the SLO) of the control plane's latency SLO.
LATENCY_LINES = {"0.95": (0.05, 0.1), "0.99": (0.1, 0.2)}
CP_HISTOGRAM = "voxrelay_cp_request_duration_seconds_bucket"


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def exprs(p):
    return [t.get("expr", "") for t in p.get("targets", [])]


def check(dash, documented, recorded):
    """Returns the list of problems of dashboard @dash (a parsed JSON object)."""
    problems = []
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dash.get('schemaVersion')}: expected 36 or later")
    panels = list(all_panels(dash.get("panels", [])))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    seen_quantiles = set()
    for p in panels:
        if p.get("type") == "row":
            continue
        title = p.get("title", f"panel {p.get('id')}")
        defaults = p.get("fieldConfig", {}).get("defaults", {})
        unit = defaults.get("unit")
        if not isinstance(unit, str) or not unit.strip():
            problems.append(f"{title}: no unit (fieldConfig.defaults.unit)")
        if "gridPos" not in p:
            problems.append(f"{title}: no gridPos")
        if not p.get("targets"):
            problems.append(f"{title}: no query")
        for e in exprs(p):
            for name in re.findall(r"\bvoxrelay_[a-z0-9_]+", e):
                if name not in documented:
                    problems.append(f"{title}: metric {name} is not in docs/metrics.md")
            for name in re.findall(r"\bvoxrelay:[a-z0-9_:]+", e):
                if name not in recorded:
                    problems.append(f"{title}: recording rule {name} is not in the rules file")
            m = re.search(r"histogram_quantile\(\s*([0-9.]+)\s*,", e)
            if not m or CP_HISTOGRAM not in e:
                continue
            q = m.group(1)
            if q not in LATENCY_LINES:
                continue
            seen_quantiles.add(q)
            slo, twice = LATENCY_LINES[q]
            steps = [s.get("value") for s in defaults.get("thresholds", {}).get("steps", [])]
            style = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode", "off")
            if unit != "s":
                problems.append(f"{title}: latency panel unit {unit!r}, expected 's'")
            for v, what in ((slo, "the SLO"), (twice, "twice the SLO")):
                if not any(isinstance(s, (int, float)) and abs(s - v) < 1e-9 for s in steps):
                    problems.append(f"{title}: p{q[2:]} panel has no threshold at {v} s ({what})")
            if "line" not in style:
                problems.append(f"{title}: thresholds are not drawn as lines (thresholdsStyle.mode {style!r})")
    for q in LATENCY_LINES:
        if q not in seen_quantiles:
            problems.append(f"no control-plane latency panel for quantile {q}")
    return problems


def main():
    dash_path, doc_path, rules_path = sys.argv[1:4]
    dash = json.load(open(dash_path))
    documented = set(re.findall(r"\bvoxrelay_[a-z0-9_]+", open(doc_path).read()))
    # Histogram families are documented by base name; their series carry suffixes.
    documented |= {n + s for n in list(documented) for s in ("_bucket", "_sum", "_count")}
    recorded = set(re.findall(r"record:\s*(voxrelay:[a-z0-9_:]+)", open(rules_path).read()))

    problems = check(dash, documented, recorded)
    for p in problems:
        print("FAIL:", p)

    # The check itself must catch what it is for: a panel without unit, a missing line.
    broken = copy.deepcopy(dash)
    victim = next(p for p in all_panels(broken["panels"]) if p.get("type") != "row")
    victim["fieldConfig"]["defaults"].pop("unit", None)
    if not any("no unit" in p for p in check(broken, documented, recorded)):
        problems.append("self-test: a panel without unit went unnoticed")
        print("FAIL: self-test: a panel without unit went unnoticed")
    broken = copy.deepcopy(dash)
    for p in all_panels(broken["panels"]):
        if any(CP_HISTOGRAM in e and "histogram_quantile(0.99" in e for e in exprs(p)):
            p["fieldConfig"]["defaults"]["thresholds"]["steps"] = [
                s for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"] if s.get("value") != 0.2]
    if not any("twice the SLO" in p for p in check(broken, documented, recorded)):
        problems.append("self-test: a missing twice-the-SLO line went unnoticed")
        print("FAIL: self-test: a missing twice-the-SLO line went unnoticed")

    n = sum(1 for p in all_panels(dash["panels"]) if p.get("type") != "row")
    if problems:
        print(f"check_dashboard: {len(problems)} problems")
        return 1
    print(f"check_dashboard: {n} panels, all with units; latency panels have SLO and 2x SLO lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
