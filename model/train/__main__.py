"""ptd's training pipeline (PyTorch -> ONNX). Run from the repository root:

  python3 -m model.train vocab --data build/dataset --out runs/vocab --size small
  python3 -m model.train fit --size small --data build/dataset --vocab runs/vocab --run runs/ptd-small
  python3 -m model.train crossfamily --size small --data build/dataset --vocab runs/vocab --work runs/crossfamily
  python3 -m model.train selftest

`fit` trains (resuming from the run's checkpoint when there is one) and exports the model directory
RUN/model (uncalibrated: `ptd calibrate` fits its temperature and thresholds on the runtime's own scores).
`npm run train` runs the whole recipe, dataset to model card (dataset/commands/train.ts).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

from . import records as rec
from . import sizes
from . import tokenizer as tk
from .export import ROOT, write_model_dir
from .fit import Log, fit, parameters, save_net
from .net import Ensemble


def _data_file(data, name):
    path = os.path.join(data, name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: build the dataset first (node bin/ptd.js dataset build ...)")
    return path


def _git_commit():
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def _corpus_sha256(data):
    try:
        with open(os.path.join(data, "stats.json"), encoding="utf-8") as f:
            return json.load(f).get("corpus", {}).get("sha256")
    except (OSError, ValueError):
        return None


def cmd_vocab(a):
    """Cased WordPiece vocabulary from the training split's text (task and generated records)."""
    texts = []
    for name in ("train.jsonl", "train-generated.jsonl"):
        path = os.path.join(a.data, name)
        if os.path.exists(path):
            for r in rec.read(path):
                texts.append(" ".join(r["sentences"]))
                texts.extend(o for o in (r["original"] or []) if isinstance(o, str))
    if not texts:
        raise SystemExit(f"no training text in {a.data}")
    counts = tk.count_words(texts)
    vocab = tk.train_vocab(counts, a.vocab_size or sizes.vocab_size(a.size), a.min_frequency,
                           min_char_count=a.min_frequency)
    tk.save(vocab, a.out)
    print(f"wrote {len(vocab)} tokens to {a.out}", file=sys.stderr)


def load_training(data, tok, max_tokens, hold_out_family=None, log=print):
    """Encoded training records (and generated ones), without a held-out family."""
    enc = rec.Encoder(tok, max_tokens)
    files = {"train": _data_file(data, "train.jsonl")}
    gen_path = os.path.join(data, "train-generated.jsonl")
    train = rec.read(files["train"])
    generated = rec.read(gen_path) if os.path.exists(gen_path) else []
    if os.path.exists(gen_path):
        files["train_generated"] = gen_path
    if hold_out_family:
        train = [r for r in train if rec.family(r["fields"]) != hold_out_family]
        generated = [r for r in generated if rec.family(r["fields"]) != hold_out_family]
    t0 = time.time()
    rec.encode(train, enc)
    rec.encode(generated, enc)
    log(f"{len(train)} training records, {len(generated)} generated ones, tokenized in {time.time() - t0:.0f}s")
    return train, generated, files


def train_and_export(a, run, hold_out_family=None, check=True):
    """fit + export into run/model; -> the model directory."""
    s = sizes.settings(a.size, steps=a.steps, batch=a.batch, seed=a.seed, pair_weight=a.pair_weight,
                       generated_share=a.generated_share, token_weight=a.token_weight,
                       word_dropout=a.word_dropout, members=a.members)
    if a.net:
        s["net"] = {**s["net"], **json.loads(a.net)}
    if a.oversample:
        s["oversample"] = json.loads(a.oversample)
    os.makedirs(run, exist_ok=True)
    log = Log(os.path.join(run, "log.txt"))
    torch.set_num_threads(a.threads)
    tok = tk.WordPieceTokenizer.from_dir(a.vocab)
    train, generated, files = load_training(a.data, tok, s["max_tokens"], hold_out_family, log)
    if s.get("token_weight"):
        t0 = time.time()
        rec.add_token_labels(train)
        log(f"token labels (words each rewrite added to its original) in {time.time() - t0:.0f}s")
    t0 = time.time()
    # `members` nets, seeds seed, seed+1, ...: the first trains in RUN, the others in RUN/member-K; one model
    members = s.get("members", 1)
    nets = []
    for k in range(members):
        member = {key: v for key, v in s.items() if key != "members"}
        member["seed"] = s["seed"] + k
        if members > 1:
            log(f"member {k + 1} of {members}: seed {member['seed']}")
        net = fit(train, tok, run if k == 0 else os.path.join(run, f"member-{k}"), member, generated, log=log,
                  device=a.device, stop_after=getattr(a, "stop_after", None))
        if net is None:
            return None
        nets.append(net.cpu())
    net = nets[0] if members == 1 else Ensemble(nets)
    training = {
        "size": a.size,
        "settings": s,
        "hold_out_family": hold_out_family,
        "data": {k: {"path": os.path.relpath(v, ROOT), "sha256": rec.sha256_of(v)} for k, v in files.items()},
        "corpus_sha256": _corpus_sha256(a.data),
        "git_commit": _git_commit(),
        "parameters": parameters(net),
        "records": len(train),
        "generated_records": len(generated),
        "device": a.device,
        "torch": torch.__version__,
        "minutes_this_session": round((time.time() - t0) / 60, 1),
    }
    save_net(net, os.path.join(run, "net.pt"), training)
    model_dir = os.path.join(run, "model")
    checked = write_model_dir(net, a.vocab, model_dir, a.name or f"ptd-{a.size}", a.version, s["max_tokens"], training,
                              check=check)
    log(f"wrote {model_dir}" + (f" (transformers.js vs PyTorch: {json.dumps(checked)})" if checked else ""))
    return model_dir


