#!/usr/bin/env python3
"""Rebuild the PyTorch package of the shipped encoder v1 from models/callscope_spk_encoder_v1.onnx.

The first session's checkpoints (/work/cache/run1) were not kept, but the ONNX file stores every weight under its
PyTorch name (float16-rounded, as shipped), plus the two folded LDA back ends. This reads them back into
`package.build(cfg)` so v2 can start from the v1 encoder and so v1 can be re-evaluated on new protocols in PyTorch.
Weights the exporter renamed (`onnx::MatMul_*` operands) are matched by shape among those unnamed initializers (a
unique match is required; for v1 every weight keeps its name); the fusion weights `w` come from the `architecture`
metadata. Raises ValueError on a shape mismatch; missing names are printed (and must be none but `w`).

Run: /usr/bin/python3 training/recover_v1.py [--onnx models/callscope_spk_encoder_v1.onnx] [--out /work/cache/pkg/spk_v1.pt]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import package  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recover(onnx_path):
    m = onnx.load(onnx_path)
    meta = {p.key: p.value for p in m.metadata_props}
    cfg = json.loads(meta["architecture"])
    model = package.build(cfg)
    inits = {}
    for i in m.graph.initializer:
        a = numpy_helper.to_array(i).astype(np.float32)
        inits[i.name[:-6] if i.name.endswith("__fp16") else i.name] = a
    # Constant nodes hold the small tensors the exporter inlined
    for n in m.graph.node:
        if n.op_type == "Constant":
            for at in n.attribute:
                if at.name == "value":
                    inits.setdefault(n.output[0], numpy_helper.to_array(at.t).astype(np.float32))
    sd = model.state_dict()
    missing = [k for k in sd if k not in inits and "num_batches_tracked" not in k]
    new = {}
    for k, v in sd.items():
        if k in inits:
            a = inits[k]
            if a.shape != tuple(v.shape):
                raise ValueError(f"{k}: onnx {a.shape} vs torch {tuple(v.shape)}")
            new[k] = torch.from_numpy(a.copy())
        else:
            new[k] = v
    # renamed operands: match by shape among unnamed initializers (transposed for MatMul)
    unnamed = {k: a for k, a in inits.items() if k.startswith("onnx::")}
    for k in list(missing):
        want = tuple(sd[k].shape)
        cands = [(n, a) for n, a in unnamed.items() if a.shape == want or a.T.shape == want]
        if len(cands) == 1:
            n, a = cands[0]
            new[k] = torch.from_numpy((a if a.shape == want else a.T).copy())
            unnamed.pop(n)
            missing.remove(k)
    model.load_state_dict(new)
    model.cfg = cfg
    return model.eval(), missing, meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=os.path.join(ROOT, "models", "callscope_spk_encoder_v1.onnx"))
    ap.add_argument("--out", default=os.path.join(C.CACHE, "pkg", "spk_v1.pt"))
    args = ap.parse_args()
    model, missing, _ = recover(args.onnx)
    print("missing", missing)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    package.save(args.out, model.cfg, model)
    print("saved", args.out)


if __name__ == "__main__":
    main()
