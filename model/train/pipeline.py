"""The whole training pipeline behind `npm run train -- --size small|base`:

  1. vocabulary: cased WordPiece from the training side of the corpus (train-split doc_ids only),
     or from the --train records when no corpus is given;
  2. masked-LM pretraining on the same text (--mlm-minutes, 0 to skip);
  3. fine-tuning on PASTED-format records with validation, early stopping, calibration and thresholds
     (train.py), then export of onnx/model.onnx and onnx/model_quantized.onnx into --out;
  4. the wide half (wide.py: hashed token n-gram weights, --wide-epochs, 0 to skip), and out-of-fold logits
     of the training records when step 5 fine-tunes on them; the degree head (wide.py --target degree: the
     same features against the lexical change of paraphrased sentences, --degree-epochs, 0 to keep the
     encoder's degree channel);
  5. the context head (context.py: a sentence-level transformer over bag-of-n-gram sentence vectors,
     --context-epochs, 0 to skip);
  6. residual fine-tuning of the encoder against those out-of-fold logits (--residual-minutes, 0 to skip), and
     the join of encoder, wide half and context head into one graph (combine.py), recalibrated: --out then
     holds the combined model.

Every stage writes into --work (default model/train/runs/<size>) and is skipped when its output exists,
so an interrupted run continues where it stopped (fine-tuning resumes from its checkpoint).

  /usr/bin/python3 model/train/pipeline.py --size small
  /usr/bin/python3 model/train/pipeline.py --size base --init-from model/train/runs/small/ft/best.pt \
      --layer-map 0,1,2,3,2,3
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import combine  # noqa: E402
import context  # noqa: E402
import data  # noqa: E402
import pretrain  # noqa: E402
import tokenizer as tk  # noqa: E402
import train  # noqa: E402
import wide  # noqa: E402
from sizes import SIZES  # noqa: E402

DEFAULTS = {
    # size: (vocab size, MLM minutes, fine-tune minutes, learning rate) -- what the shipped models used:
    # no masked-LM pretraining (22 minutes of it did not help at these budgets; --mlm-minutes turns it on),
    # ptd-small 50 min at 4e-4, ptd-base 40 min at 3e-4 from ptd-small's first run stacked to 6 layers
    # (--init-from model/train/runs/small/ft/best.pt --layer-map 0,1,2,3,2,3).
    "tiny": (1000, 0, 1, 5e-4),
    "small": (12000, 0, 50, 4e-4),
    "base": (12000, 0, 40, 3e-4),
}


# size: minutes of residual fine-tuning after the wide half. The shipped models join the encoder and the wide
# half as they are: 19 minutes of residual fine-tuning gained 0.005 validation AUROC but nothing on the test
# split (see the model cards). "tiny" keeps the stage exercised by the smoke test.
RESIDUAL_MINUTES = {"tiny": 0.5, "small": 0, "base": 0}

# The context head's weight in the join, fixed (combine.py --context-weight): fitted on validation it takes ~0.6,
# but with a family of sources held out of training (crossfamily.py) every family scores higher at 0.3, for 0.005
# validation AUROC (model/train/notes/generalisation.md)
CONTEXT_WEIGHT = 0.3

# size: (context-head epochs, feature-table rows, embedding numbers per row)
CONTEXT = {"tiny": (1, 1 << 12, 8), "small": (3, 1 << 18, 16), "base": (3, 1 << 18, 16)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--corpus", default="../shared/data/ptd-corpus")
    ap.add_argument("--train", default="build/dataset/train.jsonl")
    ap.add_argument("--validation", default="build/dataset/validation.jsonl")
    ap.add_argument("--work", help="working directory (default model/train/runs/<size>)")
    ap.add_argument("--out", help="model directory (default model/weights/ptd-<size>)")
    ap.add_argument("--vocab", help="reuse this tokenizer directory instead of building one")
    ap.add_argument("--vocab-size", type=int)
    ap.add_argument("--mlm-minutes", type=float)
    ap.add_argument("--minutes", type=float, help="fine-tuning time budget")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--init-from", help="start fine-tuning from this state dict instead of the MLM weights")
    ap.add_argument("--layer-map", help="with --init-from: target layer i <- source layer map[i]")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--eval-minutes", type=float, default=6.0)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--wide-epochs", type=int, default=10)
    ap.add_argument("--wide-buckets", type=int, default=1 << 20)
    ap.add_argument("--degree-epochs", type=int, default=8,
                    help="degree-head epochs (0: channel 1 stays the encoder's degree channel)")
    ap.add_argument("--context-epochs", type=int, help="context-head epochs (0 to leave it out)")
    ap.add_argument("--context-buckets", type=int)
    ap.add_argument("--context-dim", type=int)
    ap.add_argument("--residual-minutes", type=float, help="encoder fine-tuning on the wide half's residual "
                                                            "(0 to join the two as they are)")
    ap.add_argument("--residual-lr", type=float, default=2e-4)
    ap.add_argument("--no-node-check", action="store_true")
    a, rest = ap.parse_known_args(argv)
    vsize, mlm_min, ft_min, lr = DEFAULTS.get(a.size, DEFAULTS["small"])
    vsize = a.vocab_size or vsize
    mlm_min = mlm_min if a.mlm_minutes is None else a.mlm_minutes
    ft_min = a.minutes or ft_min
    lr = a.lr or lr
    residual_min = RESIDUAL_MINUTES.get(a.size, 0) if a.residual_minutes is None else a.residual_minutes
    work = a.work or os.path.join("model", "train", "runs", a.size)
    out = a.out or os.path.join("model", "weights", f"ptd-{a.size}")
    os.makedirs(work, exist_ok=True)
    have_corpus = os.path.isdir(a.corpus)

    def texts():
        if have_corpus:
            import corpus
            return corpus.training_texts(a.corpus, "train")
        return (" ".join(r["sentences"]) for r in data.read_pasted(a.train))

    vocab = a.vocab or os.path.join(work, "vocab")
    if not os.path.exists(os.path.join(vocab, "tokenizer.json")):
        print(f"[1/6] vocabulary ({vsize}) from {'the corpus' if have_corpus else a.train}", file=sys.stderr)
        counts = tk.count_words(texts())
        tk.save(tk.train_vocab(counts, vsize, 3 if have_corpus else 1, min_char_count=3 if have_corpus else 1), vocab)
    init = a.init_from
    if init is None and mlm_min > 0:
        mlm_dir = os.path.join(work, "mlm")
        init = os.path.join(mlm_dir, "mlm.bin")
        if not os.path.exists(init):
            print(f"[2/6] masked-LM pretraining ({mlm_min} min)", file=sys.stderr)
            args = ["--out", mlm_dir, "--vocab", vocab, "--size", a.size, "--minutes", str(mlm_min), "--resume",
                    "--threads", str(a.threads), "--max-tokens", str(a.max_tokens)]
            if have_corpus:
                args += ["--corpus", a.corpus]
            else:
                args += ["--texts", a.train]
            pretrain.main(args)
    print("[3/6] fine-tuning", file=sys.stderr)
    args = ["--train", a.train, "--validation", a.validation, "--vocab", vocab, "--size", a.size,
            "--run", os.path.join(work, "ft"), "--out", out, "--minutes", str(ft_min), "--lr", str(lr),
            "--max-tokens", str(a.max_tokens), "--threads", str(a.threads), "--resume",
            "--eval-minutes", str(a.eval_minutes), "--batch-tokens", str(a.batch_tokens)]
    if init:
        args += ["--init", init]
    if a.layer_map:
        args += ["--layer-map", a.layer_map]
    if a.max_steps:
        args += ["--max-steps", str(a.max_steps)]
    if a.no_node_check:
        args += ["--no-node-check"]
    train.main(args + rest)
    if a.wide_epochs <= 0:
        return
    print("[4/6] wide half" + (" and its out-of-fold logits" if residual_min > 0 else ""), file=sys.stderr)
    wide_dir = os.path.join(work, "wide")
    head, oof = os.path.join(wide_dir, "wide.pt"), os.path.join(wide_dir, "oof.json")
    if not os.path.exists(head) or (residual_min > 0 and not os.path.exists(oof)):
        wide.main(["--train", a.train, "--validation", a.validation, "--vocab", vocab, "--out", head,
                   "--epochs", str(a.wide_epochs), "--buckets", str(a.wide_buckets),
                   "--max-tokens", str(a.max_tokens), "--threads", str(a.threads)]
                  + (["--oof", oof] if residual_min > 0 else []))
    degree = os.path.join(wide_dir, "degree.pt")
    if a.degree_epochs > 0 and not os.path.exists(degree):
        wide.main(["--train", a.train, "--validation", a.validation, "--vocab", vocab, "--out", degree,
                   "--target", "degree", "--epochs", str(a.degree_epochs), "--buckets", str(a.wide_buckets),
                   "--max-tokens", str(a.max_tokens), "--threads", str(a.threads)])
    c_epochs, c_buckets, c_dim = CONTEXT.get(a.size, CONTEXT["small"])
    c_epochs = c_epochs if a.context_epochs is None else a.context_epochs
    ctx = os.path.join(work, "context", "context.pt")
    if c_epochs > 0 and not os.path.exists(ctx):
        print(f"[5/6] context head ({c_epochs} epochs)", file=sys.stderr)
        context.main(["--train", a.train, "--validation", a.validation, "--vocab", vocab, "--out", ctx,
                      "--epochs", str(c_epochs), "--buckets", str(a.context_buckets or c_buckets),
                      "--dim", str(a.context_dim or c_dim), "--max-tokens", str(a.max_tokens),
                      "--threads", str(a.threads)])
    weights = os.path.join(work, "ft", "best.pt")
    if residual_min > 0:
        print(f"[6/6] residual fine-tuning ({residual_min} min) against the out-of-fold wide logits, then the join",
              file=sys.stderr)
        args = ["--train", a.train, "--validation", a.validation, "--vocab", vocab, "--size", a.size,
                "--run", os.path.join(work, "residual"), "--init", weights, "--wide", head, "--wide-oof", oof,
                "--minutes", str(residual_min), "--lr", str(a.residual_lr), "--max-tokens", str(a.max_tokens),
                "--threads", str(a.threads), "--resume", "--eval-minutes", str(a.eval_minutes),
                "--batch-tokens", str(a.batch_tokens)]
        if a.max_steps:
            args += ["--max-steps", str(a.max_steps)]
        train.main(args + rest)
        weights = os.path.join(work, "residual", "best.pt")
    else:
        print("[6/6] the join", file=sys.stderr)
    combine.main(["--model", out, "--weights", weights, "--wide", head, "--validation", a.validation, "--out", out,
                  "--threads", str(a.threads)]
                 + (["--context", ctx, "--context-weight", str(CONTEXT_WEIGHT)] if c_epochs > 0 else [])
                 + (["--degree", degree] if a.degree_epochs > 0 else [])
                 + (["--no-node-check"] if a.no_node_check else []))


if __name__ == "__main__":
    main()
