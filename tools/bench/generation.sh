#!/usr/bin/env bash
# Generation throughput: saerl's Java runtime (ONNX Runtime, 1 intra-op thread) vs PyTorch eager
# (1 thread) on the same pack, prompts, greedy, same machine. The ratio's reference is
# pytorch-static (foundry.static_generate: preallocated cache written in place, batched argmax and
# stop check, finished rows dropped, inference_mode); pytorch-naive, the foundry's evaluator loop,
# is printed beside it for continuity and is in no ratio. Both sides count generated token ids
# before the stop token. Then SAE encoding ONNX vs plain Java.
# Usage: tools/bench/generation.sh [PACK_DIR] [BATCHES] [MAX_NEW_TOKENS] [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pack="$(realpath "${1:-$root/models/arith}")"
batches="${2:-1,16,64}"
max_new="${3:-80}"
repeats="${4:-3}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"$root/saerl" --version >/dev/null  # builds on first use
questions="$(mktemp)"
/usr/bin/python3 -c "import json; [print(json.loads(l)['question']) for l in open('$root/datasets/arith.jsonl').readlines()[:64]]" > "$questions"
py="$( cd "$root/tools/foundry" && /usr/bin/python3 -m foundry.bench --pack "$pack" --questions "$questions" \
        --batches "$batches" --max-new-tokens "$max_new" --repeats "$repeats")"
jv="$("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
        -cp "$root/app/target/saerl.jar" \
        dev.saerl.workers.bench.GenerationBenchmark "$pack" "$questions" "$batches" "$max_new" "$repeats" 2>/dev/null)"
rm -f "$questions"
echo "$py"; echo "$jv"
/usr/bin/python3 - "$py" "$jv" <<'PY'
import json, sys
py = {(r["impl"], r["batch"]): r for r in map(json.loads, sys.argv[1].splitlines())}
jv = [json.loads(l) for l in sys.argv[2].splitlines()]
print("\nbatch  pytorch tok/s  java tok/s  java/pytorch   (pytorch-naive tok/s, not a reference)")
for r in jv:
    if "batch" in r:
        p = py[("pytorch-static", r["batch"])]
        n = py.get(("pytorch-naive", r["batch"]))
        if p["tokens"] != r["tokens"]:
            print(f"warning: batch {r['batch']}: pytorch counted {p['tokens']} tokens, java {r['tokens']}")
        naive = f"   ({n['tokens_per_s']:.1f})" if n else ""
        print(f"{r['batch']:>5}  {p['tokens_per_s']:>13.1f}  {r['tokens_per_s']:>10.1f}  {r['tokens_per_s'] / p['tokens_per_s']:>11.2f}x{naive}")
    else:
        print(f"\nSAE encode ({r['sae_rows']} rows): onnx {r['onnx_rows_per_s']:.0f} rows/s, plain java {r['java_rows_per_s']:.0f} rows/s, onnx/java {r['onnx_rows_per_s'] / r['java_rows_per_s']:.2f}x")
PY
