#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks that received audio (WAV) is the reference audio after a lossy codec: duration, envelope and spectrogram match.
"""
Opus is lossy and resamples, so the check compares features, not samples:

* duration: the received file lasts as long as the reference (within a
  tolerance), and so does its speech (first to last active frame);
* envelope: frame energy (10 ms hop) of both, aligned by the lag that
  maximises their normalised cross-correlation; the correlation at that lag
  must reach --min-env;
* spectrogram: log energy in bands spaced on a log scale (100 Hz .. 5 kHz,
  independent of sample rate), each band's mean removed so the long-term
  spectral tilt every voice shares does not count; correlation over the
  frames where the reference speaks must reach --min-spec;
* the worst 0.5 s window of speech (envelope correlation) must reach
  --min-window, so a gap in the middle shows even when the rest is perfect.

Exit 0 if all hold, 1 if not, 2 for unusable input. Figures are printed as
key=value lines (and written as JSON with --json).
"""
import argparse
import json
import sys
import wave

import numpy as np

HOP_S = 0.010
WIN_S = 0.025
BANDS = 24
F_LO, F_HI = 100.0, 5000.0


def read_wav(path):
    with wave.open(path, "rb") as w:
        rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    else:
        raise ValueError(f"{path}: {8 * width}-bit samples not supported")
    if ch > 1:
        x = x[: len(x) // ch * ch].reshape(-1, ch).mean(axis=1)
    return x, rate


def features(x, rate, f_hi=F_HI):
    """Frame RMS and log band energies (F_LO..@f_hi), one row per 10 ms."""
    hop, win = int(round(HOP_S * rate)), int(round(WIN_S * rate))
    nfft = 1 << (win - 1).bit_length()
    if len(x) < win:
        return np.zeros(0), np.zeros((0, BANDS))
    nfr = 1 + (len(x) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(nfr)[:, None]
    frames = x[idx]
    rms = np.sqrt(np.mean(frames**2, axis=1))
    spec = np.abs(np.fft.rfft(frames * np.hanning(win)[None, :], n=nfft, axis=1)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    edges = np.geomspace(F_LO, f_hi, BANDS + 1)
    band = np.empty((nfr, BANDS))
    for b in range(BANDS):
        sel = (freqs >= edges[b]) & (freqs < edges[b + 1])
        if not sel.any():  # narrow low band at a coarse resolution: nearest bin
            sel = np.zeros_like(freqs, dtype=bool)
            sel[np.argmin(np.abs(freqs - (edges[b] + edges[b + 1]) / 2))] = True
        band[:, b] = spec[:, sel].mean(axis=1)
    return rms, 10.0 * np.log10(band + 1e-12)


def corr(a, b):
    a = a - a.mean()
    b = b - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else 0.0


def overlap(n_ref, n_rx, lag):
    """Index ranges of ref and rx compared when rx lags ref by @lag frames."""
    r0, x0 = (0, lag) if lag >= 0 else (-lag, 0)
    n = min(n_ref - r0, n_rx - x0)
    return r0, x0, max(n, 0)


def best_lag(env_ref, env_rx, max_lag):
    best = (-2.0, 0)
    for lag in range(-max_lag, max_lag + 1):
        r0, x0, n = overlap(len(env_ref), len(env_rx), lag)
        if n < len(env_ref) // 2:
            continue
        c = corr(env_ref[r0 : r0 + n], env_rx[x0 : x0 + n])
        if c > best[0]:
            best = (c, lag)
    return best


def active_span(rms, thresh):
    act = np.nonzero(rms > thresh)[0]
    if len(act) == 0:
        return 0.0
    return (act[-1] - act[0] + 1) * HOP_S


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reference", help="WAV that was sent")
    ap.add_argument("received", help="WAV that arrived")
    ap.add_argument("--max-lag", type=float, default=1.0, help="largest alignment lag searched, s (default 1)")
    ap.add_argument("--dur-tol", type=float, default=0.25, help="duration tolerance, s (default 0.25)")
    ap.add_argument("--min-env", type=float, default=0.90, help="least envelope correlation (default 0.90)")
    ap.add_argument("--min-spec", type=float, default=0.80, help="least spectrogram correlation (default 0.80)")
    ap.add_argument("--min-window", type=float, default=0.60, help="least 0.5 s window envelope correlation (default 0.60)")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()

    try:
        ref, ref_rate = read_wav(a.reference)
        rx, rx_rate = read_wav(a.received)
    except (OSError, EOFError, wave.Error, ValueError) as e:
        print(f"audio_check: cannot read input: {e}", file=sys.stderr)
        fig = {"pass": False, "error": str(e)}
        if a.json:
            with open(a.json, "w") as f:
                json.dump(fig, f, indent=1)
        return 2

    env_ref, spec_ref = features(ref, ref_rate)
    env_rx, spec_rx = features(rx, rx_rate)
    fig = {
        "ref_duration_s": round(len(ref) / ref_rate, 3),
        "rx_duration_s": round(len(rx) / rx_rate, 3),
        "ref_rate": ref_rate,
        "rx_rate": rx_rate,
    }
    failures = []
    peak_ref = env_ref.max() if len(env_ref) else 0.0
    peak_rx = env_rx.max() if len(env_rx) else 0.0
    fig["rx_peak_dbfs"] = round(20 * np.log10(peak_rx + 1e-12), 1)
    if peak_ref <= 1e-4:
        print("audio_check: the reference is silent", file=sys.stderr)
        return 2
    if peak_rx <= 1e-4:
        failures.append("received audio is silent")
    # Loudness may differ (codec, resampling): speech is what exceeds -35 dB of each file's peak.
    fig["ref_speech_s"] = round(active_span(env_ref, peak_ref * 10 ** (-35 / 20)), 3)
    fig["rx_speech_s"] = round(active_span(env_rx, max(peak_rx, 1e-4) * 10 ** (-35 / 20)), 3)
    if abs(fig["rx_duration_s"] - fig["ref_duration_s"]) > a.dur_tol:
        failures.append(f"duration {fig['rx_duration_s']} s vs {fig['ref_duration_s']} s (tolerance {a.dur_tol} s)")
    if abs(fig["rx_speech_s"] - fig["ref_speech_s"]) > a.dur_tol:
        failures.append(f"speech lasts {fig['rx_speech_s']} s vs {fig['ref_speech_s']} s (tolerance {a.dur_tol} s)")

    env_c, lag = best_lag(env_ref, env_rx, int(a.max_lag / HOP_S)) if len(env_rx) else (0.0, 0)
    fig["lag_s"] = round(lag * HOP_S, 3)
    fig["env_corr"] = round(env_c, 4)
    r0, x0, n = overlap(len(env_ref), len(env_rx), lag)
    spec_c = win_min = 0.0
    if n > 0 and peak_rx > 1e-4:
        sr = spec_ref[r0 : r0 + n]
        sx = spec_rx[x0 : x0 + n]
        er = env_ref[r0 : r0 + n]
        ex = env_rx[x0 : x0 + n]
        act = er > peak_ref * 10 ** (-35 / 20)
        if act.sum() >= 10:
            sr, sx = sr[act], sx[act]
            spec_c = corr((sr - sr.mean(axis=0)).ravel(), (sx - sx.mean(axis=0)).ravel())
        # 0.5 s windows, half overlapping, that hold speech in the reference.
        w = int(0.5 / HOP_S)
        vals = []
        for s in range(0, n - w + 1, w // 2):
            if act[s : s + w].mean() >= 0.3:
                vals.append(corr(er[s : s + w], ex[s : s + w]))
        win_min = min(vals) if vals else 0.0
        fig["windows"] = len(vals)
    fig["spec_corr"] = round(spec_c, 4)
    fig["worst_window_corr"] = round(win_min, 4)
    if env_c < a.min_env:
        failures.append(f"envelope correlation {env_c:.3f} < {a.min_env}")
    if spec_c < a.min_spec:
        failures.append(f"spectrogram correlation {spec_c:.3f} < {a.min_spec}")
    if win_min < a.min_window:
        failures.append(f"worst window correlation {win_min:.3f} < {a.min_window}")

    fig["pass"] = not failures
    fig["failures"] = failures
    for k, v in fig.items():
        if k != "failures":
            print(f"{k}={v}")
    for f in failures:
        print(f"FAIL: {f}")
    print("audio_check: " + ("PASS" if not failures else "FAIL"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=1)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
