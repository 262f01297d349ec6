"""Compare tokenizer.py with transformers.js on varied strings: python3 verify_tokenizer.py DIR [corpus_dir]."""
import json, os, random, subprocess, sys, tempfile
import corpus, tokenizer

EDGE = [
    "Hello, world!", "  leading and trailing  ", "tab\there\nnewline\r\nwindows", "non\u00a0breaking\u2009thin\u3000ideo",
    "zero\u200bwidth\u200djoiner\ufeffbom", "emoji 😀👍🏽 and flags 🇫🇷", "中文字符 and 日本語のテキスト, 한국어", "𠀀 astral CJK",
    "Ünïcödé àccents — “quotes” ‘single’ … ellipsis", "$100 + 5% = <tag> ^caret^ `tick` |pipe| ~tilde~ {brace}",
    "literal [SEP] and [CLS][MASK] tokens", "a" * 120, "x" * 99, "control\x00\x01\x07chars\x1b[0m", "\ufffdreplacement",
    "private\ue000use", "e\u0301 combining", "¿Qué? ¡Sí! «guillemets» ‹›", "math ∑ ∫ ≤ ≥ ± × ÷ °C ©®™", "under_score-dash/slash\\back",
    "It's O'Neill's \"thing\"", "U.S.A. e.g. i.e. Dr. Smith's 3.14159", "", "   ", "[PAD]", "x[UNK]y", "\u2028line\u2029para",
    "\x85nel \x1c\x1d\x1e\x1f seps", "soft\u00adhyphen", "arabic العربية hebrew עברית", "Ελληνικά Кириллица",
]


def main():
    d = sys.argv[1]
    cdir = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/ptd-corpus"
    rnd = random.Random(1)
    strings = list(EDGE)
    docs = list(corpus.training_texts(cdir, "validation"))
    rnd.shuffle(docs)
    for doc in docs[:300]:
        words = doc.split(" ")
        i = rnd.randrange(max(1, len(words) - 30))
        strings.append(" ".join(words[i:i + rnd.randint(3, 40)]))
    # random unicode soup
    for _ in range(100):
        strings.append("".join(chr(rnd.choice([rnd.randint(32, 126), rnd.randint(0, 0x2FFF), rnd.randint(0x3000, 0xFFFF),
                                               rnd.randint(0x10000, 0x1FFFF)])) for _ in range(rnd.randint(1, 30))))
    strings = [s for s in strings if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for s in strings:
            f.write(json.dumps(s) + "\n")
    here = os.path.dirname(os.path.abspath(__file__))
    js = subprocess.run(["node", os.path.join(here, "verify_tokenizer.mjs"), d, f.name], capture_output=True, text=True,
                        check=True).stdout.splitlines()
    tok = tokenizer.WordPieceTokenizer.from_dir(d)
    bad = 0
    for s, j in zip(strings, js):
        p = tok.encode(s)
        if p != json.loads(j):
            bad += 1
            if bad <= 10:
                print("MISMATCH", repr(s), "\n py", tok.tokens(p), "\n js", tok.tokens(json.loads(j)))
    print(f"{len(strings)} strings, {bad} mismatches")
    os.unlink(f.name)
    sys.exit(1 if bad or len(js) != len(strings) else 0)


if __name__ == "__main__":
    main()
