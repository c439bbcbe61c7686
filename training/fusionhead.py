#!/usr/bin/env python3
"""Pitch-fused age/gender model (callscope_agegender_v1 version 1.1.0).

gender logits = a * log p_frame(feats) + W z + b, z = standardised pitch statistics (pitch_stats, K = 5, computed
by src-main/engine/audio/pitch.ts through training/pitch_features.ts), p_frame = the frame-level fbank model ag_f2
(version 1.0.0, unchanged). W, b: multinomial logistic regression (balanced classes, C chosen by speaker-grouped
5-fold CV on train) on the pitch statistics of every licence-confirmed labelled train file, clean and its GSM /
Opus 8 kb/s round trips (same labels). a (one scalar): the weight of the frame model, chosen on dev from a small grid
(the only dev-fitted value besides the age_std calibration). Age: the frame model's age, unchanged; age_std mixes the
per-class calibration by the fused probabilities.

Run (after pitch_lists.py + pitch_features.ts, see README):
    /usr/bin/python3 training/fusionhead.py --ag /work/cache/pkg/ag_f2.pt --version 1.1.0 \
        --out training/results/fusionhead_p1.json --export models/callscope_agegender_v1.onnx
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attr_data as D  # noqa: E402
import common as C  # noqa: E402
import evaluate  # noqa: E402
import package  # noqa: E402
from model import PitchFusedAgeGender  # noqa: E402

PITCH = os.path.join(C.CACHE, "pitch")
NAMES = D.PITCH_NAMES
LABELS = D.LABELS
# the male/female head uses the F0 level only: the 10/90 % percentiles carry octave errors of the tracker and
# voicing/breathiness depend on the recording; they gain < 0.5 % in train CV and mislead on dev/AMI. All five
# statistics feed the child head
GENDER_FEATS = ["f0_median_st"]
# corpus balancing of the gender head (see sample_weights): speechocean762's young Mandarin-speaking women have a
# high F0 (median 224 Hz) and would otherwise set the boundary (175 Hz unbalanced, 170 Hz with 0.5)
CORPUS_POWER = 0.5
GRID_A = [0.0, 0.25, 0.5, 1.0]
GRID_K = [0.0, 0.5, 1.0]


def read_csv(path):
    return D.read_vectors(path, NAMES)


def train_set(min_s=1.0):
    """Labelled licence-confirmed train files (clean and their GSM / Opus 8 kb/s copies) of at least min_s seconds:
    X [N, 5] pitch statistics, y classes, g speakers, corpus."""
    X, y, g, corpus = [], [], [], []
    for variant in ("clean", "gsm", "opus8k"):
        p = os.path.join(PITCH, f"train_{variant}.csv")
        if not os.path.exists(p):
            print("missing", p, flush=True)
            continue
        rows = D.read_rows(p)
        for it in D.labelled_train(rows):
            if rows[it["key"]]["seconds"] < min_s:
                continue
            X.append(np.array([rows[it["key"]][n] for n in NAMES]))
            y.append(it["cls"])
            g.append(it["speaker"])
            corpus.append(it["corpus"])
    return np.array(X), np.array(y), np.array(g), np.array(corpus)


sample_weights = D.class_corpus_weights


def fit_lr(X, y, c, w):
    """Binary logistic regression on standardised X with sample weights w; returns (lr, mu, sd)."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=2000).fit((X - mu) / sd, y, sample_weight=w)
    return lr, mu, sd


def cv_logit(X, y, g, c, w, folds=5):
    """Speaker-grouped CV: out-of-fold logits of the binary LR."""
    out = np.zeros(len(y))
    for tr, te in GroupKFold(folds).split(X, y, g):
        lr, mu, sd = fit_lr(X[tr], y[tr], c, w[tr])
        out[te] = lr.decision_function((X[te] - mu) / sd)
    return out


def binary_head(X, y, g, name, w):
    """C chosen by speaker-grouped CV (balanced accuracy); returns the head and its CV numbers."""
    cv = {}
    for c in [0.01, 0.1, 1.0, 10.0]:
        pred = cv_logit(X, y, g, c, w) > 0
        cv[c] = float(np.mean([(pred[y == k] == k).mean() for k in (0, 1)]))
    c_best = max(cv, key=cv.get)
    pred = cv_logit(X, y, g, c_best, w) > 0
    tp = int((pred & (y == 1)).sum())
    res = dict(C=c_best, balanced_acc_by_C={str(k): v for k, v in cv.items()}, acc=float((pred == y).mean()),
               precision=tp / max(1, int(pred.sum())), recall=tp / max(1, int((y == 1).sum())), n=int(len(y)),
               speakers=len(set(g)))
    print(f"train CV {name} (pitch only)", json.dumps(res), flush=True)
    lr, mu, sd = fit_lr(X, y, c_best, w)
    return lr, mu, sd, res


