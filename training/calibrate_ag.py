#!/usr/bin/env python3
"""Calibrated, abstaining age/gender on top of callscope_agegender_v1 (the ONNX model is unchanged).

Inputs: per-file features written by training/attribute_features.ts (the engine's own decode, fbank, YIN pitch
statistics, voiced-frame spectral envelope "shape" and the raw model outputs) for the licence-confirmed train
files (up to 3 per labelled speaker, LibriSpeech's 251 new speakers included) and for every dev clip.

1. Heads (speaker-grouped 5-fold CV on train chooses the L2 strength of the train-only heads):
   - male vs female (speakers 13 y and older): logistic regression on the median F0 + the spectral shape, fitted on
     the train speakers (classes balanced, corpora weighted by 1/sqrt(items) within a class) AND the dev speakers of
     the fitting folds (each speaker one vote, classes balanced; dev weighs DEV_SHARE of the total). Train-only
     versions were tried: F0 alone answers 42 % of dev adult speakers at 86 % out of fold, F0 + shape 84 % at 95.2 %;
     with the dev folds 85 % at 95.3 %;
   - child (< 13 y) vs 13+: logistic regression on the frame network's child log-odds (train only);
   - "adult envelope": logistic regression child vs 13+ on the spectral shape alone (a vocal-tract-length proxy:
     children's formants lie higher); a child answer needs this to agree (F0 alone never makes a child).
2. Calibration, by speaker-grouped K-fold over dev (speaker-disjoint: a dev speaker is never in the head, Platt
   scaling or threshold that scores it): inside the fitting folds an inner speaker-grouped CV gives each fitting
   speaker a male/female log-odds from a head that did not see them; Platt scaling (a z + b) of those and of the
   child log-odds; the selective-prediction threshold on the calibrated male/female confidence max(Pm, 1 - Pm)
   (choose_threshold: the smallest one whose answered adults, one vote per speaker, reach ACC_GOAL; when none does,
   the most accurate one that still answers ANSWER_MIN_FRACTION); the "child" threshold on the calibrated P(child)
   (>= CHILD_MIN_THRESHOLD, no adult of the fitting folds answered "child"); and the age interval: band-conditional
   split-conformal residual bounds (the worst age band's 10 % / 90 % finite-sample quantiles), pooled over groups
   (MIN_GROUP: dev is too small for per-group quantiles), the upper end opened to 80 y when it passes the oldest
   training age (43 y). Every number reported is measured on the fold that was not fitted on (`out_of_fold`, with
   the accuracy-coverage curve); the shipped values are fitted on all dev (head on train + all dev, Platt and
   thresholds on the inner out-of-fold scores).

Lists for attribute_features.ts (`key<TAB>path[<TAB>start_s<TAB>dur_s]`): train = the first 3 manifest rows of every
speaker with a gender, age or age bracket outside EXCLUDED_CORPORA (key = manifest path); dev = every file of
dev/agegender/labels.csv and dev/voiceprint/speakers.csv (key = agegender/<file> or voiceprint/<file>); crops = dev
keys + "@<d>" with start 0.5 s and d = 3, 5, 8 s for files at least d + 0.5 s long (conversations left out).

Run (after attribute_features.ts on train and dev, see training/README.md):
    /usr/bin/python3 training/calibrate_ag.py --train bench/results/tmp/ag/train.csv --dev bench/results/tmp/ag/dev.csv \
        --crops bench/results/tmp/ag/crops.csv --out training/results/calibration_ag.json \
        --ts src-main/engine/attributes/agegender-calibration.generated.ts
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attr_data as D  # noqa: E402

SHARED = D.SHARED
PITCH = D.PITCH_NAMES
SHAPE = D.SHAPE_NAMES
# variants tried (--gender-feats / --child-feats / --dev-share, out-of-fold dev, models/MODEL_CARD.md): F0 percentiles
# in the gender head lose (57 % answered at 89 % with the dev folds); F0 / age / shape in the child head (11 dev adults
# argmax "child") learn corpus and channel cues of the training set, so the child head stays minimal
GENDER_FEATS = ["f0_median_st"] + SHAPE
GENDER_C = 0.1  # L2 strength of the male/female head (train CV of the F0 + shape head: C 0.1 and 1 within 0.3 %)
# "child" needs strong evidence: P(child) of adults' 3-s crops reaches 0.7 (a 69-year-old woman) while the whole
# clips of the fitting folds would allow 0.5; the floor keeps the previous session's 0.91-level answer threshold
CHILD_MIN_THRESHOLD = 0.9
GENDER_CALIBRATION = "platt"  # or "isotonic" (--gender-calibration)
ISO_CLIP = 0.01  # isotonic probabilities are kept in [ISO_CLIP, 1 - ISO_CLIP]
DEV_SHARE = 0.3  # weight of the fitting folds' dev speakers in the male/female head (train: 1 - DEV_SHARE)
CHILD_FEATS = ["child_logit"]
ENVELOPE_FEATS = SHAPE
TRAIN_MAX_AGE = 43.0  # oldest labelled training speaker (speechocean762)
AGE_CAP = 80.0  # upper end of the supported range; the model clamps to 5–80
AGE_FLOOR = 5.0
COVERAGE = 0.8
BANDS = [(6, 12), (13, 19), (20, 29), (30, 44), (45, 59), (60, 120)]
ACC_GOAL = 0.97
GROUPS = {0: "childLike", 1: "unclear", 2: "adultLike"}
ADULT_LIKE_PC = 0.0  # calibrated P(child) below which a speaker is in the adult-like interval group (0: no such group)
MIN_BAND = 3  # bands with fewer items in a group do not set its quantiles
MIN_GROUP = 1000  # per-group quantiles need this many labelled-age dev items; dev (62) is too small: one pooled interval
ANSWER_MIN_FRACTION = 0.75
EPS = 1e-6


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def read_feats(path):
    """Feature CSV of attribute_features.ts -> {key: {column: float}} plus the derived child_logit and male_logit."""
    out = D.read_rows(path)
    for v in out.values():
        v["child_logit"] = float(logit(v["p_child"]))
        v["male_logit"] = float(np.log(max(v["p_male"], EPS) / max(v["p_female"], EPS)))
    return out


cls_of = D.cls_of


def train_items(feats):
    return [dict(it, f=feats[it["key"]]) for it in D.labelled_train(feats)]


def dev_items(feats):
    d = os.path.join(SHARED, "data", "dev")
    items = []
    for r in csv.DictReader(open(os.path.join(d, "agegender", "labels_ext.csv"))):
        key = "agegender/" + r["file"]
        lo, hi = float(r["age_min"]), float(r["age_max"])
        age = float(r["age"]) if r["age"] not in ("", "teens") else None
        items.append(dict(key=key, gender=r["gender"], age=age, age_lo=lo, age_hi=hi, speaker=r["speaker_id"],
                          role="agegender", f=feats[key]))
    for r in csv.DictReader(open(os.path.join(d, "voiceprint", "speakers.csv"))):
        key = "voiceprint/" + r["file"]
        if key not in feats or r["role"] == "test_conversation":
            continue  # conversations hold two speakers
        items.append(dict(key=key, gender=r["gender"], age=None, age_lo=18.0, age_hi=None, speaker=r["speaker_id"],
                          role="voiceprint", f=feats[key]))
    for it in items:
        it["cls"] = cls_of(it["gender"], it["age_hi"] if it["age_hi"] is not None and it["age_hi"] < 13 else None)
        it["adult"] = it["age_lo"] >= 18
    return items


def matrix(items, names):
    return np.array([[it["f"][n] for n in names] for it in items], dtype=np.float64)


def corpus_weights(y, corpus, power=0.5):
    """Classes weigh the same in total; within a class an item of a corpus with n items weighs n^-power."""
    return D.class_corpus_weights(y, corpus, power)


def fit_head(X, y, groups, w, name):
    """Standardised binary LR; C by speaker-grouped 5-fold CV (balanced accuracy). Returns (coef, bias) on raw X."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    Z = (X - mu) / sd
    scores = {}
    for c in [0.01, 0.1, 1.0, 10.0]:
        pred = np.zeros(len(y), bool)
        for tr, te in GroupKFold(5).split(Z, y, groups):
            lr = LogisticRegression(C=c, max_iter=3000).fit(Z[tr], y[tr], sample_weight=w[tr])
            pred[te] = lr.decision_function(Z[te]) > 0
        scores[c] = float(np.mean([(pred[y == k] == k).mean() for k in (0, 1)]))
    c = max(scores, key=scores.get)
    lr = LogisticRegression(C=c, max_iter=3000).fit(Z, y, sample_weight=w)
    coef = lr.coef_[0] / sd
    bias = float(lr.intercept_[0] - coef @ mu)
    print(f"train CV {name}: balanced acc by C {scores} -> C={c}", flush=True)
    return coef, bias, dict(C=c, cv_balanced_acc=scores[c], n=int(len(y)), speakers=int(len(set(groups))))


