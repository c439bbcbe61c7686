#!/usr/bin/env python3
"""Build the back-end / heads training set: CMN'd fbank of every licence-confirmed train file at speeds
1.0 / 0.9 / 1.1 (speed-perturbed copies are new speakers), as the whole file (clean) plus one 3-s crop with
call-like augmentation. Written to /work/cache/segs/ (feats.npy float16 [N_frames, 80], index.json).

Run: /usr/bin/python3 training/segments.py
"""
import json
import os
import sys

import numpy as np
import torch

import common as C
from train import SPEEDS, Data


def main():
    torch.set_num_threads(1)
    out = os.path.join(C.CACHE, "segs")
    os.makedirs(out, exist_ok=True)
    data = Data()
    rows = {r["cache"]: r for r in C.load_manifest()}
    index, chunks, off = [], [], 0
    for fi, a in data.audio.items():
        r = rows[data.paths[fi]]
        for si, sp in enumerate(SPEEDS):
            rng = np.random.default_rng([99, fi, si])
            x = a.astype(np.float32) / 32768.0
            x = C.speed(x, sp)
            items = [("whole", x)]
            if len(x) > 3 * C.SR:
                st = rng.integers(0, len(x) - 3 * C.SR)
                crop = x[st:st + 3 * C.SR]
            else:
                crop = x
            items.append(("crop3_aug", data.augment(crop.copy(), rng)))
            for kind, w in items:
                f = C.feats_cmn(w).numpy().astype(np.float16)
                chunks.append(f)
                index.append(dict(off=off, n=len(f), speaker=r["speaker"], cls=f'{r["speaker"]}@{sp}', speed=sp,
                                  kind=kind, corpus=r["corpus"], gender=r["gender"], age=r["age"],
                                  age_bracket=r["age_bracket"], path=r["path"]))
                off += len(f)
        if len(index) % 600 == 0:
            print(len(index), off, file=sys.stderr, flush=True)
    np.save(os.path.join(out, "feats.npy"), np.concatenate(chunks))
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    print("segments", len(index), "frames", off)


if __name__ == "__main__":
    main()
