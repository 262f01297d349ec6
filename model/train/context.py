"""The context half of a ptd model: a sentence-level transformer over bag-of-n-gram sentence vectors.

Each sentence of a window becomes a vector: the mean of learned embeddings of its WordPiece unigrams and hashed
bigrams (the wide half's features, wide.py, but D numbers per feature instead of one) and of the trigrams of its
tokens' shapes (casing, digits, punctuation: habits that polishing changes whatever the words), plus its length. Three small
transformer layers then read the window's sentences against each other, so a sentence is judged by its own words
*and* by how it differs from the sentences around it — a rewritten span reads tidier than the human text around
it, whichever model wrote it. On one CPU thread an epoch takes 15–25 s, and alone it scores unseen
validation documents better than the encoder and the wide half (see the model cards for the numbers).

The same module runs two ways, with the same weights and the same arithmetic:
- over sentences (`sentence_logits`, training): vectors from F.embedding_bag, one row per sentence;
- over token positions (`forward`, inside the exported ONNX graph): a [CLS] s1 [SEP] s2 [SEP] ... window, each
  position carrying its sentence's vector; attention reads only the [SEP] positions, one per sentence, so the
  logit at each [SEP] equals the sentence-level one (`selftest`).

  python3 model/train/context.py --train build/dataset/train.jsonl --validation build/dataset/validation.jsonl \
      --vocab model/weights/ptd-small --out model/train/runs/context/context.pt
"""
import json
import math
import os
import random
import sys
import time

import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import metrics  # noqa: E402
import tokenizer as tk  # noqa: E402
from wide import bigram_rows, window_features  # noqa: E402

# torch 1.13 calls scatter_reduce "beta"; the max pooling below relies on it (amax, with gradients)
warnings.filterwarnings("ignore", message="scatter_reduce\\(\\) is in beta")

NEG = -1e4  # additive attention mask; finite so a row without keys cannot turn into NaN
_LOW = -1e9  # "no feature here" for max pooling; finite, so it exports and quantizes like any number


N_SHAPES = 16
_PUNCT_SHAPES = {".": 7, ",": 8, "'": 9, '"': 9, "\u2019": 9, "\u201c": 9, "\u201d": 9, "-": 11, "\u2014": 11, "\u2013": 11,
                 "(": 12, ")": 12, ":": 13, ";": 13, "?": 14, "!": 14}


def token_shape(token):
    """The shape class of a WordPiece token (0..15): special, lower-case word, Capitalised, ALL-CAPS, digits,
    lower/other continuation (##), and the punctuation marks polishing changes most. Trigrams of shapes show
    casing and punctuation habits ("i think so , but" vs "I think so, but") whatever the words are."""
    if token.startswith("[") and token.endswith("]"):
        return 0
    cont = token.startswith("##")
    c = token[2:] if cont else token
    if c.isdigit():
        return 4
    if c.isalpha():
        if cont:
            return 5 if c.islower() else 6
        if c.islower():
            return 1
        if c.isupper() and len(c) > 1:
            return 3
        return 2 if c[0].isupper() else 15
    return _PUNCT_SHAPES.get(c, 10)


def vocabulary_shapes(tok):
    """Per vocabulary id: token_shape of its token."""
    return [token_shape(tok.inv[i]) for i in range(len(tok))]


