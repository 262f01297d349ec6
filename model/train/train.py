"""Fine-tune a ptd token classifier on PASTED-format records, calibrate it and write a model directory.

  python3 model/train/train.py --train build/dataset/train.jsonl --validation build/dataset/validation.jsonl \
      --vocab model/train/runs/vocab --size small --init model/train/runs/mlm-small/mlm.bin \
      --run model/train/runs/ft-small --out model/weights/ptd-small --minutes 35

Loss: BCE (label-smoothed) on the paraphrase channel at each sentence's [SEP]; BCE with the soft target
`lexical` (1 - BLEU-4) on the degree channel. Validation AUROC / TPR@1%FPR on a fixed subset every
--eval-minutes; early stopping on AUROC + TPR@1%/2; checkpoints in --run (resume with --resume); progress
in RUN/log.txt. At the end the best weights are evaluated on the whole validation split (windows merged as
the runtime merges them), a temperature and the 1%/5% FPR thresholds are fitted, and --out receives
config.json (with the `ptd` section), tokenizer files and onnx/model.onnx + onnx/model_quantized.onnx.
"""
import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import export  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402
from modeling import BertConfig, BertForTokenClassification, count_parameters, save_pretrained  # noqa: E402
from sizes import model_config, autocast, device  # noqa: E402


def load_init(model, path, layer_map=None, log=print):
    sd = torch.load(path, map_location="cpu")
    if isinstance(sd, dict) and "model" in sd and not any(k.startswith("bert.") for k in sd):
        sd = sd["model"]
    own = model.state_dict()
    new = {}
    for k, v in sd.items():
        targets = [k]
        if layer_map is not None and k.startswith("bert.encoder.layer."):
            src = int(k.split(".")[3])
            rest = ".".join(k.split(".")[4:])
            targets = [f"bert.encoder.layer.{t}.{rest}" for t, s in enumerate(layer_map) if s == src]
        for t in targets:
            if t in own and own[t].shape == v.shape:
                new[t] = v
    missing = [k for k in own if k not in new]
    model.load_state_dict(new, strict=False)
    log(f"initialised {len(new)}/{len(own)} tensors from {path}" + (f"; fresh: {missing}" if missing else ""))


@torch.no_grad()
def predict(model, records, max_tokens, batch_tokens=8192, precision="fp32"):
    """Per record: (merged paraphrase logit, merged probability at T=1, merged degree) per sentence, using
    every window reading weighted like the runtime. Returns a list of dicts of numpy arrays."""
    model.eval()
    dev = next(model.parameters()).device
    wins = data.eval_windows(records, max_tokens)
    n_sent = [len(r["ids"]) for r in records]
    logit_sum = [np.zeros(n) for n in n_sent]
    deg_sum = [np.zeros(n) for n in n_sent]
    w_sum = [np.zeros(n) for n in n_sent]
    readings = [[[] for _ in range(n)] for n in n_sent]
    rnd = random.Random(0)
    for batch in data.length_batches(wins, batch_tokens, rnd):
        b = data.collate(batch)
        with autocast(precision):
            ids = b["input_ids"].to(dev)
            lg = model(ids, b["attention_mask"].to(dev), torch.zeros_like(ids))
        sel = lg[b["rows"].to(dev), b["cols"].to(dev)].float().cpu().numpy()
        k = 0
        for e in batch:
            for (ri, si, w) in e["owner"]:
                pl, dl = float(sel[k, 0]), float(sel[k, 1])
                logit_sum[ri][si] += w * pl
                deg_sum[ri][si] += w / (1 + math.exp(-dl))
                w_sum[ri][si] += w
                readings[ri][si].append((w, pl))
                k += 1
    out = []
    for i in range(len(records)):
        out.append({"logit": logit_sum[i] / w_sum[i], "degree": deg_sum[i] / w_sum[i], "readings": readings[i]})
    model.train()
    return out


