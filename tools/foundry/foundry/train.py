"""Trains the bundled decoder on the arithmetic task with a fixed seed; keeps checkpoints with
validation accuracy so the pack can be cut at a checkpoint whose accuracy is in the target band."""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from . import safetensors_io, tasks
from .generate import accuracy
from .model import Config, Decoder
from .tokenizer import CharTokenizer


def batch_of(examples, tok):
    """Right-padded training batch; the loss covers the completion only."""
    seqs = [(tok.encode(p), tok.encode(c, bos=False)) for p, c in examples]
    L = max(len(p) + len(c) for p, c in seqs)
    ids = torch.full((len(seqs), L), tok.pad_id, dtype=torch.long)
    target_mask = torch.zeros((len(seqs), L), dtype=torch.bool)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for b, (p, c) in enumerate(seqs):
        ids[b, :len(p) + len(c)] = torch.tensor(p + c)
        mask[b, :len(p) + len(c)] = 1
        target_mask[b, len(p):len(p) + len(c)] = True
    return ids, mask, target_mask


def bucketed_batches(rng, held_out, batch, buckets=8, task=tasks.get("arith"), error_log=None, keys=None):
    """Draws buckets*batch fresh examples and groups similar lengths, so little of a batch is padding.
    error_log: a file that gets each example's mode and injected errors (tasks that inject them);
    keys: a set that gets every trained example's problem key."""
    pool = []
    while len(pool) < batch * buckets:
        if error_log is not None:
            p, c, key, log = task.make_logged(rng)
        else:
            p, c, key = task.make_example(rng)
        if key not in held_out:
            pool.append((p, c))
            if keys is not None:
                keys.add(key)
            if error_log is not None:
                error_log.write(json.dumps({"prompt": p, "completion": c, **log}) + "\n")
    pool.sort(key=lambda e: len(e[0]) + len(e[1]))
    batches = [pool[i:i + batch] for i in range(0, len(pool), batch)]
    rng.shuffle(batches)
    return batches


def hook_noise(rate, scale):
    """A replace_hook that adds, at a random share ``rate`` of positions, a random direction whose norm
    is U(0, scale) times that position's own residual norm: trains a small model to shrug off large
    pushes that carry no information, as wide models do (issue 14: G3's random-direction control)."""
    def add(x):
        hit = (torch.rand(x.shape[:-1]) < rate).unsqueeze(-1)
        d = torch.randn_like(x)
        d = d / d.norm(dim=-1, keepdim=True) * x.norm(dim=-1, keepdim=True).detach() * scale * torch.rand(hit.shape)
        return x + d * hit
    return add


def first_answer_noise(target_mask, rate, scale, generator=None):
    """A replace_hook that adds, at the first answer token of a share ``rate`` of the batch's sequences
    (where the mode organisms choose their mode), a random direction whose norm is U(0, scale) times
    that position's own residual norm. Only that position: a wide model shrugs off a random push of the
    size of a token swap there, a 128-wide one does not (issue 14: G3's random-direction control),
    and noise at every position spent the small model's capacity."""
    first = target_mask.float().argmax(dim=1)
    rows = torch.nonzero(torch.rand(len(first), generator=generator) < rate).flatten()

    def add(x):
        if len(rows) == 0:
            return x
        own = x[rows, first[rows]]
        d = torch.randn(own.shape, generator=generator)
        d = d / d.norm(dim=-1, keepdim=True) * own.norm(dim=-1, keepdim=True).detach() * scale \
            * torch.rand(len(rows), 1, generator=generator)
        x = x.clone()
        x[rows, first[rows]] = own + d
        return x
    return add


def lm_loss(model, ids, mask, target_mask, replace_hook=None):
    pos = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    logits, _, _ = model(ids[:, :-1], pos[:, :-1], mask[:, :-1], replace_hook=replace_hook)
    tgt = target_mask[:, 1:]
    return F.cross_entropy(logits[tgt], ids[:, 1:][tgt])


