"""The weight trainer: turns a model pack and a JSONL shard into a new pack.

Shards use the layouts TRL's trainers read: SFT rows {"prompt", "completion"}; DPO and RPO rows
{"prompt", "chosen", "rejected"} (prompt = the templated prompt, completions without the stop
string, which is appended here). DPO uses the starting policy as its frozen reference. RPO is DPO
plus ``--alpha`` times the chosen completion's negative log-likelihood per token (the DPO+NLL loss
of iterative reasoning preference optimisation, arXiv 2404.19733), which keeps the chosen chains'
own probability from falling while the margin grows.
The SAE is carried over unchanged; the new manifest names the old version as its parent.

  python3 -m foundry.trainer --pack models/arith --shard corrections.jsonl --mode dpo \
      --out data/packs/v2 --version arith-v2
"""
import argparse
import copy
import json
import os
import random
import time

import torch
import torch.nn.functional as F

from . import tasks
from .export import write_pack
from .model import Config, Decoder
from .safetensors_io import load as load_safetensors
from .sae import TopKSAE
from .tokenizer import CharTokenizer
from .train import batch_of, lm_loss


def load_pack(pack_dir):
    manifest = json.load(open(f"{pack_dir}/manifest.json"))
    if not os.path.exists(f"{pack_dir}/model.safetensors"):
        raise SystemExit(f"{pack_dir}: no model.safetensors. The trainer finetunes packs the foundry built (character "
                         "tokenizer, saerl's TopK SAE); a pack imported from a Hugging Face checkpoint "
                         f"({manifest.get('source', {}).get('checkpoint', '?')}) is not trainable here yet: "
                         "steering adapters (saerl demo's feature-rl) work on any pack")
    arch = {k: v for k, v in manifest["architecture"].items() if k in Config.__dataclass_fields__}
    model = Decoder(Config(**arch))
    state = {k[len("model."):] if k.startswith("model.") else k: v for k, v in load_safetensors(f"{pack_dir}/model.safetensors").items()}
    model.load_state_dict(state)
    s = manifest["sae"]
    sae = TopKSAE(s["d_in"], s["features"], s["k"])
    sae.load_state_dict(load_safetensors(f"{pack_dir}/{s['weights']}"))
    return manifest, model, sae, CharTokenizer.load(f"{pack_dir}/tokenizer.json")


def read_shard(path, mode):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not JSON: {e}")
            need = ["prompt", "completion"] if mode == "sft" else ["prompt", "chosen", "rejected"]  # dpo, rpo
            missing = [k for k in need if not isinstance(row.get(k), str)]
            if missing:
                raise SystemExit(f"{path}:{n}: {mode} row lacks string field(s) {missing}")
            rows.append(row)
    if not rows:
        raise SystemExit(f"{path}: no rows")
    return rows


def continuation(prompt, text, stop):
    """A shard's completion as the model writes it after ``prompt``: after a prompt that ends in
    whitespace (the mode organisms' "A: ") as it is, after one that does not (arith's "A:") with the
    one space the model writes first; then the stop string."""
    text = text.lstrip()
    return (text if prompt[-1:].isspace() else " " + text) + stop


def sequence_logprob(model, tok, pairs):
    """Sum of log-probabilities of each completion given its prompt, and its token count."""
    ids, mask, target = batch_of(pairs, tok)
    pos = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    logits, _, _ = model(ids[:, :-1], pos[:, :-1], mask[:, :-1])
    logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    tgt = target[:, 1:].float()
    return (logp * tgt).sum(-1), tgt.sum(-1)


def preference_loss(model, reference, tok, chosen, rejected, beta, alpha):
    """DPO on (prompt, completion) pairs against a frozen reference, plus alpha times the chosen
    completions' mean per-token negative log-likelihood (alpha 0: plain DPO; alpha > 0: RPO)."""
    pc, nc = sequence_logprob(model, tok, chosen)
    pr, _ = sequence_logprob(model, tok, rejected)
    with torch.no_grad():
        rc, _ = sequence_logprob(reference, tok, chosen)
        rr, _ = sequence_logprob(reference, tok, rejected)
    loss = -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()
    return loss + alpha * (-pc / nc).mean() if alpha else loss


def main(argv=None):
    ap = argparse.ArgumentParser(description="SFT, DPO or RPO (DPO+NLL) a model pack on a JSONL shard; writes a new pack.")
    ap.add_argument("--pack", required=True)
    ap.add_argument("--shard", required=True)
    ap.add_argument("--mode", choices=["sft", "dpo", "rpo"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--beta", type=float, default=0.1, help="DPO temperature")
    ap.add_argument("--alpha", type=float, default=1.0, help="RPO: weight of the chosen chains' per-token NLL")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    manifest, model, sae, tok = load_pack(a.pack)
    rows = read_shard(a.shard, a.mode)
    stop = manifest["stop_strings"][0] if manifest["stop_strings"] else ""
    reference = copy.deepcopy(model).eval() if a.mode != "sft" else None
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    model.train()
    t0, log = time.time(), []
    for step in range(a.steps):
        batch = [rows[rng.randrange(len(rows))] for _ in range(a.batch)]
        if a.mode == "sft":
            loss = lm_loss(model, *batch_of([(r["prompt"], continuation(r["prompt"], r["completion"], stop)) for r in batch], tok))
        else:
            chosen = [(r["prompt"], continuation(r["prompt"], r["chosen"], stop)) for r in batch]
            rejected = [(r["prompt"], continuation(r["prompt"], r["rejected"], stop)) for r in batch]
            loss = preference_loss(model, reference, tok, chosen, rejected, a.beta, a.alpha if a.mode == "rpo" else 0.0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % max(1, a.steps // 10) == 0 or step + 1 == a.steps:
            rec = {"step": step + 1, "loss": round(loss.item(), 5), "minutes": round((time.time() - t0) / 60, 2)}
            log.append(rec)
            print(json.dumps(rec), flush=True)
    model.eval()
    metrics = {"trainer": a.mode, "steps": a.steps, "rows": len(rows), "shard": a.shard, "log": log}
    write_pack(model, sae, tok, a.out, manifest["name"], a.version, manifest["version"], metrics,
               manifest["metrics"].get("sae", {}), steer_feature=None, task=tasks.get(manifest.get("task", "arith")))
    print(json.dumps({"pack": a.out, "version": a.version, "parent": manifest["version"]}))


if __name__ == "__main__":
    main()
