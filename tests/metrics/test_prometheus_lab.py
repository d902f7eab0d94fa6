#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# A real Prometheus server (Debian's) with the shipped config and rules scrapes voxrelay-exporter; its HTTP API must show the series.
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from dpfixture import DOWN, FILE_PREFIX, Dataplane
from metricsutil import answers, check, failures, free_port, start_exporter, stop_exporter, wait_for

DP, EXPORTER, PROM_CONF, RULES = sys.argv[1:5]


def api(pport, path, **params):
    url = f"http://127.0.0.1:{pport}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)
    except OSError:
        return None


def query(pport, q):
    r = api(pport, "/api/v1/query", query=q)
    return r["data"]["result"] if r and r.get("status") == "success" else []


def shipped_config(eport, pport):
    """conf/prometheus/prometheus.yml with our ports, 1 s intervals and the rules file's absolute path."""
    text = open(PROM_CONF).read()
    for old, new in (("127.0.0.1:9581", f"127.0.0.1:{eport}"), ("127.0.0.1:9090", f"127.0.0.1:{pport}"),
                     ("scrape_interval: 10s", "scrape_interval: 1s"), ("scrape_timeout: 5s", "scrape_timeout: 1s"),
                     ("evaluation_interval: 10s", "evaluation_interval: 1s"), ("rules/*.yml", RULES)):
        check(old in text, f"{PROM_CONF} no longer has {old!r}: update this test")
        text = text.replace(old, new)
    return text


def main():
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        print("prometheus not installed (Debian package prometheus): skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="vrt-metrics-prom-")
    dp = Dataplane(DP, tmp)
    pport = free_port()
    exp = prom = None
    try:
        check(dp.start(), "voxrelay-dp did not get ready: " + "".join(dp.log[-20:]))
        exp, eport, _ = start_exporter(EXPORTER, "--file-prefix", FILE_PREFIX)
        conf = os.path.join(tmp, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(shipped_config(eport, pport))
        prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen([prometheus, f"--config.file={conf}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{pport}"],
                                stdout=prom_log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: prom.poll() is not None or answers("127.0.0.1", pport, "/-/ready"), 60) or prom.poll() is not None:
            check(False, "prometheus did not get ready:\n" + open(prom_log.name).read()[-3000:])
            return 1

        frames = dp.expect["frames"]
        res = wait_for(lambda: [r for r in query(pport, "voxrelay_dp_rx_packets_total")
                                if float(r["value"][1]) == frames], 30)
        check(res, f"voxrelay_dp_rx_packets_total = {frames} not found: {query(pport, 'voxrelay_dp_rx_packets_total')}")
        if res:
            m = res[0]["metric"]
            check(m.get("job") == "voxrelay-dp" and m.get("port") and m.get("role") == "balancer", f"labels {m}")
            print(f"prometheus: {m} = {res[0]['value'][1]}")

        targets = api(pport, "/api/v1/targets") or {}
        dp_targets = [t for t in targets.get("data", {}).get("activeTargets", []) if t["labels"].get("job") == "voxrelay-dp"]
        check(dp_targets and dp_targets[0]["health"] == "up", f"voxrelay-dp target: {dp_targets}")

        for q in ("voxrelay_dp_up == 1", 'voxrelay_dp_drops_total{reason="fragment"} == 2',
                  'voxrelay_dp_backend_state{state="up"} == 1', "voxrelay_dp_lcore_busy_ratio",
                  "voxrelay_dp_vip_rx_packets_total"):
            check(query(pport, q), f"no series for {q}")
        # Recording rules run on the scraped data (rate needs two scrapes).
        check(wait_for(lambda: query(pport, "voxrelay:dp_lcore_busy:ratio_rate1m"), 20),
              "recording rule voxrelay:dp_lcore_busy:ratio_rate1m has no result")
        # The backend configured down makes BackendDown pending (it fires after 1 m).
        alert = wait_for(lambda: [a for a in (api(pport, "/api/v1/alerts") or {}).get("data", {}).get("alerts", [])
                                  if a["labels"].get("alertname") == "BackendDown"
                                  and a["labels"].get("backend") == DOWN], 20)
        check(alert and alert[0]["state"] in ("pending", "firing"), f"BackendDown for {DOWN}: {alert}")
        rules = api(pport, "/api/v1/rules") or {}
        groups = rules.get("data", {}).get("groups", [])
        bad = [(g["name"], r.get("name"), r.get("lastError")) for g in groups for r in g["rules"]
               if r.get("health") == "err"]
        want = {"voxrelay-cp.slo.alerts", "voxrelay-cp.slo.recording", "voxrelay-dp.alerts", "voxrelay-dp.recording",
                "voxrelay-relay.alerts", "voxrelay-relay.recording"}
        check({g["name"] for g in groups} == want and not bad, f"rule groups {[g['name'] for g in groups]}, errors {bad}")
    finally:
        if prom is not None and prom.poll() is None:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(timeout=30)
            except subprocess.TimeoutExpired:
                prom.kill()
        if exp is not None:
            stop_exporter(exp)
        dp.stop()
        if failures and os.path.exists(os.path.join(tmp, "prometheus.log")):
            print(open(os.path.join(tmp, "prometheus.log")).read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("prometheus_lab: Prometheus scraped the exporter; series, recording rules and alerts present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
