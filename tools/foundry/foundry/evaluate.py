"""Accuracy of a checkpoint on the bundled dataset's UNKNOWN split (the split rule saerl's ingest
applies), with greedy decoding and with sampling at temperature 0.7."""
import json

import torch

from .generate import accuracy
from .task import PROMPT_TEMPLATE, split_of

SPLIT_SEED = 17
UNKNOWN_FRACTION = 0.3


def unknown_rows(dataset_path, seed=SPLIT_SEED, fraction=UNKNOWN_FRACTION):
    rows = [json.loads(line) for line in open(dataset_path)]
    return [r for r in rows if split_of(r["group_id"], seed, fraction) == "UNKNOWN"]


@torch.no_grad()
def score(model, tok, rows, seed=2024):
    prompts = [PROMPT_TEMPLATE.format(question=r["question"]) for r in rows]
    answers = [r["answer"] for r in rows]
    return {"n": len(rows),
            "greedy": round(accuracy(model, tok, prompts, answers), 4),
            "sampled_t0.7": round(accuracy(model, tok, prompts, answers, temperature=0.7, seed=seed), 4)}
