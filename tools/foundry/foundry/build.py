"""Reproduces a bundled pack: train (or reuse a training run), pick a checkpoint, train the SAE on
it, export the pack, and write its metrics and training log beside it.

  python3 -m foundry.build --work /tmp/foundry-run --pack ../../models/arith --dataset ../../datasets/arith.jsonl
  python3 -m foundry.build --task modes --work /tmp/modes-run --pack ../../models/modes --dataset ../../datasets/modes.jsonl \
      --init-pack ../../models/arith --steps 3000 --lr 1.5e-3 --threads 1
  python3 -m foundry.build --task modes-null --work /tmp/null-run --pack ../../models/modes-null \
      --dataset ../../datasets/modes-null.jsonl --init-pack ../../models/arith --steps 3000 --lr 1.5e-3 --threads 1

The bundled packs (modes-base-v2, modes-null-base-v2) are a second stage from those (G3's random-direction
control, docs/experiment.md), with the first packs kept as /tmp/modes-v1 and /tmp/modes-null-v1 (the names the lineage records) and a random
push at the first answer token in training:
  python3 -m foundry.build --task modes --work /tmp/modes-ftn --pack ../../models/modes --dataset ../../datasets/modes.jsonl \
      --init-pack /tmp/modes-v1 --version modes-base-v2 --steps 600 --lr 5e-4 --first-token-noise 0.5 \
      --first-token-noise-scale 2.0 --threads 1
  (and the same with --task modes-null, /tmp/modes-null-v1, ../../models/modes-null, modes-null-base-v2)

arith (the bundled model, kept as it was built): the checkpoint whose UNKNOWN accuracy sits in the
target band. The mode organisms (modes, modes-null; see foundry/modes.py): the final checkpoint,
chosen by nothing measured on the dataset; the dataset is written by the build, and the metrics
(greedy and sampled accuracy overall and per mode, each mode's share among samples) are measured
on one phrasing per problem of the whole dataset. The bundled organisms are finetuned from the
arith pack's weights (--init-pack): the problems the arith pack saw in its own training (its data
stream replayed) are dropped from the organism's dataset, so nothing in it was ever trained on. The
pack keeps a sample of the training chains with their injected errors
(training/injected_errors.jsonl), which the Java ground-truth checker is tested against.
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
BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "models")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, help="training run folder (reused when it has checkpoints)")
    ap.add_argument("--pack", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--version", default=None, help="default <task>-base-v1")
    ap.add_argument("--task", default="arith", help="arith, modes or modes-null")
    ap.add_argument("--steps", type=int, default=None, help="training steps (default: the trainer's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init-pack", default=None, help="organisms: start training from this pack's weights (the bundled "
                                                      "build uses ../../models/arith); its training problems are "
                                                      "dropped from the dataset")
    ap.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the trainer's)")
    ap.add_argument("--first-token-noise", type=float, default=0.0, metavar="RATE",
                    help="organisms: passed to foundry.train (a random push at the first answer token of this share "
                         "of the training sequences; G3's random-direction control)")
    ap.add_argument("--first-token-noise-scale", type=float, default=2.0, help="passed to foundry.train")
    a = ap.parse_args(argv)
    a.version = a.version or f"{a.task}-base-v1"
    torch.set_num_threads(a.threads)
    if a.task != "arith":
        return build_organism(a)
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



ERROR_SAMPLE = 3000  # training chains kept in the pack with their injected errors


def build_organism(a):
    from . import modes, task as arith_task, tasks
    organism = tasks.get(a.task)
    rows, _ = organism.dataset_rows(7, 400)  # all 400 stay out of the organism's training
    dropped = 0
    chain = lineage(a.init_pack) if a.init_pack else []
    if chain:
        seen = {organism.group_of(k) for k in parent_training_keys(chain[-1][1])}
        kept = [r for r in rows if r["group_id"] not in seen]
        dropped = (len(rows) - len(kept)) // arith_task.STYLES
        print(json.dumps({"dropped_problems_seen_by_parent": dropped}), flush=True)
        rows = kept
    arith_task.write_jsonl(a.dataset, rows)
    if not glob.glob(os.path.join(a.work, "ckpt_*.pt")):
        train.main(["--out", a.work, "--task", a.task, "--threads", str(a.threads)]
                   + (["--steps", str(a.steps)] if a.steps else []) + (["--lr", str(a.lr)] if a.lr else [])
                   + (["--init-pack", a.init_pack] if a.init_pack else [])
                   + (["--first-token-noise", str(a.first_token_noise),
                       "--first-token-noise-scale", str(a.first_token_noise_scale)] if a.first_token_noise > 0 else []))
    log = [json.loads(l) for l in open(os.path.join(a.work, "train_log.jsonl"))]
    rec = max(log, key=lambda r: r["step"])
    ckpt = os.path.join(a.work, f"ckpt_{rec['step']:05d}.pt")
    model = load_decoder(ckpt)
    tok = CharTokenizer.default()
    one = [r for i, r in enumerate(rows) if r["id"].endswith(f"-p{(i // 3) % 3}")]  # one phrasing per problem
    metrics = {"checkpoint_step": rec["step"], "train_minutes": rec["minutes"], "train_loss": rec["loss"],
               "val_greedy": rec["val_greedy"], "val_sampled_t0.7": rec["val_sampled"],
               "init_pack": os.path.basename(os.path.normpath(a.init_pack)) if a.init_pack else None,
               "init_pack_version": pack_version(a.init_pack) if a.init_pack else None,
               "lineage": [name for name, _ in chain],
               "first_token_noise": {"rate": a.first_token_noise, "scale": a.first_token_noise_scale}
               if a.first_token_noise > 0 else None,
               "dataset_problems_dropped_as_seen_by_parent": dropped,
               "dataset": {"problems": len(one), **organism_scores(model, tok, one, organism)}}
    print(json.dumps(metrics), flush=True)
    sae.main(["--checkpoint", ckpt, "--out", a.work, "--task", a.task, "--threads", str(a.threads)])
    mpath = os.path.join(a.work, "model_metrics.json")
    json.dump(metrics, open(mpath, "w"), indent=1)
    if os.path.isdir(a.pack):
        shutil.rmtree(a.pack)
    export.main(["--checkpoint", ckpt, "--sae", os.path.join(a.work, "sae.pt"), "--out", a.pack, "--task", a.task,
                 "--name", f"saerl-{a.task}", "--version", a.version, "--metrics", mpath])
    out = os.path.join(a.pack, "training")
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(a.work, "train_log.jsonl"), os.path.join(out, "train_log.jsonl"))
    if len(chain) > 1:  # the organisms the weights came through, beside the root arith pack
        os.makedirs(os.path.join(out, "lineage"), exist_ok=True)
    for name, folder in chain[:-1]:
        for f in ("train_log.jsonl", "metrics.json"):
            shutil.copy(os.path.join(folder, "training", f), os.path.join(out, "lineage", f"{name}_{f}"))
    with open(os.path.join(a.work, "injected_errors.jsonl")) as f, open(os.path.join(out, "injected_errors.jsonl"), "w") as g:
        for i, line in enumerate(f):
            if i >= ERROR_SAMPLE:
                break
            g.write(line)
    json.dump({"model": metrics, "sae": torch.load(os.path.join(a.work, "sae.pt"))["metrics"]},
              open(os.path.join(out, "metrics.json"), "w"), indent=1)
    print(json.dumps(metrics))


def pack_version(pack):
    with open(os.path.join(pack, "manifest.json")) as f:
        return json.load(f)["version"]


def lineage(pack):
    """The packs an organism's weights came through, nearest first, as (name, folder): each pack's
    metrics name the pack it was initialised from, looked up beside it and then among the bundled
    packs; [("modes-v1", ...), ("arith", ...)] for a pack finetuned from a copy of the first modes."""
    chain = []
    while pack:
        chain.append((os.path.basename(os.path.normpath(pack)), pack))
        with open(os.path.join(pack, "training", "metrics.json")) as f:
            parent = json.load(f)["model"].get("init_pack")
        if parent is None:
            break
        near = [os.path.join(os.path.dirname(os.path.normpath(pack)), parent), os.path.join(BUNDLED, parent)]
        pack = next((p for p in near if os.path.isdir(p)), None)
        if pack is None:
            raise SystemExit(f"the lineage names pack {parent!r}, found neither at {near[0]} nor at {near[1]}")
    return chain


def parent_training_keys(pack):
    """The problem keys the arith pack at the root of an organism's lineage saw in training (the
    organisms' own training never draws a dataset problem, so only it can have): its stream replayed
    (the trainer's defaults, seed 1234 and batch 32, which its build used, up to the checkpoint it was
    cut at)."""
    import random
    from . import tasks
    with open(os.path.join(pack, "training", "metrics.json")) as f:
        steps = json.load(f)["model"]["checkpoint_step"]
    arith = tasks.get("arith")
    _, held_out = arith.dataset_rows(7, 400)
    rng, pending, keys = random.Random(1234), [], set()
    for _ in range(steps):
        if not pending:
            pending = train.bucketed_batches(rng, held_out, 32, task=arith, keys=keys)
        pending.pop()
    return keys


@torch.no_grad()
def organism_scores(model, tok, rows, organism, samples=4, seed=2024):
    """Greedy and sampled (T=1.0, the trained mixture; T=0.7, saerl's worker default) accuracy, overall and
    per mode read off the text, and each mode's share among the samples."""
    from . import modes
    from .generate import answer_of, generate
    prompts = [modes.PROMPT_TEMPLATE.format(question=r["question"]) for r in rows]
    answers = [r["answer"] for r in rows]
    out = {}
    for name, temperature, k in (("greedy", 0.0, 1), ("t1.0", 1.0, samples), ("t0.7", 0.7, samples)):
        tally = {"careful": [0, 0], "sloppy": [0, 0], None: [0, 0]}
        for rep in range(k):
            for i in range(0, len(prompts), 128):
                outs = generate(model, tok, prompts[i:i + 128], temperature=temperature, seed=seed + 1000 * rep + i)
                for o, ans in zip(outs, answers[i:i + 128]):
                    t = tally[organism.mode_of(o)]
                    t[0] += answer_of(o) == ans
                    t[1] += 1
        n = sum(t[1] for t in tally.values())
        out[name] = {"accuracy": round(sum(t[0] for t in tally.values()) / n, 4), "samples": n,
                     "careful_share": round(tally["careful"][1] / n, 4), "sloppy_share": round(tally["sloppy"][1] / n, 4),
                     "careful_accuracy": round(tally["careful"][0] / max(1, tally["careful"][1]), 4),
                     "sloppy_accuracy": round(tally["sloppy"][0] / max(1, tally["sloppy"][1]), 4)}
    return out


if __name__ == "__main__":
    main()
