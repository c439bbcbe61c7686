#!/usr/bin/env python3
"""Train the compact ECAPA-style speaker encoder with AAM-softmax on train/ (licence-confirmed corpora only).

Checkpoints every --ckpt-every steps to <outdir>/last.pt and resumes from it automatically.
Every step draws its batch from an RNG seeded with (seed, step), so a resumed run sees the same data.

Run: /usr/bin/python3 training/train.py --outdir /work/cache/run1 --steps 4500
"""
import argparse
import collections
import os
import time

import numpy as np
import torch

import common as C
from model import AAMSoftmax, ECAPALite

SPEEDS = (1.0, 0.9, 1.1)
SPEED_P = (0.5, 0.25, 0.25)


class Data:
    def __init__(self, crop_s=2.0):
        rows = C.load_manifest()
        self.crop = int(crop_s * C.SR)
        self.speakers = sorted({r["speaker"] for r in rows})
        self.spk_index = {s: i for i, s in enumerate(self.speakers)}
        self.audio = {}
        self.variants = {}
        by_spk = collections.defaultdict(list)
        for r in rows:
            a = np.load(r["cache"])
            if len(a) < C.SR:  # skip < 1 s
                continue
            by_spk[r["speaker"]].append(len(self.audio))
            idx = len(self.audio)
            self.audio[idx] = a
            self.paths = getattr(self, "paths", {})
            self.paths[idx] = r["cache"]
            self.corpus_of = getattr(self, "corpus_of", {})
            self.corpus_of[r["speaker"]] = r["corpus"]
        self.by_spk = by_spk
        corp = collections.defaultdict(list)
        for s in by_spk:
            corp[self.corpus_of[s]].append(s)
        self.corpora = sorted(corp)
        self.corp_spk = corp
        w = np.array([C.CORPUS_WEIGHTS.get(c, 0.05) for c in self.corpora])
        self.corp_p = w / w.sum()
        self.n_classes = len(self.speakers) * len(SPEEDS)
        print("speakers", len(self.speakers), "classes", self.n_classes, "files", len(self.audio),
              "corpora", dict(zip(self.corpora, np.round(self.corp_p, 3))), flush=True)

    def sample(self, rng, aug=True):
        c = self.corpora[rng.choice(len(self.corpora), p=self.corp_p)]
        spk = self.corp_spk[c][rng.integers(len(self.corp_spk[c]))]
        files = self.by_spk[spk]
        lens = np.array([len(self.audio[f]) for f in files], dtype=np.float64)
        fi = files[rng.choice(len(files), p=lens / lens.sum())]
        si = rng.choice(len(SPEEDS), p=SPEED_P)
        sp = SPEEDS[si]
        a = self.audio[fi]
        if aug and rng.random() < 0.25 and self.load_variants(fi):  # low-bitrate telephone codec round trip
            vs = list(self.variants[fi].values())
            v = vs[rng.integers(len(vs))]
            if abs(len(v) - len(a)) < 2000:
                a = v
        need = int(self.crop * sp) + 800
        if len(a) <= need:
            reps = need // len(a) + 1
            a = np.tile(a, reps)
        st = rng.integers(0, len(a) - need)
        x = a[st:st + need].astype(np.float32) / 32768.0
        x = C.speed(x, sp)[: self.crop]
        if len(x) < self.crop:
            x = np.pad(x, (0, self.crop - len(x)))
        if aug:
            x = self.augment(x, rng)
        label = self.spk_index[spk] * len(SPEEDS) + si
        return x, label

    def load_variants(self, fi):
        """GSM / Opus-8k round-trip versions made by decode_cache.py --codecs (loaded lazily)."""
        if fi not in self.variants:
            d = {}
            for v in ("gsm", "opus8k"):
                p = self.paths[fi].replace("/audio/", f"/audio_{v}/")
                if os.path.exists(p):
                    d[v] = np.load(p)
            if len(d) == 2:
                self.variants[fi] = d
            else:
                return False
        return True

    def augment(self, x, rng):
        if rng.random() < 0.3:
            x = C._fft_conv(x, C.synth_rir(rng))
        if rng.random() < 0.45:
            if rng.random() < 0.5:
                noise = C.colored_noise(rng, len(x))
                x = C.add_at_snr(x, noise, rng.uniform(5, 25))
            else:  # babble: another training file
                j = rng.integers(len(self.audio))
                b = self.audio[j]
                if len(b) < len(x):
                    b = np.tile(b, len(x) // len(b) + 1)
                st = rng.integers(0, len(b) - len(x) + 1)
                x = C.add_at_snr(x, b[st:st + len(x)].astype(np.float32) / 32768.0, rng.uniform(8, 25))
        if rng.random() < 0.3:
            x = C.telephone(x, rng)
        g = 10 ** (rng.uniform(-15, 6) / 20)
        x = x * g
        peak = np.abs(x).max()
        if peak > 0.99:
            x = x * (0.99 / peak)
        return x

    def batch(self, rng, bs):
        xs, ys = [], []
        for _ in range(bs):
            x, y = self.sample(rng)
            xs.append(C.feats_cmn(x))
            ys.append(y)
        return torch.stack(xs), torch.tensor(ys)


def lr_at(step, total, base, warm=200):
    if step < warm:
        return base * (step + 1) / warm
    p = (step - warm) / max(1, total - warm)
    return base * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * p)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", default="/work/cache/run1")
    ap.add_argument("--steps", type=int, default=4500)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--init", help="start from this encoder checkpoint (stage 2 fine-tuning)")
    ap.add_argument("--crop", type=float, default=2.0, help="crop length in seconds")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (after checkpointing) after this many minutes")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)
    data = Data(crop_s=args.crop)
    torch.manual_seed(args.seed)
    model = ECAPALite()
    aam = AAMSoftmax(192, data.n_classes, m=args.margin)
    opt = torch.optim.AdamW(list(model.parameters()) + list(aam.parameters()), lr=args.lr, weight_decay=2e-5)
    step = 0
    last = os.path.join(args.outdir, "last.pt")
    if args.init and not os.path.exists(last):
        ck = torch.load(args.init)
        model.load_state_dict(ck["model"])
        if "aam" in ck:
            aam.load_state_dict(ck["aam"])
        print("initialised from", args.init, flush=True)
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        aam.load_state_dict(ck["aam"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        print("resumed at step", step, flush=True)
    print("params", sum(p.numel() for p in model.parameters()), flush=True)
    t0 = time.time()
    hist = []
    model.train()
    while step < args.steps:
        rng = np.random.default_rng([args.seed, step])
        torch.manual_seed(args.seed * 100003 + step)
        x, y = data.batch(rng, args.bs)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        aam.m = args.margin if args.init else args.margin * min(1.0, step / (0.2 * args.steps))
        loss, acc = aam(model(x), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        hist.append((loss.item(), acc.item()))
        if step % 50 == 0:
            l, a = np.mean(hist, axis=0)
            hist = []
            print(f"step {step} loss {l:.3f} acc {a:.3f} lr {lr_at(step, args.steps, args.lr):.2e} "
                  f"m {aam.m:.3f} {(time.time() - t0) / 60:.1f} min", flush=True)
        stop = args.max_minutes and (time.time() - t0) / 60 > args.max_minutes
        if step % args.ckpt_every == 0 or step == args.steps or stop:
            ck = dict(model=model.state_dict(), aam=aam.state_dict(), opt=opt.state_dict(), step=step,
                      args=vars(args), n_classes=data.n_classes)
            torch.save(ck, last + ".tmp")
            os.replace(last + ".tmp", last)
            torch.save(dict(model=model.state_dict(), step=step), os.path.join(args.outdir, f"enc_{step:05d}.pt"))
        if stop:
            print("stopping on --max-minutes", flush=True)
            break


if __name__ == "__main__":
    main()
