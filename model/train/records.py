"""Training records: PASTED-format JSON lines (as `ptd dataset build` writes them) -> token ids, labels, mirrors.

A record: `text` = sentences joined by " </s> ", `label` = one value per sentence (0/1, a float for PASTED's
regression configs, or [lexical, syntactic, semantic]), optional `lexical` (1 - BLEU-4) and, from ptd's
builder, `original`: per sentence, the original text a paraphrased sentence was rewritten from (its mirror).

Windows follow the runtime's encoding: [CLS] s1 [SEP] s2 [SEP] ...; each sentence tokenized alone and cut to
max_tokens - 2 tokens; sentence i is read at the [SEP] after it.
"""
import difflib
import hashlib
import json
import re

_SEP_RE = re.compile(r"\s*</s>\s*")

# Families of sources: documents that share authors, domains or paraphrasers. Holding one out of training
# leaves none of its documents, domains or paraphrasers -- what an evaluation on unseen sources does.
FAMILIES = {
    "mixset": ("mixset", "apt-eval"),  # the same 300 documents, rewritten by six paraphrasers
    "hppt": ("hppt-test",),  # ACL abstracts polished by chatgpt and llama-2-7b
    "raidar": ("raidar",),  # abstracts, news and story snippets by gpt-3.5 and davinci-002
    "l2r": ("l2r",),  # 19 domains in many tones by gpt-4o, llama-3-70b, gpt-3.5 (+ claude span rewrites)
    "imbd": ("imbd",),  # XSum news, stories, Wikipedia, PubMedQA by five open and closed models
    "detectrl": ("detectrl", "detector-bias"),  # arXiv, XSum, stories, Yelp; TOEFL and student essays
    "spans": None,  # everything else: Brown and modern human passages with claude's span rewrites
}


def family(fields):
    """The FAMILIES name of a record's source."""
    source = fields.get("source")
    for name, sources in FAMILIES.items():
        if sources and source in sources:
            return name
    return "spans"


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
    """-> dict(sentences, truth, lexical, original, fields) or None when the record is unusable."""
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
    if isinstance(lexical, list) and len(lexical) == len(sents) and all(_num(x) or x is None for x in lexical):
        lexical = [None if x is None else min(1.0, max(0.0, float(x))) for x in lexical]
    elif any(isinstance(v, list) for v in lab) or any(0 < x < 1 for x in first):
        lexical = [min(1.0, max(0.0, x)) for x in first]  # regression / multi-dimension configs: lexical first
    else:
        lexical = None
    original = rec.get("original")
    if not (isinstance(original, list) and len(original) == len(sents)):
        original = None
    fields = {k: v for k, v in rec.items() if k not in ("text", "label", "lexical", "syntactic", "original")}
    return {"sentences": sents, "truth": truth, "lexical": lexical, "original": original, "fields": fields}


def read(path, limit=None):
    """The usable records of a JSON lines (or JSON array) file."""
    with open(path, encoding="utf-8") as f:
        head = f.read(1)
        f.seek(0)
        items = json.load(f) if head == "[" else (json.loads(line) for line in f if line.strip())
        out = []
        for rec in items:
            r = parse_record(rec)
            if r is not None:
                out.append(r)
            if limit and len(out) >= limit:
                break
    return out


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Encoder:
    """Token ids of sentences, memoised (originals repeat across the records made from one rewrite)."""

    def __init__(self, tok, max_tokens):
        self.tok = tok
        self.limit = max(1, max_tokens - 2)
        self._memo = {}

    def __call__(self, text):
        ids = self._memo.get(text)
        if ids is None:
            ids = self.tok.encode(text)[:self.limit]
            if len(self._memo) < 1_000_000:
                self._memo[text] = ids
        return ids


def encode(records, encoder):
    """Adds `ids` (per sentence) and `original_ids` (per sentence: the mirror's ids, or None) to each record."""
    for r in records:
        r["ids"] = [encoder(s) for s in r["sentences"]]
        if r["original"] is not None:
            r["original_ids"] = [encoder(o) if (t and isinstance(o, str) and o) else None
                                 for o, t in zip(r["original"], r["truth"])]
        else:
            r["original_ids"] = None
    return records


def added_tokens(original_ids, ids):
    """1 for each token of `ids` that an LLM put there (not matched to its original by the longest matching
    blocks), 0 for the tokens it kept"""
    out = [1] * len(ids)
    for blk in difflib.SequenceMatcher(None, original_ids, ids, autojunk=False).get_matching_blocks():
        for k in range(blk.b, blk.b + blk.size):
            out[k] = 0
    return out


def add_token_labels(records):
    """Adds `token_labels` to each record: per sentence, the added_tokens of a paraphrased sentence against its
    mirror original, all 0 for a human sentence, None where a paraphrased sentence has no original."""
    for r in records:
        o = r.get("original_ids")
        r["token_labels"] = [
            [0] * len(ids) if not t else (added_tokens(o[k], ids) if o and o[k] is not None else None)
            for k, (ids, t) in enumerate(zip(r["ids"], r["truth"]))]
    return records


def window_cost(ids_list, max_tokens):
    return 1 + sum(min(len(x), max_tokens - 2) + 1 for x in ids_list)


def random_window(r, max_tokens, rnd, crop_prob=0.5):
    """A random run [start, end) of whole sentences that fits max_tokens (the whole record when it fits and
    no crop); biased half the time towards paraphrased sentences, so spans are seen with their context."""
    lens = [len(x) + 1 for x in r["ids"]]
    n = len(lens)
    if 1 + sum(lens) <= max_tokens and rnd.random() >= crop_prob:
        return 0, n
    pos = [i for i, t in enumerate(r["truth"]) if t]
    if pos and rnd.random() < 0.5:
        start = max(0, rnd.choice(pos) - rnd.randint(0, 6))
    else:
        start = rnd.randrange(n)
    end, used = start, 1
    while end < n and used + lens[end] <= max_tokens:
        used += lens[end]
        end += 1
    if end == start:
        end = start + 1
    if 1 + sum(lens) <= max_tokens and end - start > 2 and rnd.random() < 0.5:
        end = rnd.randint(start + 2, end)
    return start, end


def mirror_window(r, start, end):
    """The window [start, end) as it was before the LLM touched it: each paraphrased sentence replaced by the
    original it was rewritten from (one original rewritten into several sentences appears once). -> (ids per
    sentence, [(slot of a paraphrased sentence, slot of its original)]) or None when nothing has a mirror."""
    o = r.get("original_ids")
    if not o:
        return None
    out, pairs, last = [], [], None
    for slot, k in enumerate(range(start, end)):
        if r["truth"][k] and o[k] is not None:
            if r["original"][k] != last:
                out.append(o[k])
                last = r["original"][k]
            pairs.append((slot, len(out) - 1))
        else:
            out.append(r["ids"][k])
            last = None
    return (out, pairs) if pairs else None