def speaker_class_weights(items, y, balance=True):
    """Each speaker weighs 1 in total (voiceprint speakers have 10 clips), then both classes weigh the same, so
    the calibration does not learn dev's class mix or one speaker's clips."""
    n = {}
    for it in items:
        n[it["speaker"]] = n.get(it["speaker"], 0) + 1
    w = np.array([1.0 / n[it["speaker"]] for it in items])
    if balance:
        for k in set(y.tolist()):
            w[y == k] *= 0.5 / w[y == k].sum()
    return w * len(y) / w.sum()


def platt(z, y, w):
    """Platt scaling p = sigmoid(a z + b): (lightly regularised) weighted logistic regression on the log-odds z."""
    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=10.0, max_iter=2000).fit(z[:, None], y, sample_weight=w)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def weighted_quantile(v, w, q):
    o = np.argsort(v)
    v, w = v[o], w[o]
    c = np.cumsum(w) / w.sum()
    return float(v[min(len(v) - 1, np.searchsorted(c, q))])


def conformal_bounds(res, coverage=COVERAGE):
    """Split-conformal bounds with the finite-sample correction (Lei et al. 2018): the floor((n+1) a/2)-th smallest
    and the ceil((n+1)(1 - a/2))-th smallest of n residuals, a = 1 - coverage; outside 1..n the extreme value."""
    r = np.sort(res)
    n = len(r)
    a = 1 - coverage
    k_lo = int(np.floor((n + 1) * a / 2))
    k_hi = int(np.ceil((n + 1) * (1 - a / 2)))
    return float(r[max(k_lo, 1) - 1]), float(r[min(k_hi, n) - 1])


