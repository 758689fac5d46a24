#!/usr/bin/env bash
# Load: ingest QUERIES generated queries through the real ingest path, then a flood of SAMPLES
# labelled samples through the Streams app; prints ingest rate, consumer lag and heap every 5 s,
# the totals, rate, peak heap and peak RSS, and checks exactly that nothing was lost or counted twice
# (samples and per-feature observations produced = counted by the Streams app); exits 1 otherwise,
# or when the deadline (LOAD_DEADLINE_MIN, default 90) passes first.
# Usage: tools/bench/load.sh [QUERIES] [SAMPLES]   (default 1000000 100000)
# It runs from a copy of the built jar, so a rebuild during a long run cannot pull classes from under it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"$root/saerl" --version >/dev/null  # builds on first use
cd "$root"
snap="$(mktemp -d -t saerl-load-jar.XXXXXX)"
trap 'rm -rf "$snap"' EXIT
cp "$root/app/target/saerl.jar" "$snap/" && cp -r "$root/app/target/lib" "$snap/"
"$JAVA_HOME/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlog4j2.level=WARN -Dload.deadline.min="${LOAD_DEADLINE_MIN:-90}" -cp "$snap/saerl.jar" dev.saerl.app.bench.LoadBenchmark "${1:-1000000}" "${2:-100000}"
