"""Shared loading of per-file attribute features and their train labels (torch-free).

Used by `fusionhead.py` (pitch statistics from `pitch_features.ts`) and `calibrate_ag.py` (pitch statistics,
spectral shape and raw model outputs from `attribute_features.ts`). Both write one CSV row per item with a `key`
column (the train manifest path, a dev key, or `<key>@<seconds>` for crops) and float columns.
"""
import csv
import os

import numpy as np

SHARED = os.environ.get("CALLSCOPE_SHARED", "/work/shared")
# licence not confirmed in the manifest (VCC 2016 "verify before product use"; VoxCeleb1 video copyright)
EXCLUDED_CORPORA = {"vcc2016", "voxceleb1"}
# pitch statistics of src-main/engine/audio/pitch.ts (PITCH_STATS_NAMES), in the model's `pitch_stats` order
PITCH_NAMES = ["f0_median_st", "f0_p10_st", "f0_p90_st", "voiced_ratio", "cmnd_voiced_mean"]
# voicedSpectralShape of src-main/engine/attributes/calibration.ts (7 bands of 300-3400 Hz)
SHAPE_NAMES = [f"shape_{i}" for i in range(7)]
LABELS = ["female", "male", "child"]


def cls_of(gender, age, bracket=""):
    """Class index: 0 female, 1 male, 2 child (age < 13 y or bracket "child"), -1 unlabelled."""
    if (age is not None and age < 13) or bracket == "child":
        return 2
    return {"female": 0, "male": 1}.get(gender, -1)


def read_rows(path):
    """CSV with a `key` column and float columns -> {key: {column: float}}. Raises ValueError naming the file and
    key when a value does not parse."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            try:
                out[r["key"]] = {k: float(x) for k, x in r.items() if k != "key"}
            except ValueError as e:
                raise ValueError(f"{path}: key {r['key']}: {e}") from None
    return out


def read_vectors(path, names):
    """CSV as read_rows -> {key: float64 array of the columns `names`, in that order}."""
    return {k: np.array([v[n] for n in names], dtype=np.float64) for k, v in read_rows(path).items()}


def manifest_rows(include_excluded=False):
    """Rows of shared/data/train/manifest.csv (dicts of strings), without EXCLUDED_CORPORA unless asked."""
    with open(os.path.join(SHARED, "data", "train", "manifest.csv")) as f:
        return [r for r in csv.DictReader(f) if include_excluded or r["corpus"] not in EXCLUDED_CORPORA]


def labelled_train(keys):
    """Licence-confirmed train files among `keys` (manifest paths, any iterable) that have a class (cls_of >= 0).
    Returns a list of dict(key, cls, speaker, corpus, age (float or None)) in the order of `keys`; keys that are not
    in the manifest or belong to EXCLUDED_CORPORA are skipped."""
    rows = {r["path"]: r for r in manifest_rows()}
    out = []
    for key in keys:
        r = rows.get(key)
        if r is None:
            continue
        age = float(r["age"]) if r["age"] else None
        c = cls_of(r["gender"], age, r["age_bracket"])
        if c >= 0:
            out.append(dict(key=r["path"], cls=c, speaker=r["speaker"], corpus=r["corpus"], age=age))
    return out


def class_corpus_weights(y, corpus, power):
    """Sample weights: every class gets the same total weight; within a class an item of a corpus with n items of
    that class weighs n^-power (0: items equal, 0.5: corpora by the square root of their size, 1: corpora equal).
    Mean weight 1."""
    n = {}
    for k, c in zip(y, corpus):
        n[(k, c)] = n.get((k, c), 0) + 1
    w = np.array([float(n[(k, c)]) ** -power for k, c in zip(y, corpus)])
    for k in set(np.asarray(y).tolist()):
        w[y == k] /= w[y == k].sum()
    return w * len(y) / w.sum()
