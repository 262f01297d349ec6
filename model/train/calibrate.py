"""Calibrate and evaluate an exported model directory with the ONNX file the runtime runs (q8 by default).

Windows are planned and merged as the runtime does (model/window.ts, model/score.ts); the ONNX model runs in
Node through transformers.js (infer_windows.mjs), so the numbers are the runtime's, not PyTorch's.

  python3 model/train/calibrate.py calibrate MODEL_DIR --validation build/dataset/validation.jsonl
      fits the temperature and the 1%/5% FPR thresholds on the validation split; writes them into config.json
  python3 model/train/calibrate.py eval MODEL_DIR --data build/dataset/test.jsonl --by paraphraser,domain
      prints metrics (AUROC, TPR@1%/5% FPR, Pearson r with lexical) overall and per group as JSON
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def onnx_readings(model_dir, records, dtype="q8"):
    """Per record, per sentence: list of (weight, paraphrase logit, degree logit) over its window readings."""
    cfg = load_config(model_dir)
    max_tokens = min(cfg["ptd"].get("max_tokens", cfg["max_position_embeddings"]), cfg["max_position_embeddings"])
    tok = tk.WordPieceTokenizer.from_dir(model_dir)
    data.encode_records(records, tok, max_tokens)
    wins = data.eval_windows(records, max_tokens)
    with tempfile.TemporaryDirectory() as td:
        wf, of = os.path.join(td, "w.json"), os.path.join(td, "o.json")
        with open(wf, "w") as f:
            json.dump({"ids": [w["ids"] for w in wins], "positions": [w["seps"] for w in wins]}, f)
        subprocess.run(["node", os.path.join(HERE, "infer_windows.mjs"), os.path.abspath(model_dir), wf, dtype, of],
                       check=True, cwd=ROOT)
        with open(of) as f:
            outs = json.load(f)
    readings = [[[] for _ in r["ids"]] for r in records]
    for w, o in zip(wins, outs):
        for (ri, si, wt), (pl, dl) in zip(w["owner"], o):
            readings[ri][si].append((wt, pl, dl))
    return readings, max_tokens


def scores(readings, temperature):
    """Runtime merge: weighted mean of sigmoid(logit / T); degree: weighted mean of sigmoid(logit)."""
    s, d, z = [], [], []
    for rec in readings:
        for rs in rec:
            w = sum(x[0] for x in rs)
            s.append(sum(x[0] / (1 + math.exp(-x[1] / temperature)) for x in rs) / w)
            d.append(sum(x[0] / (1 + math.exp(-x[2])) for x in rs) / w)
            z.append(sum(x[0] * x[1] for x in rs) / w)
    return np.array(s), np.array(d), np.array(z)


def group_metrics(records, s, d, by=()):
    y = np.concatenate([np.array(r["truth"]) for r in records])
    has_lex = all(r["lexical"] is not None for r in records)
    lex = np.concatenate([np.array(r["lexical"]) for r in records]) if has_lex else None
    out = {"records": len(records), **metrics.summary(y, s, lex)}
    if has_lex:
        out["pearson_degree_lexical"] = metrics.pearson(d, lex)
    offs = np.cumsum([0] + [len(r["truth"]) for r in records])
    for g in by:
        groups = {}
        for i, r in enumerate(records):
            groups.setdefault(str(r["fields"].get(g)), []).append(i)
        out[f"by_{g}"] = {}
        for key in sorted(groups):
            idx = np.concatenate([np.arange(offs[i], offs[i + 1]) for i in groups[key]])
            m = {"records": len(groups[key]), **metrics.summary(y[idx], s[idx], lex[idx] if has_lex else None)}
            out[f"by_{g}"][key] = m
    return out


def calibrate(model_dir, validation, dtype="q8", write=True):
    records = data.read_pasted(validation)
    readings, _ = onnx_readings(model_dir, records, dtype)
    y = np.concatenate([np.array(r["truth"]) for r in records])
    _, _, z = scores(readings, 1.0)
    T = metrics.fit_temperature(z, y)
    s, d, _ = scores(readings, T)
    thresholds = [metrics.threshold_for_fpr(y, s, t) for t in (0.01, 0.05)]
    m = group_metrics(records, s, d)
    if write:
        path = os.path.join(model_dir, "config.json")
        cfg = load_config(model_dir)
        cfg["ptd"]["calibration"] = {"temperature": round(T, 6), "fitted_on": os.path.basename(validation),
                                     "dtype": dtype}
        cfg["ptd"]["thresholds"] = [{k: (round(v, 6) if isinstance(v, float) and k != "threshold" else v) for k, v in t.items()}
                                    for t in thresholds]
        cfg["ptd"].setdefault("training", {})["validation"] = {k: (round(v, 5) if isinstance(v, float) else v)
                                                              for k, v in m.items()}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
    return T, thresholds, m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate")
    c.add_argument("model_dir")
    c.add_argument("--validation", default="build/dataset/validation.jsonl")
    c.add_argument("--dtype", default="q8")
    e = sub.add_parser("eval")
    e.add_argument("model_dir")
    e.add_argument("--data", required=True)
    e.add_argument("--by", default="")
    e.add_argument("--dtype", default="q8")
    a = ap.parse_args(argv)
    if a.cmd == "calibrate":
        T, th, m = calibrate(a.model_dir, a.validation, a.dtype)
        print(json.dumps({"temperature": T, "thresholds": th, "validation": m}, indent=1))
    else:
        records = data.read_pasted(a.data)
        readings, _ = onnx_readings(a.model_dir, records, a.dtype)
        T = load_config(a.model_dir)["ptd"]["calibration"]["temperature"]
        s, d, _ = scores(readings, T)
        by = [x for x in a.by.split(",") if x]
        print(json.dumps(group_metrics(records, s, d, by), indent=1))


if __name__ == "__main__":
    main()
