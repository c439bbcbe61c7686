#!/usr/bin/env python3
"""Train / fine-tune the ECAPA-style encoder on the precomputed channel-augmented pack (pack_v2.py), on a GPU.

Data: quantised log-mel fbank segments (3 s) held on the device; every step draws a corpus (CORPUS_W), a speaker
uniformly within it, one of that speaker's segments (clean or through a telephone / VoIP / room condition) and a
random crop of `--min-crop`..`--max-crop` frames (one length per batch), applies per-crop CMN (the engine's feature
contract) and SpecAugment-style masking (one band of <= 8 mel bins and one span of <= 20 frames, p 0.5 each).
Loss: AAM-softmax over speakers (s 30, margin ramped to --margin over the first 20 % of the time budget), AdamW with
warm-up and cosine decay over --minutes (by elapsed time, so the schedule fits the budget on any device); the encoder may start from a package (--init, e.g. v1 recovered by recover_v1.py) with its own
learning rate (--lr-enc). bf16 autocast on CUDA.

Model selection: every --eval-every seconds the raw (L2-normalised) encoder embedding is scored on the dev pack:
`clean_eer` (all clean dev clip pairs), `cross_eer` (clean clip i vs telephone-path clip j, i != j: clean enrollment
against a phone-call test) and `tel_eer` (telephone vs telephone). The checkpoint with the lowest
cross_eer + clean_eer is kept as <tag>_best.pt, the last as <tag>_last.pt (encoder state dicts, float32).

Needs only torch + numpy (no torchaudio), so it runs on the GPU machine's image.
Run: python3 train_v2.py --pack DIR --out DIR --tag ft --init spk_v1.pt --minutes 6
"""
import argparse
import json
import lzma
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import AAMSoftmax, ECAPALite

CORPUS_W = {"speechocean762": 0.34, "librispeech_resemblyzer": 0.26, "commonvoice": 0.12,
            "arabic_speech_commands": 0.09, "vctk": 0.07, "fsdd": 0.07, "cmu_arctic": 0.05}


def load_pack(d, name, device):
    meta = json.load(open(os.path.join(d, name + ".json")))
    raw = lzma.decompress(open(os.path.join(d, name + ".xz"), "rb").read())
    q = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, 80).to(device)
    return q, meta


def deq(q, meta):
    return q.float() / meta["q_scale"] - meta["q_off"]


