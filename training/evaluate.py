#!/usr/bin/env python3
"""Evaluate speaker embedders and age/gender models on dev.

(a) dev voiceprint enroll/test protocol: EER and identification accuracy (enrolled model = mean of enroll
    embeddings; every test file against every enrolled speaker, Katie/Steve are enrolled distractors).
(b) extended dev pair set: every pair of single-speaker clips in dev/voiceprint (enroll+test) and dev/agegender
    (speaker from labels_ext.csv; CommonPhone clips have no speaker id and are left out), target = same speaker;
    EER on whole clips and on non-overlapping 3-s segments (pairs of segments from the same clip are skipped;
    clips shorter than 3 s count as one segment).
(d) with --cross: the cross-condition protocol (eval_cross: clean enrollment vs telephone-path tests).
(c) gender accuracy on adults (>= 18 y) of dev/agegender and dev/voiceprint (child class counts as wrong),
    age MAE on dev speakers aged 6-45 and separately > 45, child (< 13 y) precision / recall (argmax = child).

Systems: --baseline (model-free: mean+std of the raw fbank, cosine), --spk PKG.pt (package written by
export.py / backend.py), --ag PKG.pt.
Run: /usr/bin/python3 training/evaluate.py --baseline --spk models_pkg/spk.pt --ag models_pkg/ag.pt --out res.json
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

_DEV = None


def dev_data():
    """Dev clips with fbank (no CMN) for whole clip and 3-s segments. Cached in /work/cache/dev_feats.pt."""
    global _DEV
    if _DEV is not None:
        return _DEV
    p = os.path.join(C.CACHE, "dev_feats.pt")
    if os.path.exists(p):
        _DEV = torch.load(p)
        return _DEV
    items = C.dev_voiceprint() + C.dev_agegender()
    for it in items:
        w = C.dev_wave(it["rel"])
        it["fbank"] = C.fbank(w)
        segs = []
        n3 = 3 * C.SR
        if len(w) < n3:
            segs.append(it["fbank"])
        else:
            for s in range(0, len(w) - n3 + 1, n3):
                segs.append(C.fbank(w[s:s + n3]))
        it["segs"] = segs
    torch.save(items, p)
    _DEV = items
    return items


def emb_fn_baseline(fb):
    return torch.cat([fb.mean(0), fb.std(0)]).numpy()


def make_emb_fn(model):
    def fn(fb):
        with torch.no_grad():
            return model(C.cmn(fb).unsqueeze(0))[0].numpy()
    return fn


def cos_matrix(E):
    E = np.asarray(E, dtype=np.float64)
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    return E @ E.T


def eval_speaker(emb_fn):
    items = dev_data()
    res = {}
    # (a) enroll/test protocol
    vp = [it for it in items if it["role"] in ("enroll", "test")]
    emb = {it["rel"]: emb_fn(it["fbank"]) for it in items}
    spks = sorted({it["speaker"] for it in vp if it["role"] == "enroll"})
    models = []
    for s in spks:
        E = np.stack([emb[it["rel"]] for it in vp if it["speaker"] == s and it["role"] == "enroll"])
        E = E / np.linalg.norm(E, axis=1, keepdims=True)
        m = E.mean(0)
        models.append(m / np.linalg.norm(m))
    models = np.stack(models)
    scores, labels, correct, ntest = [], [], 0, 0
    for it in vp:
        if it["role"] != "test":
            continue
        e = emb[it["rel"]] / np.linalg.norm(emb[it["rel"]])
        sc = models @ e
        for s, v in zip(spks, sc):
            scores.append(v)
            labels.append(s == it["speaker"])
        correct += spks[int(np.argmax(sc))] == it["speaker"]
        ntest += 1
    res["protocol_eer"] = C.eer(scores, labels)
    res["protocol_id_acc"] = correct / ntest
    res["protocol_trials"] = [len(scores), int(np.sum(labels))]
    # (b) extended pair set
    ext = [it for it in items if it["speaker"]]
    S = cos_matrix([emb[it["rel"]] for it in ext])
    iu = np.triu_indices(len(ext), 1)
    spk = np.array([it["speaker"] for it in ext])
    lab = spk[iu[0]] == spk[iu[1]]
    res["ext_whole_eer"] = C.eer(S[iu], lab)
    res["ext_whole_pairs"] = [int(len(lab)), int(lab.sum())]
    segE, segS, segC = [], [], []
    for ci, it in enumerate(ext):
        for fb in it["segs"]:
            segE.append(emb_fn(fb))
            segS.append(it["speaker"])
            segC.append(ci)
    S = cos_matrix(segE)
    iu = np.triu_indices(len(segE), 1)
    segS, segC = np.array(segS), np.array(segC)
    keep = segC[iu[0]] != segC[iu[1]]
    lab = (segS[iu[0]] == segS[iu[1]])[keep]
    res["ext_3s_eer"] = C.eer(S[iu][keep], lab)
    res["ext_3s_pairs"] = [int(len(lab)), int(lab.sum())]
    return res


def dev_cross_data():
    """Telephone-path copies of the dev clips that have a speaker id, for the cross-condition protocol: every
    voiceprint `test` clip through each of channel.EVAL_PATHS (G.711 mu/A-law, GSM, Opus 8/12/16 kbit/s), and every
    clip of the extended pair set through one path (round robin over EVAL_PATHS by clip order). fbank (no CMN),
    cached in /work/cache/dev_cross_feats.pt."""
    p = os.path.join(C.CACHE, "dev_cross_feats.pt")
    if os.path.exists(p):
        return torch.load(p)
    import channel
    items = dev_data()
    ext = [i for i, it in enumerate(items) if it["speaker"]]
    tests = [i for i, it in enumerate(items) if it["role"] == "test"]
    out = dict(protocol={}, pairs={})
    waves = {i: C.dev_wave(items[i]["rel"]) for i in set(ext) | set(tests)}
    for path in channel.EVAL_PATHS:
        for i, y in zip(tests, channel.apply_path([waves[i] for i in tests], path)):
            out["protocol"][(i, path)] = C.fbank(y)
    for pi, path in enumerate(channel.EVAL_PATHS):
        sel = [i for k, i in enumerate(ext) if k % len(channel.EVAL_PATHS) == pi]
        for i, y in zip(sel, channel.apply_path([waves[i] for i in sel], path)):
            out["pairs"][i] = (path, C.fbank(y))
    torch.save(out, p)
    return out


def eval_cross(emb_fn):
    """Cross-condition protocol (clean enrollment, telephone test).
    (a) cross_protocol_*: the dev voiceprint protocol with every test clip through each telephone path (6x the test
        trials); enrollment = mean of the clean enroll embeddings. EER, identification accuracy, per-path EER.
    (b) cross_pairs_eer: every clean clip of the extended pair set against every telephone-path clip of another clip
        (i != j), target = same speaker."""
    items = dev_data()
    cross = dev_cross_data()
    emb = {i: emb_fn(it["fbank"]) for i, it in enumerate(items) if it["speaker"]}
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    spks = sorted({it["speaker"] for it in items if it["role"] == "enroll"})
    models = np.stack([unit(np.mean([unit(emb[i]) for i, it in enumerate(items)
                                     if it["role"] == "enroll" and it["speaker"] == s], axis=0)) for s in spks])
    res, per = {}, {}
    scores, labels, correct, n = [], [], 0, 0
    for (i, path), fb in sorted(cross["protocol"].items(), key=lambda kv: (kv[0][0], kv[0][1])):
        sc = models @ unit(emb_fn(fb))
        lab = [s == items[i]["speaker"] for s in spks]
        scores += list(sc)
        labels += lab
        per.setdefault(path, ([], []))
        per[path][0].extend(sc)
        per[path][1].extend(lab)
        correct += spks[int(np.argmax(sc))] == items[i]["speaker"]
        n += 1
    res["cross_protocol_eer"] = C.eer(scores, labels)
    res["cross_protocol_id_acc"] = correct / n
    res["cross_protocol_trials"] = [len(scores), int(np.sum(labels))]
    res["cross_protocol_eer_by_path"] = {k: C.eer(*v) for k, v in per.items()}
    ids = sorted(cross["pairs"])
    clean = np.stack([unit(emb[i]) for i in ids])
    tel = np.stack([unit(emb_fn(cross["pairs"][i][1])) for i in ids])
    S = clean @ tel.T
    spk = np.array([items[i]["speaker"] for i in ids])
    lab = spk[:, None] == spk[None, :]
    keep = ~np.eye(len(ids), dtype=bool)
    res["cross_pairs_eer"] = C.eer(S[keep], lab[keep])
    res["cross_pairs_pairs"] = [int(keep.sum()), int(lab[keep].sum())]
    return res


def eval_agegender(model):
    items = dev_data()
    res = {}
    preds = []
    for it in items:
        with torch.no_grad():
            p, age, sd = model(C.cmn(it["fbank"]).unsqueeze(0))
        preds.append((p[0].numpy(), float(age[0, 0]), float(sd[0, 0])))
    adult = [(it, pr) for it, pr in zip(items, preds) if it["gender"] and (it["age"] is None or it["age"] >= 18)
             and it["role"] != "agegender" or (it["role"] == "agegender" and it["age"] is not None and it["age"] >= 18)]
    for name, sel in [("adult_all", lambda it: True), ("adult_agegender", lambda it: it["role"] == "agegender"),
                      ("adult_voiceprint", lambda it: it["role"] != "agegender")]:
        ok = [int(np.argmax(pr[0])) == (0 if it["gender"] == "female" else 1) for it, pr in adult if sel(it)]
        res[f"gender_acc_{name}"] = float(np.mean(ok))
        res[f"gender_n_{name}"] = len(ok)
    # gender over all labelled agegender clips (children: female/male prob only)
    ok = [(pr[0][1] > pr[0][0]) == (it["gender"] == "male") for it, pr in zip(items, preds) if it["role"] == "agegender"]
    res["gender_fm_only_acc_all_agegender"] = float(np.mean(ok))
    ag = [(it, pr) for it, pr in zip(items, preds) if it["role"] == "agegender"]
    err = [abs(pr[1] - it["age"]) for it, pr in ag if it["age"] is not None and 6 <= it["age"] <= 45]
    res["age_mae_6_45"] = float(np.mean(err))
    res["age_n_6_45"] = len(err)
    err = [abs(pr[1] - it["age"]) for it, pr in ag if it["age"] is not None and it["age"] > 45]
    res["age_mae_over45"] = float(np.mean(err))
    res["age_n_over45"] = len(err)
    # teens (CommonPhone bucket 13-19): distance to the interval
    err = [max(0.0, it["age_min"] - pr[1], pr[1] - it["age_max"]) for it, pr in ag if it["age"] is None]
    res["age_teens_interval_err"] = float(np.mean(err)) if err else None
    truth = [it["age"] is not None and it["age"] < 13 for it, pr in ag]
    predc = [int(np.argmax(pr[0])) == 2 for it, pr in ag]
    tp = sum(t and p for t, p in zip(truth, predc))
    res["child_precision"] = tp / max(1, sum(predc))
    res["child_recall"] = tp / max(1, sum(truth))
    res["child_counts"] = dict(tp=tp, predicted=sum(predc), actual=sum(truth))
    cover = [it["age_min"] - 2 * pr[2] <= pr[1] <= it["age_max"] + 2 * pr[2] for it, pr in ag if it["age"] is not None]
    res["age_2std_coverage"] = float(np.mean(cover))
    return res


def load_pkg(path):
    import package
    return package.load(path, fp16=True)  # the shipped ONNX stores float16 weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--spk", action="append", default=[])
    ap.add_argument("--ag", action="append", default=[])
    ap.add_argument("--out")
    ap.add_argument("--cross", action="store_true", help="also the cross-condition protocol (eval_cross)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = {}
    if args.baseline:
        out["baseline_fbank_meanstd_cosine"] = eval_speaker(emb_fn_baseline)
        print("baseline", json.dumps(out["baseline_fbank_meanstd_cosine"]), flush=True)
    for p in args.spk:
        m = load_pkg(p).eval()
        out["spk:" + os.path.basename(p)] = r = eval_speaker(make_emb_fn(m))
        if args.cross:
            r.update(eval_cross(make_emb_fn(m)))
        print(p, json.dumps(r), flush=True)
    for p in args.ag:
        m = load_pkg(p).eval()
        out["ag:" + os.path.basename(p)] = r = eval_agegender(m)
        print(p, json.dumps(r), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
