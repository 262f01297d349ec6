"""Export a trained token classifier to ONNX (fp32) and int8 (q8) for transformers.js.

  python3 export.py MODEL_DIR            # MODEL_DIR holds config.json + pytorch_model.bin
writes MODEL_DIR/onnx/model.onnx and MODEL_DIR/onnx/model_quantized.onnx and checks both against PyTorch.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modeling import load_token_classifier  # noqa: E402
import quantize  # noqa: E402


def export_onnx(model, path, opset=14):
    model.eval()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ids = torch.tensor([[2, 10, 11, 12, 3, 13, 14, 3], [2, 15, 16, 3, 17, 3, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    tt = torch.zeros_like(ids)
    kwargs = {}
    if tuple(int(x) for x in torch.__version__.split(".")[:2]) >= (2, 5):
        kwargs["dynamo"] = False  # the TorchScript exporter: stable output names and dynamic axes
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, mask, tt), path,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                          "attention_mask": {0: "batch_size", 1: "sequence_length"},
                          "token_type_ids": {0: "batch_size", 1: "sequence_length"},
                          "logits": {0: "batch_size", 1: "sequence_length"}},
            opset_version=opset, do_constant_folding=True, **kwargs)


def check(model, onnx_path, tol):
    """Compare ONNX logits with PyTorch when onnxruntime is importable (it is on the GPU host, not Debian)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, model.config.vocab_size, (3, 37), generator=g)
    ids[:, 0] = 2
    ids[:, 20] = 3
    ids[:, -1] = 3
    mask = torch.ones_like(ids)
    mask[2, 30:] = 0
    tt = torch.zeros_like(ids)
    with torch.no_grad():
        ref = model(ids, mask, tt).numpy()
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    out = sess.run(["logits"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": tt.numpy()})[0]
    err = float(np.abs(out - ref)[mask.numpy().astype(bool)].max())
    if err > tol:
        raise SystemExit(f"{onnx_path}: max |logit diff| {err:.3g} > {tol}")
    return err


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("--no-node", action="store_true", help="skip the transformers.js check")
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    model = load_token_classifier(a.model_dir)
    fp32 = os.path.join(a.model_dir, "onnx", "model.onnx")
    q8 = os.path.join(a.model_dir, "onnx", "model_quantized.onnx")
    export_onnx(model, fp32, a.opset)
    quantize.quantize_file(fp32, q8)
    for p, tol in ((fp32, 1e-3), (q8, 0.5)):
        err = check(model, p, tol)
        msg = f"max |logit diff| vs torch {err:.2e}" if err is not None else ""
        print(f"{p}: {os.path.getsize(p) / 1e6:.2f} MB {msg}", file=sys.stderr)
    if not a.no_node:
        print("transformers.js:", json.dumps(check_node(model, a.model_dir)), file=sys.stderr)


def check_node(model, model_dir, fp32_tol=1e-3, q8_tol=0.5):
    """Run the model through transformers.js (fp32 and q8) and compare logits with PyTorch."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, model.config.vocab_size, (2, 29), generator=g)
    ids[:, 0] = 2
    ids[:, 14] = 3
    ids[:, -1] = 3
    mask = torch.ones_like(ids)
    mask[1, 20:] = 0
    ids[1, 20:] = 0
    with torch.no_grad():
        ref = model(ids, mask, torch.zeros_like(ids))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "logits": ref.tolist()}, f)
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["node", os.path.join(here, "check_onnx.mjs"), model_dir, f.name], capture_output=True,
                         text=True, cwd=os.path.join(here, "..", ".."))
    os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit("transformers.js check failed:\n" + out.stderr[-3000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["fp32"]["maxAbsErr"] > fp32_tol or res["q8"]["maxAbsErr"] > q8_tol:
        raise SystemExit(f"transformers.js logits differ from PyTorch: {res}")
    return res


if __name__ == "__main__":
    main()
