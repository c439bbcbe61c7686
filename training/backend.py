#!/usr/bin/env python3
"""Fit the classical parts and write exportable packages:
  * LDA + within-class whitening for the statistics branch and (optionally) the neural branch,
    trained on /work/cache/segs (speed-perturbed copies = separate classes);
  * fusion weight and LDA dimensions chosen on the dev extended pair set (model selection only);
  * age/gender heads (logistic regression female/male/child, ridge regression for age) on licensed,
    labelled train speakers (speed 1.0 only), per-class age std calibrated on train residuals.

Run: /usr/bin/python3 training/backend.py --enc /work/cache/run1/enc_07500.pt --tag v1
     (omit --enc for the statistics-only system)
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression, Ridge

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import evaluate  # noqa: E402
import package  # noqa: E402
from model import ECAPALite, StatsFront  # noqa: E402

PKG = os.path.join(C.CACHE, "pkg")


def load_segs():
    d = os.path.join(C.CACHE, "segs")
    feats = np.load(os.path.join(d, "feats.npy"), mmap_mode="r")
    index = json.load(open(os.path.join(d, "index.json")))
    return feats, index


def seg_features(feats, index, enc=None, cache_name=None):
    if cache_name:
        p = os.path.join(C.CACHE, cache_name)
        if os.path.exists(p):
            return np.load(p)
    sf = StatsFront()
    out = []
    with torch.no_grad():
        for i, it in enumerate(index):
            a = np.asarray(feats[it["off"]:it["off"] + it["n"]], dtype=np.float32)
            if enc is not None and len(a) > 800:  # bound the cost: centre 8 s, re-normalised
                st = (len(a) - 800) // 2
                a = a[st:st + 800] - a[st:st + 800].mean(0)
            x = torch.from_numpy(a).unsqueeze(0)
            if enc is None:
                out.append(sf(x)[0].numpy())
            else:
                pooled = enc.pooled(x)
                emb = enc.bn_emb(enc.fc(enc.bn_pool(pooled)))
                out.append(np.concatenate([emb[0].numpy(), pooled[0].numpy()]))
            if i % 2000 == 0:
                print("feat", i, len(index), flush=True)
    out = np.stack(out)
    if cache_name:
        np.save(os.path.join(C.CACHE, cache_name), out)
    return out


def lda(X, y, dim, reg=1e-3):
    X = X.astype(np.float64)
    mu = X.mean(0)
    Xc = X - mu
    classes, inv = np.unique(y, return_inverse=True)
    D = X.shape[1]
    means = np.zeros((len(classes), D))
    np.add.at(means, inv, Xc)
    counts = np.bincount(inv).astype(np.float64)
    means /= counts[:, None]
    within = Xc - means[inv]
    Sw = within.T @ within / len(X)
    Sb = (means * counts[:, None]).T @ means / len(X)
    Sw += reg * np.trace(Sw) / D * np.eye(D)
    s, U = np.linalg.eigh(Sw)
    P = U / np.sqrt(s)
    l, V = np.linalg.eigh(P.T @ Sb @ P)
    V = V[:, np.argsort(-l)[:dim]]
    W = (P @ V).T  # [dim, D]
    return mu.astype(np.float32), W.astype(np.float32)


def set_backend(be, mu, W):
    be.mu = torch.from_numpy(mu)
    be.W = torch.from_numpy(W)
    be.mu2 = torch.zeros(W.shape[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enc", help="encoder checkpoint (enc_XXXXX.pt); omit for statistics only")
    ap.add_argument("--tag", default="v1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dims", default="100,150,200")
    ap.add_argument("--weights", default="0.6,0.8,1.0,1.2,1.5")
    ap.add_argument("--subsample", type=int, default=1, help="use every n-th segment (quick tests)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(PKG, exist_ok=True)
    feats, index = load_segs()
    if args.subsample > 1:
        index = index[::args.subsample]
    y = np.array([it["cls"] for it in index])
    Xs = seg_features(feats, index, cache_name="segs_stats.npy" if args.subsample == 1 else None)
    enc, Xn, enc_sd = None, None, None
    if args.enc:
        enc = ECAPALite().eval()
        enc_sd = torch.load(args.enc)["model"]
        enc.load_state_dict(enc_sd)
        Xnp = seg_features(feats, index, enc, cache_name=None if args.subsample > 1 else
                           "segs_" + os.path.basename(os.path.dirname(args.enc)) + "_" + os.path.basename(args.enc).replace(".pt", ".npy"))
        Xn, Xpool = Xnp[:, :192], Xnp[:, 192:]
        Xn = Xn / np.linalg.norm(Xn, axis=1, keepdims=True)
    log = {}
    # --- statistics branch: choose dim on dev
    best = None
    for dim in [int(d) for d in args.dims.split(",")]:
        mu, W = lda(Xs, y, dim)
        cfg = dict(kind="spk", sb=[Xs.shape[1], dim])
        m = package.build(cfg)
        set_backend(m.sb, mu, W)
        r = evaluate.eval_speaker(evaluate.make_emb_fn(m.eval()))
        log[f"stats_lda{dim}"] = r
        print("stats", dim, json.dumps(r), flush=True)
        score = r["ext_whole_eer"] + r["ext_3s_eer"]
        if best is None or score < best[0]:
            best = (score, dim, mu, W, cfg, m)
    s_best = best
    package.save(os.path.join(PKG, f"spk_stats_{args.tag}.pt"), s_best[4], s_best[5])
    final = s_best
    if enc is not None:
        # raw neural (cosine)
        m = package.build(dict(kind="spk", encoder={}))
        m.encoder.load_state_dict(enc_sd)
        r = evaluate.eval_speaker(evaluate.make_emb_fn(m.eval()))
        log["neural_cosine"] = r
        print("neural cosine", json.dumps(r), flush=True)
        nbest = None
        for dim in [int(d) for d in args.dims.split(",") if int(d) < 192] + [128]:
            mu, W = lda(Xn, y, dim)
            cfg = dict(kind="spk", encoder={}, nb=[192, dim])
            m = package.build(cfg)
            m.encoder.load_state_dict(enc_sd)
            set_backend(m.nb, mu, W)
            r = evaluate.eval_speaker(evaluate.make_emb_fn(m.eval()))
            log[f"neural_lda{dim}"] = r
            print("neural lda", dim, json.dumps(r), flush=True)
            score = r["ext_whole_eer"] + r["ext_3s_eer"]
            if nbest is None or score < nbest[0]:
                nbest = (score, dim, mu, W, cfg, m)
        for w in [float(v) for v in args.weights.split(",")]:
            cfg = dict(kind="spk", encoder={}, nb=nbest[4]["nb"], sb=s_best[4]["sb"], w=[1.0, w])
            m = package.build(cfg)
            m.encoder.load_state_dict(enc_sd)
            set_backend(m.nb, nbest[2], nbest[3])
            set_backend(m.sb, s_best[2], s_best[3])
            r = evaluate.eval_speaker(evaluate.make_emb_fn(m.eval()))
            log[f"fused_w{w}"] = r
            print("fused", w, json.dumps(r), flush=True)
            score = r["ext_whole_eer"] + r["ext_3s_eer"]
            if score < final[0]:
                final = (score, w, None, None, cfg, m)
        if nbest[0] < final[0]:
            final = nbest
    package.save(os.path.join(PKG, f"spk_{args.tag}.pt"), final[4], final[5])
    log["chosen"] = final[4]
    print("chosen", final[4], final[0], flush=True)
    # --- age / gender heads
    ag = fit_agegender(index, Xs, Xn if enc is not None else None, enc_sd)
    package.save(os.path.join(PKG, f"ag_{args.tag}.pt"), ag.cfg, ag)
    r = evaluate.eval_agegender(ag)
    log["agegender"] = r
    print("agegender", json.dumps(r), flush=True)
    with open(os.path.join(PKG, f"backend_{args.tag}.json"), "w") as f:
        json.dump(log, f, indent=1)


def fit_agegender(index, Xs, Xn, enc_sd):
    sel = [i for i, it in enumerate(index) if it["speed"] == 1.0]
    Z = Xs if Xn is None else np.concatenate([Xs, Xn], axis=1)
    cfg = dict(kind="ag", din=Z.shape[1], encoder={} if Xn is not None else None)
    m = package.build(cfg)
    if enc_sd is not None:
        m.encoder.load_state_dict(enc_sd)
    mu, sd = Z[sel].mean(0), Z[sel].std(0) + 1e-6
    Zn = (Z - mu) / sd

    def cls(it):
        age = float(it["age"]) if it["age"] else None
        if (age is not None and age < 13) or it["age_bracket"] == "child":
            return 2
        if it["gender"] == "female":
            return 0
        if it["gender"] == "male":
            return 1
        return -1

    gi = [i for i in sel if cls(index[i]) >= 0]
    gy = np.array([cls(index[i]) for i in gi])
    lr = LogisticRegression(C=0.05, max_iter=3000, class_weight="balanced")
    lr.fit(Zn[gi], gy)
    ai = [i for i in sel if index[i]["age"]]
    ay = np.array([float(index[i]["age"]) for i in ai])
    rg = Ridge(alpha=30.0)
    rg.fit(Zn[ai], ay)
    resid = np.abs(rg.predict(Zn[ai]) - ay)
    ac = np.array([2 if a < 13 else (0 if index[i]["gender"] == "female" else 1) for a, i in zip(ay, ai)])
    # residual std per class, inflated x1.5 (train residuals are optimistic)
    cstd = [1.5 * float(np.sqrt(np.mean(resid[ac == k] ** 2))) for k in range(3)]
    print("train gender acc", lr.score(Zn[gi], gy), "age train MAE", resid.mean(), "class std", cstd, flush=True)
    m.mu = torch.from_numpy(mu.astype(np.float32))
    m.sd = torch.from_numpy(sd.astype(np.float32))
    m.gender.weight.data = torch.from_numpy(lr.coef_.astype(np.float32))
    m.gender.bias.data = torch.from_numpy(lr.intercept_.astype(np.float32))
    m.age.weight.data = torch.from_numpy(rg.coef_.astype(np.float32)[None, :])
    m.age.bias.data = torch.tensor([float(rg.intercept_)])
    m.class_age_std = torch.tensor(cstd, dtype=torch.float32)
    m.cfg = cfg
    return m.eval()


if __name__ == "__main__":
    main()