class Block(nn.Module):
    """A post-norm transformer layer (as nn.TransformerEncoderLayer with ReLU), written out so that it exports
    to plain ONNX ops and takes a mask of which positions may be attended to."""

    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads, self.d = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden)
        self.ff1 = nn.Linear(hidden, 2 * hidden)
        self.ff2 = nn.Linear(2 * hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, key_ok):
        b, n, h = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, self.d).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        scores = scores + (1.0 - key_ok.to(x.dtype))[:, None, None, :] * NEG
        att = self.drop(torch.softmax(scores, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, n, h)
        x = self.norm1(x + self.drop(self.proj(y)))
        return self.norm2(x + self.drop(self.ff2(self.drop(F.relu(self.ff1(x))))))


class ContextHead(nn.Module):
    """Features of a sentence: its token ids (rows < V), its adjacent token pairs hashed into [V, buckets) as in
    wide.py, and, with `shapes` (vocabulary_shapes), the trigram of token shapes ending at each token
    (rows buckets + (s[k-2] * 16 + s[k-1]) * 16 + s[k], 0 before the sentence start)."""

    def __init__(self, vocab_size, buckets, dim=16, hidden=64, layers=3, heads=4, dropout=0.2, max_sentences=64,
                 shapes=None, max_pool=False):
        super().__init__()
        self.use_shapes = shapes is not None
        self.max_pool = max_pool
        self.config = {"vocab_size": vocab_size, "buckets": buckets, "dim": dim, "hidden": hidden, "layers": layers,
                       "heads": heads, "dropout": dropout, "max_sentences": max_sentences,
                       "shapes": N_SHAPES if self.use_shapes else 0, "pool": "mean+max" if max_pool else "mean"}
        self.vocab_size, self.buckets, self.max_sentences = vocab_size, buckets, max_sentences
        rows = buckets + (N_SHAPES ** 3 if self.use_shapes else 0)
        self.table = nn.Parameter(torch.randn(rows, dim) * 0.02)
        self.register_buffer("shape", torch.tensor(shapes if self.use_shapes else [0], dtype=torch.long))
        self._shapes = list(shapes) if self.use_shapes else None
        width = 2 * dim if max_pool else dim  # the sentence vector: mean of its feature rows (and their maximum)
        self.inp = nn.Linear(width + 1, hidden)
        self.pos = nn.Embedding(max_sentences, hidden)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList([Block(hidden, heads, dropout) for _ in range(layers)])
        self.out = nn.Linear(hidden, 1)
        self.lin = nn.Linear(width, 1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # the shape classes live in the `shape` buffer (exported with the graph); features() reads a list copy
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if self.use_shapes:
            self._shapes = self.shape.tolist()

    def features(self, ids):
        """Feature rows of one sentence (empty for an empty sentence, whose vector is then zero, as in the graph)."""
        B = self.buckets
        f = list(ids) + bigram_rows(ids, self.vocab_size, B)
        if self.use_shapes:
            s = [0, 0] + [self._shapes[i] for i in ids]
            f += [B + (s[k] * N_SHAPES + s[k + 1]) * N_SHAPES + s[k + 2] for k in range(len(ids))]
        return f

    def sentence_logits(self, vec, ntok, pos, key_ok):
        """vec [b, n, dim] sentence vectors, ntok [b, n] token counts, pos [b, n] sentence index in the window,
        key_ok [b, n] which rows are real sentences -> [b, n] paraphrase logits."""
        x = self.inp(torch.cat([vec, torch.log1p(ntok)[..., None]], -1))
        x = x + self.pos(torch.clamp(pos, max=self.max_sentences - 1))
        for blk in self.blocks:
            x = blk(x, key_ok)
        return (self.out(x) + self.lin(vec))[..., 0]

    def forward(self, input_ids, attention_mask):
        """Per position of a [CLS] s1 [SEP] s2 [SEP] ... window: the context logit of its sentence (read it at the
        [SEP])."""
        if torch.is_autocast_cpu_enabled() or torch.is_autocast_enabled():
            with torch.autocast("cuda" if input_ids.is_cuda else "cpu", enabled=False):
                return self._forward(input_ids, attention_mask)
        return self._forward(input_ids, attention_mask)

    def _forward(self, ids, attention_mask):
        word, pair, bucket, is_sep, seg = window_features(ids, attention_mask, self.vocab_size, self.buckets)
        n = ids.shape[1]
        rows = [ids, bucket]
        if self.use_shapes:
            sh = self.shape[ids]
            w1 = F.pad(word[:, :-1], (1, 0))
            w2 = F.pad(word[:, :-2], (2, 0)) & w1  # two back, in the same sentence
            p1 = F.pad(sh[:, :-1], (1, 0)) * w1.long()
            p2 = F.pad(sh[:, :-2], (2, 0)) * w2.long()
            rows.append(self.buckets + (p2 * N_SHAPES + p1) * N_SHAPES + sh)
        emb = self.table[torch.cat(rows, 1)]  # one Gather: the int8 quantizer gives a table one copy
        wf, pf = word.to(emb.dtype), pair.to(emb.dtype)
        total = emb[:, :n] * wf[..., None] + emb[:, n:2 * n] * pf[..., None]
        if self.use_shapes:
            total = total + emb[:, 2 * n:] * wf[..., None]
        same = (seg[:, :, None] == seg[:, None, :]).to(emb.dtype)
        count = torch.matmul(same, (wf + pf + (wf if self.use_shapes else 0.0))[..., None])
        vec = torch.matmul(same, total) / torch.clamp(count, min=1.0)
        if self.max_pool:
            # per position the maximum over its features, then over the positions of its sentence; a sentence
            # without features (empty) gets 0, as an empty bag does in training
            parts = [torch.where(word[..., None], emb[:, :n], _LOW), torch.where(pair[..., None], emb[:, n:2 * n], _LOW)]
            if self.use_shapes:
                parts.append(torch.where(word[..., None], emb[:, 2 * n:], _LOW))
            per_pos = torch.stack(parts, 0).amax(0)
            top = torch.where(same[..., None] > 0, per_pos[:, None, :, :], _LOW).amax(2)
            vec = torch.cat([vec, torch.where(top > _LOW / 2, top, torch.zeros_like(top))], -1)
        ntok = torch.matmul(same, wf[..., None])[..., 0]
        return self.sentence_logits(vec, ntok, seg, is_sep)


class AsTokenClassifier(nn.Module):
    """The head seen as a token classifier ([b, L, 2]: logit, 0), so train.predict merges its windows exactly as
    the runtime merges the exported model's."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        p = self.head(input_ids, attention_mask if attention_mask is not None else torch.ones_like(input_ids))
        return torch.stack([p, torch.zeros_like(p)], -1)


def predict_logits(head, records, max_tokens):
    """Per sentence, flat over the records: the context logit, windows merged like the runtime."""
    import train

    preds = train.predict(AsTokenClassifier(head), records, max_tokens, precision="fp32")
    return np.concatenate([p["logit"] for p in preds]) if preds else np.zeros(0)


def make_batch(items, head, rng=None, feature_dropout=0.0):
    """items: (record, start, end) windows -> (flat features, offsets, token counts [b, n], key_ok [b, n],
    labels [b, n])."""
    n = max(e - s for _, s, e in items)
    flat, offsets = [], []
    ntok = torch.zeros(len(items), n)
    ok = torch.zeros(len(items), n, dtype=torch.bool)
    y = torch.zeros(len(items), n)
    for i, (r, s, e) in enumerate(items):
        for j, k in enumerate(range(s, e)):
            f = head.features(r["ids"][k])
            if feature_dropout > 0 and f:
                keep = rng.random(len(f)) >= feature_dropout
                f = [x for x, kp in zip(f, keep) if kp] or f[:1]
            offsets.append(len(flat))
            flat.extend(f)
            ntok[i, j] = len(r["ids"][k])
            ok[i, j] = True
            y[i, j] = float(r["truth"][k])
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long), ntok, ok, y


def _bag_max(flat, offsets, table):
    """Per bag, the elementwise maximum of its rows (0 for an empty bag), with a sparse gradient for the table
    (EmbeddingBag's "max" mode has none, and SparseAdam needs one)."""
    rows = F.embedding(flat, table, sparse=True)
    n, d = len(offsets), table.shape[1]
    ends = torch.cat([offsets[1:], torch.tensor([len(flat)])])
    bag = torch.repeat_interleave(torch.arange(n), ends - offsets)
    top = torch.full((n, d), _LOW).scatter_reduce(0, bag[:, None].expand(-1, d), rows, "amax", include_self=True)
    return torch.where(top > _LOW / 2, top, torch.zeros_like(top))


def window_logits(head, flat, offsets, ntok, ok):
    """Training-side forward over a batch of sentence windows."""
    vec_rows = F.embedding_bag(flat, head.table, offsets, mode="mean", sparse=True)
    if head.max_pool:
        vec_rows = torch.cat([vec_rows, _bag_max(flat, offsets, head.table)], -1)
    vec = torch.zeros(ok.shape[0], ok.shape[1], vec_rows.shape[1])
    vec[ok] = vec_rows
    pos = torch.arange(ok.shape[1])[None].expand(ok.shape[0], -1)
    return head.sentence_logits(vec, ntok, pos, ok)


def window_rank_loss(logits, y, ok):
    """Mean softplus(-(l_pos - l_neg)) over the (paraphrased, human) sentence pairs of each window (0 without any)."""
    pos = (y > 0.5) & ok
    neg = (y < 0.5) & ok
    pairs = pos[:, :, None] & neg[:, None, :]
    if not bool(pairs.any()):
        return logits.sum() * 0.0
    diff = logits[:, :, None] - logits[:, None, :]
    return F.softplus(-diff[pairs]).mean()


def train_head(train_records, vocab_size, buckets, max_tokens=256, epochs=3, lr=1e-3, table_lr=0.01, batch=32,
               dim=16, hidden=64, layers=3, feature_dropout=0.3, dropout=0.2, label_smoothing=0.05, seed=0,
               log=print, val=None, shapes=None, max_pool=False, rank_weight=0.0):
    """SparseAdam on the feature table, AdamW on the rest, both decaying linearly to 10%; random windows of
    whole sentences (as the encoder is trained), feature dropout against leaning on a few n-grams. With
    `rank_weight`, a pairwise loss within each window (each paraphrased sentence above each human one) is added
    to the BCE: it rewards ranking sentences against their own document, not a source's base rate."""
    torch.manual_seed(seed)
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    head = ContextHead(vocab_size, buckets, dim, hidden, layers, dropout=dropout, shapes=shapes, max_pool=max_pool)
    dense = [p for name, p in head.named_parameters() if name != "table"]
    opt_t = torch.optim.SparseAdam([head.table], lr=table_lr)
    opt_d = torch.optim.AdamW(dense, lr=lr, weight_decay=0.01)
    steps = max(1, epochs * ((len(train_records) + batch - 1) // batch))
    step = 0
    history = []
    y_val = np.concatenate([r["truth"] for r in val]).astype(int) if val else None
    for ep in range(epochs):
        t0 = time.time()
        order = list(range(len(train_records)))
        rnd.shuffle(order)
        for i in range(0, len(order), batch):
            f = 1 - 0.9 * step / steps
            for g in opt_t.param_groups:
                g["lr"] = table_lr * f
            for g in opt_d.param_groups:
                g["lr"] = lr * f
            items = []
            for k in order[i:i + batch]:
                r = train_records[k]
                s, e = data.random_window(r, max_tokens, rnd)
                items.append((r, s, e))
            flat, offsets, ntok, ok, y = make_batch(items, head, rng, feature_dropout)
            logits = window_logits(head, flat, offsets, ntok, ok)
            target = y[ok] * (1 - label_smoothing) + label_smoothing / 2
            loss = F.binary_cross_entropy_with_logits(logits[ok], target)
            if rank_weight > 0:
                loss = loss + rank_weight * window_rank_loss(logits, y, ok)
            opt_t.zero_grad()
            opt_d.zero_grad()
            loss.backward()
            opt_t.step()
            opt_d.step()
            step += 1
        msg = f"context epoch {ep + 1}/{epochs} ({time.time() - t0:.0f}s, loss {loss.item():.3f})"
        if val:
            head.eval()
            m = metrics.summary(y_val, predict_logits(head, val, max_tokens))
            head.train()
            history.append({"epoch": ep + 1, **m})
            msg += f": validation AUROC {m['auroc']:.4f} TPR@1% {m['tpr_at_1fpr']:.3f}"
        log(msg)
    head.eval()
    return head, history


def save_head(head, path, meta=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"config": head.config, "state": head.state_dict(), "meta": meta or {}}, path + ".tmp")
    os.replace(path + ".tmp", path)


def head_from_config(c):
    """An untrained ContextHead of the shape `c` (ContextHead.config, as saved and as in config.json's
    `ptd.context`) describes; its weights, shape classes included, come from a state dict."""
    shapes = [0] * c["vocab_size"] if c.get("shapes") else None
    return ContextHead(c["vocab_size"], c["buckets"], c["dim"], c["hidden"], c["layers"], c["heads"], c["dropout"],
                       c["max_sentences"], shapes, c.get("pool") == "mean+max")


def load_head(path):
    """-> (ContextHead in eval mode, metadata)"""
    st = torch.load(path, map_location="cpu")
    head = head_from_config(st["config"])
    head.load_state_dict(st["state"])
    return head.eval(), st.get("meta", {})


def selftest():
    """The head over token positions (what the ONNX graph computes) == the head over sentences (what training
    optimised), with and without shape features, for a padded batch of windows with an empty sentence and
    one-token sentences. Exit status 1 on a mismatch."""
    V, B = 50, 997
    torch.manual_seed(0)
    worst = 0.0
    for shapes, max_pool in ((None, False), ([i % N_SHAPES for i in range(V)], False),
                             ([i % N_SHAPES for i in range(V)], True)):
        head = ContextHead(V, B, dim=8, hidden=16, layers=2, heads=2, shapes=shapes, max_pool=max_pool).eval()
        with torch.no_grad():
            head.table.normal_()
        worst = max(worst, _selftest_diff(head))
    print(json.dumps({"max_abs_diff": worst}))
    if worst > 1e-4:
        raise SystemExit(f"ContextHead over positions differs from the sentence-level computation: {worst}")


def _selftest_diff(head):
    docs = [[[5, 6, 7], [8], [9, 10, 11, 12], [13, 14]], [[7, 8], [], [tk.UNK, 20, 21, 22, 23, 24]]]
    seqs = [data.assemble(d) for d in docs]
    L = max(len(q) for q, _ in seqs) + 3
    ids = torch.zeros(len(docs), L, dtype=torch.long)
    for i, (q, _) in enumerate(seqs):
        ids[i, :len(q)] = torch.tensor(q)
    with torch.no_grad():
        per_position = head(ids, (ids != tk.PAD).long())
        recs = [{"ids": d, "truth": [0] * len(d)} for d in docs]
        flat, offsets, ntok, ok, _ = make_batch([(r, 0, len(r["ids"])) for r in recs], head)
        per_sentence = window_logits(head, flat, offsets, ntok, ok)
    worst = 0.0
    for i, (d, (_, seps)) in enumerate(zip(docs, seqs)):
        worst = max(worst, float((per_position[i, seps] - per_sentence[i, :len(d)]).abs().max()))
    return worst


def main(argv=None):
    ap, argv = data.head_cli(argv, __doc__, "context.pt to write", selftest)
    if ap is None:
        return
    ap.add_argument("--buckets", type=int, default=1 << 18)
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--no-shapes", action="store_true", help="leave out the token-shape trigram features")
    ap.add_argument("--max-pool", action="store_true",
                    help="sentence vector = mean and elementwise maximum of its feature rows (default: mean)")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--table-lr", type=float, default=0.005)
    ap.add_argument("--feature-dropout", type=float, default=0.3)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rank-weight", type=float, default=0.0,
                    help="weight of a within-window pairwise ranking loss added to the BCE (default 0: none)")
    a, tok, train, val = data.parse_head_run(ap, argv)
    log = data.log
    head, history = train_head(train, len(tok), a.buckets, a.max_tokens, a.epochs, a.lr, a.table_lr, dim=a.dim,
                               hidden=a.hidden, layers=a.layers, feature_dropout=a.feature_dropout,
                               dropout=a.dropout, seed=a.seed, log=log, val=val,
                               shapes=None if a.no_shapes else vocabulary_shapes(tok), max_pool=a.max_pool,
                               rank_weight=a.rank_weight)
    meta = {"train": a.train, "hold_out": a.hold_out, "hold_out_family": a.hold_out_family,
            "shapes": not a.no_shapes, "max_pool": a.max_pool,
            "epochs": a.epochs, "lr": a.lr, "table_lr": a.table_lr,
            "feature_dropout": a.feature_dropout, "dropout": a.dropout, "rank_weight": a.rank_weight, "history": history,
            "sentences": sum(len(r["truth"]) for r in train)}
    save_head(head, a.out, meta=meta)
    log(f"wrote {a.out}" + (f" ({json.dumps(history[-1])})" if history else ""))


if __name__ == "__main__":
    main()
