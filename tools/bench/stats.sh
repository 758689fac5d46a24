#!/usr/bin/env bash
# Feature statistics throughput: labelled feature observations per second through the Streams
# topology (verify, join, per-query deltas, repartition, per-dataset sums, exactly-once v2, RocksDB)
# against a plain consumer reading and deserializing the same input, same run, embedded broker.
# Usage: tools/bench/stats.sh [QUERIES] [SAMPLES_PER_QUERY]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"$root/saerl" --version >/dev/null  # builds on first use
"$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlog4j2.level=WARN -cp "$root/app/target/saerl.jar" dev.saerl.app.bench.StatsBenchmark "${1:-2500}" "${2:-4}"
