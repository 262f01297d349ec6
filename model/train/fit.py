"""Training PtdNet: a budget of optimizer steps over random windows of the training records, resumable.

Each step reads `batch` windows (random runs of whole sentences, as the runtime reads documents). With
`pair_weight`, a window that holds paraphrased sentences with known originals (mirror pairs) brings its mirror
too: the same window before the LLM touched it, all human. The loss then also asks every paraphrased sentence to
outscore its own original in the same context (softplus of the difference): the two share topic, author and
domain, so only what the rewrite changed can tell them apart. With `generated_share`, that share of the windows
comes from LLM-written texts (human prefix 0, generated rest 1).

Loss: BCE with label smoothing on the paraphrase logit of every sentence; BCE of the degree logit against the
lexical change (1 - BLEU-4) on paraphrased sentences; the mirror term. AdamW, warm-up over 5% of the steps then
linear decay to 10%. A checkpoint (weights, optimizer, random state, step) is written atomically every
`checkpoint_every` steps and at the end, so an interrupted run resumes where it stopped and ends in the same
weights as an uninterrupted one (same seed, same data, same machine).
"""
import bisect
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import records as rec
from .net import UNK, Ensemble, PtdNet, token_shape

def shapes_of(tok):
    return [token_shape(tok.inv[i]) for i in range(len(tok))]


def make_batch(net, windows):
    """windows: [(ids per sentence, truth per sentence, lexical per sentence[, token labels per sentence])] ->
    (net.sentences inputs, y, lexical, lexical known); with the net's token head, also (token labels [S, T],
    known [S, T]) as a fifth element (labels unknown where a window or sentence has none)."""
    n = max(len(w[0]) for w in windows)
    heads = net.tok_head is not None
    flat, offsets, toks, wi, si, rows, tlabels = [], [], [], [], [], [], []
    y = torch.zeros(len(windows), n)
    lex = torch.zeros(len(windows), n)
    known = torch.zeros(len(windows), n, dtype=torch.bool)
    longest = 1
    for i, window in enumerate(windows):
        ids_list, truth, lexical = window[:3]
        labels = window[3] if len(window) > 3 else None
        for j, ids in enumerate(ids_list):
            offsets.append(len(flat))
            flat.extend(net.bag_features(ids))
            cut = ids[:net.sentence_tokens]
            toks.append(cut)
            if heads:
                rows.append(net.token_rows(ids))
                tlabels.append(labels[j] if labels is not None else None)
            longest = max(longest, len(cut))
            wi.append(i)
            si.append(j)
            y[i, j] = truth[j]
            if lexical is not None and lexical[j] is not None:
                lex[i, j] = lexical[j]
                known[i, j] = True
    tokens = torch.zeros(len(toks), longest, dtype=torch.long)
    mask = torch.zeros(len(toks), longest, dtype=torch.bool)
    for k, t in enumerate(toks):
        if t:
            tokens[k, :len(t)] = torch.tensor(t)
            mask[k, :len(t)] = True
    lengths = torch.tensor([len(ids) for w in windows for ids in w[0]], dtype=torch.long)
    inputs = (torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long), tokens, mask, lengths,
              (torch.tensor(wi), torch.tensor(si)), len(windows), n)
    if not heads:
        return inputs, y, lex, known
    tok_rows = torch.full((len(toks), longest, 3), -1, dtype=torch.long)
    tok_y = torch.zeros(len(toks), longest)
    tok_known = torch.zeros(len(toks), longest, dtype=torch.bool)
    for k, (r, lab) in enumerate(zip(rows, tlabels)):
        if r:
            tok_rows[k, :len(r)] = torch.tensor(r)
        if lab is not None and r:
            lab = lab[:len(r)]
            tok_y[k, :len(lab)] = torch.tensor(lab, dtype=torch.float)
            tok_known[k, :len(lab)] = True
    return inputs + (tok_rows,), y, lex, known, (tok_y, tok_known)


def sampler(records, oversample):
    """A draw of one record, each with probability proportional to its construction's weight in `oversample`
    (1 for constructions it does not name): more of the cases that matter most and are rarest."""
    if not oversample:
        return lambda rnd: records[rnd.randrange(len(records))]
    cumulative, total = [], 0.0
    for r in records:
        total += float(oversample.get(r["fields"].get("construction"), 1.0))
        cumulative.append(total)
    return lambda rnd: records[min(len(records) - 1, bisect.bisect_right(cumulative, rnd.random() * total))]


def _to(device, value):
    """Tensors, also inside tuples, moved to `device`; anything else as it is."""
    if torch.is_tensor(value):
        return value.to(device)
    if isinstance(value, tuple):
        return tuple(_to(device, v) for v in value)
    return value


def _save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


class Log:
    """Progress lines on stderr and in the run's log.txt."""

    def __init__(self, path):
        self.path = path

    def __call__(self, msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True, file=__import__("sys").stderr)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


