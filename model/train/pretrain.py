"""Masked-LM pretraining on the training side of the corpus (train-split doc_ids only: human passages,
originals and rewrites), in the fine-tuning input format ([CLS] s1 [SEP] s2 [SEP] ...).

  python3 model/train/pretrain.py --out model/train/runs/mlm-small --vocab DIR --size small --minutes 40
Resumable (--resume); logs to OUT/log.txt; the learning-rate schedule follows the time budget.
"""
import argparse
import json
import os
import random
import re
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import tokenizer as tk  # noqa: E402
from modeling import BertForMaskedLM, count_parameters  # noqa: E402
from sizes import model_config, autocast, device  # noqa: E402

_SENT_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“'‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text):
    return [s.strip() for s in _SENT_RE.split(text) if s and s.strip()]


def build_sequences(docs, tok, max_tokens, rnd):
    """Pack each document's sentences into sequences of at most max_tokens ([CLS] s [SEP] s [SEP] ...)."""
    seqs = []
    for doc in docs:
        sents = [tok.encode(s)[: max_tokens - 2] for s in split_sentences(doc)]
        sents = [s for s in sents if s]
        cur = [tk.CLS]
        for s in sents:
            if len(cur) + len(s) + 1 > max_tokens and len(cur) > 1:
                seqs.append(cur)
                cur = [tk.CLS]
            cur += s + [tk.SEP]
        if len(cur) > 8:
            seqs.append(cur)
    rnd.shuffle(seqs)
    return seqs


def mask_batch(seqs, vocab_size, rnd, p=0.15):
    L = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    att = torch.zeros(len(seqs), L, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        att[i, : len(s)] = 1
    cand = (ids > tk.MASK)  # never mask special tokens or padding
    sel = (torch.rand(ids.shape) < p) & cand
    labels = ids[sel]
    inp = ids.clone()
    r = torch.rand(labels.shape)
    new = labels.clone()
    new[r < 0.8] = tk.MASK
    rnd_ids = torch.randint(tk.MASK + 1, vocab_size, labels.shape)
    swap = (r >= 0.8) & (r < 0.9)
    new[swap] = rnd_ids[swap]
    inp[sel] = new
    return inp, att, sel, labels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", required=True, help="directory with tokenizer.json")
    ap.add_argument("--corpus", default="../shared/data/ptd-corpus")
    ap.add_argument("--texts", help="read PASTED-format records from this file instead of the corpus")
    ap.add_argument("--size", default="small")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                    help="bf16 autocast (oneDNN; ~5x faster on CPUs with AVX512-BF16) or plain fp32")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "log.txt"), "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, file=sys.stderr, flush=True)
        logf.write(line + "\n")
        logf.flush()

    tok = tk.WordPieceTokenizer.from_dir(a.vocab)
    cfg = model_config(a.size, len(tok), a.max_tokens)
    model = BertForMaskedLM(cfg)
    dev = device()
    model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    state = {"step": 0, "elapsed": 0.0, "epoch": 0, "pos": 0, "seqs_seen": 0}
    ck = os.path.join(a.out, "checkpoint.pt")
    if a.resume and os.path.exists(ck):
        c = torch.load(ck, map_location=dev)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
        log(f"resumed at step {state['step']}")
    log(f"model {a.size}: {count_parameters(model)} parameters, vocab {len(tok)}")
    rnd = random.Random(a.seed)
    t0 = time.time()
    if a.texts:
        import data
        docs = [" ".join(r["sentences"]) for r in data.read_pasted(a.texts)]
    else:
        docs = corpus.training_texts(a.corpus, "train")
    seqs = build_sequences(docs, tok, a.max_tokens, rnd)
    log(f"{len(seqs)} sequences, {sum(map(len, seqs))} tokens ({time.time() - t0:.0f}s)")
    # sort-ish batching: bucket by length to cut padding
    budget = a.minutes * 60
    warm = 0.05
    model.train()
    start = time.time() - state["elapsed"]
    loss_avg, tok_count, last_log, last_ck = None, 0, time.time(), time.time()
    while True:
        elapsed = time.time() - start
        frac = elapsed / budget
        if frac >= 1:
            break
        lr = a.lr * (frac / warm if frac < warm else max(0.0, (1 - frac) / (1 - warm)))
        for g in opt.param_groups:
            g["lr"] = lr
        if state["pos"] + a.batch > len(seqs):
            state["pos"] = 0
            state["epoch"] += 1
            random.Random(a.seed + state["epoch"]).shuffle(seqs)
        batch = seqs[state["pos"]: state["pos"] + a.batch]
        state["pos"] += a.batch
        inp, att, sel, labels = (t.to(dev) for t in mask_batch(batch, len(tok), rnd))
        with autocast(a.precision):
            logits = model(inp, att, torch.zeros_like(inp), positions=sel)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["seqs_seen"] += len(batch)
        tok_count += int(att.sum())
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if time.time() - last_log > 60:
            log(f"step {state['step']} epoch {state['epoch']} loss {loss_avg:.3f} lr {lr:.2e} "
                f"{tok_count / (time.time() - last_log):.0f} tok/s")
            tok_count, last_log = 0, time.time()
        if time.time() - last_ck > 300:
            state["elapsed"] = time.time() - start
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, ck + ".tmp")
            os.replace(ck + ".tmp", ck)
            last_ck = time.time()
    state["elapsed"] = time.time() - start
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, ck)
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, os.path.join(a.out, "mlm.bin"))
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump({"size": a.size, "steps": state["step"], "sequences_seen": state["seqs_seen"],
                   "epochs": state["epoch"] + state["pos"] / max(1, len(seqs)), "final_loss": loss_avg,
                   "minutes": state["elapsed"] / 60, "max_tokens": a.max_tokens, "sequences": len(seqs)}, f, indent=2)
    log(f"done: step {state['step']} loss {loss_avg:.3f}")


if __name__ == "__main__":
    main()
