"""PtdNet, the detector: each sentence read three ways, then against the sentences around it.

- as a bag of n-grams: the mean of learned vectors of its WordPiece tokens, hashed token bigrams and trigrams of
  token shapes (casing, digits, punctuation: habits polishing changes whatever the words), plus, with `wide`,
  one learned weight per feature (a log-linear scorer: the vocabulary of LLM rewriting, learned in minutes);
- as a token sequence: token embeddings through convolutions that stop at sentence boundaries, pooled by
  learned attention (phrasing: "not only ... but also", participial tails, tidy punctuation);
- by its length;
then a small transformer over the window's sentences reads each against its neighbours (a rewritten span
reads tidier than the human text around it) and gives two logits per sentence: paraphrased, and the degree of
change (1 - BLEU-4) if it was rewritten.

No pretrained weights exist where ptd is trained; this shape learns on two CPU cores in about an hour what a
from-scratch BERT of the same size could not (model cards). Two ways to run the same weights, equal to 1e-5:
- forward(input_ids, attention_mask): the exported ONNX graph. [CLS] s1 [SEP] s2 [SEP] ...; sentence i's
  logits sit at the [SEP] after it (what the runtime reads);
- sentences(...): training; sentences padded one per row, pooled, then scattered into their windows.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, CLS, SEP = 0, 1, 2, 3
PRIME = 1000003
NEG = -1e4
N_SHAPES = 16
_PUNCT = {".": 7, ",": 8, "'": 9, '"': 9, "\u2019": 9, "\u201c": 9, "\u201d": 9, "-": 11, "\u2014": 11, "\u2013": 11,
          "(": 12, ")": 12, ":": 13, ";": 13, "?": 14, "!": 14}


def token_shape(token):
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
    return _PUNCT.get(c, 10)


class Block(nn.Module):
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
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        s = s + (1.0 - key_ok.to(x.dtype))[:, None, None, :] * NEG
        att = self.drop(torch.softmax(s, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, n, h)
        x = self.norm1(x + self.drop(self.proj(y)))
        return self.norm2(x + self.drop(self.ff2(self.drop(F.gelu(self.ff1(x))))))


class MaskedConv(nn.Module):
    """Conv1d(k=3) whose taps stop at sentence boundaries: h'_t = W_l h_{t-1} [same sentence] + W_c h_t +
    W_r h_{t+1} [same sentence]; then GELU, residual, LayerNorm."""

    def __init__(self, d, dropout):
        super().__init__()
        self.l = nn.Linear(d, d, bias=False)
        self.c = nn.Linear(d, d)
        self.r = nn.Linear(d, d, bias=False)
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, h, left_ok, right_ok):
        # h [b, L, d]; left_ok/right_ok [b, L, 1] float: the neighbour is a token of the same sentence
        hl = F.pad(h[:, :-1], (0, 0, 1, 0)) * left_ok
        hr = F.pad(h[:, 1:], (0, 0, 0, 1)) * right_ok
        y = F.gelu(self.l(hl) + self.c(h) + self.r(hr))
        return self.norm(h + self.drop(y))


class PtdNet(nn.Module):
    def __init__(self, vocab_size, shapes, buckets=1 << 18, bag_dim=16, tok_dim=96, convs=2, hidden=96, layers=3,
                 heads=4, dropout=0.1, max_sentences=64, wide=False, sentence_tokens=96, token_head=False):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, buckets=buckets, bag_dim=bag_dim, tok_dim=tok_dim, convs=convs,
                           hidden=hidden, layers=layers, heads=heads, dropout=dropout, max_sentences=max_sentences,
                           wide=wide, sentence_tokens=sentence_tokens)
        if token_head:
            self.config["token_head"] = True
        # the token path reads the first `sentence_tokens` tokens of a sentence (the bag and the length see all)
        self.sentence_tokens = sentence_tokens
        self.V, self.B, self.max_sentences = vocab_size, buckets, max_sentences
        # 1-D, so the int8 quantizer stores it with one scale (quantize.py)
        self.wide = nn.Parameter(torch.zeros(buckets + N_SHAPES ** 3)) if wide else None
        self.table = nn.Parameter(torch.randn(buckets + N_SHAPES ** 3, bag_dim) * 0.02)
        self.register_buffer("shape", torch.tensor(shapes, dtype=torch.long))
        self.tok = nn.Embedding(vocab_size, tok_dim)
        nn.init.normal_(self.tok.weight, std=0.05)
        self.convs = nn.ModuleList([MaskedConv(tok_dim, dropout) for _ in range(convs)])
        self.att = nn.Linear(tok_dim, 1)
        # with token_head: a logit per token, "an LLM put this word here" (trained on the words a rewrite added to
        # its mirror original), from the token path plus the token's own wide weights; the sentence transformer
        # reads its mean probability and its maximum over the sentence
        self.tok_head = nn.Linear(tok_dim, 1) if token_head else None
        width = bag_dim + tok_dim + 1 + (2 if token_head else 0)
        self.inp = nn.Linear(width, hidden)
        self.pos = nn.Embedding(max_sentences, hidden)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList([Block(hidden, heads, dropout) for _ in range(layers)])
        self.out = nn.Linear(hidden, 2)  # paraphrase, degree
        self.lin = nn.Linear(bag_dim + tok_dim, 1)
        self.drop = nn.Dropout(dropout)

    # ---- shared: sentences -> logits
    def _sentence_logits(self, vec, ntok, key_ok, extra=None):
        b, n, _ = vec.shape
        parts = [self.drop(vec), torch.log1p(ntok)[..., None]] + ([extra] if extra is not None else [])
        x = self.inp(torch.cat(parts, -1))
        pos = torch.arange(n, device=vec.device)[None].expand(b, n)
        x = x + self.pos(torch.clamp(pos, max=self.max_sentences - 1))
        for blk in self.blocks:
            x = blk(x, key_ok)
        o = self.out(x)
        return o[..., 0] + self.lin(vec)[..., 0], o[..., 1]

    @staticmethod
    def _pool_weights(a):
        # bounded attention scores so exp() neither overflows nor underflows inside one sentence
        return torch.exp(4.0 * torch.tanh(a / 4.0))

    # ---- training: a batch of windows given as flat sentences
    def _feature_rows(self, ids):
        """a sentence's feature rows: its unigrams, the hashed bigram ending at each token after the first, and
        the shape trigram ending at each token"""
        B, V = self.B, self.V
        bigrams = [V + (a * PRIME + b) % (B - V) for a, b in zip(ids, ids[1:])]
        s = [0, 0] + [self._shapes[i] for i in ids]
        shapes = [B + (s[k] * N_SHAPES + s[k + 1]) * N_SHAPES + s[k + 2] for k in range(len(ids))]
        return list(ids), bigrams, shapes

    def bag_features(self, ids):
        """feature rows of one sentence: unigrams, hashed bigrams, shape trigrams"""
        uni, bi, sh = self._feature_rows(ids)
        return uni + bi + sh

    @property
    def _shapes(self):
        if not hasattr(self, "_shape_list"):
            self._shape_list = self.shape.tolist()
        return self._shape_list

    def token_rows(self, ids):
        """per token of a sentence (its first sentence_tokens): its unigram, bigram (with the token before; -1 for
        the first) and shape-trigram feature rows, as bag_features numbers them"""
        uni, bi, sh = self._feature_rows(ids[:self.sentence_tokens])
        return list(zip(uni, [-1] + bi, sh))

    def _token_logits(self, h, wide_tok):
        """h [.., d] token-path states, wide_tok [..] the tokens' own wide weights (or None) -> token logits"""
        t = self.tok_head(h)[..., 0]
        return t + wide_tok if wide_tok is not None else t

    def sentences(self, flat, offsets, tokens, tok_mask, lengths, where, b, n, tok_rows=None):
        """flat/offsets: bag features per sentence; tokens [S, T] each sentence's first sentence_tokens token ids,
        padded, tok_mask [S, T]; lengths [S] whole sentences' token counts; where: (window index, slot) per
        sentence; tok_rows [S, T, 3] (with token_head) -> (paraphrase logits [b, n], degree logits [b, n],
        key_ok [b, n]); with token_head, self.last_token_logits holds the token logits [S, T]."""
        bag = F.embedding_bag(flat, self.table, offsets, mode="mean")
        wide = F.embedding_bag(flat, self.wide[:, None], offsets, mode="mean")[:, 0] if self.wide is not None else None
        m = tok_mask.to(bag.dtype)[..., None]
        h = self.tok(tokens) * m
        left = F.pad(m[:, :-1], (0, 0, 1, 0))
        right = F.pad(m[:, 1:], (0, 0, 0, 1))
        for c in self.convs:
            h = c(h, left, right) * m
        w = self._pool_weights(self.att(h)) * m
        pooled = (w * h).sum(1) / torch.clamp(w.sum(1), min=1e-6)
        extra = None
        if self.tok_head is not None:
            wide_tok = None
            if self.wide is not None:
                rows = tok_rows.clamp(min=0)
                wr = self.wide[rows] * (tok_rows >= 0).to(bag.dtype)
                wide_tok = wr.sum(-1)
            tl = self._token_logits(h, wide_tok)
            self.last_token_logits = tl
            mk = m[..., 0]
            mean_p = (torch.sigmoid(tl) * mk).sum(1) / torch.clamp(mk.sum(1), min=1.0)
            max_p = torch.sigmoid((tl + (1.0 - mk) * NEG).max(1).values)
            extra = torch.zeros(b, n, 2, device=bag.device)
        vec = torch.zeros(b, n, bag.shape[1] + pooled.shape[1], device=bag.device)
        ntok = torch.zeros(b, n, device=bag.device)
        ok = torch.zeros(b, n, dtype=torch.bool, device=bag.device)
        wi, si = where
        vec[wi, si] = torch.cat([bag, pooled], -1)
        ntok[wi, si] = lengths.to(ntok.dtype)
        ok[wi, si] = True
        if extra is not None:
            extra[wi, si] = torch.stack([mean_p, max_p], -1)
        p, d = self._sentence_logits(vec, ntok, ok, extra)
        if wide is not None:
            wv = torch.zeros(b, n, device=bag.device)
            wv[wi, si] = wide
            p = p + wv
        return p, d, ok

    # ---- inference over positions (exported)
    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        ids = input_ids
        if attention_mask is None:
            attention_mask = torch.ones_like(ids)
        live = attention_mask > 0
        word = live & (ids != CLS) & (ids != SEP) & (ids != PAD)
        is_sep = live & (ids == SEP)
        sep = is_sep.long()
        seg = torch.cumsum(sep, dim=1) - sep
        L = ids.shape[1]
        # bag features
        prev = F.pad(ids[:, :-1], (1, 0))
        pair = word & F.pad(word[:, :-1], (1, 0))
        bucket = self.V + torch.remainder(prev * PRIME + ids, self.B - self.V)
        sh = self.shape[ids]
        w1 = F.pad(word[:, :-1], (1, 0))
        w2 = F.pad(word[:, :-2], (2, 0)) & w1
        p1 = F.pad(sh[:, :-1], (1, 0)) * w1.long()
        p2 = F.pad(sh[:, :-2], (2, 0)) * w2.long()
        shape_row = self.B + (p2 * N_SHAPES + p1) * N_SHAPES + sh
        rows = torch.cat([ids, bucket, shape_row], 1)
        emb = self.table[rows]
        wf, pf = word.to(emb.dtype), pair.to(emb.dtype)
        total = (emb[:, :L] + emb[:, 2 * L:]) * wf[..., None] + emb[:, L:2 * L] * pf[..., None]
        same = (seg[:, :, None] == seg[:, None, :]).to(emb.dtype)
        count = torch.matmul(same, (2 * wf + pf)[..., None])
        bag = torch.matmul(same, total) / torch.clamp(count, min=1.0)
        # token path: the first sentence_tokens words of each sentence (their 1-based index within it)
        upto = (torch.arange(L, device=ids.device)[:, None] >= torch.arange(L, device=ids.device)[None, :])
        within = torch.matmul(same * upto.to(emb.dtype), wf[..., None])[..., 0]
        m = (wf * (within <= self.sentence_tokens).to(wf.dtype))[..., None]
        h = self.tok(ids) * m
        left = F.pad(m[:, :-1], (0, 0, 1, 0))  # previous position is a word (of the same sentence: words
        right = F.pad(m[:, 1:], (0, 0, 0, 1))  # of two sentences are always separated by a [SEP])
        for c in self.convs:
            h = c(h, left, right) * m
        w = self._pool_weights(self.att(h)) * m
        num = torch.matmul(same, w * h)  # m = 0 past the cut: those tokens add nothing
        den = torch.matmul(same, w)
        pooled = num / torch.clamp(den, min=1e-6)
        vec = torch.cat([bag, pooled], -1)
        ntok = torch.matmul(same, wf[..., None])[..., 0]
        parts = [vec, torch.log1p(ntok)[..., None]]
        if self.tok_head is not None:
            wide_tok = None
            if self.wide is not None:
                wr = self.wide[rows]
                wide_tok = (wr[:, :L] + wr[:, 2 * L:]) * wf + wr[:, L:2 * L] * pf
            mk = m[..., 0]
            tl = self._token_logits(h, wide_tok)
            mean_p = torch.matmul(same, (torch.sigmoid(tl) * mk)[..., None])[..., 0] / torch.clamp(
                torch.matmul(same, mk[..., None])[..., 0], min=1.0)
            # the largest token logit of each position's sentence: [b, L, L] masked to the sentence's read tokens
            inside = same * mk[:, None, :]
            max_p = torch.sigmoid((tl[:, None, :] + (1.0 - inside) * NEG).max(-1).values)
            parts.append(torch.stack([mean_p, max_p], -1))
        # the sentence transformer reads the [SEP] positions only; position = sentence index
        x = self.inp(torch.cat(parts, -1))
        x = x + self.pos(torch.clamp(seg, max=self.max_sentences - 1))
        for blk in self.blocks:
            x = blk(x, is_sep)
        o = self.out(x)
        p = o[..., 0] + self.lin(vec)[..., 0]
        if self.wide is not None:
            wr = self.wide[rows]
            wt = (wr[:, :L] + wr[:, 2 * L:]) * wf + wr[:, L:2 * L] * pf
            p = p + (torch.matmul(same, wt[..., None]) / torch.clamp(count, min=1.0))[..., 0]
        return torch.stack([p, o[..., 1]], -1)


class Ensemble(nn.Module):
    """Several PtdNets of one shape, trained with different seeds, read as one model: their two logits averaged,
    in one ONNX graph with PtdNet's interface. Averaging nets that started from different random weights and saw
    the windows in a different order lifts held-out families and the test split alike (docs/models.md)."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.config = {**members[0].config, "members": len(members)}
        # a new Module starts in training mode, and torch.onnx.export restores that mode on every member after
        # exporting: take the members' mode, so trained (eval-mode) members stay in eval mode
        self.train(members[0].training)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        return torch.stack([m(input_ids, attention_mask, token_type_ids) for m in self.members]).mean(0)
