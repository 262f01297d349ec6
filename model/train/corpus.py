"""The split rule shared with the dataset builder, and the training-side text of the raw corpus
(for the tokenizer vocabulary and masked-LM pretraining, before the PASTED dataset exists)."""
import json
import os


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def split_of(doc_id, seed=13):
    bucket = fnv1a32(f"{seed}:{doc_id}") % 10
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def _jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def training_texts(corpus_dir, split="train", seed=13):
    """Yield documents (strings) of the given split: human passages, originals and rewrites."""
    seen_orig = set()
    hp = os.path.join(corpus_dir, "human_passages.jsonl")
    if os.path.exists(hp):
        for r in _jsonl(hp):
            if split_of(r["doc_id"], seed) == split:
                yield r["text"]
    sr = os.path.join(corpus_dir, "span_rewrites.jsonl")
    if os.path.exists(sr):
        for r in _jsonl(sr):
            if split_of(r["doc_id"], seed) != split:
                continue
            sents = list(r["sentences"])
            # the passage with each span replaced by its rewrite (the human side is in human_passages)
            for (s, e), rw in sorted(zip(r["spans"], r["rewrites"]), key=lambda x: -x[0][0]):
                rw = rw if isinstance(rw, list) else [rw]
                sents[s:e] = rw
            yield " ".join(sents)
    dr = os.path.join(corpus_dir, "doc_rewrites.jsonl")
    if os.path.exists(dr):
        for r in _jsonl(dr):
            if split_of(r["doc_id"], seed) != split:
                continue
            if r["doc_id"] not in seen_orig:
                seen_orig.add(r["doc_id"])
                yield r["original"]
            yield r["rewrite"]
