"""Reproduces the bundled pack: train (or reuse a training run), pick the checkpoint whose UNKNOWN
accuracy sits in the target band with greedy decoding and with sampling, train the SAE on it,
export the pack, and write its metrics and training log beside it.

  python3 -m foundry.build --work /tmp/foundry-run --pack ../../models/arith --dataset ../../datasets/arith.jsonl
"""
import argparse
import glob
import json
import os
import shutil

import torch

from . import export, sae, train
from .evaluate import score, unknown_rows
from .sae import load_decoder
from .tokenizer import CharTokenizer

BAND = (0.40, 0.80)
TARGET = 0.6


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, help="training run folder (reused when it has checkpoints)")
    ap.add_argument("--pack", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--version", default="arith-base-v1")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    if not glob.glob(os.path.join(a.work, "ckpt_*.pt")):
        train.main(["--out", a.work])
    log = [json.loads(l) for l in open(os.path.join(a.work, "train_log.jsonl"))]
    # closest validation accuracy to the band's middle first
    candidates = sorted(log, key=lambda r: abs((r["val_greedy"] + r["val_sampled"]) / 2 - TARGET))
    rows = unknown_rows(a.dataset)
    tok = CharTokenizer.default()
    chosen = None
    for rec in candidates[:6]:
        ckpt = os.path.join(a.work, f"ckpt_{rec['step']:05d}.pt")
        s = score(load_decoder(ckpt), tok, rows)
        print(json.dumps({"checkpoint": rec["step"], "unknown": s}), flush=True)
        if BAND[0] <= s["greedy"] <= BAND[1] and BAND[0] <= s["sampled_t0.7"] <= BAND[1]:
            chosen = (ckpt, rec, s)
            break
    if chosen is None:
        raise SystemExit(f"no checkpoint has UNKNOWN accuracy within {BAND} for both decodings: train longer or shorter")
    ckpt, rec, s = chosen
    sae.main(["--checkpoint", ckpt, "--out", a.work])
    metrics = {"checkpoint_step": rec["step"], "train_minutes": rec["minutes"], "train_loss": rec["loss"],
               "val_greedy": rec["val_greedy"], "val_sampled_t0.7": rec["val_sampled"],
               "unknown_split": {"seed": 17, "fraction": 0.3, **s}}
    mpath = os.path.join(a.work, "model_metrics.json")
    json.dump(metrics, open(mpath, "w"), indent=1)
    if os.path.isdir(a.pack):
        shutil.rmtree(a.pack)
    export.main(["--checkpoint", ckpt, "--sae", os.path.join(a.work, "sae.pt"), "--out", a.pack,
                 "--version", a.version, "--metrics", mpath])
    os.makedirs(os.path.join(a.pack, "training"), exist_ok=True)
    shutil.copy(os.path.join(a.work, "train_log.jsonl"), os.path.join(a.pack, "training", "train_log.jsonl"))
    json.dump({"model": metrics, "sae": torch.load(os.path.join(a.work, "sae.pt"))["metrics"]},
              open(os.path.join(a.pack, "training", "metrics.json"), "w"), indent=1)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