def band_of(age):
    for i, (lo, hi) in enumerate(BANDS):
        if lo <= age <= hi:
            return i
    return -1


def gender_fit_set(train_g, dev_fit):
    """Items and weights of a male/female head: the train items (corpus-balanced, classes balanced) and the dev items
    of the fitting folds with a male/female class (each speaker one vote, classes balanced), the dev part weighing
    DEV_SHARE of the total."""
    dev_g = [it for it in dev_fit if it["cls"] in (0, 1)]
    y_tr = np.array([it["cls"] for it in train_g])
    w_tr = corpus_weights(y_tr, np.array([it["corpus"] for it in train_g]))
    if not dev_g:
        return train_g, w_tr
    y_dev = np.array([it["cls"] for it in dev_g])
    w_dev = speaker_class_weights(dev_g, y_dev)
    w = np.concatenate([w_tr / w_tr.sum() * (1 - DEV_SHARE), w_dev / w_dev.sum() * DEV_SHARE])
    return train_g + dev_g, w * len(w) / w.sum()


def fit_lr(items, w, feats, c):
    """Standardised binary LR (label: cls == 1) -> (coef, bias) on the raw features."""
    X = matrix(items, feats)
    y = np.array([it["cls"] for it in items]) == 1
    mu, sd = X.mean(0), X.std(0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=3000).fit((X - mu) / sd, y, sample_weight=w)
    coef = lr.coef_[0] / sd
    return coef, float(lr.intercept_[0] - coef @ mu)


def spk_weights(items):
    """1 / (items of the same speaker): each speaker one vote."""
    n = {}
    for it in items:
        n[it["speaker"]] = n.get(it["speaker"], 0) + 1
    return np.array([1.0 / n[it["speaker"]] for it in items])


def choose_threshold(conf, ok, w, grid, goal=ACC_GOAL, min_fraction=ANSWER_MIN_FRACTION):
    """Selective-prediction threshold on one set: the smallest t in grid whose answered items (conf >= t) reach
    `goal` speaker-weighted accuracy; when none does, the t with the highest answered accuracy among those answering
    at least `min_fraction` (speaker-weighted) of the items (ties: the smallest t). Returns (t, reached_goal)."""
    best = None
    for t in grid:
        a = conf >= t
        if not a.any():
            continue
        acc = float(np.average(ok[a], weights=w[a]))
        if acc >= goal:
            return float(t), True
        if w[a].sum() >= min_fraction * w.sum() and (best is None or acc > best[1] + 1e-9):
            best = (float(t), acc)
    return (best[0] if best else float(grid[-1])), False


