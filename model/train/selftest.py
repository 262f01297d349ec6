"""The exported graph computes what training optimised: PtdNet over token positions (forward, what ONNX runs)
equals PtdNet over padded sentences (sentences, what the loss saw), for a padded batch of windows with an empty
sentence, one-token sentences, an [UNK] and a sentence longer than the token path reads (cut the same way), with
and without the wide weights and the token head, and for an ensemble of two nets."""
import torch

from .fit import make_batch
from .net import Ensemble, PtdNet

V = 60


def selftest():
    torch.manual_seed(0)
    shapes = [i % 16 for i in range(V)]
    long_sentence = [5 + (i % 50) for i in range(20)]
    docs = [[[5, 6, 7], [8], [9, 10, 11, 12], [13, 14]], [[7, 8], [], [1, 20, 21, 22, 23, 24]], [[30], long_sentence]]
    worst = 0.0
    for wide, token_head in ((False, False), (True, False), (False, True), (True, True)):
        net = PtdNet(V, shapes, buckets=997, bag_dim=8, tok_dim=12, convs=2, hidden=16, layers=2, heads=2,
                     wide=wide, sentence_tokens=13, token_head=token_head).eval()
        with torch.no_grad():
            net.table.normal_()
            if wide:
                net.wide.normal_()
        seqs = []
        for d in docs:
            seq, seps = [2], []
            for s in d:
                seq.extend(s)
                seps.append(len(seq))
                seq.append(3)
            seqs.append((seq, seps))
        L = max(len(q) for q, _ in seqs) + 3
        ids = torch.zeros(len(docs), L, dtype=torch.long)
        for i, (q, _) in enumerate(seqs):
            ids[i, :len(q)] = torch.tensor(q)
        with torch.no_grad():
            pos = net(ids, (ids != 0).long())
            inputs = make_batch(net, [(d, [0] * len(d), None) for d in docs])[0]
            p, dg, _ = net.sentences(*inputs)
        for i, (d, (_, seps)) in enumerate(zip(docs, seqs)):
            worst = max(worst, float((pos[i, seps, 0] - p[i, :len(d)]).abs().max()))
            worst = max(worst, float((pos[i, seps, 1] - dg[i, :len(d)]).abs().max()))
    # an ensemble's graph: the mean of its members' logits, as each member computes them sentence by sentence
    torch.manual_seed(1)
    members = [PtdNet(V, shapes, buckets=997, bag_dim=8, tok_dim=12, convs=2, hidden=16, layers=2, heads=2, wide=True,
                      sentence_tokens=13, token_head=True).eval() for _ in range(2)]
    with torch.no_grad():
        for m in members:
            m.wide.normal_()
        pos = Ensemble(members)(ids, (ids != 0).long())
        each = [m.sentences(*make_batch(m, [(d, [0] * len(d), None) for d in docs])[0]) for m in members]
    for i, (d, (_, seps)) in enumerate(zip(docs, seqs)):
        for c in (0, 1):
            mean = sum(e[c][i, :len(d)] for e in each) / len(each)
            worst = max(worst, float((pos[i, seps, c] - mean).abs().max()))
    # the token objective's labels: the words a rewrite added to its original, not the ones it kept
    from .records import added_tokens
    if added_tokens([5, 6, 7, 8], [5, 9, 7, 8, 10]) != [0, 1, 0, 0, 1] or added_tokens([], [4]) != [1]:
        raise SystemExit("records.added_tokens does not mark exactly the added tokens")
    if worst > 1e-4:
        raise SystemExit(f"PtdNet over positions differs from the sentence-level computation: {worst}")
    return {"max_abs_diff": worst}
