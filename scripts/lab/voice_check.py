#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Judges what one voice client received: which reference recording each SSRC is, and that it heard exactly the expected speakers.
"""
Input: the out-dir of voice_client.py (ssrc-<hex>.wav per received SSRC and
summary.json) and the reference recordings, one per possible speaker:

    voice_check.py --rx-dir OUT --ref c1=c1.wav@0x11110001 --ref c2=c2.wav --ref c3=c3.wav \\
                   --expect c1,c3 --self c2

Each received WAV is compared with every reference using audio_check.py's
features (10 ms frame-energy envelope, log-band spectrogram with band means
removed, bands up to 0.45 x the received sample rate so narrow-band PCMA is
judged on what it can carry): the reference's speech (its active span, margin
0.1 s) slides over the received audio, the lag with the best envelope
correlation wins, and there the spectrogram correlation, the worst 0.5 s
window and the share of the reference covered are measured. A WAV is
identified as the best reference only if that reference passes every
threshold, beats the runner-up's envelope correlation by --min-margin, and
the received speech lasts as long as the reference's (within --dur-tol: a
second voice mixed in, or a hole, shows there).

Pass if and only if: every expected speaker is identified in exactly one
WAV (with the SSRC given after @, if any); the client itself (--self) is
not heard; no WAV is unidentified or identified as anyone else; and, from
the summary, no SSRC arrived that is not one of those WAVs (datagrams that
failed authentication or never decoded count as heard). --expect-none: no
RTP datagram arrived at all. Exit 0 pass, 1 fail, 2 unusable input.
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audio_check import F_HI, HOP_S, active_span, corr, features, read_wav  # noqa: E402

SPEECH_DB = -35.0  # speech: frames within 35 dB of the file's peak (as audio_check.py)
MARGIN_S = 0.1
WINDOW_S = 0.5


def speech_bounds(env):
    """First and last frame of speech (None if silent)."""
    if len(env) == 0 or env.max() <= 1e-4:
        return None
    act = np.nonzero(env > env.max() * 10 ** (SPEECH_DB / 20))[0]
    return int(act[0]), int(act[-1])


def slide_corr(ref, rx, lags):
    """Pearson correlation of ref against rx[lag : lag+len(ref)] (clipped to the overlap) for each lag."""
    out = np.full(len(lags), -2.0)
    for i, lag in enumerate(lags):
        r0, x0 = (0, lag) if lag >= 0 else (-lag, 0)
        n = min(len(ref) - r0, len(rx) - x0)
        if n >= 10:
            out[i] = corr(ref[r0 : r0 + n], rx[x0 : x0 + n])
    return out


def compare(ref, rx, min_cover):
    """Figures for one (reference, received) pair; both are dicts from load()."""
    e_ref, s_ref, b = ref["env"], ref["spec"], ref["bounds"]
    m = int(MARGIN_S / HOP_S)
    lo, hi = max(0, b[0] - m), min(len(e_ref), b[1] + 1 + m)
    er, sr = e_ref[lo:hi], s_ref[lo:hi]
    ex, sx = rx["env"], rx["spec"]
    fig = {"env_corr": 0.0, "spec_corr": 0.0, "worst_window_corr": 0.0, "cover": 0.0, "lag_s": None}
    if rx["bounds"] is None or len(ex) < 10:
        return fig
    # Lags that keep at least min_cover of the reference's speech inside the received audio.
    slack = int(len(er) * (1 - min_cover))
    lags = np.arange(-slack, len(ex) - len(er) + slack + 1)
    if len(lags) == 0:
        return fig
    c = slide_corr(er, ex, lags)
    k = int(np.argmax(c))
    lag = int(lags[k])
    r0, x0 = (0, lag) if lag >= 0 else (-lag, 0)
    n = min(len(er) - r0, len(ex) - x0)
    fig["env_corr"] = round(float(c[k]), 4)
    fig["lag_s"] = round((x0 - r0 - lo) * HOP_S, 3)  # where the reference's start lies in the received file
    fig["cover"] = round(n / len(er), 3)
    er_o, ex_o, sr_o, sx_o = er[r0 : r0 + n], ex[x0 : x0 + n], sr[r0 : r0 + n], sx[x0 : x0 + n]
    act = er_o > e_ref.max() * 10 ** (SPEECH_DB / 20)
    if act.sum() >= 10:
        a, bb = sr_o[act], sx_o[act]
        fig["spec_corr"] = round(corr((a - a.mean(axis=0)).ravel(), (bb - bb.mean(axis=0)).ravel()), 4)
    w = int(WINDOW_S / HOP_S)
    vals = [corr(er_o[s : s + w], ex_o[s : s + w]) for s in range(0, n - w + 1, w // 2) if act[s : s + w].mean() >= 0.3]
    fig["worst_window_corr"] = round(min(vals), 4) if vals else 0.0
    return fig


def load(path, f_hi):
    x, rate = read_wav(path)
    env, spec = features(x, rate, f_hi)
    return {"env": env, "spec": spec, "rate": rate, "bounds": speech_bounds(env), "duration_s": round(len(x) / rate, 3),
            "speech_s": round(active_span(env, env.max() * 10 ** (SPEECH_DB / 20)) if len(env) else 0.0, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rx-dir", required=True, help="a voice_client.py --out-dir")
    ap.add_argument("--ref", action="append", default=[], metavar="NAME=WAV[@SSRC]", help="a possible speaker (repeat)")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--expect", help="comma-separated names this client must hear, each exactly once")
    g.add_argument("--expect-none", action="store_true", help="this client must receive no RTP at all")
    ap.add_argument("--self", dest="self_name", help="the client's own name: hearing it fails")
    ap.add_argument("--summary", help="voice_client summary (default RX-DIR/summary.json; must exist)")
    ap.add_argument("--min-env", type=float, default=0.85, help="least envelope correlation (default 0.85)")
    ap.add_argument("--min-spec", type=float, default=0.70, help="least spectrogram correlation (default 0.70)")
    ap.add_argument("--min-window", type=float, default=0.50, help="least worst-window correlation (default 0.50)")
    ap.add_argument("--min-cover", type=float, default=0.95, help="least share of the reference's speech received (default 0.95)")
    ap.add_argument("--min-margin", type=float, default=0.25, help="best minus runner-up envelope correlation (default 0.25)")
    ap.add_argument("--dur-tol", type=float, default=0.30, help="speech duration tolerance, s (default 0.30)")
    ap.add_argument("--max-loss", type=float, default=0.02, help="largest loss share per expected stream, from the summary (default 0.02)")
    ap.add_argument("--json", help="also write the verdict and every figure here")
    a = ap.parse_args()

    refs = {}
    for r in a.ref:
        m = re.fullmatch(r"([^=]+)=(.+?)(?:@(0x[0-9a-fA-F]+|\d+))?", r)
        if not m:
            ap.error(f"--ref {r}: NAME=WAV[@SSRC]")
        refs[m.group(1)] = {"path": m.group(2), "ssrc": int(m.group(3), 0) if m.group(3) else None}
    expect = [] if a.expect_none else [x for x in a.expect.split(",") if x]
    for n in expect + ([a.self_name] if a.self_name else []):
        if n not in refs:
            ap.error(f"{n}: no --ref for it")
    if a.self_name in expect:
        ap.error("--self is among --expect")

    failures = []
    summ_path = a.summary or os.path.join(a.rx_dir, "summary.json")
    try:
        with open(summ_path) as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        print(f"voice_check: no usable summary: {e}", file=sys.stderr)
        return 2
    if summary.get("error"):
        failures.append(f"the client reported an error: {summary['error']}")
    s_ssrcs = {int(k, 16): v for k, v in summary.get("rx", {}).get("ssrcs", {}).items()}

    rx_files = sorted(glob.glob(os.path.join(a.rx_dir, "ssrc-*.wav")))
    result = {"rx_dir": a.rx_dir, "expect": expect, "self": a.self_name, "streams": {}, "heard": {}}
    if a.expect_none:
        dg = summary.get("rx", {}).get("datagrams", 0)
        result["datagrams"] = dg
        if dg:
            failures.append(f"{dg} datagrams arrived ({', '.join(f'{s:#010x}' for s in s_ssrcs) or 'no RTP'}); expected none")
        if rx_files:
            failures.append(f"{len(rx_files)} streams decoded; expected none")
    else:
        cache = {}
        for path in rx_files:
            ssrc = int(re.search(r"ssrc-([0-9a-f]+)\.wav$", path).group(1), 16)
            st = {"wav": os.path.basename(path), "packets": s_ssrcs.get(ssrc, {}).get("packets")}
            result["streams"][f"{ssrc:#010x}"] = st
            try:
                rx_x, rx_rate = read_wav(path)
            except (OSError, EOFError, ValueError) as e:
                st["error"] = str(e)
                failures.append(f"SSRC {ssrc:#010x}: unreadable WAV: {e}")
                continue
            f_hi = min(F_HI, 0.45 * rx_rate)
            rx = load(path, f_hi)
            st.update(duration_s=rx["duration_s"], speech_s=rx["speech_s"])
            scores = {}
            for name, r in refs.items():
                key = (name, f_hi)
                if key not in cache:
                    try:
                        cache[key] = load(r["path"], f_hi)
                    except (OSError, EOFError, ValueError) as e:
                        print(f"voice_check: cannot read reference {r['path']}: {e}", file=sys.stderr)
                        return 2
                    if cache[key]["bounds"] is None:
                        print(f"voice_check: reference {r['path']} is silent", file=sys.stderr)
                        return 2
                fig = compare(cache[key], rx, a.min_cover)
                fig["speech_s"] = cache[key]["speech_s"]
                scores[name] = fig
            st["scores"] = scores
            order = sorted(scores, key=lambda n: scores[n]["env_corr"], reverse=True)
            best = order[0]
            b = scores[best]
            margin = b["env_corr"] - (scores[order[1]]["env_corr"] if len(order) > 1 else 0.0)
            st["best"], st["margin"] = best, round(margin, 4)
            why = []
            if rx["bounds"] is None:
                why.append("silent")
            if b["env_corr"] < a.min_env:
                why.append(f"env {b['env_corr']:.3f} < {a.min_env}")
            if b["spec_corr"] < a.min_spec:
                why.append(f"spec {b['spec_corr']:.3f} < {a.min_spec}")
            if b["worst_window_corr"] < a.min_window:
                why.append(f"window {b['worst_window_corr']:.3f} < {a.min_window}")
            if b["cover"] < a.min_cover:
                why.append(f"cover {b['cover']:.3f} < {a.min_cover}")
            if margin < a.min_margin:
                why.append(f"margin over {order[1]} {margin:.3f} < {a.min_margin}")
            if abs(rx["speech_s"] - b["speech_s"]) > a.dur_tol:
                why.append(f"speech {rx['speech_s']} s vs {b['speech_s']} s")
            st["identified"] = None if why else best
            if why:
                st["why_not"] = why
            line = (f"SSRC {ssrc:#010x} ({st['packets']} packets, {rx['duration_s']} s): best {best} env={b['env_corr']} "
                    f"spec={b['spec_corr']} window={b['worst_window_corr']} cover={b['cover']} margin={round(margin, 3)} "
                    f"lag={b['lag_s']} s -> " + (best if not why else "UNIDENTIFIED (" + "; ".join(why) + ")"))
            print(line)
            if why:
                failures.append(f"SSRC {ssrc:#010x}: not identified ({'; '.join(why)})")
                continue
            result["heard"].setdefault(best, []).append(f"{ssrc:#010x}")
            want_ssrc = refs[best]["ssrc"]
            if want_ssrc is not None and want_ssrc != ssrc:
                failures.append(f"{best} heard under SSRC {ssrc:#010x}, sent as {want_ssrc:#010x}")
        heard = result["heard"]
        if a.self_name and a.self_name in heard:
            failures.append(f"heard itself ({a.self_name}, SSRC {', '.join(heard[a.self_name])})")
        for n, lst in heard.items():
            if n not in expect and n != a.self_name:
                failures.append(f"heard {n} (SSRC {', '.join(lst)}), not expected")
            if len(lst) > 1:
                failures.append(f"heard {n} {len(lst)} times (SSRC {', '.join(lst)})")
        for n in expect:
            if n not in heard:
                failures.append(f"did not hear {n}")
        # What arrived but left no WAV (not authenticated, never decoded).
        wav_ssrcs = {int(k, 16) for k in result["streams"]}
        for ssrc, v in s_ssrcs.items():
            if ssrc not in wav_ssrcs:
                failures.append(f"SSRC {ssrc:#010x}: {v.get('datagrams', 0)} datagrams, {v.get('packets', 0)} authenticated, nothing decoded")
        # Loss of the expected streams, from the client's own counting.
        for n in expect:
            for s in heard.get(n, []):
                v = s_ssrcs.get(int(s, 16), {})
                if v.get("expected"):
                    loss = v.get("lost", 0) / v["expected"]
                    result["streams"][s]["loss"] = round(loss, 4)
                    if loss > a.max_loss:
                        failures.append(f"{n} (SSRC {s}): loss {loss:.1%} > {a.max_loss:.1%}")

    result["pass"] = not failures
    result["failures"] = failures
    for f in failures:
        print(f"FAIL: {f}")
    heard_txt = ", ".join(f"{n}={'/'.join(v)}" for n, v in sorted(result["heard"].items())) or "nothing"
    print(f"voice_check {a.rx_dir}: heard {heard_txt}; expected {','.join(expect) or 'nothing'}"
          + (f", self {a.self_name}" if a.self_name else "") + (": PASS" if not failures else ": FAIL"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
