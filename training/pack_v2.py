#!/usr/bin/env python3
"""Precompute the encoder-v2 training pack: channel-augmented 3-s segments of every licence-confirmed train speaker
(LibriSpeech included) as quantised log-mel fbank, small enough (<= ~55 MiB) to travel to the GPU machine.

Per speaker: n = clamp(ceil(duration / 10 s), 3, 8) segments of 3 s from its files (file drawn by length, random
start). Segment 0 is clean, segment 1 goes through a telephone path, the others draw a condition from COND_P:
clean, room (reverberation / noise / bleed), or one of channel.PATHS (with a room effect first in 35 % of cases).
Every segment then gets a level change of -18..+6 dB with hard clipping at full scale.
Features: the engine's 80-bin Kaldi fbank *without* CMN (the trainer applies CMN per random crop), quantised
q = round((fbank + 16) * 5) in uint8 (step 0.2 in log-power, range -16..35), stored lzma-compressed.

Also writes the dev pack: every dev clip with a speaker id (dev/voiceprint + dev/agegender) clean, and the same clip
through channel.EVAL_PATHS[i % 6] (round robin), first --dev-cap seconds, for model selection on the GPU machine.

Run: /usr/bin/python3 training/pack_v2.py --out /work/cache/pack_v2 [--max-seg 10]
"""
import argparse
import collections
import json
import lzma
import math
import os
import sys
import time

import numpy as np
import soundfile as sf
import torch
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import channel  # noqa: E402
import common as C  # noqa: E402

SEG_S = 3.0
COND_P = {"clean": 0.20, "room": 0.14, "ulaw": 0.08, "alaw": 0.06, "gsm": 0.11, "opus6k": 0.06, "opus8k": 0.08,
          "opus12k": 0.07, "opus16k": 0.06, "codec2": 0.04, "tel8k": 0.10}
Q_OFF, Q_SCALE = 16.0, 5.0


def quantise(fb):
    return np.clip(np.round((fb + Q_OFF) * Q_SCALE), 0, 255).astype(np.uint8)


def read16k(path):
    """Decode any file libsndfile reads (Ogg Opus, FLAC, WAV) to float32 mono 16 kHz."""
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != C.SR:
        x = torchaudio.functional.resample(torch.from_numpy(x).unsqueeze(0), sr, C.SR).squeeze(0).numpy()
    return x.astype(np.float32)


def room(x, rng, pool):
    """Reverberation (p 0.5), noise or babble (p 0.6), remote bleed (p 0.2): at least one of them."""
    done = False
    while not done:
        if rng.random() < 0.5:
            x = C._fft_conv(x, C.synth_rir(rng))
            done = True
        if rng.random() < 0.6:
            if rng.random() < 0.5:
                x = C.add_at_snr(x, C.colored_noise(rng, len(x)), rng.uniform(5, 25))
            else:
                x = C.add_at_snr(x, crop_from(pool[rng.integers(len(pool))], len(x), rng), rng.uniform(8, 25))
            done = True
        if rng.random() < 0.2:
            b = crop_from(pool[rng.integers(len(pool))], len(x), rng)
            d = int(rng.uniform(0.01, 0.06) * C.SR)
            b = np.concatenate([np.zeros(d, np.float32), b[: len(x) - d]])
            x = C.add_at_snr(x, b, rng.uniform(20, 35))
            done = True
    return x.astype(np.float32)


