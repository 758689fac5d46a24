"""CI smoke test of the whole foundry: a few training steps of a tiny model, a tiny SAE, export,
then SFT and DPO through the trainer. Fast (well under a minute); proves the scripts still run
and still write packs the Java runtime accepts (the Java test loads them)."""
import argparse
import json
import os
import random

from . import export, sae, task, train, trainer


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    work = os.path.join(a.out, "work")
    train.main(["--out", work, "--steps", "12", "--eval-every", "12", "--val-size", "4", "--batch", "8",
                "--d-model", "32", "--layers", "2", "--dataset-groups", "5", "--threads", "1"])
    ckpt = os.path.join(work, "ckpt_00012.pt")
    sae.main(["--checkpoint", ckpt, "--out", work, "--features", "64", "--k", "4", "--sequences", "100",
              "--steps", "20", "--batch", "256", "--threads", "1"])
    base = os.path.join(a.out, "base")
    export.main(["--checkpoint", ckpt, "--sae", os.path.join(work, "sae.pt"), "--out", base, "--version", "smoke-v1"])
    rng = random.Random(3)
    sft, dpo = os.path.join(work, "sft.jsonl"), os.path.join(work, "dpo.jsonl")
    with open(sft, "w") as fs, open(dpo, "w") as fd:
        for _ in range(8):
            p, c, _ = task.make_example(rng)
            fs.write(json.dumps({"prompt": p, "completion": c.strip()}) + "\n")
            fd.write(json.dumps({"prompt": p, "chosen": c.strip(), "rejected": c.strip().replace("answer is", "answer is 1")}) + "\n")
    trainer.main(["--pack", base, "--shard", sft, "--mode", "sft", "--out", os.path.join(a.out, "sft"),
                  "--version", "smoke-sft", "--steps", "3", "--batch", "4"])
    trainer.main(["--pack", base, "--shard", dpo, "--mode", "dpo", "--out", os.path.join(a.out, "dpo"),
                  "--version", "smoke-dpo", "--steps", "3", "--batch", "4"])
    for name in ("base", "sft", "dpo"):
        m = json.load(open(os.path.join(a.out, name, "manifest.json")))
        assert m["parent_version"] == (None if name == "base" else "smoke-v1"), m["parent_version"]
    print("smoke ok")


if __name__ == "__main__":
    main()
