"""A trained PtdNet -> a model directory every face of ptd loads: config.json, tokenizer files, onnx/model.onnx
(fp32) and onnx/model_quantized.onnx (int8), checked against PyTorch through transformers.js.

The ONNX graph has a token classifier's inputs and output (input_ids, attention_mask, token_type_ids ->
logits [batch, tokens, 2]), so the runtime reads it as it reads any BertForTokenClassification export. The
config's calibration and thresholds are placeholders until `ptd calibrate` fits them on the runtime's own scores.
"""
import json
import os
import shutil
import subprocess
import tempfile

import torch

from . import quantize

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def export_onnx(net, path, opset=14):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ids = torch.tensor([[2, 10, 11, 12, 3, 13, 14, 3], [2, 15, 16, 3, 17, 3, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    kwargs = {}
    if tuple(int(x) for x in torch.__version__.split(".")[:2]) >= (2, 5):
        kwargs["dynamo"] = False  # the TorchScript exporter: stable output names and dynamic axes
    axes = {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(net, (ids, mask, torch.zeros_like(ids)), path,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logits": axes},
                          opset_version=opset, do_constant_folding=True, **kwargs)


def hf_config(net, max_tokens, ptd):
    """config.json: what transformers.js needs to pick a token classifier (model_type bert, two labels, the
    longest input), and the ptd section the runtime reads (model/config.ts)."""
    c = net.config
    return {
        "architectures": ["BertForTokenClassification"],
        "model_type": "bert",
        "vocab_size": c["vocab_size"],
        "max_position_embeddings": max_tokens,
        "pad_token_id": 0,
        "num_labels": 2,
        "id2label": {"0": "PARAPHRASED", "1": "LEXICAL_CHANGE"},
        "label2id": {"PARAPHRASED": 0, "LEXICAL_CHANGE": 1},
        "problem_type": "multi_label_classification",
        "torch_dtype": "float32",
        "ptd": ptd,
    }


def write_model_dir(net, vocab_dir, out, name, version, max_tokens, training, check=True):
    """Writes the model directory `out` (atomically: built beside it, then renamed into place)."""
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "onnx"))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(vocab_dir, f), os.path.join(tmp, f))
    ptd = {
        "name": name,
        "version": version,
        "format": 1,
        "outputs": {"paraphrase": 0, "degree": 1},
        "calibration": {"temperature": 1.0, "fitted_on": None},
        "max_tokens": max_tokens,
        # placeholder until `ptd calibrate` fits thresholds on the runtime's scores
        "thresholds": [{"target_fpr": 0.01, "threshold": 0.5, "achieved_fpr": 0, "tpr": 0}],
        "default_target_fpr": 0.01,
        "architecture": {"net": "PtdNet (model/train/net.py)", **net.config},
        "training": training,
    }
    with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(net, max_tokens, ptd), f, indent=2)
        f.write("\n")
    fp32 = os.path.join(tmp, "onnx", "model.onnx")
    export_onnx(net, fp32)
    quantize.quantize_file(fp32, os.path.join(tmp, "onnx", "model_quantized.onnx"))
    result = check_node(net, tmp) if check else None
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return result


def check_node(net, model_dir, fp32_tol=1e-3, q8_tol=0.5):
    """Runs the exported files through transformers.js (fp32 and q8) and compares logits with PyTorch."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, net.config["vocab_size"], (2, 29), generator=g)
    ids[:, 0] = 2
    ids[:, 9] = 3
    ids[:, 14] = 3
    ids[:, -1] = 3
    mask = torch.ones_like(ids)
    mask[1, 20:] = 0
    ids[1, 20:] = 0
    ids[1, 19] = 3
    with torch.no_grad():
        ref = net(ids, mask, torch.zeros_like(ids))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "logits": ref.tolist()}, f)
    out = subprocess.run(["node", os.path.join(HERE, "check_onnx.mjs"), model_dir, f.name], capture_output=True,
                         text=True, cwd=ROOT)
    os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit("transformers.js check failed:\n" + out.stderr[-3000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["fp32"]["maxAbsErr"] > fp32_tol or res["q8"]["maxAbsErr"] > q8_tol:
        raise SystemExit(f"transformers.js logits differ from PyTorch: {res}")
    return res
