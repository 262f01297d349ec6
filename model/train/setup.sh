#!/bin/sh
# Installs what model/train needs on Debian 12: PyTorch 1.13, onnx 1.12 and a threaded OpenBLAS
# (without libopenblas0-pthread matrix maths is ~25x slower). Run as root. Use /usr/bin/python3.
set -e
apt-get update
apt-get install -y python3-torch python3-onnx python3-numpy libopenblas0-pthread
/usr/bin/python3 -c "import torch, onnx; print('torch', torch.__version__, 'onnx', onnx.__version__)"