class Calibrator:
    """A male/female head fitted on train + the dev items it is given, Platt scalings, answer thresholds and age
    quantiles fitted on those dev items (the gender Platt and threshold on inner out-of-fold head scores)."""

    def __init__(self, heads, train_g):
        self.h = dict(heads)
        self.train_g = train_g

    def raw(self, items):
        g = matrix(items, GENDER_FEATS) @ self.h["gender"][0] + self.h["gender"][1]
        c = matrix(items, CHILD_FEATS) @ self.h["child"][0] + self.h["child"][1]
        e = matrix(items, ENVELOPE_FEATS) @ self.h["envelope"][0] + self.h["envelope"][1]
        return g, c, e

    def fit(self, items, inner_folds=5):
        fs, w = gender_fit_set(self.train_g, items)
        self.h["gender"] = fit_lr(fs, w, GENDER_FEATS, GENDER_C)
        # gender log-odds of these dev items from heads that did not see their speaker (inner speaker-grouped CV),
        # so the Platt scaling and the threshold see the scores an unseen speaker gets
        spk = np.array([it["speaker"] for it in items])
        g = np.zeros(len(items))
        k = min(inner_folds, len(set(spk.tolist())))
        for fi, te in GroupKFold(k).split(items, groups=spk):
            fs_i, w_i = gender_fit_set(self.train_g, [items[i] for i in fi])
            wg_i, bg_i = fit_lr(fs_i, w_i, GENDER_FEATS, GENDER_C)
            g[te] = matrix([items[i] for i in te], GENDER_FEATS) @ wg_i + bg_i
        _, c, e = self.raw(items)
        ad = np.array([it["cls"] in (0, 1) for it in items])
        yg = np.array([it["cls"] for it in items])[ad]
        wg = speaker_class_weights([it for it, a in zip(items, ad) if a], yg)
        self.pg = platt(g[ad], yg, wg)
        self.iso = None
        if GENDER_CALIBRATION == "isotonic":
            iso = IsotonicRegression(y_min=ISO_CLIP, y_max=1 - ISO_CLIP, out_of_bounds="clip").fit(g[ad], yg, sample_weight=wg)
            self.iso = (iso.X_thresholds_.astype(float), iso.y_thresholds_.astype(float))
        yc = np.array([it["cls"] == 2 for it in items], int)
        # the child prior is kept (children are rare in calls): speaker weights only
        self.pc = platt(c, yc, speaker_class_weights(items, yc, balance=False))
        probs = self.probs(items, raw=(g, c, e))
        cls = np.array([it["cls"] for it in items])
        wspk = spk_weights(items)
        pm = self.p_male(g)
        # child threshold: the smallest calibrated P(child) >= CHILD_MIN_THRESHOLD at which the answered "child"
        # items of these folds are children (>= ACC_GOAL) and no adult is among them
        said_child = [i for i, it in enumerate(items) if probs[i].argmax() == 2 and e[i] > 0]
        self.tau_child = 0.99
        for t in np.arange(CHILD_MIN_THRESHOLD, 0.991, 0.01):
            ans = [i for i in said_child if probs[i, 2] >= t]
            if not ans or any(items[i]["adult"] for i in ans):
                continue
            if np.average(cls[ans] == 2, weights=wspk[ans]) >= ACC_GOAL:
                self.tau_child = float(t)
                break
        # gender threshold on the calibrated male/female confidence max(Pm, 1 - Pm) of the adults whose argmax is
        # female or male (a child-like speaker is never answered female/male: argmax child)
        adult = np.array([it["adult"] and probs[i].argmax() != 2 for i, it in enumerate(items)])
        all_adult = np.array([it["adult"] for it in items])
        conf = np.maximum(pm, 1 - pm)
        ok = probs.argmax(1) == cls
        # coverage is over all adults (one vote per speaker), accuracy over the answered ones
        conf_a = np.where(adult, conf, -1.0)[all_adult]
        self.tau, self.tau_reached = choose_threshold(conf_a, ok[all_adult], spk_weights([it for it in items if it["adult"]]),
                                                      np.arange(0.50, 0.991, 0.01))
        self.curve = selective_curve(conf_a, ok[all_adult], spk_weights([it for it in items if it["adult"]]))
        # age: band-balanced split-conformal residual quantiles per group
        a = np.array([it["f"]["age"] for it in items])
        grp = self.group(probs, a)
        self.q = {}
        for k in GROUPS:
            sel = [i for i, it in enumerate(items) if grp[i] == k and it["age"] is not None and band_of(it["age"]) >= 0]
            if len(sel) < MIN_GROUP:
                sel = [i for i, it in enumerate(items) if it["age"] is not None and band_of(it["age"]) >= 0]
            res = np.array([items[i]["age"] - a[i] for i in sel])
            bands = np.array([band_of(items[i]["age"]) for i in sel])
            # band-conditional: the worst band's quantiles (bands with >= MIN_BAND items in the group), so that
            # every age band, not only the pooled set, reaches the nominal coverage
            los, his = [], []
            for b in set(bands.tolist()):
                if (bands == b).sum() >= MIN_BAND:
                    lo_b, hi_b = conformal_bounds(res[bands == b])
                    los.append(lo_b)
                    his.append(hi_b)
            if not los:
                los, his = [np.quantile(res, (1 - COVERAGE) / 2)], [np.quantile(res, 1 - (1 - COVERAGE) / 2)]
            lo_q, hi_q = float(min(los)), float(max(his))
            self.q[k] = (lo_q, hi_q)
        return self

    def probs(self, items, raw=None):
        g, c, e = raw if raw is not None else self.raw(items)
        pm = self.p_male(g)
        pc = sigmoid(self.pc[0] * c + self.pc[1])
        return np.stack([(1 - pc) * (1 - pm), (1 - pc) * pm, pc], 1)

    def p_male(self, g):
        """Calibrated P(male | 13+) of male/female log-odds g: Platt, or isotonic (linear between breakpoints)."""
        if self.iso is not None:
            return np.interp(g, self.iso[0], self.iso[1])
        return sigmoid(self.pg[0] * g + self.pg[1])

    def answered(self, probs, env_logit):
        """Answer rule of calibration.ts: "child" when P(child) >= tau_child and the envelope is child-like;
        female / male when that is the argmax and max(P(male | 13+), P(female | 13+)) >= tau."""
        out = []
        for p, e in zip(probs, env_logit):
            if int(np.argmax(p)) == 2:
                out.append(bool(p[2] >= self.tau_child and e > 0))
            else:
                pm = p[1] / max(p[0] + p[1], EPS)
                out.append(bool(max(pm, 1 - pm) >= self.tau))
        return np.array(out)

    @staticmethod
    def group(probs, age_point):
        """0 child-like (P(child) >= 0.5 or point < 13), 1 unclear, 2 adult-like (P(child) < ADULT_LIKE_PC)."""
        return np.where((probs[:, 2] >= 0.5) | (age_point < 13), 0, np.where(probs[:, 2] < ADULT_LIKE_PC, 2, 1))

    def interval(self, probs, age_point):
        grp = self.group(probs, age_point)
        out = []
        for k, a in zip(grp, age_point):
            lo_q, hi_q = self.q[int(k)]
            lo, hi = max(AGE_FLOOR, a + lo_q), min(AGE_CAP, a + hi_q)
            if hi > TRAIN_MAX_AGE:
                hi = AGE_CAP  # the model never saw anyone older: it cannot tell 45 from 80
            out.append((lo, hi))
        return np.array(out)

    def params(self):
        return dict(gender_head=[self.h["gender"][0].tolist(), self.h["gender"][1]], gender_platt=self.pg,
                    child_platt=self.pc, gender_answer_threshold=self.tau, gender_goal_reached_on_fit=self.tau_reached,
                    child_answer_threshold=self.tau_child,
                    age_residual_quantiles={GROUPS[k]: v for k, v in self.q.items()})


