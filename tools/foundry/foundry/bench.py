"""PyTorch eager greedy generation on a pack: the reference for the Java benchmark
(tools/bench/generation.sh). Prints one JSON line per batch size and implementation:
  pytorch-static  the fair reference (foundry.static_generate: preallocated cache written in place,
                  argmax and the stop check on the batch's tensors, finished rows dropped,
                  inference_mode, prefill grouped by length as the Java side does); the ratios use it
  pytorch-naive   the foundry's evaluator loop (foundry.generate: the cache concatenated every step,
                  per-row .item(), finished rows kept), for continuity with older numbers only
Both count generated token ids before the stop token, as GenerationBenchmark does.
Args: --pack --questions --batches --max-new-tokens --repeats --threads --no-naive"""
import argparse
import json
import time

import torch

from . import generate as naive
from . import static_generate
from .trainer import load_pack

WARM_UP = 3  # untimed runs at each batch size, as many as the Java side (whose JIT needs them)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--batches", default="1,16,64")
    ap.add_argument("--max-new-tokens", type=int, default=80)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)  # the Java side runs ONNX Runtime with one intra-op thread
    ap.add_argument("--no-naive", action="store_true", help="skip the pytorch-naive line")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    manifest, model, _, tok = load_pack(a.pack)
    model.eval()
    questions = [q.strip() for q in open(a.questions) if q.strip()]
    prompt = lambda q: manifest["prompt_template"].replace("{question}", q)
    stop = manifest.get("stop_strings", ["\n"])[0]
    impls = {
        "pytorch-static": lambda ps: static_generate.generate_ids(model, tok, ps, a.max_new_tokens, stop),
        # the evaluator returns text: its ids are the text re-encoded (the same ids on the character tokenizer)
        "pytorch-naive": lambda ps: [tok.encode(o, bos=False)
                                     for o in naive.generate(model, tok, ps, max_new_tokens=a.max_new_tokens, stop=stop)],
    }
    if a.no_naive:
        del impls["pytorch-naive"]
    for run in impls.values():
        run([prompt(q) for q in questions[:4]])
    for b in [int(x) for x in a.batches.split(",")]:
        prompts = [prompt(questions[i % len(questions)]) for i in range(b)]
        for name, run in impls.items():
            for _ in range(WARM_UP):
                run(prompts)
            tokens, seconds = 0, 0.0
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                ids = run(prompts)
                seconds += time.perf_counter() - t0
                tokens += sum(len(r) for r in ids)
            print(json.dumps({"impl": name, "batch": b, "tokens": tokens, "seconds": round(seconds, 3),
                              "tokens_per_s": round(tokens / seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
