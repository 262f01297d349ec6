"""How a model's heads do on documents *and* paraphrasers they never saw: leave one family of sources out.

The validation split shares documents' domains and paraphrasers with training, so it flatters a model. The
hidden evaluation that matters uses neither. For each family of the corpus (data.FAMILIES: the MixSet/APT-Eval
documents, the HPPT abstracts, the human passages with claude's span rewrites), this trains the wide half and
the context head with the shipped model's settings on the other families only, scores the held-out family's
validation records, and joins the two with the shipped model's mix (the encoder left out: it cannot be
retrained per family in minutes, and it carries ~0.1 of the mix). With --recovered (recover.py's output for
the same model) it also scores the shipped heads, trained on every family, on the same records: the gap
between the two rows is what unseen sources cost.

  python3 model/train/recover.py model/weights/ptd-small --out model/train/runs/recovered-small
  python3 model/train/crossfamily.py --model model/weights/ptd-small \
      --recovered model/train/runs/recovered-small --work model/train/runs/crossfamily --out crossfamily.json

Heads already trained in --work are reused, so an interrupted run continues where it stopped (~10 minutes in
all on two cores).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import combine  # noqa: E402
import context as ctx_head  # noqa: E402
import data  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402
import wide  # noqa: E402

log = data.log


def score_heads(records, wide_head, context_head, model_cfg, max_tokens):
    """-> {"wide": metrics, "context": metrics, "joined": metrics} over the records' sentences; "joined" is the
    model's mix without the encoder (its weight and column left out)."""
    y = np.concatenate([r["truth"] for r in records]).astype(int)
    columns = combine.head_columns(records, wide_head, context_head, max_tokens)
    mix = model_cfg["wide"]["mix"]
    joined = combine.mixed(mix, columns, mix["offset"])
    scores = {"wide": columns["wide"], "context": columns["context"], "joined": joined}
    return {k: {m: round(v, 4) if isinstance(v, float) else v for m, v in metrics.summary(y, s).items()}
            for k, s in scores.items()}


def train_without(fam, train, tok, model_cfg, work, max_tokens, log):
    """The wide half and context head trained without `fam`, with the shipped settings (cached in work/fam)."""
    d = os.path.join(work, fam)
    os.makedirs(d, exist_ok=True)
    rest = [r for r in train if data.family(r) != fam]
    wide_path, ctx_path = os.path.join(d, "wide.pt"), os.path.join(d, "context.pt")
    w_cfg, c_cfg = model_cfg["wide"], model_cfg["context"]
    if not os.path.exists(wide_path):
        log(f"{fam}: wide half on {len(rest)} records of the other families")
        head, _ = wide.train_head(rest, len(tok), w_cfg["buckets"], w_cfg["train"].get("epochs") or 8,
                                  w_cfg["train"].get("lr") or 0.02, log=log,
                                  feature_dropout=w_cfg["train"].get("feature_dropout") or 0.0)
        wide.save_head(head, wide_path, meta={"hold_out_family": fam})
    if not os.path.exists(ctx_path):
        log(f"{fam}: context head on {len(rest)} records of the other families")
        t = c_cfg.get("train") or {}
        head, _ = ctx_head.train_head(rest, len(tok), c_cfg["buckets"], max_tokens, t.get("epochs") or 3,
                                      t.get("lr") or 1e-3, t.get("table_lr") or 0.005, dim=c_cfg["dim"],
                                      hidden=c_cfg["hidden"], layers=c_cfg["layers"],
                                      feature_dropout=t.get("feature_dropout") or 0.0,
                                      dropout=t.get("dropout") or 0.0, log=log,
                                      shapes=ctx_head.vocabulary_shapes(tok) if c_cfg.get("shapes") else None,
                                      max_pool=c_cfg.get("pool") == "mean+max")
        ctx_head.save_head(head, ctx_path, meta={"hold_out_family": fam})
    wh, _, _ = wide.load_head(wide_path)
    ch, _ = ctx_head.load_head(ctx_path)
    return wh, ch


def markdown(results):
    rows = ["| held-out family | sentences | paraphrased | trained on | wide half | context head | joined | "
            "joined TPR@1%FPR |", "|---|---:|---:|---|---:|---:|---:|---:|"]
    for fam, r in results.items():
        for key, label in (("unseen", "other families"), ("seen", "all families (shipped)")):
            if key in r:
                m = r[key]
                rows.append(f"| {fam} | {m['joined']['sentences']} | {m['joined']['positives']} | {label} | "
                            f"{m['wide']['auroc']:.3f} | {m['context']['auroc']:.3f} | {m['joined']['auroc']:.3f} | "
                            f"{100 * m['joined']['tpr_at_1fpr']:.1f}% |")
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the shipped model directory (its config gives settings and mix)")
    ap.add_argument("--recovered", help="recover.py's output for --model, to score the shipped heads too")
    ap.add_argument("--train", default="build/dataset/train.jsonl")
    ap.add_argument("--validation", default="build/dataset/validation.jsonl")
    ap.add_argument("--work", required=True, help="where the per-family heads go (reused when present)")
    ap.add_argument("--out", help="JSON results to write")
    ap.add_argument("--families", default=",".join(data.FAMILIES))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.model, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)["ptd"]
    if "wide" not in cfg or "context" not in cfg:
        raise SystemExit(f"{a.model}: not a joined model (its config has no wide half or context head)")
    families = [f for f in a.families.split(",") if f]
    unknown = [f for f in families if f not in data.FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families {unknown}; known: {sorted(data.FAMILIES)}")
    tok = tk.WordPieceTokenizer.from_dir(a.model)
    max_tokens = cfg["max_tokens"]
    train = data.encode_records(data.read_pasted(a.train), tok, max_tokens)
    val = data.encode_records(data.read_pasted(a.validation), tok, max_tokens)
    shipped = None
    if a.recovered:
        sw, _, _ = wide.load_head(os.path.join(a.recovered, "wide.bin"))
        sc, _ = ctx_head.load_head(os.path.join(a.recovered, "context.bin"))
        shipped = (sw, sc)
    results = {}
    for fam in families:
        held = [r for r in val if data.family(r) == fam]
        if not held:
            raise SystemExit(f"{a.validation}: no validation records of family {fam}")
        wh, ch = train_without(fam, train, tok, cfg, a.work, max_tokens, log)
        results[fam] = {"unseen": score_heads(held, wh, ch, cfg, max_tokens)}
        if shipped:
            results[fam]["seen"] = score_heads(held, *shipped, cfg, max_tokens)
        log(f"{fam}: {json.dumps({k: v['joined']['auroc'] for k, v in results[fam].items()})}")
    print(markdown(results))
    if a.out:
        with open(a.out + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"model": a.model, "version": cfg.get("version"), "families": results}, f, indent=1)
        os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
