#!/usr/bin/env bash
# A ~1B-parameter random Llama on the GPU: the -Pgpu build (onnxruntime_gpu), a TinyLlama-1.1B-shaped
# checkpoint from foundry.tiny imported as a pack (foundry.import_hf), golden.json parity on CUDA
# (the foundry's CPU PyTorch outputs; ONNX Runtime's CPU provider is checked against the same file
# for scale), greedy tokens/s at batch 1/32/64, and the batch-1 decode step against the memory-
# bandwidth bound: bytes a step reads (the weights, one row of the embedding table) over the
# bandwidth measured in the same run on the same provider (foundry.roofline: ReduceSum of large
# initializers inside a Loop, two trip counts, so no host transfer and no fixed cost is timed).
# Without nvidia-smi, or with --reduced: the same steps at a tiny size on the CPU provider, the
# ordinary build (no 642 MB download), about 20 s. The last line printed is one JSON object.
# Usage: tools/bench/gpu.sh [--reduced] [--llama H,L,HEADS,KV,FFN,VOCAB] [--work DIR]
#   SAERL_BENCH_CLASSPATH: run GpuBenchmark from this class path (absolute entries), no build (the tests use it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
say() { echo "gpu.sh: [${SECONDS} s] $*" >&2; }
reduced=0
llama=""
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reduced) reduced=1 ;;
    --llama) llama="$2"; shift ;;
    --work) work="$2"; shift ;;
    *) echo "usage: tools/bench/gpu.sh [--reduced] [--llama H,L,HEADS,KV,FFN,VOCAB] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$reduced" = 0 ] && ! command -v nvidia-smi >/dev/null 2>&1; then
  say "no nvidia-smi on this machine: running the reduced form (tiny model, CPU provider), as --reduced does"
  reduced=1
elif [ "$reduced" = 0 ] && ! nvidia-smi -L >/dev/null 2>&1; then
  say "nvidia-smi finds no GPU ($(nvidia-smi -L 2>&1 | head -n 1)): running the reduced form (tiny model, CPU provider)"
  reduced=1
fi
if [ "$reduced" = 1 ]; then
  device=cpu
  llama="${llama:-256,4,4,2,768,8192}"
  batches=1,32,64 new_tokens=32 warm_ups=1 repeats=2
  llc_kib=0 # the bandwidth graph reads at least 4x the last-level cache per iteration
  for f in /sys/devices/system/cpu/cpu0/cache/index*/size; do
    [ -r "$f" ] || continue
    s="$(cat "$f")"
    case "$s" in *K) s="${s%K}" ;; *M) s=$(( ${s%M} * 1024 )) ;; esac
    if [ "$s" -gt "$llc_kib" ]; then llc_kib="$s"; fi
  done
  mib=$(( llc_kib * 4 / 1024 > 128 ? (llc_kib * 4 + 1023) / 1024 : 128 ))
  chunks=$(( (mib + 255) / 256 ))
  say "last-level cache $(( llc_kib / 1024 )) MiB: the bandwidth graph reads $mib MiB per iteration"
else
  device=cuda
  llama="${llama:-2048,22,32,4,5632,32000}" # TinyLlama-1.1B's shape
  batches=1,32,64 new_tokens=64 warm_ups=2 repeats=3
  mib=4096 chunks=16 # 16 x 256 MiB per iteration: >= 4x any NVIDIA GPU's L2 (<= 128 MB), and long enough that the Loop's own cost per iteration is small
  say "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n 1)"
fi
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/saerl-gpu-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
java_log="$work/java.log"

# --- build
if [ -n "${SAERL_BENCH_CLASSPATH:-}" ]; then
  cp="$SAERL_BENCH_CLASSPATH"
elif [ "$reduced" = 1 ]; then
  "$root/saerl" --version >/dev/null # builds on first use, the CPU artifact
  cp="$root/app/target/saerl.jar"