def selective_curve(conf, ok, w, grid=(0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)):
    """Accuracy-coverage curve (speaker-weighted): per threshold t the answered fraction and accuracy of conf >= t
    (conf < 0: never answered)."""
    out = []
    for t in grid:
        a = conf >= t
        out.append(dict(threshold=float(t), answered=float(w[a].sum() / w.sum()),
                        accuracy=float(np.average(ok[a], weights=w[a])) if a.any() else None))
    return out


def evaluate(items, probs, answered, intervals):
    """Metrics on items whose probs / answers / intervals came from folds not fitted on them."""
    cls = np.array([it["cls"] for it in items])
    arg = probs.argmax(1)
    res = {}
    for name, sel in [("adults_all", lambda it: it["adult"]), ("adults_agegender", lambda it: it["adult"] and it["role"] == "agegender"),
                      ("adults_voiceprint", lambda it: it["role"] == "voiceprint")]:
        idx = [i for i, it in enumerate(items) if sel(it)]
        ans = [i for i in idx if answered[i]]
        nspk = {}
        for i in idx:
            nspk[items[i]["speaker"]] = nspk.get(items[i]["speaker"], 0) + 1
        w = np.array([1.0 / nspk.get(it["speaker"], 1) for it in items])
        res[name] = dict(n=len(idx), speakers=len(nspk), answered=len(ans),
                         answered_fraction=len(ans) / max(1, len(idx)),
                         accuracy_answered=float(np.mean(arg[ans] == cls[ans])) if ans else None,
                         accuracy_argmax_all=float(np.mean(arg[idx] == cls[idx])),
                         # each speaker weighs 1 (a voiceprint speaker's 10 clips share one vote)
                         speaker_weighted_answered_fraction=float(np.sum(w[ans]) / np.sum(w[idx])) if idx else None,
                         speaker_weighted_accuracy_answered=float(np.average(arg[ans] == cls[ans], weights=w[ans]))
                         if ans else None)
    # per speaker (voiceprint speakers have 10 clips: one vote each, majority of answered clips)
    over25 = [it for i, it in enumerate(items) if it["age_lo"] > 25 and arg[i] == 2 and answered[i]]
    res["adults_over_25_called_child"] = len(over25)
    res["children_answered_female_or_male"] = int(sum(1 for i, it in enumerate(items) if it["cls"] == 2
                                                      and arg[i] != 2 and answered[i]))
    res["adults_called_child_any"] = int(sum(1 for i, it in enumerate(items) if it["adult"] and arg[i] == 2 and answered[i]))
    ch = [i for i, it in enumerate(items) if it["cls"] == 2]
    said = [i for i in range(len(items)) if arg[i] == 2 and answered[i]]
    tp = len(set(ch) & set(said))
    res["child"] = dict(actual=len(ch), answered_child=len(said), tp=tp, precision=tp / max(1, len(said)),
                        recall=tp / max(1, len(ch)))
    # age
    bands = {}
    for b, (lo, hi) in enumerate(BANDS):
        idx = [i for i, it in enumerate(items) if it["age"] is not None and band_of(it["age"]) == b]
        # range labels (Common Voice teens 13-19): covered when the interval holds the whole range's midpoint
        if b == 1:
            idx += [i for i, it in enumerate(items) if it["age"] is None and it["age_hi"] is not None
                    and it["age_lo"] == 13 and it["age_hi"] == 19]
        if not idx:
            continue
        truth = np.array([items[i]["age"] if items[i]["age"] is not None else 16.0 for i in idx])
        pt = np.array([items[i]["f"]["age"] for i in idx])
        iv = intervals[idx]
        cov = (iv[:, 0] <= truth) & (truth <= iv[:, 1])
        bands[f"{lo}-{hi if hi < 120 else ''}"] = dict(
            n=len(idx), mae_point=float(np.mean(np.abs(pt - truth))), coverage=float(cov.mean()),
            mean_width=float(np.mean(iv[:, 1] - iv[:, 0])), point_shown=int(np.sum(iv[:, 1] - iv[:, 0] < 20)))
    res["age_bands"] = bands
    aged = [i for i, it in enumerate(items) if it["age"] is not None]
    res["age_coverage_all"] = float(np.mean([(intervals[i, 0] <= items[i]["age"] <= intervals[i, 1]) for i in aged]))
    return res


