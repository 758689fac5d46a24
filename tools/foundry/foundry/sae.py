"""A TopK sparse autoencoder trained on the decoder's hook-layer residuals.

encode(x) = TopK_k(ReLU(W_enc^T (x - b_dec) + b_enc)); decode(z) = W_dec^T z + b_dec, decoder
rows of unit norm (so a feature's decoder row is its steering direction). Layout as SAELens:
W_enc [d_in, F], b_enc [F], W_dec [F, d_in], b_dec [d_in].
"""
import argparse
import json
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import tasks
from .model import Config, Decoder
from .tokenizer import CharTokenizer
from .train import batch_of


class TopKSAE(nn.Module):
    def __init__(self, d_in, n_features, k):
        super().__init__()
        self.k = k
        self.W_enc = nn.Parameter(torch.randn(d_in, n_features) / d_in ** 0.5)
        self.b_enc = nn.Parameter(torch.zeros(n_features))
        self.W_dec = nn.Parameter(self.W_enc.data.t().clone())
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        self.normalize_decoder()

    @torch.no_grad()
    def normalize_decoder(self):
        self.W_dec.data /= self.W_dec.data.norm(dim=1, keepdim=True).clamp(min=1e-8)

    def encode(self, x):
        pre = F.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
        top = pre.topk(self.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, top.indices, top.values)

    def decode(self, z):
        return z @ self.W_dec + self.b_dec

    def forward(self, x):
        return self.decode(self.encode(x))


def load_decoder(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    model = Decoder(Config(**ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    return model.eval()


@torch.no_grad()
def collect(model, tok, examples):
    """Hook residuals of every real token, and the batches for the loss-increase measurement."""
    ids, mask, target = batch_of(examples, tok)
    pos = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    _, _, hook = model(ids, pos, mask)
    return hook[mask.bool()], (ids, mask, target)


@torch.no_grad()
def next_token_loss(model, batch, replace=None):
    ids, mask, target = batch
    pos = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    logits, _, _ = model(ids[:, :-1], pos[:, :-1], mask[:, :-1], replace_hook=replace)
    tgt = target[:, 1:]  # completion tokens: what the model was trained to predict
    return F.cross_entropy(logits[tgt], ids[:, 1:][tgt]).item()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train a TopK SAE on the hook-layer residuals.")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--features", type=int, default=1024)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--sequences", type=int, default=3000)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--task", default="arith", help="arith, modes or modes-null: the text the residuals come from")
    a = ap.parse_args(argv)
    task = tasks.get(a.task)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    tok = CharTokenizer.default()
    model = load_decoder(a.checkpoint)
    rng = random.Random(a.seed)
    chunks, eval_batches = [], []
    for i in range(0, a.sequences, 100):
        examples = [task.make_example(rng)[:2] for _ in range(100)]
        acts, batch = collect(model, tok, examples)
        chunks.append(acts)
        if i < 500:
            eval_batches.append(batch)
    acts = torch.cat(chunks)
    perm = torch.randperm(acts.shape[0])
    n_eval = min(20000, acts.shape[0] // 10)
    eval_acts, train_acts = acts[perm[:n_eval]], acts[perm[n_eval:]]
    sae = TopKSAE(acts.shape[1], a.features, a.k)
    with torch.no_grad():
        sae.b_dec.copy_(train_acts.mean(0))
    opt = torch.optim.Adam(sae.parameters(), lr=1e-3)
    t0 = time.time()
    for step in range(a.steps):
        x = train_acts[torch.randint(0, train_acts.shape[0], (a.batch,))]
        loss = (sae(x) - x).pow(2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sae.normalize_decoder()
        if (step + 1) % 500 == 0:
            print(json.dumps({"step": step + 1, "mse": round(loss.item(), 5)}), flush=True)
    with torch.no_grad():
        codes = sae.encode(eval_acts)
        recon = sae.decode(codes)
        ev = 1 - (eval_acts - recon).pow(2).sum() / (eval_acts - eval_acts.mean(0)).pow(2).sum()
        active_any = (sae.encode(acts) > 0).any(0)
        base = sum(next_token_loss(model, b) for b in eval_batches) / len(eval_batches)
        spliced = sum(next_token_loss(model, b, replace=lambda h: sae(h)) for b in eval_batches) / len(eval_batches)
    metrics = {"explained_variance": round(ev.item(), 4), "dead_features": int((~active_any).sum()),
               "features": a.features, "k": a.k, "mean_active_per_token": round((codes > 0).sum(-1).float().mean().item(), 2),
               "next_token_loss": round(base, 4), "next_token_loss_with_sae": round(spliced, 4),
               "loss_increase": round(spliced - base, 4), "residual_vectors": int(acts.shape[0]),
               "train_minutes": round((time.time() - t0) / 60, 2)}
    print(json.dumps(metrics), flush=True)
    os.makedirs(a.out, exist_ok=True)
    torch.save({"sae": sae.state_dict(), "k": a.k, "metrics": metrics}, os.path.join(a.out, "sae.pt"))


if __name__ == "__main__":
    main()
