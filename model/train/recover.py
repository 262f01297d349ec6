"""Rebuild the PyTorch weights of a shipped model from its fp32 ONNX file.

The training runs (model/train/runs/) are not in the repository, so a fresh clone holds a model only as ONNX. This
reads onnx/model.onnx of a model directory back into the modules it was exported from -- the encoder
(pytorch_model.bin), and, for a joined model, its wide half (wide.bin) and context head (context.bin) -- so that a
head can be retrained and joined again (combine.py) without retraining the encoder:

  python3 model/train/recover.py model/weights/ptd-small --out model/train/runs/recovered-small
  python3 model/train/combine.py --model model/weights/ptd-small \
      --weights model/train/runs/recovered-small/pytorch_model.bin \
      --wide model/train/runs/recovered-small/wide.bin --context NEW_CONTEXT.pt --out ...

Named initializers map to parameters by name. The exporter stores every nn.Linear weight transposed under a
generated name (onnx::MatMul_N); each is found through the graph: the MatMul that reads it feeds an Add with the
layer's (named) bias. The rebuilt model is then run through transformers.js on the same ONNX file and must give
the same logits (max difference 1e-3), so a wrong mapping cannot pass silently.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import context as ctx_head  # noqa: E402
import data  # noqa: E402
import export  # noqa: E402
import wide  # noqa: E402
from modeling import BertConfig, BertForTokenClassification  # noqa: E402


def onnx_tensors(path):
    """-> {state-dict name: numpy array} for every parameter or buffer the graph holds."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    consumers = {}
    for node in g.node:
        for x in node.input:
            consumers.setdefault(x, []).append(node)
    out = {k: v for k, v in init.items() if not k.startswith("onnx::")}
    for node in g.node:
        if node.op_type != "MatMul" or node.input[1] not in init or not node.input[1].startswith("onnx::"):
            continue
        biases = [x for c in consumers.get(node.output[0], []) if c.op_type == "Add"
                  for x in c.input if x in init and x.endswith(".bias")]
        if len(biases) != 1:
            raise SystemExit(f"{path}: cannot tell which layer {node.input[1]} belongs to ({biases or 'no bias'})")
        name = biases[0][:-len(".bias")] + ".weight"
        if name in out:
            raise SystemExit(f"{path}: two matrices claim {name}")
        out[name] = init[node.input[1]].T
    return out


def build(model_dir):
    """-> (the model its config.json describes, with zero weights; the wide mix; metadata of the heads)"""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        ptd = json.load(f)["ptd"]
    deep = BertForTokenClassification(BertConfig.from_json(os.path.join(model_dir, "config.json")))
    if "wide" not in ptd:
        return deep, None, ptd
    w = ptd["wide"]
    head = wide.WideHead(deep.config.vocab_size, w["buckets"])
    m = w["mix"]
    mix = [m["deep"], m["wide"], m["offset"], m.get("neighbours", 0.0), m.get("context", 0.0)]
    ctx = ctx_head.head_from_config(ptd["context"]) if "context" in ptd else None
    degree = wide.WideHead(deep.config.vocab_size, ptd["degree"]["buckets"]) if "degree" in ptd else None
    return wide.WideDeep(deep, head, mix, ctx, degree), mix, ptd


def recover(model_dir, out_dir, node_check=True):
    model, mix, ptd = build(model_dir)
    tensors = onnx_tensors(os.path.join(model_dir, "onnx", "model.onnx"))
    state = model.state_dict()
    missing = [k for k in state if k not in tensors and k != "mix"]
    if missing:
        raise SystemExit(f"{model_dir}: the ONNX file lacks {len(missing)} weights, e.g. {missing[:3]}")
    extra = sorted(set(tensors) - set(state))
    if extra:
        raise SystemExit(f"{model_dir}: the ONNX file holds weights the config does not describe: {extra[:3]}")
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise SystemExit(f"{model_dir}: {k} is {tuple(v.shape)} in ONNX, {tuple(state[k].shape)} in the model")
        state[k] = torch.from_numpy(np.array(v, copy=True)).to(state[k].dtype)
    model.load_state_dict(state)
    model.eval()
    check = export.check_node(model, model_dir, fp32_tol=1e-3, q8_tol=0.5) if node_check else None
    tmp = out_dir.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    deep = model.deep if mix is not None else model
    torch.save(deep.state_dict(), os.path.join(tmp, "pytorch_model.bin"))
    if mix is not None:
        meta = dict(ptd["wide"].get("train") or {}, recovered_from=model_dir)
        wide.save_head(model.wide, os.path.join(tmp, "wide.bin"), mix=mix, meta=meta)
        if model.context is not None:
            ctx_meta = dict(ptd["context"].get("train") or {}, recovered_from=model_dir)
            ctx_head.save_head(model.context, os.path.join(tmp, "context.bin"), meta=ctx_meta)
        if model.degree is not None:
            deg_meta = dict(ptd["degree"].get("train") or {}, target="degree", recovered_from=model_dir)
            wide.save_head(model.degree, os.path.join(tmp, "degree.bin"), meta=deg_meta)
    for fn in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(model_dir, fn), os.path.join(tmp, fn))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return check


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="a model directory with config.json and onnx/model.onnx (fp32)")
    ap.add_argument("--out", required=True, help="directory to write (a model directory with PyTorch weights)")
    ap.add_argument("--no-node-check", action="store_true", help="skip the transformers.js comparison")
    a = ap.parse_args(argv)
    check = recover(a.model_dir, a.out, node_check=not a.no_node_check)
    data.log(f"wrote {a.out}" + (f"; transformers.js vs rebuilt PyTorch: {json.dumps(check)}" if check else ""))


if __name__ == "__main__":
    main()
