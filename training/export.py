#!/usr/bin/env python3
"""Export packages to ONNX (opset 17, dynamic T) with metadata, and write the parity reference
(/work/cache/parity/<name>: CMN'd fbank of every dev file + PyTorch outputs) for training/parity_check.mjs.

Run: /usr/bin/python3 training/export.py --spk /work/cache/pkg/spk_v1.pt --ag /work/cache/pkg/ag_v1.pt \
        --version 1.0.0 --metrics training/results/dev_metrics.json
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import evaluate  # noqa: E402
import package  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LICENSE = "MIT"
TRAINING_DATA = (
    "Callscope train/ corpus, licence-confirmed sources only: speechocean762 (CC BY 4.0), Arabic Speech Commands "
    "(CC BY 4.0), Common Voice fa/en (CC0 1.0), FSDD (CC BY-SA 4.0), VCTK (ODC-By 1.0 / CC BY 4.0), CMU ARCTIC "
    "(BSD-style); 279 speakers, about 5.4 h; VoxCeleb1 and VCC 2016 excluded (unconfirmed licence). "
    "Speed perturbation x0.9/x1.1 as new speakers; augmentation: 8 kHz telephone band, G.711 mu-law, GSM and "
    "Opus 8 kb/s round trips, synthetic reverberation, noise, babble, gain. See models/MODEL_CARD.md.")
TRAINING_DATA_V2 = (
    "Callscope train/ corpus, licence-confirmed sources only: speechocean762 (CC BY 4.0), LibriSpeech train-clean-100 "
    "(251 readers, CC BY 4.0), Arabic Speech Commands (CC BY 4.0), Common Voice fa/en (CC0 1.0), FSDD (CC BY-SA 4.0), "
    "VCTK (ODC-By 1.0 / CC BY 4.0), CMU ARCTIC (BSD-style); 530 speakers; VoxCeleb1 and VCC 2016 excluded "
    "(unconfirmed licence). Starts from encoder v1; fine-tuned on 3-s segments through telephone / VoIP paths "
    "(G.711 mu/A-law, GSM, Opus 6-16 kb/s, Codec2 3200, 300-3400 Hz 8 kHz round trips), reverberation, noise, "
    "babble, remote bleed and level changes. See models/MODEL_CARD.md.")


def export(model, path, outputs, meta, opset=17):
    model.eval()
    x = torch.randn(1, 300, 80)
    torch.onnx.export(model, (x,), path, input_names=["feats"], output_names=outputs,
                      dynamic_axes={"feats": {1: "T"}}, opset_version=opset, do_constant_folding=True)
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key = k
        p.value = v if isinstance(v, str) else json.dumps(v)
    m.producer_name = "callscope-training"
    fp16_initializers(m)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return os.path.getsize(path)


def round_fp16(model):
    """Round every floating parameter/buffer to float16 precision (weights are stored as float16 in the ONNX
    file to stay under 4 MB; PyTorch uses the same rounded values, so parity and dev metrics refer to the
    shipped weights)."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.dtype == torch.float32:
                t.copy_(t.half().float())


