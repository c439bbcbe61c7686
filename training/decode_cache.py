#!/usr/bin/env python3
"""Decode every file of train/manifest.csv (and the dev sets) once with ffmpeg to 16 kHz mono int16,
stored in /work/cache/audio/<same relative path>.npy. Idempotent (skips files already decoded).

Run: /usr/bin/python3 training/decode_cache.py [--shared /work/shared] [--cache /work/cache]
"""
import argparse
import csv
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def decode(src, dst):
    if os.path.exists(dst):
        return 0
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", src, "-ac", "1", "-ar", "16000",
                          "-f", "s16le", "-"], check=True, stdout=subprocess.PIPE).stdout
    a = np.frombuffer(raw, dtype=np.int16)
    tmp = dst + ".tmp.npy"
    np.save(tmp, a)
    os.replace(tmp, dst)
    return 1


CODECS = {
    # low-bitrate telephone codecs, round-tripped through ffmpeg (8 kHz) and back to 16 kHz
    "gsm": ["-ar", "8000", "-c:a", "libgsm", "-f", "gsm"],
    "opus8k": ["-ar", "8000", "-c:a", "libopus", "-b:a", "8k", "-application", "voip", "-f", "ogg"],
}


def codec_variant(src, dst, codec):
    if os.path.exists(dst):
        return 0
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    enc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", src, "-ac", "1"] + CODECS[codec] + ["-"],
                         check=True, stdout=subprocess.PIPE).stdout
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", CODECS[codec][-1], "-i", "-", "-ac", "1",
                          "-ar", "16000", "-f", "s16le", "-"], input=enc, check=True, stdout=subprocess.PIPE).stdout
    a = np.frombuffer(raw, dtype=np.int16)
    tmp = dst + ".tmp.npy"
    np.save(tmp, a)
    os.replace(tmp, dst)
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="/work/shared")
    ap.add_argument("--cache", default="/work/cache")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dev", action="store_true", help="also decode every audio file under data/dev")
    ap.add_argument("--codecs", action="store_true", help="also write GSM / Opus-8k round-trip variants of train")
    args = ap.parse_args()
    jobs = []
    train = os.path.join(args.shared, "data", "train")
    with open(os.path.join(train, "manifest.csv")) as f:
        for row in csv.DictReader(f):
            jobs.append((os.path.join(train, row["path"]),
                         os.path.join(args.cache, "audio", "train", row["path"]) + ".npy"))
    if args.dev:
        dev = os.path.join(args.shared, "data", "dev")
        for d, _, fs in os.walk(dev):
            for fn in fs:
                if fn.lower().endswith((".wav", ".opus", ".flac", ".mp3", ".ogg", ".m4a")):
                    rel = os.path.relpath(os.path.join(d, fn), dev)
                    jobs.append((os.path.join(d, fn), os.path.join(args.cache, "audio", "dev", rel) + ".npy"))
    with ThreadPoolExecutor(args.jobs) as ex:
        n = sum(ex.map(lambda j: decode(*j), jobs))
        if args.codecs:
            cj = []
            with open(os.path.join(train, "manifest.csv")) as f:
                for row in csv.DictReader(f):
                    for c in CODECS:
                        cj.append((os.path.join(train, row["path"]),
                                   os.path.join(args.cache, "audio_" + c, "train", row["path"]) + ".npy", c))
            n += sum(ex.map(lambda j: codec_variant(*j), cj))
    print(f"decoded {n} new files, {len(jobs)} total", file=sys.stderr)


if __name__ == "__main__":
    main()
