#!/usr/bin/env bash
# The floors of issue 20, measured in one go on a quiet machine (about 40 minutes on 2 cores):
#  1. Moby Dick, 180 s: today's default settings (commit 4b2028c's lm-settings.ts, as explicit flags)
#     against the new default (no flags), side by side, one thread each;
#  2. the same at 600 s;
#  3. the names corpus, 600 s;
#  4. `recur eval --dynamic` (its defaults) against static evaluation of the new 180-s model on the
#     last 10% of Moby Dick;
#  5. PyTorch's W2 LSTM and recur's new default, 120 s each on one thread side by side, both scored on the
#     last 10% of Moby Dick as one stream (skipped without torch); then PyTorch with recur's tuned settings
#     (torch_w2.py tuned) against recur's new default the same way.
# Validation losses are nats/char of what each model file holds. Usage: bench/quality/defaults-floors.sh [dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${1:-$(mktemp -d /tmp/recur-floors-XXXXXX)}
mkdir -p "$DIR"
# Today's default (4b2028c): LSTM 1×256, embedding 64, batch 32 × 64, Adam 5e-3 cosine to 5e-4, clip 5, no dropout,
# a validation every 30 s.
OLD="--cell lstm --hidden 256 --layers 1 --embed 64 --batch 32 --seq 64 --lr 5e-3 --lr-min 5e-4 --schedule cosine --optimizer adam --clip-norm 5 --dropout 0 --dropout-input 0 --dropout-output 0 --dropout-embed 0 --weight-drop 0 --no-average --val-every 30s"
run() { # corpus seconds
  node --import tsx bench/quality/defaults.ts --corpus "$1" --budget "time=$2" --dir "$DIR/$1-$2" \
    --run "today=$OLD" --run "new=" | tee "$DIR/$1-$2.log"
}
run moby 180
run moby 600
run names 600
echo
echo "dynamic evaluation of the new 180-s model (its defaults) on the last 10% of Moby Dick:"
node --import tsx bench/quality/dynamic.ts "$DIR/moby-180/new.safetensors" --grid default | tee "$DIR/dynamic.log"
echo
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "PyTorch W2 and recur's new default, 120 s each on one thread, side by side; the last 10% of Moby Dick as one stream:"
  OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/quality/torch_w2.py 120 > "$DIR/torch.log" &
  node --import tsx bench/quality/defaults.ts --corpus moby --budget time=120 --dir "$DIR/moby-120" --run "new=" > "$DIR/moby-120.log"
  wait
  cat "$DIR/torch.log"
  node --import tsx bench/quality/dynamic.ts "$DIR/moby-120/new.safetensors" --grid default > "$DIR/moby-120-eval.log"
  head -1 "$DIR/moby-120-eval.log"
  echo "PyTorch tuned the way recur's defaults are (LSTM 384, embedding 64, batch 8, Adam 5e-3 cosine, averaged) and recur's new default, 120 s each, side by side:"
  OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/quality/torch_w2.py 120 tuned > "$DIR/torch-tuned.log" &
  node --import tsx bench/quality/defaults.ts --corpus moby --budget time=120 --dir "$DIR/moby-120b" --run "new=" > "$DIR/moby-120b.log"
  wait
  cat "$DIR/torch-tuned.log"
  node --import tsx bench/quality/dynamic.ts "$DIR/moby-120b/new.safetensors" --grid default > "$DIR/moby-120b-eval.log"
  head -1 "$DIR/moby-120b-eval.log"
else
  echo "PyTorch is not installed: the fourth floor is not measured."
fi
echo
echo "logs and models in $DIR"
