"""PASTED-format records -> model inputs, exactly per the ptd encoding contract.

A record (JSON lines or a JSON array; ours or a real PASTED export): `text` = sentences joined by " </s> ",
`label` = one value per sentence (0/1, a float for regression configs, or [lexical, syntactic, semantic]
per sentence), optional `lexical` (1 - BLEU-4 per sentence). Truth = label > 0 (any dimension).

Encoding: every sentence tokenized alone (no special tokens), cut to max_tokens - 2; the sequence is
[CLS] s1 [SEP] s2 [SEP] ... sN [SEP]; sentence i is read at the [SEP] after it. Long documents are read in
overlapping windows cut at sentence boundaries (planWindows/contextWeight mirror model/window.ts, so Python
evaluation merges readings as the runtime does).
"""
import argparse
import json
import random
import re
import sys
import time

import tokenizer as tk

_SEP_RE = re.compile(r"\s*</s>\s*")


def split_text(text):
    parts = _SEP_RE.split(text)
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if parts:
        parts[0] = parts[0].lstrip()
    return parts


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def parse_record(rec):
    """-> dict(sentences, truth, lexical or None, fields) or None when the record is unusable."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        return None
    sents = split_text(rec["text"])
    lab = rec.get("label")
    if not isinstance(lab, list) or len(lab) != len(sents):
        return None
    truth, first = [], []
    for v in lab:
        if isinstance(v, list):
            if not v or not all(_num(x) for x in v):
                return None
            truth.append(1 if any(x > 0 for x in v) else 0)
            first.append(float(v[0]))
        elif _num(v):
            truth.append(1 if v > 0 else 0)
            first.append(float(v))
        else:
            return None
    lexical = rec.get("lexical")
    if isinstance(lexical, list) and len(lexical) == len(sents) and all(_num(x) for x in lexical):
        lexical = [min(1.0, max(0.0, float(x))) for x in lexical]
    elif any(isinstance(v, list) for v in lab) or any(0 < x < 1 for x in first):
        lexical = [min(1.0, max(0.0, x)) for x in first]  # regression / multi-dimension configs: lexical first
    else:
        lexical = None
    fields = {k: v for k, v in rec.items() if k not in ("text", "label", "lexical", "syntactic")}
    return {"sentences": sents, "truth": truth, "lexical": lexical, "fields": fields}


def read_pasted(path, limit=None):
    with open(path, encoding="utf-8") as f:
        head = f.read(1)
        f.seek(0)
        if head == "[":
            items = json.load(f)
        else:
            items = (json.loads(line) for line in f if line.strip())
        out = []
        for rec in items:
            r = parse_record(rec)
            if r is not None:
                out.append(r)
            if limit and len(out) >= limit:
                break
    return out


def encode_records(records, tok, max_tokens):
    limit = max(1, max_tokens - 2)
    for r in records:
        ids = []
        trunc = []
        for s in r["sentences"]:
            t = tok.encode(s)
            trunc.append(len(t) > limit)
            ids.append(t[:limit])
        r["ids"] = ids
        r["truncated"] = trunc
    return records


# ----------------------------------------------------------------------------------------------
# Windows (port of model/window.ts)


def default_context_tokens(max_tokens):
    return max_tokens // 6


def plan_windows(lengths, max_tokens, context_tokens=None):
    """-> [(first, end, core_first, core_end)]: model/window.ts planWindows, line for line."""
    if context_tokens is None:
        context_tokens = default_context_tokens(max_tokens)
    n = len(lengths)
    if n == 0:
        return []

    def cost(i):
        return min(lengths[i], max_tokens - 2) + 1

    total = 1 + sum(cost(i) for i in range(n))
    if total <= max_tokens:
        return [(0, n, 0, n)]
    budget = max_tokens - 1
    context = max(0, min(context_tokens, budget // 3))
    core_budget = budget - 2 * context
    windows = []
    a = 0
    while a < n:
        # the core: as many sentences as fit, leaving room for at least the nearest sentence on each side
        before = cost(a - 1) if a > 0 else 0
        b = a + 1
        used = cost(a)
        while b < n:
            after = cost(b + 1) if b + 1 < n else 0
            if used + cost(b) > core_budget or before + used + cost(b) + after > budget:
                break
            used += cost(b)
            b += 1
        l, r, left, right = a, b, 0, 0
        # the nearest neighbours first, even when longer than the context budget
        if l > 0 and used + cost(l - 1) <= budget:
            l -= 1
            left += cost(l)
            used += cost(l)
        if r < n and used + cost(r) <= budget:
            used += cost(r)
            right += cost(r)
            r += 1
        while True:
            can_left = l > 0 and left + cost(l - 1) <= context and used + cost(l - 1) <= budget
            can_right = r < n and right + cost(r) <= context and used + cost(r) <= budget
            if can_left and (not can_right or left <= right):
                l -= 1
                left += cost(l)
                used += cost(l)
            elif can_right:
                used += cost(r)
                right += cost(r)
                r += 1
            else:
                break
        windows.append((l, r, a, b))
        a = b
    return windows


def context_weight(lengths, window, i, max_tokens):
    first, end = window[0], window[1]

    def cost(k):
        return min(lengths[k], max_tokens - 2) + 1

    left = float("inf")
    if first > 0:
        left = sum(cost(k) for k in range(first, i))
    right = float("inf")
    if end < len(lengths):
        right = sum(cost(k) for k in range(i + 1, end))
    return 1 + min(left, right, max_tokens)


def assemble(ids_list):
    """[CLS] s1 [SEP] s2 [SEP] ... -> (ids, sep positions)"""
    seq = [tk.CLS]
    seps = []
    for s in ids_list:
        seq.extend(s)
        seps.append(len(seq))
        seq.append(tk.SEP)
    return seq, seps


# ----------------------------------------------------------------------------------------------
# Training examples


def random_window(r, max_tokens, rnd, crop_prob=0.5):
    """A random run of whole sentences that fits max_tokens (the whole record when it fits and no crop)."""
    lens = [len(x) + 1 for x in r["ids"]]
    n = len(lens)
    if 1 + sum(lens) <= max_tokens and rnd.random() >= crop_prob:
        return 0, n
    # start anywhere (biased towards paraphrased sentences half the time so spans are seen with context)
    pos = [i for i, t in enumerate(r["truth"]) if t]
    if pos and rnd.random() < 0.5:
        centre = rnd.choice(pos)
        start = max(0, centre - rnd.randint(0, 6))
    else:
        start = rnd.randrange(n)
    end = start
    used = 1
    while end < n and used + lens[end] <= max_tokens:
        used += lens[end]
        end += 1
    if end == start:
        end = start + 1
    # a crop of a record that fits: also shorten it at random sometimes
    if 1 + sum(lens) <= max_tokens and end - start > 2 and rnd.random() < 0.5:
        end = rnd.randint(start + 2, end)
    return start, end


def make_example(r, start, end, rnd=None, token_noise=0.0, vocab_size=None):
    ids_list = r["ids"][start:end]
    if token_noise and rnd is not None:
        noisy = []
        for s in ids_list:
            s = list(s)
            for j in range(len(s)):
                if rnd.random() < token_noise:
                    s[j] = tk.MASK if rnd.random() < 0.5 else rnd.randrange(tk.MASK + 1, vocab_size)
            noisy.append(s)
        ids_list = noisy
    seq, seps = assemble(ids_list)
    truth = r["truth"][start:end]
    lex = r["lexical"][start:end] if r["lexical"] is not None else None
    offset = r["offset"][start:end] if r.get("offset") is not None else None
    return {"ids": seq, "seps": seps, "truth": truth, "lexical": lex, "offset": offset}


def collate(examples):
    import torch

    L = max(len(e["ids"]) for e in examples)
    b = len(examples)
    ids = torch.zeros(b, L, dtype=torch.long)
    att = torch.zeros(b, L, dtype=torch.long)
    rows, cols, y, lex, lex_mask, offset = [], [], [], [], [], []
    tok_y = torch.full((b, L), -1.0)  # every token of a sentence carries the sentence's label (auxiliary loss)
    for i, e in enumerate(examples):
        ids[i, : len(e["ids"])] = torch.tensor(e["ids"])
        att[i, : len(e["ids"])] = 1
        prev = 0
        for k, p in enumerate(e["seps"]):
            tok_y[i, prev + 1: p] = float(e["truth"][k])
            prev = p
            rows.append(i)
            cols.append(p)
            y.append(float(e["truth"][k]))
            offset.append(e["offset"][k] if e.get("offset") is not None else 0.0)
            if e["lexical"] is not None:
                lex.append(e["lexical"][k])
                lex_mask.append(1.0)
            else:
                lex.append(0.0)
                lex_mask.append(0.0)
    return {"input_ids": ids, "attention_mask": att, "rows": torch.tensor(rows), "cols": torch.tensor(cols),
            "y": torch.tensor(y), "lexical": torch.tensor(lex), "lexical_mask": torch.tensor(lex_mask),
            "token_y": tok_y, "offset": torch.tensor(offset)}


def length_batches(examples, max_batch_tokens, rnd):
    """Group examples of similar length into batches of at most max_batch_tokens (padded) tokens."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["ids"]) + rnd.random() * 8)
    batches, cur, cur_max = [], [], 0
    for i in order:
        n = len(examples[i]["ids"])
        if cur and max(cur_max, n) * (len(cur) + 1) > max_batch_tokens:
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(examples[i])
        cur_max = max(cur_max, n)
    if cur:
        batches.append(cur)
    rnd.shuffle(batches)
    return batches


