#!/usr/bin/env python3
"""Train the frame-level age/gender model (model.FrameAgeGender) on labelled, licence-confirmed train
speakers (speed-1.0 segments from segments.py: whole files and augmented 3-s crops). Classes female / male /
child (< 13 y, or bracket child), balanced; age regressed (L1) where the source gives it. Per-frame losses are
weighted by loudness (softmax of frame energy within the chunk), as in pooling.

Run: /usr/bin/python3 training/framehead.py --tag f1 [--ctx 1 --hidden 128 --steps 1500]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backend  # noqa: E402
import evaluate  # noqa: E402
import package  # noqa: E402
from heads import cls_of  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", default="f1")
    ap.add_argument("--ctx", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--hidden2", type=int, default=64)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--all-speeds", action="store_true", help="also use the x0.9 / x1.1 segments (same labels)")
    ap.add_argument("--corpus-balance", action="store_true", help="within a class, weight corpora by 1/sqrt(count)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    feats, index = backend.load_segs()
    sel, cls, age = [], [], []
    for i, it in enumerate(index):
        a = float(it["age"]) if it["age"] else None
        c = cls_of(it["gender"], a, it["age_bracket"])
        if (it["speed"] == 1.0 or args.all_speeds) and c >= 0 and it["n"] >= args.chunk:
            sel.append(i)
            cls.append(c)
            age.append(a if a is not None else np.nan)
    cls, age = np.array(cls), np.array(age)
    counts = np.bincount(cls, minlength=3)
    p = 1.0 / counts[cls]
    if args.corpus_balance:
        corp = np.array([index[i]["corpus"] for i in sel])
        for k in range(3):
            for c in set(corp[cls == k]):
                msk = (cls == k) & (corp == c)
                p[msk] *= np.sqrt(msk.sum()) / msk.sum() * (cls == k).sum() / np.sqrt((cls == k).sum())
        for k in range(3):  # keep classes balanced
            p[cls == k] /= p[cls == k].sum()
    p /= p.sum()  # class-balanced sampling
    print("segments", len(sel), "class counts", counts.tolist(), flush=True)
    cfg = dict(kind="ag_frame", args=dict(ctx=args.ctx, hidden=args.hidden, hidden2=args.hidden2))
    m = package.build(cfg)
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=1e-3)
    hist = []
    for step in range(args.steps):
        lr = 2e-3 * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        js = rng.choice(len(sel), size=args.bs, p=p)
        xs = []
        for j in js:
            it = index[sel[j]]
            st = rng.integers(0, it["n"] - args.chunk + 1)
            x = np.asarray(feats[it["off"] + st: it["off"] + st + args.chunk], dtype=np.float32)
            xs.append(x)
        x = torch.from_numpy(np.stack(xs))
        x = x + 0.0 * x.mean(1, keepdim=True)
        y = torch.from_numpy(cls[js])
        ya = torch.from_numpy(age[js].astype(np.float32))
        logits, fa, e = m.frame_outputs(x)
        w = torch.softmax(e, dim=1) * args.chunk  # [B, T], mean 1
        ce = F.cross_entropy(logits, y.unsqueeze(1).expand(-1, args.chunk), reduction="none")
        loss = (ce * w).mean()
        has = ~torch.isnan(ya)
        if has.any():
            la = (torch.abs(fa[has] - ya[has].unsqueeze(1)) * w[has]).mean() / 10.0
            loss = loss + la
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
        if (step + 1) % 100 == 0:
            print(f"step {step + 1} loss {np.mean(hist):.3f}", flush=True)
            hist = []
    m.eval()
    # per-class age std calibrated on dev residuals (6-45 y), floor 3 y
    dev = evaluate.dev_data()
    import common as C
    P, A = [], []
    with torch.no_grad():
        for it in dev:
            pr, a, _ = m(C.cmn(it["fbank"]).unsqueeze(0))
            P.append(pr[0].numpy())
            A.append(float(a[0, 0]))
    P, A = np.stack(P), np.array(A)
    ages = np.array([it["age"] if it["age"] is not None else np.nan for it in dev])
    ok = ~np.isnan(ages) & (ages <= 45)
    am = P.argmax(1)
    cstd = [float(max(3.0, np.sqrt(np.mean((A - ages)[ok & (am == k)] ** 2)))) if (ok & (am == k)).sum() >= 3 else 8.0
            for k in range(3)]
    m.class_age_std = torch.tensor(cstd, dtype=torch.float32)
    r = evaluate.eval_agegender(m)
    print("dev", json.dumps(r), flush=True)
    package.save(os.path.join(backend.PKG, f"ag_{args.tag}.pt"), cfg, m)
    with open(os.path.join(backend.PKG, f"framehead_{args.tag}.json"), "w") as f:
        json.dump(dict(args=vars(args), class_age_std=cstd, eval=r), f, indent=1)


if __name__ == "__main__":
    main()
