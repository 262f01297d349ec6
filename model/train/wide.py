"""The wide half of a ptd model: a log-linear sentence scorer over hashed WordPiece unigrams and bigrams.

From-scratch transformers learn slowly on 2 CPU cores; a bag of token n-grams learns the vocabulary of LLM
rewriting ("Additionally", "exacerbated", tidy punctuation) in minutes and scores unseen documents as well as
the encoder does, with different mistakes (validation AUROC 0.754 alone; r = 0.50 with the encoder's score).
The two are combined inside the exported ONNX graph (WideDeep), so every face of ptd runs one model file.

Features of a sentence: its token ids (unigrams, id < V) and its adjacent token pairs hashed into
[V, buckets): bucket = V + (a * 1000003 + b) mod (buckets - V). The sentence's wide logit is the mean of its
feature weights plus a bias (EmbeddingBag "mean"). WideHead computes exactly this inside a [CLS] s1 [SEP] s2
[SEP] ... sequence, at every [SEP], with operations that export to ONNX.

  python3 model/train/wide.py --train build/dataset/train.jsonl --validation build/dataset/validation.jsonl \
      --vocab model/weights/ptd-small --out model/train/runs/wide-small/wide.pt
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402

PRIME = 1000003


def bigram_rows(ids, vocab_size, buckets):
    """The rows of a sentence's adjacent token pairs: V + (a * PRIME + b) mod (buckets - V)."""
    return [vocab_size + (a * PRIME + b) % (buckets - vocab_size) for a, b in zip(ids, ids[1:])]


def sentence_features(ids, vocab_size, buckets):
    """Feature indices of one sentence (its token ids, no special tokens)."""
    return (list(ids) + bigram_rows(ids, vocab_size, buckets)) or [tk.PAD]


def window_features(ids, attention_mask, vocab_size, buckets):
    """What the heads read inside a [CLS] s1 [SEP] s2 [SEP] ... window, per position (all [batch, L]):
    word (a token of a sentence), pair (a word right after a word: its bigram counts), bucket (that bigram's
    row, as bigram_rows), is_sep, and seg (its sentence: the number of [SEP]s before it, so a [SEP] belongs to
    the sentence it ends)."""
    live = attention_mask > 0
    word = live & (ids != tk.CLS) & (ids != tk.SEP) & (ids != tk.PAD)
    is_sep = live & (ids == tk.SEP)
    prev = F.pad(ids[:, :-1], (1, 0))
    pair = word & F.pad(word[:, :-1], (1, 0))
    bucket = vocab_size + torch.remainder(prev * PRIME + ids, buckets - vocab_size)
    sep = is_sep.long()
    seg = torch.cumsum(sep, dim=1) - sep
    return word, pair, bucket, is_sep, seg


class WideHead(nn.Module):
    """Per position: the wide logit of the sentence that position belongs to (read it at the [SEP]), and the
    mean wide logit of that sentence's neighbours in the window (the sentences before and after it)."""

    def __init__(self, vocab_size, buckets):
        super().__init__()
        self.vocab_size = vocab_size
        self.buckets = buckets
        # 1-D: the int8 quantizer stores it with one scale (quantize.py)
        self.weight = nn.Parameter(torch.zeros(buckets))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, input_ids, attention_mask, neighbours=False):
        if torch.is_autocast_cpu_enabled() or torch.is_autocast_enabled():
            with torch.autocast("cuda" if input_ids.is_cuda else "cpu", enabled=False):
                return self._forward(input_ids, attention_mask, neighbours)
        return self._forward(input_ids, attention_mask, neighbours)

    def _forward(self, input_ids, attention_mask, neighbours):
        # fp32 throughout: a mean of many small weights loses too much in bf16
        ids = input_ids
        word, pair, bucket, is_sep, seg = window_features(ids, attention_mask, self.vocab_size, self.buckets)
        wf = word.to(self.weight.dtype)
        pf = pair.to(self.weight.dtype)
        total = self.weight[ids] * wf + self.weight[bucket] * pf
        count = wf + pf
        same = (seg[:, :, None] == seg[:, None, :]).to(self.weight.dtype)
        num = torch.matmul(same, total[:, :, None])[..., 0]
        den = torch.matmul(same, count[:, :, None])[..., 0]
        own = num / torch.clamp(den, min=1.0) + self.bias
        if not neighbours:
            return own
        # the [SEP]s of the sentences just before and after; a sentence without any in the window keeps its own
        adj = ((seg[:, :, None] - seg[:, None, :]).abs() == 1) & is_sep[:, None, :]
        adj = adj.to(self.weight.dtype)
        n = adj.sum(-1)
        near = torch.matmul(adj, own[:, :, None])[..., 0] / torch.clamp(n, min=1.0)
        return own, torch.where(n > 0, near, own)