def eer(scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(-scores, kind="mergesort")
    lab = labels[order]
    fnr = 1 - np.cumsum(lab) / lab.sum()
    fpr = np.cumsum(~lab) / (~lab).sum()
    i = np.argmin(np.abs(fnr - fpr))
    return float((fnr[i] + fpr[i]) / 2)


@torch.no_grad()
def evaluate(model, devq, devmeta, device):
    model.eval()
    idx = devmeta["index"]
    embs = []
    for it in idx:
        x = deq(devq[it["off"]:it["off"] + it["n"]], devmeta)
        x = (x - x.mean(0, keepdim=True)).unsqueeze(0)
        embs.append(F.normalize(model(x).float(), dim=1)[0])
    E = torch.stack(embs).cpu().numpy().astype(np.float64)
    model.train()
    spk = np.array([it["speaker"] for it in idx])
    item = np.array([it["item"] for it in idx])
    kind = np.array([it["kind"] for it in idx])
    S = E @ E.T
    res = {}
    for name, a, b in (("clean_eer", "clean", "clean"), ("cross_eer", "clean", "tel"), ("tel_eer", "tel", "tel")):
        ia, ib = np.where(kind == a)[0], np.where(kind == b)[0]
        m = S[np.ix_(ia, ib)]
        lab = spk[ia][:, None] == spk[ib][None, :]
        keep = item[ia][:, None] != item[ib][None, :]
        if a == b:
            keep &= np.triu(np.ones_like(keep), 1).astype(bool)
        res[name] = eer(m[keep], lab[keep])
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="run")
    ap.add_argument("--init", help="package (.pt with cfg/state) or encoder state dict to start from")
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = time only)")
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3, help="head (and encoder without --init) learning rate")
    ap.add_argument("--lr-enc", type=float, default=0.0, help="encoder learning rate (default: --lr)")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--min-crop", type=int, default=150)
    ap.add_argument("--max-crop", type=int, default=298)
    ap.add_argument("--eval-every", type=float, default=45.0, help="seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--freeze-steps", type=int, default=0, help="encoder learning rate 0 for the first N steps "
                    "(lets a fresh AAM head settle before it moves an --init encoder)")
    ap.add_argument("--no-last", action="store_true", help="do not write <tag>_last.pt")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    q, meta = load_pack(args.pack, "train", dev)
    devq, devmeta = load_pack(args.pack, "dev", dev)
    idx = meta["index"]
    offs = np.array([it["off"] for it in idx])
    lens = np.array([it["n"] for it in idx])
    spk = np.array([it["spk"] for it in idx])
    n_cls = len(meta["speakers"])
    # sampling: corpus -> speaker uniformly -> segment uniformly
    corp_of_spk = {}
    segs_of_spk = {}
    for i, it in enumerate(idx):
        corp_of_spk[it["spk"]] = it["corpus"]
        segs_of_spk.setdefault(it["spk"], []).append(i)
    corpora = sorted(set(corp_of_spk.values()))
    cw = np.array([CORPUS_W.get(c, 0.03) for c in corpora])
    cw = cw / cw.sum()
    spk_by_corp = {c: [s for s, cc in corp_of_spk.items() if cc == c] for c in corpora}
    model = ECAPALite().to(dev)
    if args.init:
        ck = torch.load(args.init, map_location="cpu")
        st = ck.get("state", ck.get("model", ck))
        st = {k[len("encoder."):] if k.startswith("encoder.") else k: v for k, v in st.items()}
        st = {k: v for k, v in st.items() if k in model.state_dict()}
        model.load_state_dict(st)
        print("init from", args.init, flush=True)
    aam = AAMSoftmax(192, n_cls, m=0.0).to(dev)
    lr_enc = args.lr_enc or args.lr
    opt = torch.optim.AdamW([dict(params=model.parameters(), lr=lr_enc, base=lr_enc),
                             dict(params=aam.parameters(), lr=args.lr, base=args.lr)], weight_decay=2e-5)
    log = open(os.path.join(args.out, f"{args.tag}_log.jsonl"), "w")

    def emit(d):
        print(json.dumps(d), flush=True)
        log.write(json.dumps(d) + "\n")
        log.flush()

    emit(dict(tag=args.tag, args=vars(args), segments=len(idx), frames=int(len(q)), classes=n_cls,
              corpora=dict(zip(corpora, np.round(cw, 3).tolist())), device=str(dev)))
    r0 = evaluate(model, devq, devmeta, dev)
    emit(dict(step=0, **r0))
    best = math.inf
    t0 = time.time()
    t_eval = t0
    step = 0
    ar = torch.arange(args.max_crop, device=dev)
    hist = []
    model.train()
    while True:
        el = time.time() - t0
        if el > args.minutes * 60 or (args.max_steps and step >= args.max_steps):
            break
        L = int(rng.integers(args.min_crop, args.max_crop + 1))
        cs = rng.choice(len(corpora), size=args.bs, p=cw)
        sp = np.array([spk_by_corp[corpora[c]][rng.integers(len(spk_by_corp[corpora[c]]))] for c in cs])
        si = np.array([segs_of_spk[s][rng.integers(len(segs_of_spk[s]))] for s in sp])
        st = offs[si] + (rng.random(args.bs) * np.maximum(lens[si] - L, 0)).astype(np.int64)
        gi = torch.from_numpy(st).to(dev)[:, None] + ar[:L][None, :]
        gi = torch.minimum(gi, torch.from_numpy(offs[si] + lens[si] - 1).to(dev)[:, None])
        x = deq(q[gi], meta)  # [B, L, 80]
        x = x - x.mean(dim=1, keepdim=True)
        # SpecAugment-style masking (after CMN, masked values = 0 = the utterance mean)
        B = args.bs
        fm = torch.rand(B, device=dev) < 0.5
        f0 = torch.randint(0, 72, (B,), device=dev)
        fw = torch.randint(1, 9, (B,), device=dev)
        bins = torch.arange(80, device=dev)[None, :]
        fmask = fm[:, None] & (bins >= f0[:, None]) & (bins < (f0 + fw)[:, None])
        tm = torch.rand(B, device=dev) < 0.5
        t0m = (torch.rand(B, device=dev) * (L - 20)).long()
        tw = torch.randint(1, 21, (B,), device=dev)
        frames = torch.arange(L, device=dev)[None, :]
        tmask = tm[:, None] & (frames >= t0m[:, None]) & (frames < (t0m + tw)[:, None])
        x = x.masked_fill(fmask[:, None, :], 0.0).masked_fill(tmask[:, :, None], 0.0)
        y = torch.from_numpy(spk[si]).to(dev)
        p = el / (args.minutes * 60)  # schedule by elapsed time: the step rate is not known in advance
        scale = min(1.0, (step + 1) / args.warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))
        for gi_, g in enumerate(opt.param_groups):
            g["lr"] = 0.0 if gi_ == 0 and step < args.freeze_steps else g["base"] * scale
        aam.m = args.margin * min(1.0, p / 0.2)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            e = model(x)
        loss, acc = aam(e.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        hist.append(torch.stack([loss.detach(), acc.detach()]))
        if time.time() - t_eval > args.eval_every or step == args.max_steps:
            t_eval = time.time()
            la = torch.stack(hist).mean(0).tolist()
            hist = []
            r = evaluate(model, devq, devmeta, dev)
            crit = r["cross_eer"] + r["clean_eer"]
            emit(dict(step=step, min=round((time.time() - t0) / 60, 2), loss=round(la[0], 3), acc=round(la[1], 3),
                      m=round(aam.m, 3), lr_scale=round(scale, 3), **r))
            if crit < best:
                best = crit
                torch.save(dict(model=model.state_dict(), step=step, dev=r),
                           os.path.join(args.out, f"{args.tag}_best.pt"))
    r = evaluate(model, devq, devmeta, dev)
    emit(dict(step=step, final=True, min=round((time.time() - t0) / 60, 2), **r))
    if not args.no_last:
        torch.save(dict(model=model.state_dict(), step=step, dev=r), os.path.join(args.out, f"{args.tag}_last.pt"))


if __name__ == "__main__":
    main()
