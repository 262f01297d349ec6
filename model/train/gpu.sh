#!/bin/sh
# The GPU recipe: trains the larger candidate (size base, model/train/sizes.py) on one CUDA GPU, from a dataset
# built beforehand (node bin/ptd.js dataset build ...), and exports it to RUN/model. Meant for a lent GPU
# machine with a budget of minutes: the whole run, vocabulary to ONNX, is sized to stay under 10 minutes on one
# H100-class GPU. The project never needs it; tests run it on the CPU with the tiny size:
#   SIZE=tiny DEVICE=cpu sh model/train/gpu.sh build/dataset runs/gpu-check
# On the GPU machine (PyTorch 2.x with CUDA; node optional, for the transformers.js check of the export):
#   sh model/train/gpu.sh build/dataset runs/base
# then, here: node bin/ptd.js train --size base --run runs/base (it skips the stages already done) for the card.
# A larger model is released (as ptd-base, which 0.8.0 withdrew) only if the paired bootstrap of ΔAUROC against
# ptd-small is above 0 on the test split and on every held-out family (docs/models.md).
set -eu
DATA=${1:?usage: gpu.sh DATA_DIR RUN_DIR}
RUN=${2:?usage: gpu.sh DATA_DIR RUN_DIR}
SIZE=${SIZE:-base}
DEVICE=${DEVICE:-cuda}
PY=""
for candidate in ${PTD_PYTHON:-} /usr/bin/python3 python3; do
  if "$candidate" -c "import torch, onnx" >/dev/null 2>&1; then PY=$candidate; break; fi
done
[ -n "$PY" ] || { echo "gpu.sh: no python3 with torch and onnx (set PTD_PYTHON)" >&2; exit 1; }
THREADS=${THREADS:-8}
cd "$(dirname "$0")/../.."
if [ "$DEVICE" = cuda ]; then
  "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device visible to PyTorch')"
fi
CHECK=""
command -v node >/dev/null 2>&1 && [ -d node_modules/@huggingface/transformers ] || CHECK="--no-check"
start=$(date +%s)
[ -f "$RUN/vocab/tokenizer.json" ] || "$PY" -m model.train vocab --data "$DATA" --out "$RUN/vocab" --size "$SIZE"
"$PY" -m model.train fit --size "$SIZE" --data "$DATA" --vocab "$RUN/vocab" --run "$RUN" --device "$DEVICE" \
  --threads "$THREADS" $CHECK
echo "gpu.sh: $SIZE on $DEVICE in $(( $(date +%s) - start )) s; model in $RUN/model" >&2