def fp16_initializers(m, min_elems=256):
    """Store large float32 initializers as float16 followed by a Cast to float32 (computation stays float32)."""
    from onnx import helper, numpy_helper, TensorProto
    g = m.graph
    new_inits, casts = [], []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT:
            continue
        a = numpy_helper.to_array(init)
        if a.size < min_elems:
            continue
        name = init.name
        h = numpy_helper.from_array(a.astype(np.float16), name + "__fp16")
        g.initializer.remove(init)
        new_inits.append(h)
        casts.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT,
                                      name=name + "__cast"))
    g.initializer.extend(new_inits)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spk", required=True)
    ap.add_argument("--ag", help="age/gender package (omit to export the speaker encoder only)")
    ap.add_argument("--name", default="callscope_spk_encoder_v1", help="speaker encoder file stem / model id")
    ap.add_argument("--data-text", choices=["v1", "v2"], default="v1", help="training-data description to embed")
    ap.add_argument("--entries", default=os.path.join(ROOT, "training", "manifest-entries.json"))
    ap.add_argument("--parity-dir", default=os.path.join(C.CACHE, "parity"))
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--metrics", help="JSON with dev metrics to embed in the metadata")
    ap.add_argument("--outdir", default=os.path.join(ROOT, "models"))
    ap.add_argument("--no-parity", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spk = package.load(args.spk)
    ag = package.load(args.ag) if args.ag else None
    round_fp16(spk)
    if ag is not None:
        round_fp16(ag)
    metrics = json.load(open(args.metrics)) if args.metrics else {}
    base = metrics.get("baseline_fbank_meanstd_cosine")
    metrics = dict(spk=metrics.get("spk:" + os.path.basename(args.spk), metrics.get("spk", {})),
                   ag=metrics.get("ag:" + os.path.basename(args.ag), metrics.get("ag", {})) if args.ag else {})
    if base:
        metrics["spk"] = dict(metrics["spk"], baseline_fbank_meanstd_cosine={
            k: v for k, v in base.items() if k.endswith("eer") or k.endswith("acc")})
    with torch.no_grad():
        emb_dim = int(spk(torch.randn(1, 200, 80)).shape[1])
    n_spk = sum(p.numel() for p in spk.parameters()) + sum(b.numel() for n, b in spk.named_buffers()
                                                           if not n.endswith("running_mean") and not n.endswith("running_var") and "num_batches" not in n)
    n_ag = sum(p.numel() for p in ag.parameters()) if ag is not None else 0
    common_meta = dict(version=args.version, sample_rate="16000", feature_config=C.FEATURE_CONFIG,
                       training_data=TRAINING_DATA_V2 if args.data_text == "v2" else TRAINING_DATA, license=LICENSE,
                       source="trained by Callscope: training/README.md", min_frames="50")
    spk_path = os.path.join(args.outdir, args.name + ".onnx")
    ag_path = os.path.join(args.outdir, "callscope_agegender_v1.onnx")
    meta = dict(common_meta, name="callscope_spk_encoder", embedding_dim=str(emb_dim),
                io='{"input":{"feats":"float32 [1,T,80] CMN\'d kaldi fbank, T>=50"},'
                   '"output":{"embedding":"float32 [1,%d] L2-normalised; score = cosine"}}' % emb_dim,
                architecture=json.dumps(spk.cfg), parameters=str(n_spk),
                dev_metrics=json.dumps(metrics.get("spk", {})))
    b1 = export(spk, spk_path, ["embedding"], meta)
    meta = dict(common_meta, name="callscope_agegender",
                io='{"input":{"feats":"float32 [1,T,80] CMN\'d kaldi fbank, T>=50"},"output":{"gender_probs":'
                   '"float32 [1,3] (female, male, child), sums to 1","age_years":"float32 [1,1]",'
                   '"age_std":"float32 [1,1] years"}}',
                gender_labels='["female","male","child"]', architecture=json.dumps(ag.cfg) if ag is not None else "",
                parameters=str(n_ag), dev_metrics=json.dumps(metrics.get("ag", {})))
    b2 = export(ag, ag_path, ["gender_probs", "age_years", "age_std"], meta) if ag is not None else 0
    print(f"spk: {b1} bytes, params {n_spk}, dim {emb_dim}; ag: {b2} bytes, params {n_ag}")
    assert b1 <= 4 * 1024 * 1024 and b2 <= 4 * 1024 * 1024
    entries = []
    todo = [(spk_path, "embedding", {"embedding": [1, emb_dim]})]
    if ag is not None:
        todo.append((ag_path, "agegender", {"gender_probs": [1, 3], "age_years": [1, 1], "age_std": [1, 1]}))
    for path, role, outs in todo:
        entries.append(dict(
            id=os.path.basename(path).replace(".onnx", ""), role=role, file=os.path.basename(path),
            sha256=sha256(path), bytes=os.path.getsize(path), license=LICENSE, version=args.version,
            io=dict(inputs={"feats": {"dtype": "float32", "shape": [1, "T", 80],
                                      "features": "kaldi fbank 80 (25/10 ms, 16 kHz, int16 scale), per-utterance CMN",
                                      "min_frames": 50}},
                    outputs={k: {"dtype": "float32", "shape": v} for k, v in outs.items()},
                    **({"gender_labels": ["female", "male", "child"]} if role == "agegender" else
                       {"normalised": "L2", "score": "cosine"})),
            feature_config=C.FEATURE_CONFIG, sample_rate=16000,
            source="trained by Callscope: training/README.md", model_card="models/MODEL_CARD.md"))
    with open(args.entries, "w") as f:
        json.dump(entries, f, indent=2)
        f.write("\n")
    if args.no_parity:
        return
    # parity reference: CMN'd features of every dev file (whole clip) + PyTorch outputs
    pdir = args.parity_dir
    os.makedirs(pdir, exist_ok=True)
    items = evaluate.dev_data()
    blobs, index, off = [], [], 0
    with torch.no_grad():
        for it in items:
            x = C.cmn(it["fbank"]).unsqueeze(0)
            e = spk(x)[0].numpy()
            f32 = x[0].numpy().astype(np.float32)
            blobs.append(f32.tobytes())
            index.append(dict(file=it["rel"], frames=int(f32.shape[0]), offset=off, embedding=e.tolist()))
            if ag is not None:
                p, a, s = ag(x)
                index[-1].update(gender_probs=p[0].tolist(), age_years=float(a[0, 0]), age_std=float(s[0, 0]))
            off += f32.nbytes
    with open(os.path.join(pdir, "feats.f32"), "wb") as f:
        for b in blobs:
            f.write(b)
    with open(os.path.join(pdir, "reference.json"), "w") as f:
        json.dump(dict(spk=spk_path, ag=ag_path if ag is not None else None, items=index), f)
    print("parity reference:", len(index), "files in", pdir)


if __name__ == "__main__":
    main()
