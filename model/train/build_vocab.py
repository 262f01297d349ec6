"""Build the cased WordPiece vocabulary from the training side of the corpus (train-split doc_ids only)."""
import argparse, sys, time
from collections import Counter
import corpus, tokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--corpus", default="../shared/data/ptd-corpus")
ap.add_argument("--out", required=True)
ap.add_argument("--vocab-size", type=int, default=12000)
ap.add_argument("--min-frequency", type=int, default=3)
a = ap.parse_args()
t = time.time()
counts = tokenizer.count_words(corpus.training_texts(a.corpus, "train"))
print(f"{len(counts)} distinct words, {sum(counts.values())} words ({time.time()-t:.0f}s)", file=sys.stderr)
vocab = tokenizer.train_vocab(counts, a.vocab_size, a.min_frequency, log=lambda m: print(m, file=sys.stderr))
tokenizer.save(vocab, a.out)
print(f"wrote {len(vocab)} tokens to {a.out} ({time.time()-t:.0f}s)", file=sys.stderr)
