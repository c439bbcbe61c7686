#!/bin/bash
# Encoder v2 on the GPU machine (the `run` device tool), exactly as run in the session that made v2 1.0.0.
# Copy next to this script: model.py, train_v2.py, the recovered v1 package (spk_v1.pt, recover_v1.py) and the pack
# (train.xz/json, dev.xz/json from pack_v2.py); ~54 MiB. Logs: training/results/gpu_v2/.
# PASS=1: three encoder learning rates for 6 min each, side by side on one GPU (all overfit the 2712-segment pack
#         after ~1 min: best dev points at ~550 steps). PASS=2: short fixed schedules (cosine to ~0 in 0.6 min);
#         v2 1.0.0 is ftE's last checkpoint (no checkpoint picking inside the run).
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
T="python3 train_v2.py --pack . --out $OUT --init spk_v1.pt --lr 2e-3 --freeze-steps 200"
if [ "${PASS:-2}" = 1 ]; then
  $T --tag ftA --lr-enc 5e-4 --minutes 6 --eval-every 20 > ftA.out 2>&1 &
  $T --tag ftB --lr-enc 1.5e-3 --minutes 6 --eval-every 20 --no-last > ftB.out 2>&1 &
  $T --tag ftC --lr-enc 1.5e-4 --minutes 6 --eval-every 20 --no-last > ftC.out 2>&1 &
else
  $T --tag ftD --lr-enc 1.5e-4 --minutes 0.6 --eval-every 5 > ftD.out 2>&1 &
  $T --tag ftE --lr-enc 3e-4 --minutes 0.6 --eval-every 5 > ftE.out 2>&1 &
fi
wait
tail -n 2 ft*.out