class WideDeep(nn.Module):
    """A BertForTokenClassification whose paraphrase channel is mixed with the wide logits and, when given, the
    context head's (context.py):
    logits[..., 0] = mix[0] * bert_logit + mix[1] * wide_logit + mix[2] + mix[3] * neighbours' wide logit
                     + mix[4] * context_logit;
    channel 1 (degree) is the encoder's, or with `degree` (a WideHead trained by `wide.py --target degree`) that
    head's logit: the predicted lexical change of a sentence if it was rewritten. Paraphrased spans run over
    several sentences, so a sentence whose neighbours read as rewritten is likelier rewritten too. Its inputs and
    outputs are the token classifier's, so transformers.js runs the exported graph as it is."""

    def __init__(self, deep, wide, mix=(1.0, 1.0, 0.0, 0.0), context=None, degree=None):
        super().__init__()
        self.deep = deep
        self.wide = wide
        self.context = context
        self.degree = degree
        mix = list(mix) + [0.0] * (5 - len(mix))
        self.register_buffer("mix", torch.tensor(mix, dtype=torch.float32))

    @property
    def config(self):
        return self.deep.config

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        lg = self.deep(input_ids, attention_mask, token_type_ids)
        own, near = self.wide(input_ids, attention_mask, neighbours=True)
        m = self.mix.to(lg.dtype)
        p = m[0] * lg[..., 0] + m[1] * own.to(lg.dtype) + m[2] + m[3] * near.to(lg.dtype)
        if self.context is not None:
            p = p + m[4] * self.context(input_ids, attention_mask).to(lg.dtype)
        d = lg[..., 1] if self.degree is None else self.degree(input_ids, attention_mask).to(lg.dtype)
        return torch.stack([p, d], dim=-1)


def neighbour_mean(records, values):
    """Per sentence: the mean of `values` (flat, record by record) over the sentences before and after it in
    its record, or its own value when it has none (what WideHead computes inside a window)."""
    out = np.empty_like(values)
    pos = 0
    for r in records:
        n = len(r["ids"])
        v = values[pos:pos + n]
        for i in range(n):
            near = [v[j] for j in (i - 1, i + 1) if 0 <= j < n]
            out[pos + i] = sum(near) / len(near) if near else v[i]
        pos += n
    return out


