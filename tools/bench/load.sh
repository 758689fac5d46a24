#!/usr/bin/env bash
# Load: ingest QUERIES generated queries through the real ingest path, then a flood of SAMPLES
# labelled samples through the Streams app; prints ingest rate, consumer lag and heap every 5 s,
# and checks nothing was lost. Usage: tools/bench/load.sh [QUERIES] [SAMPLES]   (default 1000000 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"$root/saerl" --version >/dev/null  # builds on first use
cd "$root"
"$JAVA_HOME/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlog4j2.level=WARN -cp "$root/app/target/saerl.jar" dev.saerl.app.bench.LoadBenchmark "${1:-1000000}" "${2:-100000}"