def main():
    global GENDER_FEATS, CHILD_FEATS, DEV_SHARE, GENDER_C, GENDER_CALIBRATION
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--out")
    ap.add_argument("--ts")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--gender-feats", help="comma-separated feature names of the male/female head (default GENDER_FEATS)")
    ap.add_argument("--child-feats", help="comma-separated feature names of the child head (default CHILD_FEATS)")
    ap.add_argument("--crops", help="features of dev crops (key '<dev key>@<seconds>'): answer rate/accuracy by duration")
    ap.add_argument("--dev-share", type=float, default=DEV_SHARE, help="dev weight in the male/female head (0: train only)")
    ap.add_argument("--gender-c", type=float, default=GENDER_C)
    ap.add_argument("--gender-calibration", choices=["platt", "isotonic"], default=GENDER_CALIBRATION)
    ap.add_argument("--bench", help="write the out-of-fold summary with machine and load (bench/results/*.json)")
    args = ap.parse_args()
    DEV_SHARE, GENDER_C, GENDER_CALIBRATION = args.dev_share, args.gender_c, args.gender_calibration
    if args.gender_feats:
        GENDER_FEATS = args.gender_feats.split(",")
    if args.child_feats:
        CHILD_FEATS = args.child_feats.split(",")

    tr = train_items(read_feats(args.train))
    y = np.array([it["cls"] for it in tr])
    groups = np.array([it["speaker"] for it in tr])
    corpus = np.array([it["corpus"] for it in tr])
    print("train items", len(tr), "speakers", len(set(groups)), "classes", np.bincount(y).tolist(),
          "librispeech", int(sum(c.startswith("librispeech") for c in corpus)), flush=True)
    ad = y < 2
    heads, head_info = {}, {}
    _, _, head_info["gender_train_only"] = fit_head(matrix([t for t, a in zip(tr, ad) if a], GENDER_FEATS), y[ad],
                                                    groups[ad], corpus_weights(y[ad], corpus[ad]), "male vs female")
    yc = (y == 2).astype(int)
    wc, bc, head_info["child"] = fit_head(matrix(tr, CHILD_FEATS), yc, groups, corpus_weights(yc, corpus, 0.0),
                                          "child vs 13+")
    heads["child"] = (wc, bc)
    we, be, head_info["envelope"] = fit_head(matrix(tr, ENVELOPE_FEATS), yc, groups, corpus_weights(yc, corpus, 0.0),
                                             "child vs 13+, spectral shape only")
    heads["envelope"] = (we, be)
    for k, f in (("gender_train_only", GENDER_FEATS), ("child", CHILD_FEATS), ("envelope", ENVELOPE_FEATS)):
        head_info[k]["features"] = f
    head_info["gender"] = dict(features=GENDER_FEATS, C=GENDER_C, dev_share=DEV_SHARE,
                               fitted_on="train speakers >= 13 y + the dev speakers of the fitting folds")
    train_g = [t for t, a in zip(tr, ad) if a]

    dev = dev_items(read_feats(args.dev))
    spk = np.array([it["speaker"] or it["key"] for it in dev])
    for it, s in zip(dev, spk):
        it["speaker"] = s  # CommonPhone clips have no speaker id: each clip is its own speaker
    # out-of-fold: every dev speaker is scored by a head, Platt scaling, thresholds and age quantiles fitted without it
    probs = np.zeros((len(dev), 3))
    answered = np.zeros(len(dev), bool)
    conf = np.zeros(len(dev))
    iv = np.zeros((len(dev), 2))
    fold_params = []
    fold_cal = {}
    for k, (fit_idx, test_idx) in enumerate(GroupKFold(args.folds).split(dev, groups=spk)):
        cal = Calibrator(heads, train_g).fit([dev[i] for i in fit_idx])
        test = [dev[i] for i in test_idx]
        p = cal.probs(test)
        probs[test_idx] = p
        answered[test_idx] = cal.answered(p, cal.raw(test)[2])
        pm = p[:, 1] / np.maximum(p[:, 0] + p[:, 1], EPS)
        conf[test_idx] = np.where(p.argmax(1) != 2, np.maximum(pm, 1 - pm), -1.0)
        iv[test_idx] = cal.interval(p, np.array([it["f"]["age"] for it in test]))
        fold_params.append(cal.params())
        for i in test_idx:
            fold_cal[dev[i]["key"]] = cal
    oof = evaluate(dev, probs, answered, iv)
    adults = [i for i, it in enumerate(dev) if it["adult"]]
    cls = np.array([it["cls"] for it in dev])
    oof["gender_curve_adults_speaker_weighted"] = selective_curve(
        conf[adults], (probs.argmax(1) == cls)[adults], spk_weights([dev[i] for i in adults]))
    print("out-of-fold dev:", json.dumps(oof, indent=1), flush=True)
    for it, p, a, i in zip(dev, probs, answered, iv):
        print(f"{it['key'][:44]:44s} {it['gender'][:1]} {str(it['age'] or it['age_lo']):>5s} F{p[0]:.2f} M{p[1]:.2f} "
              f"C{p[2]:.2f} {'ans' if a else '---'} [{i[0]:.0f},{i[1]:.0f}]")

    crops = {}
    if args.crops:
        by_key = {it["key"]: it for it in dev}
        cf = read_feats(args.crops)
        for dur in sorted({k.rsplit("@", 1)[1] for k in cf}, key=float):
            its = [dict(by_key[k.rsplit("@", 1)[0]], f=v) for k, v in cf.items() if k.endswith("@" + dur)
                   and k.rsplit("@", 1)[0] in by_key]
            cals = [fold_cal[it["key"]] for it in its]
            p = np.array([c.probs([it])[0] for c, it in zip(cals, its)])
            ans = np.array([c.answered(p[i:i + 1], c.raw([it])[2])[0] for i, (c, it) in enumerate(zip(cals, its))])
            ivs = np.array([c.interval(p[i:i + 1], np.array([its[i]["f"]["age"]]))[0] for i, c in enumerate(cals)])
            r = evaluate(its, p, ans, ivs)
            crops[dur + " s"] = r
            print(f"crops {dur} s:", json.dumps({k: r[k] for k in ("adults_all", "adults_called_child_any", "child")}),
                  flush=True)

    final = Calibrator(heads, train_g).fit(dev)
    fin_probs = final.probs(dev)
    fitted = evaluate(dev, fin_probs, final.answered(fin_probs, final.raw(dev)[2]),
                      final.interval(fin_probs, np.array([it["f"]["age"] for it in dev])))
    res = dict(heads=head_info, folds=args.folds, out_of_fold=oof, crops_out_of_fold=crops, fold_params=fold_params,
               shipped=final.params(), shipped_inner_oof_curve=final.curve, fitted_on_all_dev_not_a_test=fitted)
    if args.out:
        json.dump(res, open(args.out, "w"), indent=1)
    if args.ts:
        write_ts(args.ts, final, oof)
    if args.bench:
        write_bench(args.bench, res, args)