def lr_at(step, peak, warmup, total, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


def pack_weights(pack):
    """(Config, state dict) of a model pack: its manifest's architecture and model.safetensors, whose
    names are the Hugging Face ones export.hf_state writes (model.layers.N..., lm_head...)."""
    with open(os.path.join(pack, "manifest.json")) as f:
        arch = dict(json.load(f)["architecture"])
    arch.pop("type", None)
    cfg = Config(**arch)
    state = {k[len("model."):] if k.startswith("model.") else k: v
             for k, v in safetensors_io.load(os.path.join(pack, "model.safetensors")).items()}
    return cfg, state


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train the bundled model.")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--val-size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dataset-seed", type=int, default=7)
    ap.add_argument("--dataset-groups", type=int, default=400)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--task", default="arith", help="arith, modes or modes-null")
    ap.add_argument("--init-pack", help="start from this model pack's weights (model.safetensors and the manifest's "
                                        "architecture), with a fresh optimizer; steps and minutes count from 0")
    ap.add_argument("--init", help="continue from this checkpoint: its weights, a fresh optimizer and schedule; steps and "
                                   "minutes count on from the checkpoint's, and the log and error log are appended to")
    ap.add_argument("--hook-noise", type=float, default=0.0, metavar="RATE",
                    help="share of positions whose hook residual gets a random direction added in training (0: none)")
    ap.add_argument("--hook-noise-scale", type=float, default=1.5,
                    help="that direction's norm is U(0, this) times the position's residual norm")
    ap.add_argument("--first-token-noise", type=float, default=0.0, metavar="RATE",
                    help="share of sequences whose hook residual at the first answer token gets a random direction "
                         "added in training (0: none)")
    ap.add_argument("--first-token-noise-scale", type=float, default=2.0,
                    help="that direction's norm is U(0, this) times the position's residual norm")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    tok = CharTokenizer.default()
    cfg = Config(vocab_size=len(tok.vocab), d_model=a.d_model, n_layer=a.layers, d_ff=int(a.d_model * 2.75), hook_layer=a.layers // 2)
    model = Decoder(cfg)
    first_step, minutes_before = 0, 0.0
    if a.init:
        ckpt = torch.load(a.init, map_location="cpu")
        cfg = Config(**ckpt["config"])
        model = Decoder(cfg)
        model.load_state_dict(ckpt["state"])
        first_step, minutes_before = ckpt["metrics"]["step"], ckpt["metrics"]["minutes"]
    elif a.init_pack:
        cfg, state = pack_weights(a.init_pack)
        model = Decoder(cfg)
        model.load_state_dict(state)
    # the saerl dataset is held out from training: its problems never appear in a training batch
    task = tasks.get(a.task)
    rows, held_out = task.dataset_rows(a.dataset_seed, a.dataset_groups)
    rng, val_rng = random.Random(a.seed + first_step), random.Random(a.seed + 1)
    val = [task.make_example(val_rng) for _ in range(a.val_size)]
    val_prompts, val_answers = [p for p, _, _ in val], [
        task.true_answer(k) if hasattr(task, "true_answer") else c.strip().split()[-1].rstrip(".") for _, c, k in val]
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=0.01)
    log = open(os.path.join(a.out, "train_log.jsonl"), "a")
    # every training chain with its mode and injected errors, the ground truth the checker is held to
    error_log = open(os.path.join(a.out, "injected_errors.jsonl"), "a") if hasattr(task, "make_logged") else None
    noise = hook_noise(a.hook_noise, a.hook_noise_scale) if a.hook_noise > 0 else None
    t0, running, pending = time.time(), None, []
    for step in range(a.steps):
        if not pending:
            pending = bucketed_batches(rng, held_out, a.batch, task=task, error_log=error_log)
        examples = pending.pop()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.lr, 200, a.steps)
        ids, mask, target_mask = batch_of(examples, tok)
        hook = noise
        if a.first_token_noise > 0:
            hook = first_answer_noise(target_mask, a.first_token_noise, a.first_token_noise_scale)
        loss = lm_loss(model, ids, mask, target_mask, replace_hook=hook)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
            model.eval()
            greedy = accuracy(model, tok, val_prompts, val_answers)
            sampled = accuracy(model, tok, val_prompts, val_answers, temperature=0.7, seed=99)
            model.train()
            rec = dict(step=first_step + step + 1, loss=round(running, 4), val_greedy=greedy, val_sampled=sampled,
                       minutes=round(minutes_before + (time.time() - t0) / 60, 2))
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            torch.save({"config": cfg.to_dict(), "state": model.state_dict(), "metrics": rec},
                       os.path.join(a.out, f"ckpt_{first_step + step + 1:05d}.pt"))
    tok.save(os.path.join(a.out, "tokenizer.json"))


if __name__ == "__main__":
    main()