def cmd_fit(a):
    train_and_export(a, a.run, a.hold_out_family, check=not a.no_check)


def cmd_crossfamily(a):
    from .crossfamily import run_crossfamily
    run_crossfamily(a, train_and_export)


def cmd_selftest(a):
    from .selftest import selftest
    print(json.dumps(selftest()))


def _training_args(p):
    p.add_argument("--size", choices=sorted(sizes.SIZES), default="small")
    p.add_argument("--data", default="build/dataset", help="the dataset directory (ptd dataset build --out)")
    p.add_argument("--vocab", required=True, help="directory with tokenizer.json (python3 -m model.train vocab)")
    p.add_argument("--steps", type=int, help="optimizer steps (default: the size's)")
    p.add_argument("--batch", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--pair-weight", type=float, help="weight of the mirror-pair term (0: none)")
    p.add_argument("--generated-share", type=float, help="share of windows from LLM-written texts")
    p.add_argument("--word-dropout", type=float, help="share of tokens read as [UNK] in training (default: the size's)")
    p.add_argument("--members", type=int, help="nets trained with seeds seed, seed+1, ... and shipped as one model "
                   "(their logits averaged; default: the size's)")
    p.add_argument("--token-weight", type=float, help="weight of the token objective (words a rewrite added; needs "
                   "the net's token_head)")
    p.add_argument("--net", help='JSON overrides of the size\'s net shape, e.g. \'{"wide": false}\' (experiments)')
    p.add_argument("--oversample", help='JSON weights of constructions when drawing windows, e.g. \'{"span_rewrite": 3}\'')
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--name", help="model name in config.json (default ptd-SIZE)")
    p.add_argument("--version", default="0.0.0-dev")
    p.add_argument("--no-check", action="store_true", help="skip the transformers.js check of the exported files")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m model.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vocab", help="build the WordPiece vocabulary from the training split")
    v.add_argument("--data", default="build/dataset")
    v.add_argument("--out", required=True)
    v.add_argument("--size", choices=sorted(sizes.SIZES), default="small")
    v.add_argument("--vocab-size", type=int)
    v.add_argument("--min-frequency", type=int, default=3)
    f = sub.add_parser("fit", help="train (or resume) and export RUN/model")
    _training_args(f)
    f.add_argument("--run", required=True, help="run directory (checkpoint, log.txt, net.pt, model/)")
    f.add_argument("--hold-out-family", choices=sorted(rec.FAMILIES))
    f.add_argument("--stop-after", type=int, help="stop after this many steps (checkpoint kept; rerun resumes)")
    c = sub.add_parser("crossfamily", help="train without each family of sources, evaluate on it (through ptd eval)")
    _training_args(c)
    c.add_argument("--work", required=True)
    c.add_argument("--families", default=",".join(rec.FAMILIES))
    c.add_argument("--out", help="write the table as JSON here (default WORK/crossfamily.json)")
    sub.add_parser("selftest", help="the exported graph computes what training optimised")
    a = ap.parse_args(argv)
    {"vocab": cmd_vocab, "fit": cmd_fit, "crossfamily": cmd_crossfamily, "selftest": cmd_selftest}[a.cmd](a)


if __name__ == "__main__":
    main()
