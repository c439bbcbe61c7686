"""Save / load exportable model packages (a config plus a state dict) under /work/cache/pkg/."""
import torch

from model import AgeGender, ECAPALite, LinearBackend, SpeakerEmbedder


def build(cfg):
    enc = ECAPALite(**cfg["encoder"]) if cfg.get("encoder") is not None else None
    if cfg["kind"] == "spk":
        nb = LinearBackend(*cfg["nb"]) if cfg.get("nb") else None
        sb = LinearBackend(*cfg["sb"]) if cfg.get("sb") else None
        return SpeakerEmbedder(enc, nb, sb, *cfg.get("w", [1.0, 1.0]))
    if cfg["kind"] == "ag":
        return AgeGender(cfg["din"], enc, cfg.get("hidden", 0), cfg.get("use", "emb"), cfg.get("stats", True))
    raise ValueError(cfg["kind"])


def save(path, cfg, model):
    torch.save(dict(cfg=cfg, state=model.state_dict()), path)


def load(path):
    d = torch.load(path)
    m = build(d["cfg"])
    m.load_state_dict(d["state"])
    m.cfg = d["cfg"]
    return m.eval()
