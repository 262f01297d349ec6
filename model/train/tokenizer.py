"""Cased WordPiece tokenizer for ptd: vocabulary trainer, HF tokenizer.json writer and a Python encoder.

The encoder reproduces what transformers.js (@huggingface/transformers 4.x) yields for a tokenizer.json
with BertNormalizer(lowercase=false, strip_accents=false), BertPreTokenizer and a WordPiece model,
including its quirks (control characters dropped, JS whitespace set, CJK padding only for BMP code
points, special-token strings in the text split out as special tokens). tests/train/smoke.test.ts checks it
(through verify_tokenizer.mjs).

Usage:
  python3 tokenizer.py train --out DIR --vocab-size 12000 FILE.jsonl[:field] ...
"""
import argparse
import heapq
import json
import os
import re
import sys
import unicodedata
from collections import Counter

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)

# Characters JavaScript's /\s/ matches (what transformers.js' clean_text turns into a space).
_JS_WS = set("\t\n\x0b\x0c\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}
_ASCII_PUNCT = set(chr(c) for c in list(range(0x21, 0x30)) + list(range(0x3A, 0x41)) +
                   list(range(0x5B, 0x61)) + list(range(0x7B, 0x7F)))


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_cjk_bmp(cp):
    # transformers.js tests each UTF-16 code unit, so only BMP ranges ever match.
    return 19968 <= cp <= 40959 or 13312 <= cp <= 19903 or 63744 <= cp <= 64255


def _is_punct(ch):
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def normalize(text):
    """BertNormalizer(clean_text, handle_chinese_chars, lowercase=False, strip_accents=False)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if ch in _JS_WS:
            out.append(" ")
        elif _is_cjk_bmp(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    return "".join(out)


def pre_tokenize(text):
    """BertPreTokenizer on normalized text: split on spaces, each punctuation char alone."""
    words = []
    for chunk in text.split(" "):
        if not chunk:
            continue
        buf = []
        for ch in chunk:
            if _is_punct(ch):
                if buf:
                    words.append("".join(buf))
                    buf = []
                words.append(ch)
            else:
                buf.append(ch)
        if buf:
            words.append("".join(buf))
    return words


_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in sorted(SPECIAL_TOKENS, key=len, reverse=True)) + ")")


class WordPieceTokenizer:
    def __init__(self, vocab, max_input_chars_per_word=100):
        if isinstance(vocab, dict):
            self.vocab = dict(vocab)
        else:
            self.vocab = {t: i for i, t in enumerate(vocab)}
        self.inv = {i: t for t, i in self.vocab.items()}
        self.max_chars = max_input_chars_per_word
        self.unk_id = self.vocab["[UNK]"]
        self._cache = {}

    @classmethod
    def from_dir(cls, path):
        with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
            tj = json.load(f)
        return cls(tj["model"]["vocab"], tj["model"].get("max_input_chars_per_word", 100))

    def __len__(self):
        return len(self.vocab)

    def word_ids(self, word):
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        if len(word) > self.max_chars:
            ids = [self.unk_id]
        else:
            ids = []
            start = 0
            n = len(word)
            while start < n:
                end = n
                cur = None
                while start < end:
                    sub = word[start:end]
                    if start > 0:
                        sub = "##" + sub
                    if sub in self.vocab:
                        cur = self.vocab[sub]
                        break
                    end -= 1
                if cur is None:
                    ids = [self.unk_id]
                    break
                ids.append(cur)
                start = end
        if len(self._cache) < 500000:
            self._cache[word] = ids
        return ids

    def encode(self, text):
        """Ids of `text` without special tokens added (special-token strings in it still map to their ids)."""
        ids = []
        for part in _SPECIAL_RE.split(text):
            if not part:
                continue
            if part in SPECIAL_TOKENS:
                ids.append(self.vocab[part])
                continue
            for w in pre_tokenize(normalize(part)):
                ids.extend(self.word_ids(w))
        return ids

    def tokens(self, ids):
        return [self.inv[i] for i in ids]


# ---------------------------------------------------------------------------------------------
# Vocabulary training: BPE merges over pre-tokenized words with "##" continuation symbols (what
# HF's WordPieceTrainer does), then the vocabulary is used with greedy longest-match WordPiece.


def count_words(texts):
    counts = Counter()
    for t in texts:
        counts.update(pre_tokenize(normalize(t)))
    return counts


def train_vocab(word_counts, vocab_size, min_frequency=2, min_char_count=3, limit_alphabet=1200, log=None):
    char_counts = Counter()
    for w, c in word_counts.items():
        for ch in w:
            char_counts[ch] += c
    alphabet = [ch for ch, c in char_counts.most_common(limit_alphabet) if c >= min_char_count]
    alpha = set(alphabet)
    vocab = list(SPECIAL_TOKENS)
    seen = set(vocab)

    def add(tok):
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)

    for ch in sorted(alphabet):
        add(ch)
    words = []
    for w, c in word_counts.items():
        if len(w) > 100 or any(ch not in alpha for ch in w):
            continue
        syms = [w[0]] + ["##" + ch for ch in w[1:]]
        for s in syms[1:]:
            add(s)
        words.append([syms, c])
    pair_counts = Counter()
    where = {}
    for idx, (syms, c) in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += c
            where.setdefault((a, b), set()).add(idx)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_counts.get(pair, 0)
        if cur != -negc:
            if cur > 0:
                heapq.heappush(heap, (-cur, pair))
            continue
        if cur < min_frequency:
            break
        a, b = pair
        new = a + b[2:]
        add(new)
        changed = {}
        for idx in where.pop(pair, ()):
            syms, c = words[idx]
            i = 0
            out = []
            while i < len(syms):
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            if len(out) == len(syms):
                continue
            for p in zip(syms, syms[1:]):
                pair_counts[p] -= c
                changed[p] = 1
            for p in zip(out, out[1:]):
                pair_counts[p] += c
                where.setdefault(p, set()).add(idx)
                changed[p] = 1
            words[idx][0] = out
        pair_counts.pop(pair, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0 and p != pair:
                heapq.heappush(heap, (-c, p))
        if log and len(vocab) % 2000 == 0:
            log(f"vocab {len(vocab)}")
    return vocab


# ---------------------------------------------------------------------------------------------
# Writers


def tokenizer_json(vocab, max_len=512):
    v = {t: i for i, t in enumerate(vocab)}
    added = [
        {"id": v[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in SPECIAL_TOKENS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": False, "lowercase": False},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [v["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [v["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": v},
    }


def tokenizer_config(max_len=512):
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": False,
        "strip_accents": False,
        "tokenize_chinese_chars": True,
        "do_basic_tokenize": True,
        "model_max_length": max_len,
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": True,
    }


def save(vocab, out_dir, max_len=512):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, max_len), f, ensure_ascii=False, indent=1)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(max_len), f, indent=2)
        f.write("\n")


def iter_jsonl_texts(spec):
    """FILE.jsonl[:field,field] -> strings (lists are joined; PASTED ' </s> ' separators removed)."""
    path, _, fields = spec.partition(":")
    fields = fields.split(",") if fields else ["text"]
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            for fld in fields:
                val = rec.get(fld)
                if isinstance(val, list):
                    val = " ".join(x for x in val if isinstance(x, str))
                if isinstance(val, str):
                    yield val.replace(" </s> ", " ")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train")
    tr.add_argument("inputs", nargs="+")
    tr.add_argument("--out", required=True)
    tr.add_argument("--vocab-size", type=int, default=12000)
    tr.add_argument("--min-frequency", type=int, default=3)
    enc = sub.add_parser("encode", help="encode each line of stdin, print ids as JSON")
    enc.add_argument("--dir", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "train":
        counts = Counter()
        for spec in args.inputs:
            counts.update(count_words(iter_jsonl_texts(spec)))
        print(f"{len(counts)} distinct words", file=sys.stderr)
        vocab = train_vocab(counts, args.vocab_size, args.min_frequency, log=lambda m: print(m, file=sys.stderr))
        save(vocab, args.out)
        print(f"wrote {len(vocab)} tokens to {args.out}", file=sys.stderr)
    else:
        tok = WordPieceTokenizer.from_dir(args.dir)
        for line in sys.stdin:
            print(json.dumps(tok.encode(json.loads(line))))


if __name__ == "__main__":
    main()
