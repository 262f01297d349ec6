"""Write MODEL_CARD.md for a trained model directory from the evaluation CLI's JSON output.

  node bin/ptd.js eval --model small --data build/dataset/validation.jsonl --by paraphraser,domain --json > v.json
  node bin/ptd.js eval --model small --data build/dataset/test.jsonl --by paraphraser,domain --json > t.json
  python3 model/train/make_card.py model/weights/ptd-small --validation v.json --test t.json --notes notes.md \
      [--notes more.md] [--crossfamily crossfamily.json]
Only numbers from those files (and config.json / stats.json) go into the card.
"""
import argparse
import json
import os


def fmt(x, pct=False):
    if x is None:
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def with_ci(m, key, pct=False):
    """A metric, with its bootstrap interval when the eval JSON has one (`ptd eval --bootstrap`)."""
    value = fmt(m.get(key), pct)
    ci = (m.get("ci") or {}).get(key)
    if not ci or m.get(key) is None:
        return value
    if pct:
        return f"{value} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return f"{value} [{ci[0]:.3f}, {ci[1]:.3f}]"


def table(res, title):
    rows = [f"#### {title}", "",
            "| group | docs | sentences | paraphrased | AUROC | TPR@1%FPR | TPR@5%FPR | Pearson r (lexical) "
            "| Pearson r (syntactic) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name, m):
        return (f"| {name} | {m.get('documents', '')} | {m.get('sentences', '')} | {m.get('positives', '')} | "
                f"{with_ci(m, 'auroc')} | {with_ci(m, 'tpr_at_1fpr', True)} | {with_ci(m, 'tpr_at_5fpr', True)} | "
                f"{with_ci(m, 'pearson_lexical')} | {with_ci(m, 'pearson_syntactic')} |")

    rows.append(row("**all**", res))
    for name, m in res.get("groups", {}).items():
        rows.append(row(name, m))
    rows.append("")
    if res.get("bootstrap"):
        b = res["bootstrap"]
        rows += [f"[low, high]: {round(100 * b['level'])}% percentile intervals from {b['replicates']} bootstrap "
                 f"replicates over documents (seed {b['seed']}; each group resampled on its own).", ""]
    return "\n".join(rows)


def wide_lines(ptd):
    w = ptd.get("wide")
    if not w:
        return []
    m = w["mix"]
    parts = w.get("validation_before_calibration", {})
    line = (f"- Wide half, in the same ONNX graph (model/train/wide.py): a log-linear sentence scorer over the "
            f"sentence's WordPiece tokens and hashed token bigrams ({w['buckets']:,} weights, mean-pooled per "
            f"sentence; int8 with one scale in the q8 file), trained on the train split "
            f"({(w.get('train') or {}).get('epochs')} epochs). "
            f"Paraphrase logit = {m['deep']:.3f} × encoder + {m['wide']:.3f} × wide"
            + (f" + {m['neighbours']:.3f} × mean wide logit of the sentences just before and after"
               if m.get("neighbours") else "")
            + (f" + {m['context']:.3f} × context head" if m.get("context") else "")
            + f" {m['offset']:+.3f}, "
            + ("the context head's weight fixed (chosen on families of sources held out of training, see below), "
               "the others fitted on the validation split around it" if w.get("context_weight")
               else "the mix fitted on the validation split")
            + " (model/train/combine.py).")
    if parts:
        line += (" Validation AUROC of each part alone (PyTorch): encoder "
                 f"{parts['deep']['auroc']:.3f}, wide {parts['wide']['auroc']:.3f}"
                 + (f", context head {parts['context']['auroc']:.3f}" if "context" in parts else "")
                 + f", combined {parts['combined']['auroc']:.3f}.")
    return [line] + context_lines(ptd)


def context_lines(ptd):
    c = ptd.get("context")
    if not c:
        return []
    t = c.get("train") or {}
    return [f"- Context head, in the same ONNX graph (model/train/context.py): each sentence of a window becomes the "
            f"mean of {c['dim']}-number embeddings of its WordPiece tokens and hashed token bigrams ({c['buckets']:,} "
            f"rows)"
            + (f" and of the trigrams of its tokens' shapes (casing, digits, continuation, punctuation mark: "
               f"{c['shapes'] ** 3:,} rows)" if c.get("shapes") else "")
            + f" plus its length (int8 per row in the q8 file); {c['layers']} transformer layers (hidden "
            f"{c['hidden']}, {c['heads']} heads) then read the window's sentences against each other. Trained on the "
            f"train split for {t.get('epochs')} epochs (feature dropout {t.get('feature_dropout')}, dropout "
            f"{t.get('dropout')})."]


def degree_lines(ptd):
    d = ptd.get("degree")
    if not d:
        return []
    v = (d.get("validation") or {}).get("degree_head") or {}
    return [f"- Degree head, in the same ONNX graph (channel 1; model/train/wide.py --target degree): the wide half's "
            f"features ({d['buckets']:,} weights, int8 with one scale in the q8 file), trained on the paraphrased "
            f"sentences of the train split against their lexical change ({(d.get('train') or {}).get('epochs')} "
            f"epochs). On the validation split's paraphrased sentences: Pearson r {v.get('pearson_paraphrased')} with "
            f"their lexical change, mean absolute error {v.get('mae_paraphrased')} (see \"The degree channel\" below)."]


def size_mb(path):
    return os.path.getsize(path) / 1e6 if os.path.exists(path) else None


def transfer_note(families):
    """Which head held up better on unseen families, from the numbers."""
    unseen = [r["unseen"] for r in families.values() if "unseen" in r]
    wide_wins = sum(r["wide"]["auroc"] >= r["context"]["auroc"] for r in unseen)
    if wide_wins == len(unseen):
        return " On every held-out family the word n-gram half alone does at least as well as the context head."
    if wide_wins == 0:
        return " On every held-out family the context head does better than the word n-gram half alone."
    return f" The word n-gram half alone beats the context head on {wide_wins} of {len(unseen)} held-out families."


def crossfamily_lines(path, model_dir):
    """The card's section on sources never seen in training, from crossfamily.py's JSON output."""
    if not path:
        return []
    with open(path) as f:
        res = json.load(f)
    rows = ["### Documents and paraphrasers never seen in training", "",
            "Both splits above share domains and paraphrasers with training; the documents a user scores, and the "
            "models that rewrote them, will not. `model/train/crossfamily.py` measures that: for each family of "
            "sources it retrains the wide half and the context head with this model's settings on the other "
            "families only, and scores the held-out family's validation records, joined with this model's mix "
            "(without the encoder, which cannot be retrained per family in minutes; it carries about a tenth of "
            "the mix). The shipped heads, trained on every family, are scored on the same records for comparison "
            "(PyTorch, windows merged as the runtime does). Families: `mixset` = the MixSet/APT-Eval documents "
            "(gpt-4, llama-2-70b, gpt-4o, llama-3.1-70b, llama-3-8b, llama-2-7b), `hppt` = ACL abstracts "
            "(chatgpt, llama-2-7b), `spans` = Brown-corpus and modern human passages with claude's span rewrites.",
            "",
            f"```\npython3 model/train/recover.py {model_dir} --out model/train/runs/recovered\n"
            f"python3 model/train/crossfamily.py --model {model_dir} --recovered model/train/runs/recovered "
            "--work model/train/runs/crossfamily --out crossfamily.json\n```",
            "",
            "| held-out family | sentences | paraphrased | heads trained on | wide half | context head | joined | "
            "joined TPR@1%FPR |",
            "|---|---:|---:|---|---:|---:|---:|---:|"]
    for fam, r in res["families"].items():
        for key, label in (("unseen", "the other families"), ("seen", "every family (shipped)")):
            if key in r:
                j = r[key]["joined"]
                rows.append(f"| {fam} | {j['sentences']} | {j['positives']} | {label} | {fmt(r[key]['wide']['auroc'])} | "
                            f"{fmt(r[key]['context']['auroc'])} | {fmt(j['auroc'])} | {fmt(j['tpr_at_1fpr'], True)} |")
    unseen = [r["unseen"]["joined"] for r in res["families"].values() if "unseen" in r]
    if unseen:
        lo, hi = min(j["auroc"] for j in unseen), max(j["auroc"] for j in unseen)
        tlo, thi = min(j["tpr_at_1fpr"] for j in unseen), max(j["tpr_at_1fpr"] for j in unseen)
        rows += ["", f"On a family it never saw, the joined heads reach AUROC {fmt(lo)}–{fmt(hi)} and TPR "
                 f"{fmt(tlo, True)}–{fmt(thi, True)} at 1% FPR: expect numbers nearer these than the test split's on "
                 "documents from elsewhere." + transfer_note(res["families"])]
    rows.append("")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--validation", required=True, help="eval CLI --json output on the validation split")
    ap.add_argument("--test", required=True, help="eval CLI --json output on the test split")
    ap.add_argument("--alias", help="name given to --model in the commands (small/base)")
    ap.add_argument("--stats", default="build/dataset/stats.json")
    ap.add_argument("--notes", action="append", default=[],
                    help="markdown file with the training history / what was tried (repeatable, in order)")
    ap.add_argument("--crossfamily", help="crossfamily.py --out JSON: the heads on families of sources held out")
    ap.add_argument("--train-command", default="")
    ap.add_argument("--data-note", default="")
    a = ap.parse_args(argv)
    with open(os.path.join(a.model_dir, "config.json")) as f:
        cfg = json.load(f)
    ptd = cfg["ptd"]
    tr = ptd.get("training", {})
    with open(a.validation) as f:
        val = json.load(f)
    with open(a.test) as f:
        test = json.load(f)
    stats = {}
    if os.path.exists(a.stats):
        with open(a.stats) as f:
            stats = json.load(f)
    alias = a.alias or ptd["name"]
    b = test.get("bootstrap")
    boot = f" --bootstrap {b['replicates']}" + (f" --seed {b['seed']}" if b["seed"] != 13 else "") if b else ""
    fp32 = size_mb(os.path.join(a.model_dir, "onnx", "model.onnx"))
    q8 = size_mb(os.path.join(a.model_dir, "onnx", "model_quantized.onnx"))
    th = {t["target_fpr"]: t for t in ptd.get("thresholds", [])}
    lines = [
        f"# {ptd['name']} {ptd['version']}",
        "",
        "Paraphrased text span detection: a score per sentence for \"this sentence belongs to a span an LLM "
        "paraphrased or polished\", plus a predicted degree of lexical change (PASTED's 1 − BLEU-4 signal). "
        "Trained from scratch on this project's corpus (no pretrained encoder was available).",
        "",
        "## Architecture",
        "",
        f"- BERT encoder (`BertForTokenClassification`, Hugging Face parameter names): {cfg['num_hidden_layers']} layers, "
        f"hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, feed-forward {cfg['intermediate_size']}, "
        f"vocabulary {cfg['vocab_size']} (cased WordPiece built from the training split), "
        f"{cfg['max_position_embeddings']} positions.",
        *wide_lines(ptd),
        *degree_lines(ptd),
        f"- Parameters: {tr.get('parameters', 0):,} in the encoder"
        + (f", {ptd['wide']['buckets']:,} wide weights" if ptd.get("wide") else "")
        + (f", {ptd['degree']['buckets']:,} degree-head weights" if ptd.get("degree") else "")
        + (f", {(ptd['context']['buckets'] + (ptd['context'].get('shapes') or 0) ** 3) * ptd['context']['dim']:,} "
           "context-head embedding numbers"
           if ptd.get("context") else "") + ".",
        f"- Files: onnx/model.onnx (fp32) {fp32:.1f} MB, onnx/model_quantized.onnx (int8, dynamic) {q8:.1f} MB.",
        "- Input: `[CLS] s1 [SEP] s2 [SEP] … sN [SEP]`, each sentence tokenized alone; sentence i is scored at the "
        f"[SEP] after it. Windows of at most {ptd['max_tokens']} tokens; longer documents are read in overlapping "
        "windows cut at sentence boundaries and the readings merged (model/window.ts).",
        "- Outputs: channel 0 = paraphrase logit (probability = sigmoid(logit / T), "
        f"T = {ptd['calibration']['temperature']:.3f} fitted on the validation split), channel 1 = degree logit "
        + ("(sigmoid = predicted 1 − BLEU-4 of the sentence if it was rewritten)." if ptd.get("degree")
           else "(sigmoid = predicted 1 − BLEU-4)."),
        f"- Thresholds (calibrated probability, fitted on the validation split with the q8 file): "
        + ", ".join(f"{t['threshold']:.4f} for {100 * t['target_fpr']:.0f}% FPR (validation FPR "
                    f"{100 * t['achieved_fpr']:.2f}%, TPR {100 * t['tpr']:.1f}%)" for t in th.values())
        + "; the default label threshold is the 1% one.",
        "",
        "## Training data",
        "",
        f"`build/dataset` from `node bin/ptd.js dataset build --corpus ../shared/data/ptd-corpus --out build/dataset` "
        f"(seed {stats.get('seed')}; split by doc_id: FNV-1a bucket 0 test, 1 validation, 2–9 train): "
        f"{stats.get('records')} records, {stats.get('sentences')} sentences, "
        f"{100 * (stats.get('positive_rate') or 0):.1f}% paraphrased.",
        "",
        a.data_note,
        "",
        "| split | records | sentences | paraphrased sentences |",
        "|---|---:|---:|---:|",
    ]
    for k, v in stats.get("splits", {}).items():
        lines.append(f"| {k} | {v.get('records')} | {v.get('sentences')} | {v.get('positives')} |")
    lines += [
        "",
        "Paraphrasers in the data: " + ", ".join(f"{k} ({v['records']} records)" for k, v in
                                                 stats.get("by_paraphraser", {}).items()) + ".",
        "Sources: MixSet, APT-Eval and HPPT whole-document rewrites (spliced into PASTED-style records, or kept as "
        "light edits) and span rewrites by `claude` over Brown-corpus and modern human passages, plus untouched "
        "originals and human passages as negatives (see ../shared/data/README.md).",
        "",
        "## Training",
        "",
        (f"- Initialised from `{tr.get('init')}`" + (f" (layer map {tr.get('layer_map')})" if tr.get("layer_map") else "") + "."
         if tr.get("init") else "- Initialisation: random (no pretraining; see below for the masked-LM attempt)."),
        f"- Fine-tuning: {tr.get('steps')} steps ({tr.get('minutes')} min, best checkpoint at step {tr.get('best_step')}), "
        f"{tr.get('tokens_seen', 0):,} tokens / {tr.get('examples_seen', 0):,} windows seen; "
        f"hyperparameters {json.dumps(tr.get('hyperparameters', {}))}.",
        f"- Hardware: 2 shared CPU cores (PyTorch {tr.get('torch')}, bf16 autocast via oneDNN).",
        f"- Reproduce: `{a.train_command}`" if a.train_command else "",
        "",
    ]
    for path in a.notes:
        with open(path) as f:
            lines += [f.read().strip(), ""]
    lines += [
        "## Metrics",
        "",
        "Sentence level, as PASTED reports them: AUROC, TPR at FPR < 1% and < 5%, Pearson r between the score "
        "and the lexical change (1 − BLEU-4) and between the score and the syntactic change (tree edit distance "
        "of constituency trees cut at depth 3, from link-parser; sentences it could not parse left out); both "
        "changes are 0 for human sentences. Runtime scores (q8, windows merged), computed with the evaluation CLI "
        "on the dataset built with the syntactic column:",
        "",
        f"```\nnode bin/ptd.js dataset build --corpus ../shared/data/ptd-corpus --out build/dataset "
        f"--syntactic validation,test\nnode bin/ptd.js eval --model {alias} --data build/dataset/validation.jsonl --by paraphraser,domain{boot}\n"
        f"node bin/ptd.js eval --model {alias} --data build/dataset/test.jsonl --by paraphraser,domain{boot}\n```",
        "",
        "Groups without paraphrased sentences (human-only records: paraphraser `(none)`) have no AUROC. "
        "The validation split also chose the checkpoint, the temperature and the thresholds; the test split "
        "was used for nothing but these numbers. Both splits share paraphrasers and domains with the training "
        "data (in distribution); documents, and any other paraphraser, are expected to score lower.",
        "",
        table(test, "Test split"),
        table(val, "Validation split"),
        *crossfamily_lines(a.crossfamily, a.model_dir),
        "## Limits",
        "",
        "- Trained from scratch on ~20k records in well under an hour of CPU: expect it to lean on lexical cues "
        "(LLM-typical vocabulary, polished punctuation) more than a pretrained encoder would, and to generalise "
        "less to paraphrasers and genres it has not seen.",
        "- Very short documents (under 2 sentences or 30 words) are not reliable; the runtime says so.",
        "- Human text that is itself formal or already edited (abstracts, news) draws more false positives than "
        "informal text; use the 1% threshold where a false accusation is costly.",
        "",
    ]
    with open(os.path.join(a.model_dir, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