def merged_prob(pred, temperature):
    """The runtime's score: weighted mean over readings of sigmoid(logit / T)."""
    res = []
    for rs in pred["readings"]:
        w = sum(x[0] for x in rs)
        res.append(sum(x[0] / (1 + math.exp(-x[1] / temperature)) for x in rs) / w)
    return np.array(res)


def evaluate(records, preds, temperature=1.0, groups=()):
    y = np.concatenate([np.array(r["truth"]) for r in records])
    s = np.concatenate([merged_prob(p, temperature) for p in preds])
    lex = None
    if all(r["lexical"] is not None for r in records):
        lex = np.concatenate([np.array(r["lexical"]) for r in records])
    out = metrics.summary(y, s, lex)
    if lex is not None:
        deg = np.concatenate([p["degree"] for p in preds])
        out["pearson_degree_lexical"] = metrics.pearson(deg, lex)
    for g in groups:
        out[f"by_{g}"] = {}
        keys = sorted({str(r["fields"].get(g)) for r in records})
        for key in keys:
            idx = [i for i, r in enumerate(records) if str(r["fields"].get(g)) == key]
            yy = np.concatenate([np.array(records[i]["truth"]) for i in idx])
            ss = np.concatenate([merged_prob(preds[i], temperature) for i in idx])
            ll = np.concatenate([np.array(records[i]["lexical"]) for i in idx]) if lex is not None else None
            out[f"by_{g}"][key] = metrics.summary(yy, ss, ll)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--validation", required=True)
    ap.add_argument("--vocab", required=True, help="directory with tokenizer.json")
    ap.add_argument("--size", default="small")
    ap.add_argument("--init", help="MLM or token-classifier state dict to start from")
    ap.add_argument("--layer-map", help="target layer i takes source layer map[i], e.g. 0,1,2,3,2,3")
    ap.add_argument("--run", required=True, help="run directory (checkpoints, log)")
    ap.add_argument("--out", help="model directory to write at the end")
    ap.add_argument("--name", default=None)
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=float, default=0.05, help="fraction of the time budget")
    ap.add_argument("--minutes", type=float, default=35.0, help="time budget of the training loop")
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--eval-minutes", type=float, default=6.0)
    ap.add_argument("--eval-records", type=int, default=500)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--degree-weight", type=float, default=0.5)
    ap.add_argument("--token-noise", type=float, default=0.02)
    ap.add_argument("--token-weight", type=float, default=0.0,
                    help="weight of the auxiliary loss on every token of a sentence (label = the sentence's)")
    ap.add_argument("--crop-prob", type=float, default=0.5)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                    help="bf16 autocast (oneDNN; ~5x faster on CPUs with AVX512-BF16) or plain fp32")
    ap.add_argument("--wide", help="wide.pt (wide.py): train the encoder on the residual of this frozen wide half "
                                   "(paraphrase logit = encoder + wide)")
    ap.add_argument("--wide-oof", help="with --wide: out-of-fold wide logits of the training records (wide.py --oof), "
                                       "the offsets the encoder is trained against")
    ap.add_argument("--no-node-check", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.run, exist_ok=True)
    logf = open(os.path.join(a.run, "log.txt"), "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, file=sys.stderr, flush=True)
        logf.write(line + "\n")
        logf.flush()

    log("args " + json.dumps(vars(a)))
    tok = tk.WordPieceTokenizer.from_dir(a.vocab)
    t0 = time.time()
    train = data.encode_records(data.read_pasted(a.train, a.train_limit or None), tok, a.max_tokens)
    val_all = data.encode_records(data.read_pasted(a.validation), tok, a.max_tokens)
    val_sub = data.shuffle_split(val_all, seed=7)[: a.eval_records]
    log(f"{len(train)} train records, {len(val_all)} validation ({len(val_sub)} in periodic evals); "
        f"encoded in {time.time() - t0:.0f}s")

    cfg = model_config(a.size, len(tok), a.max_tokens, a.dropout)
    core = BertForTokenClassification(cfg)
    log(f"model {a.size}: {count_parameters(core)} parameters")
    model = core
    if a.wide:
        import wide

        head = wide.load_head(a.wide)[0]
        if head.vocab_size != len(tok):
            raise SystemExit(f"{a.wide}: made for a vocabulary of {head.vocab_size}, the encoder's has {len(tok)}")
        head.requires_grad_(False)
        model = wide.WideDeep(core, head)
        log(f"residual training on the frozen wide half {a.wide}")
        if a.wide_oof:
            with open(a.wide_oof) as f:
                oof = json.load(f)
            if oof["records"] != len(train) or any(len(o) != len(r["ids"]) for o, r in zip(oof["logits"], train)):
                raise SystemExit(f"{a.wide_oof} does not match {a.train}")
            for r, o in zip(train, oof["logits"]):
                r["offset"] = o
            log(f"training offsets: out-of-fold wide logits from {a.wide_oof}")
    dev = device()
    model.to(dev)
    opt = torch.optim.AdamW(core.parameters(), lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    st = {"step": 0, "elapsed": 0.0, "epoch": 0, "batch": 0, "best": -1.0, "best_step": 0, "bad_evals": 0,
          "history": [], "examples": 0, "tokens": 0}
    ck = os.path.join(a.run, "checkpoint.pt")
    best_path = os.path.join(a.run, "best.pt")
    if a.resume and os.path.exists(ck):
        c = torch.load(ck, map_location=dev)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        st = c["state"]
        log(f"resumed at step {st['step']} ({st['elapsed'] / 60:.1f} min done)")
    elif a.init:
        load_init(core, a.init, [int(x) for x in a.layer_map.split(",")] if a.layer_map else None, log)

    def save_ck():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": st}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)

    def run_eval():
        te = time.time()
        preds = predict(model, val_sub, a.max_tokens, precision=a.precision)
        m = evaluate(val_sub, preds)
        score = m["auroc"] + 0.5 * m["tpr_at_1fpr"]
        st["history"].append({"step": st["step"], "minutes": round(st["elapsed"] / 60, 2), **m})
        improved = score > st["best"]
        if improved:
            st["best"], st["best_step"], st["bad_evals"] = score, st["step"], 0
            torch.save(core.state_dict(), best_path)  # the encoder alone, Hugging Face names
        else:
            st["bad_evals"] += 1
        log(f"eval step {st['step']}: AUROC {m['auroc']:.4f} TPR@1% {m['tpr_at_1fpr']:.3f} TPR@5% "
            f"{m['tpr_at_5fpr']:.3f} r(lex) {m.get('pearson_lexical', float('nan')):.3f} "
            f"r(deg,lex) {m.get('pearson_degree_lexical', float('nan')):.3f}"
            f"{' *best*' if improved else ''} ({time.time() - te:.0f}s)")
        with open(os.path.join(a.run, "progress.json"), "w") as f:
            json.dump(st["history"], f, indent=1)
        return improved

    budget = a.minutes * 60
    model.train()
    rnd = random.Random(a.seed * 1000 + st["epoch"])
    batches = data.length_batches(data.epoch_examples(train, a.max_tokens, rnd, a.crop_prob, a.token_noise, len(tok)),
                                  a.batch_tokens, rnd)
    start = time.time() - st["elapsed"]
    last_eval = time.time()
    last_log, loss_avg, tok_window = time.time(), None, 0
    stop_reason = "time budget"
    while True:
        st["elapsed"] = time.time() - start
        frac = st["elapsed"] / budget
        if frac >= 1:
            break
        if a.max_steps and st["step"] >= a.max_steps:
            stop_reason = "max steps"
            break
        if st["batch"] >= len(batches):
            st["epoch"] += 1
            st["batch"] = 0
            rnd = random.Random(a.seed * 1000 + st["epoch"])
            batches = data.length_batches(
                data.epoch_examples(train, a.max_tokens, rnd, a.crop_prob, a.token_noise, len(tok)), a.batch_tokens, rnd)
        b = {k: v.to(dev) for k, v in data.collate(batches[st["batch"]]).items()}
        st["batch"] += 1
        lr = a.lr * (frac / a.warmup if frac < a.warmup else max(0.02, (1 - frac) / (1 - a.warmup)))
        for g in opt.param_groups:
            g["lr"] = lr
        with autocast(a.precision):
            if a.wide_oof:  # encoder alone, plus each sentence's out-of-fold wide logit
                lg = core(b["input_ids"], b["attention_mask"], torch.zeros_like(b["input_ids"]))
            else:
                lg = model(b["input_ids"], b["attention_mask"], torch.zeros_like(b["input_ids"]))
        sel = lg[b["rows"], b["cols"]].float()
        if a.wide_oof:
            sel = torch.stack([sel[:, 0] + b["offset"], sel[:, 1]], 1)
        y = b["y"] * (1 - a.label_smoothing) + 0.5 * a.label_smoothing
        loss = F.binary_cross_entropy_with_logits(sel[:, 0], y)
        if a.token_weight > 0:
            ty = b["token_y"]
            m = ty >= 0
            if m.any():
                tyy = ty[m] * (1 - a.label_smoothing) + 0.5 * a.label_smoothing
                loss = loss + a.token_weight * F.binary_cross_entropy_with_logits(lg[..., 0].float()[m], tyy)
        if a.degree_weight > 0 and b["lexical_mask"].sum() > 0:
            dl = F.binary_cross_entropy_with_logits(sel[:, 1], b["lexical"], reduction="none")
            loss = loss + a.degree_weight * (dl * b["lexical_mask"]).sum() / b["lexical_mask"].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        st["step"] += 1
        st["examples"] += int(b["input_ids"].shape[0])
        ntok = int(b["attention_mask"].sum())
        st["tokens"] += ntok
        tok_window += ntok
        loss_avg = loss.item() if loss_avg is None else 0.97 * loss_avg + 0.03 * loss.item()
        if time.time() - last_log > 60:
            log(f"step {st['step']} epoch {st['epoch'] + st['batch'] / len(batches):.2f} loss {loss_avg:.4f} "
                f"lr {lr:.2e} {tok_window / (time.time() - last_log):.0f} tok/s")
            last_log, tok_window = time.time(), 0
        if time.time() - last_eval > a.eval_minutes * 60:
            st["elapsed"] = time.time() - start
            run_eval()
            save_ck()
            last_eval = time.time()
            if st["bad_evals"] >= a.patience:
                stop_reason = f"early stop (no improvement in {a.patience} evals)"
                break
    st["elapsed"] = time.time() - start
    if st["best_step"] != st["step"]:
        run_eval()
    save_ck()
    log(f"training stopped: {stop_reason}; step {st['step']}, {st['elapsed'] / 60:.1f} min, best at step "
        f"{st['best_step']}")
    if not a.out:
        return
    finalize(a, tok, cfg, best_path, val_all, st, log)


def finalize(a, tok, cfg, best_path, val_all, st, log):
    """Best weights -> model directory; calibration on the whole validation split with the q8 ONNX file the
    runtime runs (through Node), or with PyTorch when --no-node-check is given."""
    model = BertForTokenClassification(cfg)
    model.load_state_dict(torch.load(best_path, map_location="cpu"))
    model.eval()
    stats = {}
    stats_path = os.path.join(os.path.dirname(os.path.abspath(a.train)), "stats.json")
    if os.path.exists(stats_path):
        with open(stats_path) as f:
            s = json.load(f)
        stats = {"records": s.get("records"), "sentences": s.get("sentences"), "positive_rate": s.get("positive_rate"),
                 "splits": {k: {kk: v.get(kk) for kk in ("records", "sentences", "positives")}
                            for k, v in s.get("splits", {}).items()},
                 "paraphrasers": sorted(s.get("by_paraphraser", {}).keys()),
                 "seed": s.get("seed")}
    name = a.name or f"ptd-{a.size}"
    ptd = {
        "name": name,
        "version": a.version,
        "format": 1,
        "outputs": {"paraphrase": 0, "degree": 1},
        "calibration": {"temperature": 1.0},
        "max_tokens": a.max_tokens,
        "thresholds": [],
        "default_target_fpr": 0.01,
        "training": {
            "size": a.size,
            "parameters": count_parameters(model),
            "data": {"train": a.train, "validation": a.validation, **stats},
            "init": a.init, "layer_map": a.layer_map,
            "steps": st["step"], "best_step": st["best_step"], "examples_seen": st["examples"],
            "tokens_seen": st["tokens"], "minutes": round(st["elapsed"] / 60, 1),
            "hyperparameters": {"lr": a.lr, "batch_tokens": a.batch_tokens, "label_smoothing": a.label_smoothing,
                                "degree_weight": a.degree_weight, "token_noise": a.token_noise,
                                "token_weight": a.token_weight,
                                "crop_prob": a.crop_prob, "dropout": a.dropout, "max_tokens": a.max_tokens,
                                "precision": a.precision},
            "torch": torch.__version__,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    save_pretrained(model, a.out, ptd)
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(a.vocab, fn), encoding="utf-8") as f:
            j = json.load(f)
        if fn == "tokenizer_config.json":
            j["model_max_length"] = a.max_tokens
        with open(os.path.join(a.out, fn), "w", encoding="utf-8") as f:
            json.dump(j, f, ensure_ascii=False, indent=1 if fn == "tokenizer.json" else 2)
            f.write("\n")
    export.main([a.out] + (["--no-node"] if a.no_node_check else []))
    keep = os.path.join(a.run, "pytorch_model.bin")
    shutil.move(os.path.join(a.out, "pytorch_model.bin"), keep)
    te = time.time()
    if not a.no_node_check:
        import calibrate
        T, thresholds, m = calibrate.calibrate(a.out, a.validation, "q8")
    else:
        preds = predict(model, val_all, a.max_tokens, precision=a.precision)
        y = np.concatenate([np.array(r["truth"]) for r in val_all])
        T = metrics.fit_temperature(np.concatenate([p["logit"] for p in preds]), y)
        m = evaluate(val_all, preds, T)
        probs = np.concatenate([merged_prob(p, T) for p in preds])
        thresholds = [metrics.threshold_for_fpr(y, probs, t) for t in (0.01, 0.05)]
        path = os.path.join(a.out, "config.json")
        with open(path) as f:
            c = json.load(f)
        c["ptd"]["calibration"] = {"temperature": round(T, 6)}
        c["ptd"]["thresholds"] = [{k: (round(v, 6) if isinstance(v, float) and k != "threshold" else v) for k, v in t.items()}
                                  for t in thresholds]
        c["ptd"]["training"]["validation"] = m
        with open(path, "w") as f:
            json.dump(c, f, indent=2)
            f.write("\n")
    log(f"validation (all {len(val_all)} records): T {T:.3f} AUROC {m['auroc']:.4f} TPR@1% {m['tpr_at_1fpr']:.3f} "
        f"TPR@5% {m['tpr_at_5fpr']:.3f}; thresholds {thresholds} ({time.time() - te:.0f}s)")
    with open(os.path.join(a.run, "validation_metrics.json"), "w") as f:
        json.dump({"temperature": T, "thresholds": thresholds, **m}, f, indent=1)
    log(f"wrote {a.out} (PyTorch weights kept in {keep})")


if __name__ == "__main__":
    main()
