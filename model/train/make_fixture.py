"""Write tests/fixtures/models/tiny/: a randomly initialised tiny BERT with the real model-directory layout
(config.json with a `ptd` section, tokenizer.json, tokenizer_config.json, onnx/model.onnx,
onnx/model_quantized.onnx). Its scores mean nothing; tests use it for plumbing, never for quality.

  python3 model/train/make_fixture.py [--out tests/fixtures/models/tiny]
"""
import argparse
import os
import shutil
import string
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import tokenizer  # noqa: E402
from modeling import BertConfig, BertForTokenClassification, count_parameters, save_pretrained  # noqa: E402

# Written for this fixture (not taken from any corpus).
FIXTURE_TEXT = """
The kettle clicked off just as the rain started, and Mira decided the garden could wait another day.
She had promised herself a quiet morning: two chapters of the novel, a letter to her brother, nothing more.
Her brother wrote back faster than anyone she knew. He answered questions she had not asked yet!
Was the old bicycle still in the shed? It was, though both tyres had gone flat over the winter.
In the afternoon the sky cleared. The street smelled of wet stone and cut grass, and children were out again.
This report summarises the results of the pilot study conducted between March and June.
Participants completed a short survey before and after each session; response rates exceeded 80%.
Overall, the findings suggest that the intervention was well received, although several limitations remain.
Furthermore, it is important to note that the sample was small and not randomly selected.
Dear team, thanks for your patience while we sorted out the delivery problems last week.
The new schedule starts on Monday, 3 May, at 9:30 a.m.; please check the shared calendar for details.
If you have any questions, don't hesitate to get in touch with me or with Sam.
I think the movie was too long, honestly, but the music was great and the ending surprised me.
We stayed at the hotel for three nights. The room was clean, the staff were friendly, and breakfast was fine.
Scientists have measured the speed of the glacier with satellite images taken every twelve days.
The river rose by 2.5 metres overnight, and the bridge was closed "as a precaution", officials said.
Can you explain why the function returns None when the list is empty? I tried print(x) and got [].
A polished sentence often reads smoothly, uses formal vocabulary, and avoids contractions.
The original draft, by contrast, was choppy; it had typos like teh and recieve, and run-on sentences.
"""
ALPHABET = string.printable.strip() + " ’“”–—…éèàçüöäñ"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures/models/tiny")
    a = ap.parse_args(argv)
    torch.manual_seed(1234)
    counts = tokenizer.count_words([FIXTURE_TEXT, ALPHABET, " ".join(ALPHABET)])
    vocab = tokenizer.train_vocab(counts, vocab_size=600, min_frequency=2, min_char_count=1)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512)
    model = BertForTokenClassification(cfg).eval()
    with torch.no_grad():  # spread the random scores over (0, 1) instead of all ~0.5
        model.classifier.weight.normal_(0.0, 0.8)
    ptd = {
        "name": "ptd-tiny-fixture",
        "version": "0.0.0-fixture",
        "format": 1,
        "outputs": {"paraphrase": 0, "degree": 1},
        "calibration": {"temperature": 1.0},
        "max_tokens": 512,
        "thresholds": [
            {"target_fpr": 0.01, "threshold": 0.6, "achieved_fpr": 0.01, "tpr": 0.0},
            {"target_fpr": 0.05, "threshold": 0.5, "achieved_fpr": 0.05, "tpr": 0.0},
        ],
        "default_target_fpr": 0.01,
        "fixture": True,
        "training": {
            "note": "TEST FIXTURE: random weights (seed 1234), never trained; the thresholds are made-up "
                    "fixture values, not fitted on any data. Made by model/train/make_fixture.py.",
            "parameters": count_parameters(model),
        },
    }
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    save_pretrained(model, a.out, ptd)
    tokenizer.save(vocab, a.out)
    export.main([a.out])
    os.remove(os.path.join(a.out, "pytorch_model.bin"))
    print(f"wrote {a.out}: vocab {len(vocab)}, {count_parameters(model)} parameters", file=sys.stderr)


if __name__ == "__main__":
    main()