def write_bench(path, res, args):
    """Out-of-fold summary (gender answered / accuracy, children, age bands, curve) with machine and load."""
    import datetime
    import platform
    import sklearn

    def short(r):
        return {k: r[k] for k in ("n", "speakers", "answered", "answered_fraction", "accuracy_answered",
                                  "speaker_weighted_answered_fraction", "speaker_weighted_accuracy_answered")}
    oof = res["out_of_fold"]
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    out = dict(
        what="calibrated, abstaining age/gender (callscope_agegender_v1 1.1.0 + agegender-calibration.generated.ts), "
             "dev, speaker-disjoint out-of-fold (training/calibrate_ag.py)",
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        machine=dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(), sklearn=sklearn.__version__,
                     load_average=os.getloadavg()),
        inputs=dict(train=args.train, dev=args.dev, crops=args.crops, folds=args.folds),
        goal=dict(gender="dev adults: accuracy >= 97 % on the speakers answered while answering >= 75 % of them; "
                         "0 adults over 25 called child", age="80 % interval holds the true age for >= 75 % per band"),
        gender_adults={k: short(oof[k]) for k in ("adults_all", "adults_agegender", "adults_voiceprint")},
        gender_curve_adults_speaker_weighted=oof["gender_curve_adults_speaker_weighted"],
        adults_over_25_called_child=oof["adults_over_25_called_child"],
        adults_called_child_any=oof["adults_called_child_any"], child=oof["child"],
        children_answered_female_or_male=oof["children_answered_female_or_male"],
        age_bands=oof["age_bands"], age_coverage_all=oof["age_coverage_all"],
        crops={d: dict(adults=short(r["adults_all"]), adults_called_child_any=r["adults_called_child_any"],
                       child=r["child"]) for d, r in res["crops_out_of_fold"].items()},
        shipped=dict(gender_answer_threshold=res["shipped"]["gender_answer_threshold"],
                     child_answer_threshold=res["shipped"]["child_answer_threshold"]))
    json.dump(out, open(path, "w"), indent=1)
    print("wrote", path, flush=True)


