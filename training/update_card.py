#!/usr/bin/env python3
"""Write models/MODEL_CARD.md from training/MODEL_CARD.template.md, filling the metric placeholders from a dev-metrics JSON (evaluate.py --out) and the parity
output (node training/parity_check.mjs > parity.json).
Run: /usr/bin/python3 training/update_card.py training/results/dev_metrics_v1.json training/results/parity_v1.json \
        spk:spk_v1.pt ag:ag_f2.pt
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(v):
    return f"{100 * v:.2f} %"


def main():
    metrics = json.load(open(sys.argv[1]))
    parity = json.load(open(sys.argv[2]))
    spk_key, ag_key = sys.argv[3], sys.argv[4]
    rows = ["| system | protocol EER | protocol ID acc | ext. pairs EER, whole clips | ext. pairs EER, 3-s segments |",
            "|---|---:|---:|---:|---:|"]
    names = {"baseline_fbank_meanstd_cosine": "model-free baseline: raw fbank mean+std, cosine"}
    for k, r in metrics.items():
        if k.startswith("ag:"):
            continue
        name = names.get(k, k.replace("spk:", ""))
        if k == spk_key:
            name = f"**shipped encoder** ({name})"
        elif "stats" in k:
            name = f"statistics branch alone + LDA ({name})"
        rows.append(f"| {name} | {pct(r['protocol_eer'])} | {pct(r['protocol_id_acc'])} | {pct(r['ext_whole_eer'])} | "
                    f"{pct(r['ext_3s_eer'])} |")
    r0 = next(iter(metrics.values()))
    rows.append("")
    rows.append(f"Protocol: {r0['protocol_trials'][0]} trials ({r0['protocol_trials'][1]} target). Extended pair set: "
                f"{r0['ext_whole_pairs'][0]} whole-clip pairs ({r0['ext_whole_pairs'][1]} target), "
                f"{r0['ext_3s_pairs'][0]} 3-s segment pairs ({r0['ext_3s_pairs'][1]} target; pairs from the same clip "
                f"skipped). Goals: EER ≤ 1.5 % whole / ≤ 3 % 3 s; protocol EER ≤ 1 %, ID 100 %.")
    rows.append("")
    rows.append("| age/gender model | gender acc, adults (all / agegender / voiceprint) | age MAE 6–45 y | age MAE > 45 y | "
                "child (< 13) precision / recall | age within ±2·age_std |")
    rows.append("|---|---|---:|---:|---:|---:|")
    for k, r in metrics.items():
        if not k.startswith("ag:"):
            continue
        name = k.replace("ag:", "")
        if k == ag_key:
            name = f"**shipped** ({name})"
        rows.append(f"| {name} | {pct(r['gender_acc_adult_all'])} ({r['gender_n_adult_all']}) / "
                    f"{pct(r['gender_acc_adult_agegender'])} ({r['gender_n_adult_agegender']}) / "
                    f"{pct(r['gender_acc_adult_voiceprint'])} ({r['gender_n_adult_voiceprint']}) | "
                    f"{r['age_mae_6_45']:.1f} y (n={r['age_n_6_45']}) | {r['age_mae_over45']:.1f} y (n={r['age_n_over45']}) | "
                    f"{r['child_precision']:.2f} / {r['child_recall']:.2f} ({r['child_counts']['tp']} of "
                    f"{r['child_counts']['actual']}, {r['child_counts']['predicted']} predicted) | "
                    f"{pct(r['age_2std_coverage'])} |")
    rows.append("")
    rows.append("Goals: gender ≥ 95 % on adults, age MAE ≤ 9 y on 6–45 y. Adults = ≥ 18 y (voiceprint speakers are "
                "adult LibriSpeech / Azure voices); CommonPhone 'teens' clips are scored only as an interval "
                "(13–19 y) in the JSON.")
    par = (f"min cosine {parity['min_cosine']:.9f}, max |Δ gender prob| {parity['max_abs_gender_prob_diff']:.1e}, "
           f"max |Δ age| {parity['max_abs_age_diff']:.1e} y; CPU cost per 3-s segment (298 frames, 1 thread, "
           f"onnxruntime-node 1.30, this 2-core VM while other jobs ran): encoder {parity['ms_per_3s_segment_spk_1thread']} ms, "
           f"age/gender {parity['ms_per_3s_segment_ag_1thread']} ms.")
    bench = os.path.join(ROOT, "bench", "results", "models.json")
    if os.path.exists(bench):
        b = json.load(open(bench))
        enc = b["results"]["encoder model call"]
        emb = b["results"]["encoder, engine embed (CMN + model)"]
        par += (f" Benchmark (`npm run bench:models`, {b['date'][:10]}, {b['machine']}, load average "
                f"{b['loadAverage']['start']}): encoder **{enc['cpuMs']} ms** of CPU per 3-s segment (model call; "
                f"{emb['cpuMs']} ms with the engine's CMN), median of {b['rounds']} rounds over {enc['units']} real "
                f"dev segments — {'within' if enc['cpuMs'] <= 5 else 'over'} the 5 ms budget.")
    ents = json.load(open(os.path.join(ROOT, "training", "manifest-entries.json")))
    vt = ["| file | version | bytes | sha256 | output dims |", "|---|---|---:|---|---|"]
    for e in ents:
        vt.append(f"| `{e['file']}` | {e['version']} | {e['bytes']} | `{e['sha256']}` | "
                  f"{', '.join(k + ' ' + str(v['shape']) for k, v in e['io']['outputs'].items())} |")
    vt.append("")
    vt.append("0.1.0 (first export of this session): statistics branch only + linear heads on statistics.")
    card = os.path.join(ROOT, "models", "MODEL_CARD.md")
    s = open(os.path.join(ROOT, "training", "MODEL_CARD.template.md")).read()
    s = s.replace("DEV_METRICS_TABLE", "\n".join(rows)).replace("PARITY_LINE", par).replace("VERSION_TABLE", "\n".join(vt))
    open(card, "w").write(s)


if __name__ == "__main__":
    main()
