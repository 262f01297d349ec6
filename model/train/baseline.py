"""Reference point: a hashed word uni+bigram logistic-regression sentence classifier (TF-IDF + LR style),
trained on the train split, scored on another split. python3 model/train/baseline.py TRAIN EVAL"""
import re, sys, zlib
import numpy as np
import torch
sys.path.insert(0, __import__("os").path.dirname(__file__))
import data, metrics

D = 1 << 20
_W = re.compile(r"\w+|[^\w\s]")


def feats(s):
    w = _W.findall(s)
    f = w + [a + " " + b for a, b in zip(w, w[1:])]
    return [zlib.crc32(x.encode()) % D for x in f] or [0]


def tensors(recs):
    ids, offs, y, lex = [], [], [], []
    for r in recs:
        for s, t, l in zip(r["sentences"], r["truth"], r["lexical"] or [0] * len(r["truth"])):
            offs.append(len(ids)); f = feats(s); ids.extend(f); y.append(t); lex.append(l)
    return torch.tensor(ids), torch.tensor(offs), torch.tensor(y, dtype=torch.float), np.array(lex)


torch.set_num_threads(1)
tr = tensors(data.read_pasted(sys.argv[1]))
ev_recs = data.read_pasted(sys.argv[2])
ev = tensors(ev_recs)
bag = torch.nn.EmbeddingBag(D, 1, mode="mean"); torch.nn.init.zeros_(bag.weight)
bias = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.Adam(list(bag.parameters()) + [bias], lr=0.02)
n = len(tr[1]); bs = 256
for ep in range(3):
    perm = torch.randperm(n)
    for i in range(0, n, bs):
        idx = perm[i:i + bs]
        starts = tr[1][idx]; ends = torch.where(idx + 1 < n, tr[1][torch.clamp(idx + 1, max=n - 1)], torch.tensor(len(tr[0])))
        segs = [tr[0][a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        flat = torch.cat(segs); off = torch.tensor([0] + [len(s) for s in segs[:-1]]).cumsum(0)
        logit = bag(flat, off).squeeze(1) + bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, tr[2][idx]) + 1e-6 * bag.weight.pow(2).sum()
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        s = torch.sigmoid(bag(ev[0], ev[1]).squeeze(1) + bias).numpy()
    print(f"epoch {ep}", metrics.summary(ev[2].numpy(), s, ev[3]), flush=True)