def save_head(head, path, mix=None, meta=None):
    """wide.pt after training; wide.bin inside a model directory (next to pytorch_model.bin), with the mix."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"vocab_size": head.vocab_size, "buckets": head.buckets, "state": head.state_dict(),
                "mix": None if mix is None else [float(x) for x in mix], "meta": meta or {}}, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_head(path):
    """-> (WideHead, mix or None, metadata)"""
    st = torch.load(path, map_location="cpu")
    head = WideHead(st["vocab_size"], st["buckets"])
    head.load_state_dict(st["state"])
    return head, st.get("mix"), st.get("meta", {})


def fit_mix(columns, y, steps=500, l2=1e-3, fixed=None):
    """Logistic regression of the label on the given per-sentence logits: [weight per column..., offset].
    A small L2 penalty on the weights keeps them finite when a part separates the data (tiny fixtures); on the
    real validation split (~19,000 sentences) it moves no weight by more than a few thousandths. `fixed`, per
    sentence, is added to the logit as it is (a part whose weight was chosen beforehand)."""
    x = torch.tensor(np.stack(columns, 1), dtype=torch.float64)
    t = torch.tensor(y, dtype=torch.float64)
    f = torch.zeros(len(t), dtype=torch.float64) if fixed is None else torch.tensor(fixed, dtype=torch.float64)
    w = torch.tensor([1.0] * len(columns) + [0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(x @ w[:-1] + w[-1] + f, t) + l2 * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return [float(v) for v in w.detach()]


def _bags(records, vocab_size, buckets, target="paraphrase"):
    """Features and targets per sentence. target "paraphrase": every sentence, 0/1; "degree": the paraphrased
    sentences only, their lexical change (1 - BLEU-4) as a soft target."""
    flat, offsets, y = [], [], []
    for r in records:
        if target == "degree" and not r.get("lexical"):
            continue  # no lexical change to learn from (e.g. a PASTED export without it): not a target of 0
        lexical = r.get("lexical") or [0.0] * len(r["truth"])
        for s, t, lx in zip(r["ids"], r["truth"], lexical):
            if target == "degree" and not t:
                continue
            offsets.append(len(flat))
            flat.extend(sentence_features(s, vocab_size, buckets))
            y.append(float(lx) if target == "degree" else float(t))
    return torch.tensor(flat), torch.tensor(offsets), torch.tensor(y)


def degree_fit(predicted, lexical):
    """How well predicted degrees (0..1) follow the lexical change: Pearson r and mean absolute error."""
    return {"pearson": float(np.corrcoef(predicted, lexical)[0, 1]), "mae": float(np.abs(predicted - lexical).mean())}


def _report(target, y, s):
    """Validation figures of a head's logits: AUROC and TPR for the paraphrase target, Pearson r and mean
    absolute error for the degree target."""
    if target == "degree":
        return degree_fit(1 / (1 + np.exp(-s)), y)
    return metrics.summary(y.astype(int), s)


def train_head(train_records, vocab_size, buckets, epochs=8, lr=0.02, batch=256, seed=0, log=print, val=None,
               feature_dropout=0.0, target="paraphrase"):
    """Adam on mean-pooled feature weights, learning rate decaying linearly to 10% over the epochs. Feature
    dropout (each feature of a training sentence left out with this probability) keeps the scorer from
    leaning on a few n-grams of the paraphrasers it was trained on. target "degree" trains the degree head
    instead: on paraphrased sentences only, against their lexical change (_bags)."""
    torch.manual_seed(seed)
    flat, offsets, y = _bags(train_records, vocab_size, buckets, target)
    if len(offsets) == 0:
        raise SystemExit("no training sentences" + (" with a paraphrase label and a lexical change (the degree head "
                                                    "needs them)" if target == "degree" else ""))
    ends = torch.cat([offsets[1:], torch.tensor([len(flat)])])
    bag = nn.EmbeddingBag(buckets, 1, mode="mean")
    nn.init.zeros_(bag.weight)
    bias = nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam(list(bag.parameters()) + [bias], lr=lr)
    n = len(offsets)
    steps = epochs * ((n + batch - 1) // batch)
    step = 0
    history = []
    val_bags = _bags(val, vocab_size, buckets, target) if val is not None else None  # built once, scored every epoch
    for ep in range(epochs):
        t0 = time.time()
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            for g in opt.param_groups:
                g["lr"] = lr * (1 - 0.9 * step / steps)
            idx = perm[i:i + batch]
            segs = [flat[a:b] for a, b in zip(offsets[idx].tolist(), ends[idx].tolist())]
            if feature_dropout > 0:
                kept = [s[torch.rand(len(s)) >= feature_dropout] for s in segs]
                segs = [k if len(k) else s[:1] for k, s in zip(kept, segs)]
            off = torch.tensor([0] + [len(s) for s in segs[:-1]]).cumsum(0)
            loss = F.binary_cross_entropy_with_logits(bag(torch.cat(segs), off)[:, 0] + bias, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        msg = f"wide epoch {ep + 1}/{epochs} ({time.time() - t0:.0f}s)"
        if val is not None:
            with torch.no_grad():
                s = (bag(val_bags[0], val_bags[1])[:, 0] + bias).numpy()
            m = _report(target, val_bags[2].numpy(), s)
            history.append({"epoch": ep + 1, **m})
            msg += (f": validation Pearson r {m['pearson']:.4f}, mean absolute error {m['mae']:.4f} (paraphrased)"
                    if target == "degree" else f": validation AUROC {m['auroc']:.4f} TPR@1% {m['tpr_at_1fpr']:.3f}")
        log(msg)
    head = WideHead(vocab_size, buckets)
    with torch.no_grad():
        head.weight.copy_(bag.weight[:, 0])
        head.bias.copy_(bias[0])
    return head, history


def sentence_logits(records, weight, bias, vocab_size, buckets):
    flat, offsets, _ = _bags(records, vocab_size, buckets)
    with torch.no_grad():
        return (F.embedding_bag(flat, weight[:, None], offsets, mode="mean")[:, 0] + bias).numpy()


def out_of_fold_logits(records, vocab_size, buckets, folds=2, epochs=8, lr=0.02, log=print, feature_dropout=0.0):
    """Per record, per sentence: the wide logit from a head that never saw the record's document (folds by
    doc_id). Training the encoder on the residual of the final head's own training-set logits would teach it
    to trust a wide half that is far more confident on documents it memorised than on new ones."""
    import corpus

    fold_of = [corpus.fnv1a32(f"oof:{r['fields'].get('doc_id', i)}") % folds for i, r in enumerate(records)]
    out = [None] * len(records)
    for k in range(folds):
        inside = [r for r, f in zip(records, fold_of) if f != k]
        held = [i for i, f in enumerate(fold_of) if f == k]
        if not held:
            continue
        if not inside:
            raise SystemExit(f"out-of-fold logits: every training document is in fold {k + 1}; use fewer folds")
        head, _ = train_head(inside, vocab_size, buckets, epochs, lr, log=log, feature_dropout=feature_dropout)
        flat = sentence_logits([records[i] for i in held], head.weight.detach(), float(head.bias), vocab_size, buckets)
        pos = 0
        for i in held:
            n = len(records[i]["ids"])
            out[i] = [float(x) for x in flat[pos:pos + n]]
            pos += n
        log(f"out-of-fold wide logits: fold {k + 1}/{folds} ({len(held)} records held out)")
    return out


def selftest():
    """WideHead inside a sequence (what the ONNX graph computes) == the per-sentence EmbeddingBag mean (what
    training optimised), for a padded batch of windows. Exit status 1 on a mismatch."""
    V, D = 50, 997
    g = torch.Generator().manual_seed(0)
    head = WideHead(V, D)
    with torch.no_grad():
        head.weight.copy_(torch.randn(D, generator=g))
        head.bias.fill_(0.3)
    docs = [[[5, 6, 7], [8], [9, 10, 11, 12], [13, 14]], [[7, 8], [tk.UNK, 20, 21, 22, 23, 24]]]
    seqs = [data.assemble(d) for d in docs]
    L = max(len(q) for q, _ in seqs) + 2
    ids = torch.zeros(len(docs), L, dtype=torch.long)
    for i, (q, _) in enumerate(seqs):
        ids[i, :len(q)] = torch.tensor(q)
    out, near = head(ids, (ids != tk.PAD).long(), neighbours=True)
    worst = 0.0
    for i, (d, (_, seps)) in enumerate(zip(docs, seqs)):
        recs = [{"ids": d, "truth": [0] * len(d)}]
        ref = sentence_logits(recs, head.weight.detach(), float(head.bias), V, D)
        worst = max(worst, float(np.abs(out[i, seps].detach().numpy() - ref).max()))
        worst = max(worst, float(np.abs(near[i, seps].detach().numpy() - neighbour_mean(recs, ref)).max()))
    print(json.dumps({"max_abs_diff": worst}))
    if worst > 1e-5:
        raise SystemExit(f"WideHead differs from the sentence features: {worst}")


def main(argv=None):
    ap, argv = data.head_cli(argv, __doc__, "wide.pt to write", selftest)
    if ap is None:
        return
    ap.add_argument("--buckets", type=int, default=1 << 20)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--feature-dropout", type=float, default=0.0)
    ap.add_argument("--oof", help="also write out-of-fold logits of the training records here (train.py --wide-oof)")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--target", choices=["paraphrase", "degree"], default="paraphrase",
                    help="paraphrase: the wide half (every sentence, 0/1); degree: the degree head (paraphrased "
                         "sentences, their lexical change), channel 1 of a joined model (combine.py --degree)")
    a, tok, train, val = data.parse_head_run(ap, argv)
    log = data.log
    head, history = train_head(train, len(tok), a.buckets, a.epochs, a.lr, log=log, val=val,
                               feature_dropout=a.feature_dropout, target=a.target)
    meta = {"train": a.train, "target": a.target, "hold_out": a.hold_out, "hold_out_family": a.hold_out_family,
            "epochs": a.epochs, "lr": a.lr,
            "feature_dropout": a.feature_dropout, "buckets": a.buckets, "history": history,
            # the sentences trained on: every one for the wide half, the paraphrased ones for the degree head
            "sentences": sum(len(r["truth"]) if a.target == "paraphrase" else sum(r["truth"]) for r in train)}
    save_head(head, a.out, meta=meta)
    if a.oof:
        oof = out_of_fold_logits(train, len(tok), a.buckets, a.folds, a.epochs, a.lr, log=log,
                                 feature_dropout=a.feature_dropout)
        with open(a.oof + ".tmp", "w") as f:
            json.dump({"train": a.train, "records": len(train), "logits": oof}, f)
        os.replace(a.oof + ".tmp", a.oof)
        log(f"wrote {a.oof}")
    log(f"wrote {a.out}" + (f" ({json.dumps(history[-1])})" if history else ""))


if __name__ == "__main__":
    main()