else
  version="$(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' "$root/pom.xml" | head -n 1)"
  if [ ! -f "$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime_gpu/$version/onnxruntime_gpu-$version.jar" ]; then
    say "building with -Pgpu: Maven downloads onnxruntime_gpu $version now, a 642 MB jar (once, into ~/.m2)"
  else
    say "building with -Pgpu (onnxruntime_gpu $version is in ~/.m2)"
  fi
  # replaces app/target/saerl.jar with the GPU build (it runs on CPU too; mvn package without -Pgpu gives the CPU one back)
  (cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests -Pgpu package) 2>&1 | sed -e $'s/\x1b\[0m//g' >&2
  if [ ! -f "$root/app/target/lib/onnxruntime_gpu-$version.jar" ]; then
    say "the -Pgpu build did not put onnxruntime_gpu-$version.jar in app/target/lib"
    exit 1
  fi
  cp="$root/app/target/saerl.jar"
fi

# --- the model, its pack, the bandwidth graph
cd "$root/tools/foundry"
say "random Llama $llama (hidden, layers, heads, kv heads, FFN, vocab): foundry.tiny"
/usr/bin/python3 -m foundry.tiny --out "$work/llama" --llama "$llama" >/dev/null
say "importing it as a pack: foundry.import_hf"
/usr/bin/python3 -m foundry.import_hf --checkpoint "$work/llama/checkpoints/llama" --sae "$work/llama/saes/saelens" \
  --out "$work/pack" --version gpu-bench-v1 >"$work/import.log" 2>&1 || { tail -n 20 "$work/import.log" >&2; exit 1; }
rm -rf "$work/llama/checkpoints" # the pack holds the weights now
say "bytes per decode step, and the bandwidth graph ($mib MiB in $chunks initializers): foundry.roofline"
roofline="$(/usr/bin/python3 -m foundry.roofline --pack "$work/pack" --graph "$work/bandwidth.onnx" --mib "$mib" --chunks "$chunks")"
per_iteration="$(/usr/bin/python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["bytes_per_iteration"], repr(r["expected_sum_per_iteration"]))' "$roofline")"

# --- ONNX Runtime: parity, tokens/s, bandwidth
bench() { # DEVICE GRAPH BATCHES: one JSON line from GpuBenchmark
  SAERL_DEVICE="$1" "$JAVA_HOME/bin/java" -Xmx${SAERL_HEAP:-4g} --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
    -cp "$cp" dev.saerl.workers.bench.GpuBenchmark "$work/pack" "$2" $per_iteration "$3" "$new_tokens" "$warm_ups" "$repeats" \
    >"$work/bench.out" 2>>"$java_log" || {
    tail -n 30 "$java_log" >&2
    [ "$1" = cuda ] && say "SAERL_DEVICE=cuda: the CUDA provider needs the CUDA 12 and cuDNN 9 libraries on the loader's path"
    exit 1
  }
  grep '^{"provider"' "$work/bench.out" | tail -n 1 || { # its JSON, whatever a logging configuration printed beside it
    say "GpuBenchmark printed no JSON line:"; cat "$work/bench.out" >&2; tail -n 30 "$java_log" >&2; exit 1
  }
}
cpu_parity='{}'
if [ "$device" = cuda ]; then
  say "golden.json on ONNX Runtime's CPU provider (SAERL_DEVICE=cpu), for scale"
  cpu_parity="$(bench cpu - -)"
fi
say "golden.json, tokens/s at batch $batches, the batch-1 decode step and the bandwidth on SAERL_DEVICE=$device"
result="$(bench "$device" "$work/bandwidth.onnx" "$batches")"

/usr/bin/python3 - "$result" "$cpu_parity" "$roofline" "$work/pack/manifest.json" "$reduced" "$llama" "$new_tokens" "$SECONDS" <<'PY'
import json, sys
r, cpu, roof = (json.loads(a) for a in sys.argv[1:4])
arch = json.load(open(sys.argv[4]))["architecture"]
reduced, llama, new_tokens, seconds = sys.argv[5] == "1", sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
provider = "CUDA" if r["provider"].startswith("CUDA") else "CPU"
bw = r["bandwidth"]["gb_s"]
per_step = roof["bytes_per_step"]
bound = bw * 1e9 / per_step  # decode steps per second if a step only streamed its weights at that rate
step = r["batch1_decode"]
tps = {str(b["batch"]): b["tokens_per_s"] for b in r["batches"]}
p = r["parity"]
kv_token = arch["n_layer"] * 2 * arch["n_kv_head"] * arch["head_dim"] * 4  # bytes per cached token and row, fp32
tokens = r["prompt_tokens"] + new_tokens
print(f"model: random Llama {llama}, {roof['parameters'] / 1e6:.1f}M parameters; provider {r['provider']}"
      + (" (reduced form: tiny model, CPU provider)" if reduced else ""))
