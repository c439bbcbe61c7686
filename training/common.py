"""Shared helpers for the Callscope speaker-encoder recipe (data, features, augmentation, metrics)."""
import csv
import json
import math
import os

import numpy as np
import torch
import torchaudio

SHARED = os.environ.get("CALLSCOPE_SHARED", "/work/shared")
CACHE = os.environ.get("CALLSCOPE_CACHE", "/work/cache")
SR = 16000

# Feature contract (engine computes this in TypeScript, then applies per-utterance CMN).
FBANK_OPTS = dict(num_mel_bins=80, frame_length=25.0, frame_shift=10.0, dither=0.0,
                  sample_frequency=16000.0, energy_floor=0.0)
FEATURE_CONFIG = {
    "type": "kaldi_fbank", "num_mel_bins": 80, "frame_length_ms": 25, "frame_shift_ms": 10,
    "sample_rate": 16000, "dither": 0.0, "energy_floor": 0.0, "window_type": "povey",
    "preemphasis_coefficient": 0.97, "remove_dc_offset": True, "snip_edges": True,
    "low_freq": 20, "high_freq": 0, "use_log_fbank": True, "use_power": True,
    "input_scale": 32768, "cmn": "per-utterance mean subtraction over time (applied before the model)",
}

# Sources whose licence is unconfirmed in the manifest's licence column: excluded from shipped models.
EXCLUDED_CORPORA = {"vcc2016", "voxceleb1"}

# Per-corpus sampling weights (probability mass per corpus, before normalisation).
CORPUS_WEIGHTS = {
    "speechocean762": 0.45, "commonvoice": 0.17, "arabic_speech_commands": 0.12,
    "vctk": 0.08, "fsdd": 0.07, "cmu_arctic": 0.05, "voxceleb1": 0.0, "vcc2016": 0.0,
}


def load_manifest(include_excluded=False):
    rows = []
    with open(os.path.join(SHARED, "data", "train", "manifest.csv")) as f:
        for r in csv.DictReader(f):
            if not include_excluded and r["corpus"] in EXCLUDED_CORPORA:
                continue
            r["cache"] = os.path.join(CACHE, "audio", "train", r["path"]) + ".npy"
            rows.append(r)
    return rows


def load_wave(cache_path, variant=None):
    """int16 npy -> float32 in [-1, 1]."""
    p = cache_path if variant is None else cache_path.replace("/audio/", f"/audio_{variant}/")
    return np.load(p).astype(np.float32) / 32768.0


def dev_wave(rel):
    return load_wave(os.path.join(CACHE, "audio", "dev", rel) + ".npy")


def fbank(wave):
    """wave: float np/tensor in [-1,1] (1-D) -> torch [T, 80] (no CMN)."""
    w = torch.as_tensor(wave, dtype=torch.float32).reshape(1, -1) * 32768.0
    return torchaudio.compliance.kaldi.fbank(w, **FBANK_OPTS)


def cmn(feats):
    return feats - feats.mean(dim=0, keepdim=True)


def feats_cmn(wave):
    return cmn(fbank(wave))


# ---------------------------------------------------------------- dev sets
def dev_voiceprint():
    out = []
    with open(os.path.join(SHARED, "data", "dev", "voiceprint", "speakers.csv")) as f:
        for r in csv.DictReader(f):
            if r["role"] in ("enroll", "test"):
                out.append(dict(rel="voiceprint/" + r["file"], speaker=r["speaker_id"], gender=r["gender"],
                                role=r["role"], age=None, corpus=r["corpus"]))
    return out


def dev_agegender():
    out = []
    with open(os.path.join(SHARED, "data", "dev", "agegender", "labels_ext.csv")) as f:
        for r in csv.DictReader(f):
            age = float(r["age"]) if r["age"].isdigit() else None
            out.append(dict(rel="agegender/" + r["file"], speaker=r["speaker_id"] or None, gender=r["gender"],
                            role="agegender", age=age, age_min=float(r["age_min"]), age_max=float(r["age_max"]),
                            corpus=r["corpus"]))
    return out


# ---------------------------------------------------------------- metrics
def eer(scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(-scores, kind="mergesort")
    l = labels[order]
    nt, nn = l.sum(), (~l).sum()
    tp = np.cumsum(l)
    fp = np.cumsum(~l)
    fnr = 1 - tp / nt
    fpr = fp / nn
    i = np.argmin(np.abs(fnr - fpr))
    # interpolate between neighbours
    return float((fnr[i] + fpr[i]) / 2)


# ---------------------------------------------------------------- augmentation (numpy/torch, 16 kHz)
def _fft_conv(x, h):
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[: len(x)]
    return y.astype(np.float32)


def synth_rir(rng):
    rt60 = rng.uniform(0.15, 0.8)
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    d = int(rng.uniform(0.0, 0.004) * SR)
    h[:d] = 0
    h[d] = max(abs(h).max() * 3, 1.0)  # direct path
    h = h / np.sqrt((h ** 2).sum())
    return h.astype(np.float32)


def colored_noise(rng, n):
    kind = rng.integers(3)
    w = rng.standard_normal(n).astype(np.float32)
    if kind == 0:
        return w
    spec = np.fft.rfft(w)
    f = np.arange(len(spec)) + 1.0
    spec = spec / (np.sqrt(f) if kind == 1 else f)
    x = np.fft.irfft(spec, n).astype(np.float32)
    return x / (x.std() + 1e-9)


def add_at_snr(x, noise, snr_db):
    px = (x ** 2).mean() + 1e-10
    pn = (noise ** 2).mean() + 1e-10
    return x + noise * np.sqrt(px / (pn * 10 ** (snr_db / 10)))


def telephone(x, rng):
    t = torch.from_numpy(x).unsqueeze(0)
    t = torchaudio.functional.resample(t, SR, 8000)
    lo = rng.uniform(200, 400)
    hi = rng.uniform(3000, 3600)
    t = torchaudio.functional.highpass_biquad(t, 8000, lo)
    t = torchaudio.functional.lowpass_biquad(t, 8000, hi)
    if rng.random() < 0.5:  # G.711 mu-law
        t = torchaudio.functional.mu_law_decoding(torchaudio.functional.mu_law_encoding(t.clamp(-1, 1), 256), 256)
    t = torchaudio.functional.resample(t, 8000, SR)
    return t.squeeze(0).numpy()


def speed(x, factor):
    """Speed perturbation via resampling (changes tempo and pitch)."""
    if factor == 1.0:
        return x
    src = int(round(SR * factor / 100)) * 100  # e.g. 0.9 -> 14400
    t = torchaudio.functional.resample(torch.from_numpy(x).unsqueeze(0), src, SR)
    return t.squeeze(0).numpy()
