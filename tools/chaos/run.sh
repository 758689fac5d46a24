#!/usr/bin/env bash
# The chaos run (#21): the loop on three Kafka nodes with its roles in their own JVMs (ingest, two
# workers, two Streams instances, the corrector, the finetuner with the foundry trainer), while a driver
# SIGKILLs brokers (the controller, partition leaders), workers, Streams instances, the corrector and
# the finetuner (mid-round) from a seeded schedule; then checks that nothing was lost or written twice (ChaosTest's javadoc).
# Prints every kill with its recovery time and a summary. Not part of `mvn verify` (tag chaos).
# Usage: tools/chaos/run.sh [KILLS] [SEED]        (defaults: 20 kills, seed 20261203)
# Fewer than about 10 kills ingests too few queries for a sure finetune round (docs/operations.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kills="${1:-20}"
seed="${2:-20261203}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$root"
log="$root/app/target/chaos.log"
mkdir -p "$(dirname "$log")"
echo "chaos run: $kills kills, seed $seed; Maven output in $log, the test's in app/target/surefire-reports; progress:"
progress="$root/app/target/chaos-progress.txt"
rm -f "$progress"
status=0
(tail -F "$progress" 2>/dev/null &) ; trap 'pkill -f "tail -F $progress" || true' EXIT
mvn -B -o -Dstyle.color=never verify -pl app -am -Dgroups=chaos -DexcludedGroups=none -Dtest=ChaosTest \
    -Dsurefire.failIfNoSpecifiedTests=false -Dsaerl.chaos.kills="$kills" -Dsaerl.chaos.seed="$seed" > "$log" 2>&1 || status=$?
grep -E "Tests run:|FAIL|BUILD" "$log" || true
exit "$status"