def metrics(items, P, A=None):
    """Same definitions as evaluate.eval_agegender (adults >= 18 y; child = argmax class 2)."""
    res = {}
    adult = [(it["gender"] and (it["role"] != "agegender" or (it["age"] is not None and it["age"] >= 18))) for it in items]
    for name, sel in [("adult_all", lambda it: True), ("adult_agegender", lambda it: it["role"] == "agegender"),
                      ("adult_voiceprint", lambda it: it["role"] != "agegender")]:
        ok = [int(np.argmax(p)) == LABELS.index(it["gender"]) for it, p, a in zip(items, P, adult) if a and sel(it)]
        res[f"gender_acc_{name}"] = float(np.mean(ok))
        res[f"gender_n_{name}"] = len(ok)
    ag = [(it, p) for it, p in zip(items, P) if it["role"] == "agegender"]
    truth = [it["age"] is not None and it["age"] < 13 for it, p in ag]
    predc = [int(np.argmax(p)) == 2 for it, p in ag]
    tp = sum(t and q for t, q in zip(truth, predc))
    res.update(child_precision=tp / max(1, sum(predc)), child_recall=tp / max(1, sum(truth)),
               child_counts=dict(tp=tp, predicted=sum(predc), actual=sum(truth)))
    if A is not None:
        err = [abs(a - it["age"]) for it, a in zip(items, A) if it["role"] == "agegender" and it["age"] is not None
               and 6 <= it["age"] <= 45]
        res.update(age_mae_6_45=float(np.mean(err)), age_n_6_45=len(err))
        err = [abs(a - it["age"]) for it, a in zip(items, A) if it["role"] == "agegender" and it["age"] is not None
               and it["age"] > 45]
        res.update(age_mae_over45=float(np.mean(err)), age_n_over45=len(err))
    return res


def ami_metrics(P, keys):
    ok = [int(np.argmax(p)) == (0 if k.split(":")[1][0] == "F" else 1) for p, k in zip(P, keys)]
    return dict(gender_acc_ami=float(np.mean(ok)), gender_n_ami=len(ok))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ag", default=os.path.join(C.CACHE, "pkg", "ag_f2.pt"))
    ap.add_argument("--version", default="1.1.0")
    ap.add_argument("--out")
    ap.add_argument("--export")
    ap.add_argument("--a", type=float, help="fix the frame-model gender weight instead of choosing it on dev")
    ap.add_argument("--k", type=float, default=0.0, help="with --a: the pitch weight of the child decision")
    args = ap.parse_args()
    torch.set_num_threads(1)
    X, y, g, corpus = train_set()
    print("train items", len(y), "speakers", len(set(g)), "class counts", np.bincount(y).tolist(), flush=True)
    ad = y < 2
    cols = [NAMES.index(n) for n in GENDER_FEATS]
    lg, mu, sd, cv_g = binary_head(X[ad][:, cols], y[ad], g[ad], "male vs female (13+ y)",
                                   sample_weights(y[ad], corpus[ad], CORPUS_POWER))
    nonso = corpus[ad] != "speechocean762"
    cv_g["acc_other_corpora"] = float(((cv_logit(X[ad][:, cols], y[ad], g[ad], cv_g["C"], sample_weights(
        y[ad], corpus[ad], CORPUS_POWER)) > 0) == y[ad])[nonso].mean())
    # gender weights over the full K-vector (features not in GENDER_FEATS get weight 0)
    wg = np.zeros(len(NAMES))
    wg[cols] = lg.coef_[0] / sd
    bg = float(lg.intercept_[0] - (lg.coef_[0] / sd) @ mu)
    mu, sd = X.mean(0), X.std(0) + 1e-6
    wg, bg = wg * sd, bg + float(wg @ mu)
    # the child head shares the gender head's standardisation
    yc = (y == 2).astype(int)
    lc, muc, sdc, cv_c = binary_head(X, yc, g, "child (<13 y) vs 13+", sample_weights(yc, corpus, 0.0))
    wc = lc.coef_[0] / sdc * sd
    bc = lc.intercept_[0] - float((lc.coef_[0] / sdc) @ (muc - mu))
    train_cv = dict(gender=cv_g, child=cv_c)

    # dev: frame-model outputs + pitch statistics
    frame = package.load(args.ag, fp16=True)
    items = evaluate.dev_data()
    zdev = read_csv(os.path.join(PITCH, "dev.csv"))
    zami = read_csv(os.path.join(PITCH, "ami.csv"))
    fused = PitchFusedAgeGender(frame, wg, [bg], wc, [bc], mu, sd).eval()
    package.round_fp16(fused)

    def run(fb, z, ak):
        fused.a.fill_(ak[0])
        fused.k.fill_(ak[1])
        with torch.no_grad():
            p, age, s = fused(C.cmn(fb).unsqueeze(0), torch.tensor(z, dtype=torch.float32).unsqueeze(0))
        return p[0].numpy(), float(age[0, 0])

    ami_fb = []
    for line in open(os.path.join(PITCH, "ami.tsv")):
        f = line.rstrip("\n").split("\t")
        w = np.load(f[1]).astype(np.float32) / 32768
        b = [float(v) for v in f[2:]]
        fb = C.fbank(np.concatenate([w[int(b[i] * C.SR):int(b[i + 1] * C.SR)] for i in range(0, len(b), 2)]))
        if fb.shape[0] >= 50:
            ami_fb.append((f[0], fb))
    grid = {}
    for ak in [(a, k) for a in GRID_A for k in GRID_K]:
        P, A = zip(*[run(it["fbank"], zdev[it["rel"]], ak) for it in items])
        r = metrics(items, P, A)
        Pm = [run(fb, zami[key], ak)[0] for key, fb in ami_fb]
        r.update(ami_metrics(Pm, [key for key, _ in ami_fb]))
        grid[ak] = r
        print(f"a={ak[0]} k={ak[1]}", json.dumps({k: v for k, v in r.items() if "_n_" not in k}), flush=True)
    # choose (a, k): adult gender accuracy, then child recall + precision; ties -> smaller a and k (less dev fitting)
    best = (args.a, args.k) if args.a is not None else max(
        grid, key=lambda ak: (round(grid[ak]["gender_acc_adult_all"], 4),
                              round(grid[ak]["child_recall"] + grid[ak]["child_precision"], 4), -ak[0], -ak[1]))
    print("chosen a, k", best, flush=True)
    fused.a.fill_(best[0])
    fused.k.fill_(best[1])
    res = dict(version=args.version, pitch_names=NAMES, train_cv_pitch_only=train_cv, a=best[0], k=best[1],
               dev_grid={f"a={a},k={k}": v for (a, k), v in grid.items()}, dev=grid[best],
               gender_feats=GENDER_FEATS, heads=dict(wg=wg.tolist(), bg=bg, wc=wc.tolist(), bc=bc,
                          mu=mu.tolist(), sd=sd.tolist()))
    if args.out:
        json.dump(res, open(args.out, "w"), indent=1)
    if args.export:
        export(fused, args.export, args.version, res)


