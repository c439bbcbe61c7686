#!/usr/bin/python3
"""Export Callscope's speaker encoder with the ONNX metadata sherpa-onnx's speaker embedding
extractor reads, for the side-by-side benchmark `npm run bench:peer` (bench/peer.ts).

Usage (Debian python3 + python3-onnx, numpy):
    /usr/bin/python3 bench/export-sherpa-encoder.py [--mel-adapter] [SRC.onnx] [DST.onnx]
Defaults: models/callscope_spk_encoder_v1.onnx -> bench/out/callscope_spk_encoder_v1.sherpa.onnx
(bench/out/ is git-ignored; the copy is a build product of this script, never committed).

Without --mel-adapter the graph and weights are copied unchanged; only `metadata_props` are
added or overwritten. With --mel-adapter a fixed [80, 80] MatMul is put in front of the encoder
(see `mel_adapter`), the closest the feature front end can be brought to Callscope's.
Keys read by sherpa-onnx (sherpa-onnx/csrc/speaker-embedding-extractor-model.cc,
speaker-embedding-extractor-impl.cc, speaker-embedding-extractor-general-impl.h; key set as in
scripts/wespeaker/add_meta_data.py and scripts/3dspeaker/export-onnx.py):

  framework               "wespeaker" -> sherpa's general fbank extractor. It only selects the
                          extractor class ("3d-speaker" selects the same one).
  sample_rate             16000
  output_dim              228 (read from the graph's output shape)
  normalize_samples       0 -> sherpa multiplies [-1, 1] samples by 32768 before the fbank: the
                          int16 scale the encoder was trained on (MODEL_CARD.md, fbank.ts).
  feature_normalize_type  "global-mean" -> sherpa subtracts the per-bin mean over the frames given
                          (per-utterance CMN), which is the encoder's input contract
                          (manifest `config.cmn: true`; OnnxEmbedding applies the same CMN).
  language, url, comment  informative.

Feature differences sherpa does not let a model configure (its FeatureExtractorConfig defaults,
sherpa-onnx/csrc/features.h): mel filters end at 7600 Hz instead of Nyquist (8000 Hz), and
frames are not snipped at the edges (snip_edges=false) while Callscope's fbank snips them. The
Povey window, 25/10 ms framing, pre-emphasis 0.97, DC removal, dither 0 and 20 Hz low edge match.
bench/peer.ts measures the effect as the cosine between sherpa's and Callscope's embedding of
the same clip.
"""

import hashlib
import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SRC = os.path.join(ROOT, "models", "callscope_spk_encoder_v1.onnx")
DEFAULT_DST = os.path.join(ROOT, "bench", "out", "callscope_spk_encoder_v1.sherpa.onnx")


def output_dim(model: onnx.ModelProto) -> int:
    """Embedding dimension: the first graph output's last dimension when it is fixed, else the
    file's own `embedding_dim` metadata (the Callscope export writes D there; MODEL_CARD.md).

    Raises ValueError when the input is not [N, T, 80] or D cannot be found.
    """
    inputs = model.graph.input
    if len(inputs) != 1:
        raise ValueError(f"expected one input (feats [1, T, 80]), found {len(inputs)}")
    in_dims = inputs[0].type.tensor_type.shape.dim
    if len(in_dims) != 3 or in_dims[2].dim_value != 80:
        raise ValueError(f"input {inputs[0].name} must be [N, T, 80]")
    out_dims = model.graph.output[0].type.tensor_type.shape.dim
    if len(out_dims) == 2 and out_dims[1].dim_value > 0:
        return out_dims[1].dim_value
    declared = {p.key: p.value for p in model.metadata_props}.get("embedding_dim", "")
    if not declared.isdigit() or int(declared) <= 0:
        raise ValueError(
            f"output {model.graph.output[0].name} has no fixed dimension and no embedding_dim metadata"
        )
    return int(declared)


def mel_centres(high_hz: float, low_hz: float = 20.0, bins: int = 80) -> np.ndarray:
    """Centre frequencies (mel, 1127 ln(1 + f/700)) of Kaldi's triangular filters between
    low_hz and high_hz (kaldi/src/feat/mel-computations.cc)."""
    mel = lambda f: 1127.0 * math.log(1.0 + f / 700.0)
    lo, step = mel(low_hz), (mel(high_hz) - mel(low_hz)) / (bins + 1)
    return np.array([lo + (k + 1) * step for k in range(bins)])


def mel_adapter() -> np.ndarray:
    """[80, 80] matrix mapping sherpa's log-mel frame (filters 20-7600 Hz) to an approximation of
    Callscope's (20-8000 Hz): each Callscope bin is the linear interpolation, along the mel axis,
    of the two sherpa bins around its centre; bins centred above sherpa's top centre copy the top
    bin (sherpa has no energy above 7600 Hz to offer). Linear, so it commutes with sherpa's CMN."""
    src, dst = mel_centres(7600.0), mel_centres(8000.0)
    m = np.zeros((len(src), len(dst)), dtype=np.float32)
    for j, c in enumerate(dst):
        if c >= src[-1]:
            m[-1, j] = 1.0
            continue
        i = max(int(np.searchsorted(src, c)) - 1, 0)
        w = (c - src[i]) / (src[i + 1] - src[i])
        m[i, j], m[i + 1, j] = 1.0 - w, w
    return m


def add_mel_adapter(model: onnx.ModelProto) -> None:
    """Insert `feats @ mel_adapter()` in front of every consumer of the graph input."""
    name = model.graph.input[0].name
    adapted = name + "_callscope_mel"
    for node in model.graph.node:
        for k, inp in enumerate(node.input):
            if inp == name:
                node.input[k] = adapted
    model.graph.initializer.append(numpy_helper.from_array(mel_adapter(), "sherpa_to_callscope_mel"))
    model.graph.node.insert(0, helper.make_node("MatMul", [name, "sherpa_to_callscope_mel"], [adapted]))


def export(src: str, dst: str, adapter: bool = False) -> dict:
    """Copy `src` to `dst` with sherpa-onnx metadata (and the mel adapter when asked); returns
    the metadata written."""
    with open(src, "rb") as f:
        raw = f.read()
    model = onnx.load_from_string(raw)
    dim = output_dim(model)
    if adapter:
        add_mel_adapter(model)
    meta = {
        "framework": "wespeaker",
        "language": "English",
        "url": "local file models/callscope_spk_encoder_v1.onnx (trained by Callscope, MIT; training/README.md)",
        "comment": "Callscope speaker encoder v1 re-tagged for sherpa-onnx by bench/export-sherpa-encoder.py",
        "sample_rate": "16000",
        "output_dim": str(dim),
        "normalize_samples": "0",
        "feature_normalize_type": "global-mean",
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "sherpa_mel_adapter": "1" if adapter else "0",
    }
    kept = [p for p in model.metadata_props if p.key not in meta]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    tmp = dst + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, dst)
    return meta


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--mel-adapter"]
    adapter = len(args) != len(sys.argv) - 1
    src = args[0] if len(args) > 0 else DEFAULT_SRC
    dst = args[1] if len(args) > 1 else DEFAULT_DST
    if not os.path.isfile(src):
        sys.exit(f"error: {src}: encoder model not found")
    meta = export(src, dst, adapter)
    print(f"{dst}: " + ", ".join(f"{k}={v}" for k, v in meta.items() if k != "comment"))


if __name__ == "__main__":
    main()