def write_ts(path, cal, oof):
    def lin(name, feats):
        w, b = cal.h[name]
        return dict(features=feats, weights=[round(float(v), 6) for v in w], bias=round(float(b), 6))

    params = dict(
        model="callscope_agegender_v1", modelVersion="1.1.0",
        genderHead=lin("gender", GENDER_FEATS), childHead=lin("child", CHILD_FEATS),
        envelopeHead=lin("envelope", ENVELOPE_FEATS),
        genderPlatt=[round(v, 6) for v in cal.pg], childPlatt=[round(v, 6) for v in cal.pc],
        answerThreshold=round(cal.tau, 3), childAnswerThreshold=round(cal.tau_child, 3),
        ageResidualQuantiles={GROUPS[k]: [round(v, 3) for v in cal.q[k]] for k in GROUPS}, adultLikeChildProb=ADULT_LIKE_PC,
        coverage=COVERAGE, trainMaxAge=TRAIN_MAX_AGE, ageCap=AGE_CAP, ageFloor=AGE_FLOOR,
    )
    with open(path, "w") as f:
        f.write("// Generated by training/calibrate_ag.py from train/dev features; do not edit by hand.\n")
        f.write("// Out-of-fold dev numbers: training/results/calibration_ag.json, models/MODEL_CARD.md.\n")
        f.write("import type { AgeGenderCalibration } from './calibration.ts';\n\n")
        f.write("/** Calibration of callscope_agegender_v1 1.1.0 (see `calibration.ts`). */\n")
        f.write("export const AGEGENDER_CALIBRATION: AgeGenderCalibration = " + json.dumps(params) + ";\n")
    print("wrote", path, flush=True)


if __name__ == "__main__":
    main()
