"""Probe: does grammaticality, as link-parser sees it, tell paraphrased sentences from human ones?

LLM rewriting fixes grammar, spelling and punctuation whichever model does it, so a parser's trouble with a
sentence could be a paraphraser-agnostic signal (the held-out families are where ptd's models are weakest).
For a seeded sample of documents this runs link-parser (Debian package link-grammar) over every sentence and
reports, per family of sources and pooled, the AUROC of one score: the fewer words the parser must leave
unlinked ("null count", per word), the more likely paraphrased.

  python3 model/train/grammar_probe.py build/dataset/validation.jsonl --documents 300 --out probe.json
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402

COMMAND = ["link-parser", "en", "-constituents=0", "-graphics=0", "-verbosity=1", "-echo=1", "-timeout=2"]
FAMILY = {"mixset": "mixset", "apt-eval": "mixset", "hppt-test": "hppt"}


def parse_batch(lines):
    """-> per line its null count (None: no answer); one process per batch (its output is block-buffered)."""
    out = subprocess.run(COMMAND, input="\n".join(lines) + "\n", capture_output=True, text=True).stdout.split("\n")
    result, k, current = [None] * len(lines), 0, None
    for line in out:
        if k < len(lines) and line == lines[k]:
            current, k = k, k + 1
            result[current] = 0
            continue
        m = re.search(r"at null count (\d+)", line)
        if m and current is not None:
            result[current] = int(m.group(1))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--documents", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    records = [json.loads(l) for l in open(a.data, encoding="utf-8")]
    random.Random(a.seed).shuffle(records)
    rows = []
    for r in records[:a.documents]:
        family = FAMILY.get(r["source"], "spans")
        for s, y in zip(r["text"].split(" </s> "), r["label"]):
            line = re.sub(r"\s+", " ", s).strip().lstrip("!% ")
            if line and len(line.split()) <= 80:
                rows.append({"line": line, "y": int(y), "family": family, "words": len(line.split())})
    batches = [rows[i:i + 100] for i in range(0, len(rows), 100)]
    with ThreadPoolExecutor(2) as pool:
        parsed = list(pool.map(lambda b: parse_batch([x["line"] for x in b]), batches))
    for b, res in zip(batches, parsed):
        for x, p in zip(b, res):
            x["null"] = p
    report = {"documents": a.documents, "sentences": len(rows), "groups": {}}
    for family in ["all", "spans", "mixset", "hppt"]:
        sel = [x for x in rows if x["null"] is not None and (family == "all" or x["family"] == family)]
        if not sel or len({x["y"] for x in sel}) < 2:
            continue
        y = [x["y"] for x in sel]
        null_rate = [-x["null"] / x["words"] for x in sel]
        report["groups"][family] = {
            "sentences": len(sel), "paraphrased": sum(y),
            "auroc_fewer_nulls": metrics.summary(y, null_rate)["auroc"],
            "share_with_nulls_human": sum(1 for x in sel if x["y"] == 0 and x["null"] > 0) / max(1, len(y) - sum(y)),
            "share_with_nulls_paraphrased": sum(1 for x in sel if x["y"] == 1 and x["null"] > 0) / max(1, sum(y)),
        }
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
