"""Save / load exportable model packages (a config plus a state dict) under /work/cache/pkg/."""
import torch

from model import AgeGender, ECAPALite, EnsembleAgeGender, FrameAgeGender, LinearBackend, SpeakerEmbedder


def build(cfg):
    enc = ECAPALite(**cfg["encoder"]) if cfg.get("encoder") is not None else None
    if cfg["kind"] == "spk":
        nb = LinearBackend(*cfg["nb"]) if cfg.get("nb") else None
        sb = LinearBackend(*cfg["sb"]) if cfg.get("sb") else None
        return SpeakerEmbedder(enc, nb, sb, *cfg.get("w", [1.0, 1.0]))
    if cfg["kind"] == "ag":
        return AgeGender(cfg["din"], enc, cfg.get("hidden", 0), cfg.get("use", "emb"), cfg.get("stats", True))
    if cfg["kind"] == "ag_ens":
        return EnsembleAgeGender([build(c) for c in cfg["members"]], cfg["weights"])
    if cfg["kind"] == "ag_frame":
        return FrameAgeGender(**cfg.get("args", {}))
    raise ValueError(cfg["kind"])


def ensemble(paths, weights):
    ms = [load(p) for p in paths]
    cfg = dict(kind="ag_ens", members=[m.cfg for m in ms], weights=list(weights))
    m = build(cfg)
    for dst, src in zip(m.members, ms):
        dst.load_state_dict(src.state_dict())
    m.cfg = cfg
    return m.eval()


def save(path, cfg, model):
    torch.save(dict(cfg=cfg, state=model.state_dict()), path)


def round_fp16(model):
    """Round every floating parameter/buffer to float16 precision. The ONNX files store weights as float16
    (to stay under 4 MB); evaluation and the parity reference use the same rounded values."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.dtype == torch.float32:
                t.copy_(t.half().float())
    return model


def load(path, fp16=False):
    d = torch.load(path)
    m = build(d["cfg"])
    m.load_state_dict(d["state"])
    m.cfg = d["cfg"]
    if fp16:
        round_fp16(m)
    return m.eval()
