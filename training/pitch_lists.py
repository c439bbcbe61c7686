#!/usr/bin/env python3
"""Item lists for training/pitch_features.ts (key<TAB>npy path[<TAB>start<TAB>end ...]).

Writes under /work/cache/pitch/:
- train_clean.tsv, train_gsm.tsv, train_opus8k.tsv: every licence-confirmed train file (decoded copies and the
  GSM 06.10 / Opus 8 kb/s round trips of decode_cache.py), key = manifest path;
- dev.tsv: every dev clip of evaluate.py (dev/voiceprint enroll+test, dev/agegender), key = rel path;
- ami.tsv: dev/diarization AMI excerpts, one item per (file, speaker) with the speaker's turns that overlap no
  other speaker (trimmed 0.1 s each side, turns >= 0.5 s), key = file:speaker. AMI speaker ids start with F or M
  (sex), an extra dev check for gender only.

Run: /usr/bin/python3 training/pitch_lists.py
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

OUT = os.path.join(C.CACHE, "pitch")


def ami_items(min_turn=0.5, trim=0.1):
    items = []
    for rttm in sorted(glob.glob(os.path.join(C.SHARED, "data", "dev", "diarization", "ami_*.rttm"))):
        name = os.path.basename(rttm)[:-5]
        turns = []
        for line in open(rttm):
            f = line.split()
            if f and f[0] == "SPEAKER":
                turns.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
        by = {}
        for s, e, spk in turns:
            if any(o[2] != spk and o[0] < e and o[1] > s for o in turns):
                # keep the part outside other speakers' turns: clip at the nearest overlaps
                for o in turns:
                    if o[2] == spk or not (o[0] < e and o[1] > s):
                        continue
                    if o[0] <= s:
                        s = max(s, o[1])
                    else:
                        e = min(e, o[0])
            s, e = s + trim, e - trim
            if e - s >= min_turn:
                by.setdefault(spk, []).append((s, e))
        wav = glob.glob(os.path.join(C.CACHE, "audio", "dev", "diarization", name + ".*.npy"))
        if not wav:
            continue
        for spk, spans in sorted(by.items()):
            if spk[0] in "FM":
                items.append((f"{name}:{spk}", wav[0], [v for se in spans for v in se]))
    return items


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = C.load_manifest()
    for variant, sub in [("clean", "audio"), ("gsm", "audio_gsm"), ("opus8k", "audio_opus8k")]:
        with open(os.path.join(OUT, f"train_{variant}.tsv"), "w") as f:
            for r in rows:
                f.write(f"{r['path']}\t{r['cache'].replace('/audio/', '/' + sub + '/')}\n")
    items = C.dev_voiceprint() + C.dev_agegender()
    with open(os.path.join(OUT, "dev.tsv"), "w") as f:
        for it in items:
            f.write(f"{it['rel']}\t{os.path.join(C.CACHE, 'audio', 'dev', it['rel'])}.npy\n")
    ami = ami_items()
    with open(os.path.join(OUT, "ami.tsv"), "w") as f:
        for key, path, b in ami:
            f.write("\t".join([key, path] + [f"{v:.3f}" for v in b]) + "\n")
    print(f"train {len(rows)} files x 3 variants, dev {len(items)}, ami {len(ami)} speaker items -> {OUT}")


if __name__ == "__main__":
    main()