def fit(train, tok, run_dir, settings, generated=(), log=None, device="cpu", stop_after=None):
    """Trains (or resumes) a PtdNet in run_dir; -> the net in eval mode, or None when `stop_after` steps of this
    session ran before the budget was spent (the checkpoint holds them). `settings`: sizes.settings()."""
    s = dict(settings)
    os.makedirs(run_dir, exist_ok=True)
    log = log or Log(os.path.join(run_dir, "log.txt"))
    ckpt = os.path.join(run_dir, "checkpoint.pt")
    torch.manual_seed(s["seed"])
    rnd = random.Random(s["seed"])
    net = PtdNet(len(tok), shapes_of(tok), **s["net"]).to(device)
    sparse_names = {"table", "wide"}
    tables = [p for n, p in net.named_parameters() if n in sparse_names]
    dense = [p for n, p in net.named_parameters() if n not in sparse_names]
    opt_t = torch.optim.Adam(tables, lr=s["table_lr"])
    opt_d = torch.optim.AdamW(dense, lr=s["lr"], weight_decay=0.01)
    step = 0
    if os.path.exists(ckpt):
        st = torch.load(ckpt, map_location=device)
        if st["settings"] != s:
            raise SystemExit(f"{ckpt} was written with other settings; use another run directory or delete it")
        net.load_state_dict(st["net"])
        opt_t.load_state_dict(st["opt_t"])
        opt_d.load_state_dict(st["opt_d"])
        rnd.setstate(st["rnd"])
        torch.set_rng_state(st["torch_rng"])
        step = st["step"]
        log(f"resumed at step {step}/{s['steps']}")
    steps, batch, max_tokens = s["steps"], s["batch"], s["max_tokens"]
    pick_train = sampler(train, s.get("oversample") or {})
    pair_w, deg_w, smooth = s["pair_weight"], s["degree_weight"], s["label_smoothing"]
    tok_w = s.get("token_weight", 0.0)
    # word dropout: that share of tokens read as [UNK] (less topic to lean on; sizes.py)
    word_dropout = s.get("word_dropout", 0.0)
    net.train()
    t0 = time.time()
    start_step = step
    recent = []
    while step < steps:
        if stop_after is not None and step - start_step >= stop_after:
            log(f"stopped at step {step}/{steps} (--stop-after); rerun to resume")
            return None
        f = min(1.0, (step + 1) / max(1.0, 0.05 * steps)) * (1 - 0.9 * step / steps)
        for g in opt_t.param_groups:
            g["lr"] = s["table_lr"] * f
        for g in opt_d.param_groups:
            g["lr"] = s["lr"] * f
        windows, pairs = [], []
        while len(windows) < batch:
            if generated and rnd.random() < s["generated_share"]:
                r = generated[rnd.randrange(len(generated))]
            else:
                r = pick_train(rnd)
            a, b = rec.random_window(r, max_tokens, rnd)
            ids = r["ids"][a:b]
            if word_dropout > 0:
                ids = [[UNK if rnd.random() < word_dropout else t for t in sent] for sent in ids]
            windows.append((ids, r["truth"][a:b], None if r["lexical"] is None else r["lexical"][a:b],
                            None if r.get("token_labels") is None else r["token_labels"][a:b]))
            if pair_w > 0:
                m = rec.mirror_window(r, a, b)
                if m and rec.window_cost(m[0], max_tokens) <= max_tokens and len(m[0]) <= net.max_sentences:
                    w = len(windows) - 1
                    windows.append((m[0], [0] * len(m[0]), [0.0] * len(m[0])))
                    pairs.extend((w, i, len(windows) - 1, j) for i, j in m[1])
        batch_tensors = _to(device, make_batch(net, windows))
        inputs, y, lex, known = batch_tensors[:4]
        p, d, ok = net.sentences(*inputs)
        target = y * (1 - smooth) + smooth / 2
        loss = F.binary_cross_entropy_with_logits(p[ok], target[ok])
        deg = ok & (y > 0.5) & known
        if deg_w > 0 and bool(deg.any()):
            loss = loss + deg_w * F.binary_cross_entropy_with_logits(d[deg], lex[deg])
        if tok_w > 0 and len(batch_tensors) > 4:
            tok_y, tok_known = batch_tensors[4]
            if bool(tok_known.any()):
                loss = loss + tok_w * F.binary_cross_entropy_with_logits(net.last_token_logits[tok_known], tok_y[tok_known])
        if pairs:
            pt = torch.tensor(pairs, device=device)
            loss = loss + pair_w * F.softplus(p[pt[:, 2], pt[:, 3]] - p[pt[:, 0], pt[:, 1]]).mean()
        opt_t.zero_grad()
        opt_d.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dense, 1.0)
        opt_t.step()
        opt_d.step()
        step += 1
        recent.append(float(loss))
        if step % s["log_every"] == 0 or step == steps:
            rate = (time.time() - t0) / max(1, step - start_step)
            log(f"step {step}/{steps} loss {np.mean(recent):.4f} ({rate:.2f} s/step, {rate * (steps - step) / 60:.0f} min left)")
            recent = []
        if step % s["checkpoint_every"] == 0 or step == steps:
            _save_atomic({"settings": s, "net": net.state_dict(), "opt_t": opt_t.state_dict(),
                          "opt_d": opt_d.state_dict(), "rnd": rnd.getstate(), "torch_rng": torch.get_rng_state(),
                          "step": step}, ckpt)
    net.eval()
    return net


def save_net(net, path, meta):
    _save_atomic({"config": net.config, "state": net.state_dict(), "meta": meta}, path)


def load_net(path, shapes):
    st = torch.load(path, map_location="cpu")
    shape = {k: v for k, v in st["config"].items() if k not in ("vocab_size", "members")}
    nets = [PtdNet(st["config"]["vocab_size"], shapes, **shape) for _ in range(st["config"].get("members", 1))]
    net = nets[0] if "members" not in st["config"] else Ensemble(nets)
    net.load_state_dict(st["state"])
    return net.eval(), st["meta"]


def parameters(net):
    return int(sum(p.numel() for p in net.parameters()))


def describe(settings):
    return json.dumps(settings, sort_keys=True)
