"""PyTorch eager generation with its KV cache on a pack: the reference for the Java benchmark.
Prints one JSON line per batch size. Args: --pack --questions --batches --max-new-tokens --repeats"""
import argparse
import json
import time

import torch

from .generate import generate
from .trainer import load_pack


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--batches", default="1,16,64")
    ap.add_argument("--max-new-tokens", type=int, default=80)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    manifest, model, _, tok = load_pack(a.pack)
    model.eval()
    questions = [q.strip() for q in open(a.questions) if q.strip()]
    prompt = lambda q: manifest["prompt_template"].replace("{question}", q)
    generate(model, tok, [prompt(q) for q in questions[:4]], max_new_tokens=a.max_new_tokens)
    for b in [int(x) for x in a.batches.split(",")]:
        prompts = [prompt(questions[i % len(questions)]) for i in range(b)]
        for _ in range(3):  # warm-up at this batch size, not timed (as many as the Java side, whose JIT needs them)
            generate(model, tok, prompts, max_new_tokens=a.max_new_tokens)
        tokens, seconds = 0, 0.0
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            outs = generate(model, tok, prompts, max_new_tokens=a.max_new_tokens)
            seconds += time.perf_counter() - t0
            tokens += sum(len(tok.encode(o, bos=False)) for o in outs)
        print(json.dumps({"impl": "pytorch-eager", "batch": b, "tokens": tokens, "seconds": round(seconds, 3),
                          "tokens_per_s": round(tokens / seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
