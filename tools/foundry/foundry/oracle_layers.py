"""G3's oracle, its sign flip and a random direction of equal norm at the first answer token, with the
hook at each layer in turn, in PyTorch (issue 14: where, if anywhere, the random control stays small).

  /usr/bin/python3 -m foundry.oracle_layers --model ../../models/modes --layers 1,2,3,4 --problems 120 --samples 8

The oracle is fitted on the even problems (careful minus sloppy mean hook residual where the forced
opening `C` or the first digit is fed), steering is applied on the odd problems' samples (T=1, seed 7,
the same random stream for every arm) at the first answer token only. Prints one JSON line per layer:
the norms, and [accuracy %, share opening with the marker %] per arm. --model takes a pack or a
training checkpoint (.pt). Java's `saerl gates` is the gate; this is the diagnostic behind a change.
"""
import argparse
import json

import torch

from . import modes, tasks
from .generate import answer_of, generate
from .model import Decoder
from .sae import load_decoder
from .tokenizer import CharTokenizer
from .train import pack_weights


def load(path):
    if path.endswith(".pt"):
        return load_decoder(path)
    cfg, state = pack_weights(path)
    model = Decoder(cfg)
    model.load_state_dict(state)
    return model.eval()


@torch.no_grad()
def forced_residuals(model, tok, rows, organism=modes.MODES):
    """Per problem, the hook residual where the forced first answer token is fed: `C` (careful) and the
    first digit of the solution's first number (sloppy). Returns (careful [n, d], sloppy [n, d], digits)."""
    careful, sloppy, digits = [], [], []
    for r in rows:
        prompt = modes.PROMPT_TEMPLATE.format(question=r["question"])
        digit = organism.sloppy_opening(r["solution"])
        digits.append(digit)
        for out, opening in ((careful, organism.careful_marker[0]), (sloppy, digit)):
            ids = tok.encode(prompt) + tok.encode(opening, bos=False)
            t = torch.tensor([ids])
            _, _, hook = model(t, torch.arange(len(ids)).unsqueeze(0), torch.ones_like(t))
            out.append(hook[0, -1])
    return torch.stack(careful), torch.stack(sloppy), digits


def oracle(model, tok, rows, organism=modes.MODES):
    c, s, _ = forced_residuals(model, tok, rows, organism)
    return c.mean(0) - s.mean(0), c.norm(dim=1).mean().item(), s.norm(dim=1).mean().item()


def steered(model, tok, rows, samples, vectors, organism=modes.MODES):
    """[accuracy %, marker share %] with vectors [B, D] added where the first answer token is fed (or none)."""
    prompts = [modes.PROMPT_TEMPLATE.format(question=r["question"]) for r in rows for _ in range(samples)]
    answers = [r["answer"] for r in rows for _ in range(samples)]
    steer = None if vectors is None else (lambda step, b, t: vectors.unsqueeze(1) if step == 1 else None)
    outs = generate(model, tok, prompts, temperature=1.0, seed=7, steer_fn=steer)
    accuracy = sum(answer_of(o) == str(a) for o, a in zip(outs, answers)) / len(outs)
    marker = sum(organism.mode_of(o) == "careful" for o in outs) / len(outs)
    return [round(100 * accuracy, 1), round(100 * marker, 1)]


def fresh_rows(seed, n, organism=modes.MODES):
    """n problems drawn by the modes generator, none of the saerl dataset's, as dataset rows (careful solution)."""
    import random
    from . import task
    _, held = modes.MODES.dataset_rows(7, 400)
    rng, rows = random.Random(seed), []
    while len(rows) < n:
        start, ops = modes.sample_problem(rng)
        if task.problem_key(start, ops) in held:
            continue
        name, pronoun = rng.choice(task.NAMES)
        q = task.phrase(start, ops, rng.randrange(modes.STYLES), name, pronoun, rng.choice(task.OBJECTS))
        cot, _ = modes.chain(start, ops, True, 0.0, rng, organism.markers())
        rows.append({"question": q, "answer": str(modes.final_value(start, ops)), "solution": cot})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a pack folder or a training checkpoint (.pt)")
    ap.add_argument("--dataset", default="../../datasets/modes.jsonl")
    ap.add_argument("--layers", default="2")
    ap.add_argument("--task", default="modes", help="the organism whose openings are forced and read (modes, modes-marked, ...)")
    ap.add_argument("--problems", type=int, default=120)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--fresh-seed", type=int, default=None,
                    help="draw the problems from the task generator with this seed (none of the dataset's 400) "
                         "instead of the dataset, so no dataset problem is looked at")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    model, tok = load(a.model), CharTokenizer.default()
    organism = tasks.get(a.task)
    if a.fresh_seed is None:
        rows = [json.loads(l) for l in open(a.dataset)][::3][:a.problems]  # one phrasing per problem
        fit, ev = rows[0::2], rows[1::2]
    else:
        rows = fresh_rows(a.fresh_seed, a.problems, organism)
        fit, ev = rows[:len(rows) // 2], rows[len(rows) // 2:]
    for layer in [int(x) for x in a.layers.split(",")]:
        model.c.hook_layer = layer
        v, careful_norm, sloppy_norm = oracle(model, tok, fit, organism)
        n = len(ev) * a.samples
        rng = torch.Generator().manual_seed(11)
        random = torch.randn(n, v.shape[0], generator=rng)
        random = random / random.norm(dim=1, keepdim=True) * v.norm()
        print(json.dumps({"layer": layer, "oracle_norm": round(v.norm().item(), 1),
                          "careful_norm": round(careful_norm, 1), "sloppy_norm": round(sloppy_norm, 1),
                          "unsteered": steered(model, tok, ev, a.samples, None, organism),
                          "oracle": steered(model, tok, ev, a.samples, v.expand(n, -1), organism),
                          "sign_flipped": steered(model, tok, ev, a.samples, (-v).expand(n, -1), organism),
                          "random": steered(model, tok, ev, a.samples, random, organism)}), flush=True)


if __name__ == "__main__":
    main()
