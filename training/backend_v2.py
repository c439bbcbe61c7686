#!/usr/bin/env python3
"""Back end of encoder v2: LDA + within-class whitening of the v2 neural embedding, fitted on the
channel-augmented pack (pack_v2.py; classes = speakers, so the within-class scatter holds the telephone / VoIP /
room variation the back end should discount), optionally fused with the v1 statistics branch (its LDA kept as
shipped). LDA dimension and fusion weight are chosen on dev (extended pairs whole + 3 s + cross-condition pairs;
model selection only, as for v1). Writes /work/cache/pkg/spk_<tag>.pt and training/results/backend_<tag>.json.

Run: /usr/bin/python3 training/backend_v2.py --enc /work/cache/gpu/ft_best.pt --tag v2
"""
import argparse
import json
import lzma
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import evaluate  # noqa: E402
import package  # noqa: E402
from backend import lda, set_backend  # noqa: E402
from model import ECAPALite  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pack_embeddings(enc, pack):
    meta = json.load(open(os.path.join(pack, "train.json")))
    q = np.frombuffer(lzma.decompress(open(os.path.join(pack, "train.xz"), "rb").read()), np.uint8).reshape(-1, 80)
    out = []
    with torch.no_grad():
        for it in meta["index"]:
            x = torch.from_numpy(q[it["off"]:it["off"] + it["n"]].astype(np.float32) / meta["q_scale"] - meta["q_off"])
            out.append(F.normalize(enc(C.cmn(x).unsqueeze(0)), dim=1)[0].numpy())
    return np.stack(out), np.array([it["spk"] for it in meta["index"]])


class CachedBranches:
    """Encoder output and utterance statistics per dev fbank tensor, computed once and shared by every back-end
    configuration (the dev tensors live in evaluate's cache, so their ids are stable)."""

    def __init__(self, enc, stats):
        self.enc, self.stats, self.cache = enc, stats, {}

    def get(self, fb):
        k = id(fb)
        if k not in self.cache:
            with torch.no_grad():
                x = C.cmn(fb).unsqueeze(0)
                self.cache[k] = (fb, F.normalize(self.enc(x), dim=1), self.stats(x))
        return self.cache[k][1:]

    def emb_fn(self, m):
        """Same output as m(cmn(fb)) for a SpeakerEmbedder m with this encoder."""
        def fn(fb):
            e, st = self.get(fb)
            with torch.no_grad():
                outs = [e if m.nb is None else m.nb(e)]
                if m.sb is not None:
                    outs.append(m.sb(st))
                y = torch.cat([outs[0] * m.w[0], outs[1] * m.w[1]], dim=1) if len(outs) == 2 else outs[0]
                return F.normalize(y, dim=1)[0].numpy()
        return fn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enc", required=True, help="train_v2.py checkpoint (dict with 'model')")
    ap.add_argument("--pack", default=os.path.join(C.CACHE, "pack_v2"))
    ap.add_argument("--v1", default=os.path.join(C.CACHE, "pkg", "spk_v1.pt"), help="recover_v1.py package")
    ap.add_argument("--tag", default="v2")
    ap.add_argument("--dims", default="128,160")
    ap.add_argument("--weights", default="0,0.5,0.7")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    enc = ECAPALite().eval()
    enc_sd = torch.load(args.enc, map_location="cpu")["model"]
    enc.load_state_dict(enc_sd)
    package.round_fp16(enc)  # the ONNX stores float16 weights; fit the back end on what ships
    enc_sd = enc.state_dict()
    v1 = package.load(args.v1)
    X, y = pack_embeddings(enc, args.pack)
    print("pack embeddings", X.shape, flush=True)
    from model import StatsFront
    cached = CachedBranches(enc, StatsFront())
    log, best = {}, None
    for dim in [int(d) for d in args.dims.split(",")]:
        mu, W = lda(X, y, dim) if dim else (None, None)  # dim 0: raw cosine of the neural embedding
        for w in [float(v) for v in args.weights.split(",")]:
            cfg = dict(kind="spk", encoder={}, nb=[192, dim] if dim else None)
            if w > 0:
                cfg.update(sb=v1.cfg["sb"], w=[1.0, w])
            m = package.build(cfg)
            m.encoder.load_state_dict(enc_sd)
            if dim:
                set_backend(m.nb, mu, W)
            if w > 0:
                m.sb.load_state_dict(v1.sb.state_dict())
            m.cfg = cfg
            m.eval()
            fn = cached.emb_fn(m)
            fb0 = evaluate.dev_data()[0]["fbank"]
            assert np.allclose(fn(fb0), evaluate.make_emb_fn(m)(fb0), atol=1e-5), "cached branches differ from m()"
            r = evaluate.eval_speaker(fn)
            r.update(evaluate.eval_cross(fn))
            key = f"lda{dim}_w{w}"
            log[key] = r
            crit = r["ext_whole_eer"] + r["ext_3s_eer"] + r["cross_pairs_eer"]
            print(key, round(crit, 4), json.dumps({k: v for k, v in r.items() if "eer" in k and "by_path" not in k}),
                  flush=True)
            if best is None or crit < best[0]:
                best = (crit, key, cfg, m)
    log["chosen"] = best[1]
    os.makedirs(os.path.join(C.CACHE, "pkg"), exist_ok=True)
    package.save(os.path.join(C.CACHE, "pkg", f"spk_{args.tag}.pt"), best[2], best[3])
    with open(os.path.join(ROOT, "training", "results", f"backend_{args.tag}.json"), "w") as f:
        json.dump(log, f, indent=1)
    print("chosen", best[1])


if __name__ == "__main__":
    main()