def export(model, path, version, res):
    import onnx
    import export as E
    model.eval()
    torch.onnx.export(model, (torch.randn(1, 300, 80), torch.randn(1, 5)), path, input_names=["feats", "pitch_stats"],
                      output_names=["gender_probs", "age_years", "age_std"], dynamic_axes={"feats": {1: "T"}},
                      opset_version=17, do_constant_folding=True)
    m = onnx.load(path)
    meta = dict(
        name="callscope_agegender", version=version, sample_rate="16000", feature_config=C.FEATURE_CONFIG,
        training_data=E.TRAINING_DATA, license=E.LICENSE, source="trained by Callscope: training/README.md",
        min_frames="50", gender_labels='["female","male","child"]', pitch_stats=json.dumps(NAMES),
        pitch_config="YIN, 16 kHz, hop 160, window 400, 60-500 Hz, threshold 0.15, voiced CMND < 0.3, active within "
                     "35 dB of the loudest frame and above -60 dBFS: src-main/engine/audio/pitch.ts",
        io='{"input":{"feats":"float32 [1,T,80] CMN\'d kaldi fbank, T>=50","pitch_stats":"float32 [1,5] '
           + ",".join(NAMES) + '"},"output":{"gender_probs":"float32 [1,3] (female, male, child), sums to 1",'
           '"age_years":"float32 [1,1]","age_std":"float32 [1,1] years"}}',
        architecture=json.dumps(dict(kind="ag_pitch_fused", frame=getattr(model.frame, "cfg", None), a=res["a"],
                                     k=res["k"])),
        dev_metrics=json.dumps(res["dev"]), train_cv=json.dumps(res["train_cv_pitch_only"]))
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key = k
        p.value = v if isinstance(v, str) else json.dumps(v)
    m.producer_name = "callscope-training"
    E.fp16_initializers(m)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    size = os.path.getsize(path)
    assert size <= 4 * 1024 * 1024
    print("exported", path, size, "bytes sha256", hashlib.sha256(open(path, "rb").read()).hexdigest(), flush=True)


if __name__ == "__main__":
    main()
