"""How the detector does on documents *and* paraphrasers it never saw: leave one family of sources out.

The validation and test splits share domains and paraphrasers with training, so they flatter a model. For each
family of sources (records.FAMILIES) this trains the net without it (its documents, domains and paraphrasers;
the size's recipe, usually with fewer steps), exports it, and scores that family's validation records through
the runtime (`ptd eval`), so the numbers are the ones a face would see. Families already trained in WORK are
reused, so an interrupted run continues where it stopped.
"""
import json
import os
import subprocess
import sys

from . import records as rec
from .export import ROOT


def family_records(validation, fam, out):
    """Writes the validation records of family `fam` to `out` (as they are); -> how many."""
    n = 0
    with open(validation, encoding="utf-8") as src, open(out + ".tmp", "w", encoding="utf-8") as dst:
        for line in src:
            if line.strip() and rec.family(json.loads(line)) == fam:
                dst.write(line if line.endswith("\n") else line + "\n")
                n += 1
    os.replace(out + ".tmp", out)
    return n


def evaluate(model_dir, data):
    """`ptd eval --json --by construction` of a model directory on a file: the runtime's metrics."""
    out = subprocess.run(["node", "bin/ptd.js", "eval", "--model", os.path.abspath(model_dir), "--data",
                          os.path.abspath(data), "--json", "--by", "construction"], cwd=ROOT, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"ptd eval failed on {model_dir}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def _row(res):
    keep = ("sentences", "positives", "auroc", "tpr_at_1fpr", "tpr_at_5fpr")
    row = {k: res.get(k) for k in keep}
    row["constructions"] = {g.split("=", 1)[1]: {k: v.get(k) for k in keep} for g, v in res.get("groups", {}).items()
                            if v.get("positives")}
    return row


def markdown(table):
    lines = ["| held-out family | sentences | paraphrased | AUROC | TPR@1%FPR | TPR@5%FPR | AUROC by construction |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for fam, r in table["families"].items():
        cons = ", ".join(f"{c} {v['auroc']:.3f}" for c, v in r["constructions"].items() if v.get("auroc") is not None)
        lines.append(f"| {fam} | {r['sentences']} | {r['positives']} | {r['auroc']:.3f} | {100 * r['tpr_at_1fpr']:.1f}% | "
                     f"{100 * r['tpr_at_5fpr']:.1f}% | {cons} |")
    lines.append(f"| **mean** | | | **{table['mean_auroc']:.3f}** | {100 * table['mean_tpr_at_1fpr']:.1f}% | | |")
    return "\n".join(lines)


def run_crossfamily(a, train_and_export):
    families = [f for f in a.families.split(",") if f]
    unknown = [f for f in families if f not in rec.FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families {unknown} (known: {', '.join(rec.FAMILIES)})")
    validation = os.path.join(a.data, "validation.jsonl")
    table = {"size": a.size, "steps": a.steps, "families": {}}
    for fam in families:
        run = os.path.join(a.work, fam)
        os.makedirs(run, exist_ok=True)
        data = os.path.join(run, "validation.jsonl")
        if family_records(validation, fam, data) == 0:
            print(f"{fam}: no validation records, skipped", file=sys.stderr)
            continue
        model_dir = os.path.join(run, "model")
        if not os.path.exists(os.path.join(model_dir, "config.json")):
            train_and_export(a, run, hold_out_family=fam, check=False)
        table["families"][fam] = _row(evaluate(model_dir, data))
        print(f"{fam}: AUROC {table['families'][fam]['auroc']:.4f}", file=sys.stderr)
    rows = list(table["families"].values())
    table["mean_auroc"] = sum(r["auroc"] for r in rows) / max(1, len(rows))
    table["mean_tpr_at_1fpr"] = sum(r["tpr_at_1fpr"] for r in rows) / max(1, len(rows))
    out = a.out or os.path.join(a.work, "crossfamily.json")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(table, f, indent=2)
    os.replace(out + ".tmp", out)
    print(markdown(table))