def epoch_examples(records, max_tokens, rnd, crop_prob=0.5, token_noise=0.0, vocab_size=None):
    out = []
    for r in records:
        s, e = random_window(r, max_tokens, rnd, crop_prob)
        out.append(make_example(r, s, e, rnd, token_noise, vocab_size))
    return out


def eval_windows(records, max_tokens):
    """Every window of every record as the runtime plans them, with (record, sentence, weight) per [SEP]."""
    out = []
    for ri, r in enumerate(records):
        lens = [len(x) for x in r["ids"]]
        for w in plan_windows(lens, max_tokens):
            first, end = w[0], w[1]
            ex = make_example(r, first, end)
            ex["owner"] = [(ri, i, context_weight(lens, w, i, max_tokens)) for i in range(first, end)]
            out.append(ex)
    return out


def shuffle_split(items, seed=0):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# ----------------------------------------------------------------------------------------------
# Command-line splits for the heads trained beside the encoder (wide.py, context.py)


def head_cli(argv, doc, out_help, selftest):
    """The start of every head trainer's main(): `selftest` as the first argument runs the self-check and gives
    (None, argv); otherwise (an ArgumentParser with the shared options of add_head_args, argv)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["selftest"]:
        selftest()
        return None, argv
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_head_args(ap, out_help)
    return ap, argv


def add_head_args(ap, out_help):
    """The options every head trainer takes: splits, tokenizer, output, and a leave-one-paraphraser-out check."""
    ap.add_argument("--train", required=True)
    ap.add_argument("--validation")
    ap.add_argument("--vocab", required=True, help="directory with tokenizer.json (the encoder's tokenizer)")
    ap.add_argument("--out", required=True, help=out_help)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hold-out", metavar="PARAPHRASER",
                    help="drop this paraphraser's records from the training split (generalisation check)")
    ap.add_argument("--eval-paraphraser", metavar="PARAPHRASER",
                    help="validate on this paraphraser's records and the human-only ones only")
    ap.add_argument("--hold-out-family", choices=sorted(FAMILIES),
                    help="train without this family of sources (its documents, paraphrasers and human text) and "
                         "validate on it alone: new documents and new paraphrasers at once")


def log(msg):
    """A timestamped progress line on stderr."""
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def parse_head_run(ap, argv):
    """Parses a head trainer's options, sets torch's thread count and loads the splits:
    -> (options, tokenizer, training records, validation records or None)."""
    import torch

    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    return (a, *load_head_splits(a))


# The corpus's families of sources: documents that share authors, domains or paraphrasers. Holding one out
# leaves training with none of its documents, domains or paraphrasers -- what the hidden evaluation does.
FAMILIES = {
    "mixset": ("mixset", "apt-eval"),  # the same 300 documents, rewritten by gpt-4/llama-2-70b and by four others
    "hppt": ("hppt-test",),  # ACL abstracts polished by chatgpt and llama-2-7b
    "spans": None,  # everything else: the human passages and claude's span rewrites of them
}


def family(record):
    """The FAMILIES name of a record's source."""
    source = record["fields"].get("source")
    for name, sources in FAMILIES.items():
        if sources and source in sources:
            return name
    return "spans"


def load_head_splits(a):
    """-> (tokenizer, encoded training records, encoded validation records or None), --hold-out,
    --eval-paraphraser and --hold-out-family applied."""
    tok = tk.WordPieceTokenizer.from_dir(a.vocab)
    train = encode_records(read_pasted(a.train), tok, a.max_tokens)
    val = encode_records(read_pasted(a.validation), tok, a.max_tokens) if a.validation else None
    if a.hold_out:
        train = [r for r in train if r["fields"].get("paraphraser") != a.hold_out]
    if a.eval_paraphraser and val is not None:
        val = [r for r in val if r["fields"].get("paraphraser") in (a.eval_paraphraser, None)]
    if a.hold_out_family:
        train = [r for r in train if family(r) != a.hold_out_family]
        if val is not None:
            val = [r for r in val if family(r) == a.hold_out_family]
    return tok, train, val