print(f"parity (golden.json, the foundry's CPU PyTorch outputs): worst {p['worst']}: max abs {p['max_abs_diff']:.3g} "
      f"(tolerance {p['tolerance']:.3g}), {p['mismatches']} token/feature mismatches: {'ok' if p['ok'] else 'FAILED'}")
if cpu:
    q = cpu["parity"]
    print(f"  the same on ONNX Runtime's CPU provider: max abs {q['max_abs_diff']:.3g} ({q['worst']}): {'ok' if q['ok'] else 'FAILED'}")
for b in r["batches"]:
    print(f"batch {b['batch']:>2}: {b['tokens_per_s']:>9.1f} tokens/s ({b['tokens']} tokens in {b['seconds']:.2f} s, prefill included)")
print(f"batch-1 decode step (prefill subtracted): {step['step_ms']:.3f} ms, {step['steps_per_s']:.1f} steps/s")
print(f"bandwidth on {provider}: {bw:.1f} GB/s (ReduceSum over {r['bandwidth']['bytes_per_iteration'] / 2**20:.0f} MiB per Loop "
      f"iteration, {r['bandwidth']['iterations'][0]} vs {r['bandwidth']['iterations'][1]} iterations)")
print(f"bytes a decode step reads: {per_step / 1e9:.3f} GB (fp32 weights; the {roof['embedding_table_bytes'] / 1e6:.1f} MB "
      f"embedding table counted as one {roof['embedding_row_bytes']} B row): bound {bound:.1f} steps/s, "
      f"batch 1 reaches {step['steps_per_s'] / bound:.3f} of it")
if reduced:
    print("  (reduced form: these weights fit in the last-level cache, so this fraction is no roofline; the GPU run's is)")
elif bw < 200:
    print(f"  warning: {bw:.0f} GB/s is host-memory speed, not a GPU's: did the bandwidth graph run on the GPU?")
print(f"caveat: the KV cache lives in host memory (ONNX Runtime's Java API has no I/O binding), so on a GPU every decode "
      f"step copies the whole cache to the device and the new keys and values back: {kv_token / 1024:.0f} KiB per cached "
      f"token and row, {tokens * kv_token / 1e6:.1f} MB per step at batch 1 and {64 * tokens * kv_token / 1e6:.0f} MB at "
      f"batch 64 ({tokens} tokens). Every figure above includes those copies.")
print(json.dumps({
    "provider": provider, "provider_detail": r["provider"], "reduced": reduced, "llama": llama,
    "parameters": roof["parameters"], "parity_max_abs_diff": p["max_abs_diff"], "parity_tolerance": p["tolerance"],
    "parity_worst": p["worst"], "parity_mismatches": p["mismatches"], "parity_ok": p["ok"],
    "cpu_provider_parity_max_abs_diff": cpu["parity"]["max_abs_diff"] if cpu else None,
    "tokens_per_s": tps, "new_tokens": new_tokens, "prompt_tokens": r["prompt_tokens"],
    "batch1_decode_step_ms": step["step_ms"], "bandwidth_gb_s": bw, "bandwidth_bytes_per_iteration": r["bandwidth"]["bytes_per_iteration"],
    "bytes_per_step": per_step, "bound_steps_per_s": bound, "bound_fraction_batch1": step["steps_per_s"] / bound,
    "kv_cache": "host", "kv_cache_bytes_per_token_row": kv_token, "seconds": seconds}))
sys.exit(0 if p["ok"] and (not cpu or cpu["parity"]["ok"]) else 1)
PY
