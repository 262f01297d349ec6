"""Join a trained encoder and a wide head (wide.py) into one wide-and-deep model directory.

  python3 model/train/combine.py --model model/weights/ptd-small --weights model/train/runs/ft-small-cont/best.pt \
      --wide model/train/runs/wide/wide.pt --out model/weights/ptd-small

1. Reads the encoder's model directory (config.json with its `ptd` section, tokenizer) and its PyTorch weights.
2. Scores the validation split with the encoder (windows merged as the runtime merges them), with the wide
   head and, with --context, with the context head (context.py), and fits the mix: logistic regression on the
   encoder's logit, the wide logit, the mean wide logit of the sentence's neighbours and the context logit.
3. Writes --out: config.json (+ `ptd.wide`), tokenizer, onnx/model.onnx and onnx/model_quantized.onnx of the
   combined graph (checked against PyTorch through transformers.js), then refits the temperature and the
   1%/5% FPR thresholds with the q8 file through Node, as train.py does.
With --degree, channel 1 (the predicted lexical change) comes from that degree head (wide.py --target degree).
PyTorch weights (pytorch_model.bin, wide.bin, context.bin, degree.bin) are kept in --keep, not in the shipped
directory.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import calibrate  # noqa: E402
import context as ctx_head  # noqa: E402
import data  # noqa: E402
import export  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402
import train  # noqa: E402
import wide  # noqa: E402
from modeling import BertConfig, BertForTokenClassification  # noqa: E402


log = data.log


def head_columns(records, wide_head, context_head, max_tokens):
    """Per sentence, flat over the records: the heads' logits as the joined graph reads them, under the mix's
    names ("wide", "neighbours": the mean wide logit of the sentences before and after, "context" when a head
    is given)."""
    w = wide.sentence_logits(records, wide_head.weight.detach(), float(wide_head.bias), wide_head.vocab_size,
                             wide_head.buckets)
    columns = {"wide": w, "neighbours": wide.neighbour_mean(records, w)}
    if context_head is not None:
        columns["context"] = ctx_head.predict_logits(context_head, records, max_tokens)
    return columns


def mixed(weights, columns, offset):
    """The joined logit: the columns weighted by name, plus the offset."""
    return sum(weights[k] * v for k, v in columns.items()) + offset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the encoder's model directory (config.json, tokenizer)")
    ap.add_argument("--weights", required=True, help="the encoder's PyTorch state dict")
    ap.add_argument("--wide", required=True, help="wide.pt from wide.py (same tokenizer)")
    ap.add_argument("--context", help="context.pt from context.py (same tokenizer)")
    ap.add_argument("--degree", help="degree head from `wide.py --target degree` (same tokenizer): channel 1, the "
                                     "predicted lexical change, instead of the encoder's degree channel")
    ap.add_argument("--context-weight", type=float,
                    help="the context head's weight in the mix, fixed; the other weights are fitted around it "
                         "(default: fitted too). The shipped models use 0.3: crossfamily.py showed the fitted "
                         "0.6 leaning on what only holds for the sources seen in training")
    ap.add_argument("--validation", default="build/dataset/validation.jsonl")
    ap.add_argument("--out", required=True)
    ap.add_argument("--keep", help="where pytorch_model.bin and wide.bin go (default: next to --weights)")
    ap.add_argument("--no-neighbours", action="store_true",
                    help="leave the neighbouring sentences' wide logit out of the mix")
    ap.add_argument("--version", help="model version to write (default: the encoder directory's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-node-check", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.model, "config.json"), encoding="utf-8") as f:
        hf = json.load(f)
    cfg = BertConfig.from_json(os.path.join(a.model, "config.json"))
    deep = BertForTokenClassification(cfg)
    train.load_init(deep, a.weights, log=log)
    head, _, meta = wide.load_head(a.wide)
    tok = tk.WordPieceTokenizer.from_dir(a.model)
    if head.vocab_size != len(tok):
        raise SystemExit(f"{a.wide}: made for a vocabulary of {head.vocab_size}, the encoder's has {len(tok)}")
    ctx = None
    if a.context:
        ctx, ctx_meta = ctx_head.load_head(a.context)
        if ctx.vocab_size != len(tok):
            raise SystemExit(f"{a.context}: made for a vocabulary of {ctx.vocab_size}, the encoder's has {len(tok)}")
    degree = None
    if a.degree:
        degree, _, degree_meta = wide.load_head(a.degree)
        if degree.vocab_size != len(tok) or degree_meta.get("target") != "degree":
            raise SystemExit(f"{a.degree}: not a degree head (wide.py --target degree) for this tokenizer")
    max_tokens = hf["ptd"]["max_tokens"]
    val = data.encode_records(data.read_pasted(a.validation), tok, max_tokens)
    y = np.concatenate([np.array(r["truth"]) for r in val])
    preds = train.predict(deep, val, max_tokens, precision="fp32")
    deep_logit = np.concatenate([p["logit"] for p in preds])
    columns = {"deep": deep_logit, **head_columns(val, head, ctx, max_tokens)}
    if a.no_neighbours:
        del columns["neighbours"]
    if a.context_weight is not None:
        if ctx is None:
            raise SystemExit("--context-weight needs --context")
        fitted_columns = {k: v for k, v in columns.items() if k != "context"}
        fitted = wide.fit_mix(list(fitted_columns.values()), y, fixed=a.context_weight * columns["context"])
        w = {**dict(zip(fitted_columns, fitted[:-1])), "context": a.context_weight}
    else:
        fitted = wide.fit_mix(list(columns.values()), y)
        w = dict(zip(columns, fitted[:-1]))
    offset = fitted[-1]
    # WideDeep's order
    mix = [w["deep"], w["wide"], offset, w.get("neighbours", 0.0), w.get("context", 0.0)]
    combined = mixed(w, columns, offset)
    parts = {name: {k: round(v, 5) for k, v in metrics.summary(y, s).items() if isinstance(v, float)}
             for name, s in [(k, v) for k, v in columns.items() if k != "neighbours"] + [("combined", combined)]}
    log(f"mix {mix}; validation (PyTorch, before calibration): {json.dumps(parts)}")

    ptd = hf["ptd"]
    if a.version:
        ptd["version"] = a.version
    ptd["wide"] = {"buckets": head.buckets, "features": "WordPiece unigrams + hashed bigrams (model/train/wide.py)",
                   "mix": {"deep": round(mix[0], 6), "wide": round(mix[1], 6), "offset": round(offset, 6),
                           "neighbours": round(mix[3], 6), **({"context": round(mix[4], 6)} if ctx else {})},
                   **({"context_weight": "fixed (combine.py --context-weight)"} if a.context_weight is not None else {}),
                   "train": {k: meta.get(k) for k in ("train", "epochs", "lr", "feature_dropout", "sentences")},
                   "validation_before_calibration": parts}
    if degree is not None:
        # How well channel 1 follows the lexical change of rewritten sentences: the encoder's channel against the
        # degree head's, on the validation split's paraphrased sentences.
        lexical = np.concatenate([np.array(r["lexical"] or [0.0] * len(r["truth"])) for r in val])
        deep_degree = np.concatenate([p["degree"] for p in preds])  # already a probability (train.predict)
        head_degree = 1 / (1 + np.exp(-wide.sentence_logits(val, degree.weight.detach(), float(degree.bias),
                                                             degree.vocab_size, degree.buckets)))
        pos = y == 1
        quality = {name: {f"{k}_paraphrased": round(x, 4) for k, x in wide.degree_fit(v[pos], lexical[pos]).items()}
                   for name, v in (("encoder", deep_degree), ("degree_head", head_degree))}
        log(f"degree channel on validation (paraphrased sentences): {json.dumps(quality)}")
        ptd["degree"] = {"buckets": degree.buckets,
                         "features": "WordPiece unigrams + hashed bigrams, trained on paraphrased sentences against "
                                     "their lexical change (model/train/wide.py --target degree)",
                         "train": {k: degree_meta.get(k) for k in ("train", "epochs", "lr", "sentences")},
                         "validation": quality}
    else:
        ptd.pop("degree", None)
    if ctx is not None:
        ptd["context"] = {**ctx.config, "features": "mean embedding of WordPiece unigrams + hashed bigrams, "
                          "then a sentence-level transformer (model/train/context.py)",
                          "train": {k: ctx_meta.get(k) for k in ("train", "epochs", "lr", "table_lr",
                                                                   "feature_dropout", "dropout", "sentences")}}
    else:
        ptd.pop("context", None)
    tmp = tempfile.mkdtemp(prefix="ptd-combine-", dir=os.path.dirname(os.path.abspath(a.out)))
    try:
        for fn in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(a.model, fn), os.path.join(tmp, fn))
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(hf, f, indent=2)
            f.write("\n")
        torch.save(deep.state_dict(), os.path.join(tmp, "pytorch_model.bin"))
        wide.save_head(head, os.path.join(tmp, "wide.bin"), mix=mix, meta=meta)
        if ctx is not None:
            ctx_head.save_head(ctx, os.path.join(tmp, "context.bin"), meta=ctx_meta)
        if degree is not None:
            wide.save_head(degree, os.path.join(tmp, "degree.bin"), meta=degree_meta)
        export.main([tmp] + (["--no-node"] if a.no_node_check else []))
        keep = a.keep or os.path.dirname(os.path.abspath(a.weights))
        os.makedirs(keep, exist_ok=True)
        for fn in ("pytorch_model.bin", "wide.bin", "context.bin", "degree.bin"):
            if os.path.exists(os.path.join(tmp, fn)):
                shutil.move(os.path.join(tmp, fn), os.path.join(keep, fn))
        if not a.no_node_check:
            T, thresholds, m = calibrate.calibrate(tmp, a.validation, "q8")
            log(f"validation (q8 through Node, all {len(val)} records): T {T:.3f} AUROC {m['auroc']:.4f} "
                f"TPR@1% {m['tpr_at_1fpr']:.3f} TPR@5% {m['tpr_at_5fpr']:.3f}")
        if os.path.exists(a.out):
            old = a.out.rstrip("/") + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(a.out, old)
            os.replace(tmp, a.out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, a.out)
        tmp = None
        log(f"wrote {a.out} (PyTorch weights in {keep})")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
