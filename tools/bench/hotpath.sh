#!/usr/bin/env bash
# The worker's hot paths, each against the path it replaced, timed alternately in one run (old / new,
# above 1 = faster now): the decoder's pooled input buffers vs per-pass buffers, one-pass tokenEnds vs
# decoding every prefix, the SAE over a batch's samples together vs once per sample. Outputs are
# checked equal; and the decoder's inputs of one decode step alone, pooled vs allocated. Builds
# gpu-workers (offline) and runs from its classes.
# Usage: tools/bench/hotpath.sh [PACK] [DATASET_JSONL] [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
(cd "$root" && mvn -q -B -o -pl gpu-workers test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
cp="$root/gpu-workers/target/classes:$root/gpu-workers/target/test-classes:$(cat "$cp_file")"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.saerl.workers.inference.PassInputsBenchmark
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dlog4j2.level=WARN \
  -cp "$cp" dev.saerl.workers.bench.HotPathBenchmark \
  "${1:-$root/models/arith}" "${2:-$root/datasets/arith.jsonl}" "${3:-9}"