def crop_from(a, n, rng):
    if len(a) < n:
        a = np.tile(a, n // len(a) + 1)
    st = rng.integers(0, len(a) - n + 1)
    return a[st:st + n].astype(np.float32)


def level(x, rng):
    x = x * 10 ** (rng.uniform(-18, 6) / 20)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def build_train(args):
    rows = [r for r in C.load_manifest() if float(r["duration_s"]) >= 1.0]
    by_spk = collections.defaultdict(list)
    for r in rows:
        by_spk[r["speaker"]].append(r)
    speakers = sorted(by_spk)
    t0 = time.time()
    audio = {}
    for r in rows:
        audio[r["path"]] = read16k(os.path.join(C.SHARED, "data", "train", r["path"]))
    print(f"decoded {len(audio)} files in {time.time() - t0:.0f} s", flush=True)
    pool = list(audio.values())
    conds, cp = list(COND_P), np.array(list(COND_P.values()))
    cp = cp / cp.sum()
    tel = [c for c in conds if c in channel.PATHS]
    n = int(SEG_S * C.SR)
    segs = []  # dict(spk, corpus, cond, wave)
    for si, s in enumerate(speakers):
        rng = np.random.default_rng([2024, si])
        files = by_spk[s]
        dur = sum(len(audio[r["path"]]) for r in files) / C.SR
        k = int(min(args.max_seg, max(args.min_seg, math.ceil(dur / args.sec_per_seg))))
        lens = np.array([len(audio[r["path"]]) for r in files], dtype=np.float64)
        for j in range(k):
            r = files[rng.choice(len(files), p=lens / lens.sum())]
            x = crop_from(audio[r["path"]], n, rng)
            cond = "clean" if j == 0 else tel[rng.integers(len(tel))] if j == 1 else conds[rng.choice(len(conds), p=cp)]
            roomy = cond == "room" or (cond in channel.PATHS and rng.random() < 0.35)
            if roomy:
                x = room(x, rng, pool)
            segs.append(dict(spk=si, speaker=s, corpus=r["corpus"], cond=cond, room=bool(roomy), wave=x,
                             gender=r["gender"]))
    print(f"{len(segs)} segments of {len(speakers)} speakers", flush=True)
    for path in channel.PATHS:
        idx = [i for i, g in enumerate(segs) if g["cond"] == path]
        out = channel.apply_path([segs[i]["wave"] for i in idx], path)
        for i, y in zip(idx, out):
            segs[i]["wave"] = y
        print(f"path {path}: {len(idx)} segments ({time.time() - t0:.0f} s)", flush=True)
    feats, index, off = [], [], 0
    for i, g in enumerate(segs):
        rng = np.random.default_rng([77, i])
        q = quantise(C.fbank(level(g["wave"], rng)).numpy())
        feats.append(q)
        index.append(dict(off=off, n=len(q), spk=g["spk"], speaker=g["speaker"], corpus=g["corpus"], cond=g["cond"],
                          room=g["room"], gender=g["gender"]))
        off += len(q)
    return np.concatenate(feats), index, speakers


def build_dev(cap_s):
    items = [it for it in C.dev_voiceprint() + C.dev_agegender() if it["speaker"]]
    waves = [read16k(os.path.join(C.SHARED, "data", "dev", it["rel"]))[: int(cap_s * C.SR)] for it in items]
    deg = [None] * len(items)
    for pi, path in enumerate(channel.EVAL_PATHS):
        idx = [i for i in range(len(items)) if i % len(channel.EVAL_PATHS) == pi]
        for i, y in zip(idx, channel.apply_path([waves[i] for i in idx], path)):
            deg[i] = y
    feats, index, off = [], [], 0
    for i, it in enumerate(items):
        for kind, w in (("clean", waves[i]), ("tel", deg[i])):
            q = quantise(C.fbank(w).numpy())
            feats.append(q)
            index.append(dict(off=off, n=len(q), item=i, speaker=it["speaker"], role=it["role"], kind=kind,
                              path=channel.EVAL_PATHS[i % len(channel.EVAL_PATHS)] if kind == "tel" else "clean",
                              rel=it["rel"]))
            off += len(q)
    return np.concatenate(feats), index


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(C.CACHE, "pack_v2"))
    ap.add_argument("--max-seg", type=int, default=8)
    ap.add_argument("--min-seg", type=int, default=3)
    ap.add_argument("--sec-per-seg", type=float, default=10.0)
    ap.add_argument("--dev-only", action="store_true")
    ap.add_argument("--dev-cap", type=float, default=15.0, help="seconds kept of each dev clip (selection only)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    if not args.dev_only:
        f, index, speakers = build_train(args)
        blob = lzma.compress(f.tobytes(), preset=6)
        open(os.path.join(args.out, "train.xz"), "wb").write(blob)
        json.dump(dict(index=index, speakers=speakers, q_off=Q_OFF, q_scale=Q_SCALE, frames=int(len(f))),
                  open(os.path.join(args.out, "train.json"), "w"))
        print(f"train: {len(f)} frames, {f.nbytes / 2**20:.1f} MiB raw, {len(blob) / 2**20:.1f} MiB xz", flush=True)
    f, index = build_dev(args.dev_cap)
    blob = lzma.compress(f.tobytes(), preset=6)
    open(os.path.join(args.out, "dev.xz"), "wb").write(blob)
    json.dump(dict(index=index, q_off=Q_OFF, q_scale=Q_SCALE, frames=int(len(f))),
              open(os.path.join(args.out, "dev.json"), "w"))
    print(f"dev: {len(f)} frames, {len(blob) / 2**20:.1f} MiB xz", flush=True)


if __name__ == "__main__":
    main()
