#!/usr/bin/env bash
# Runs benchmark NAME and prints JSON lines; the last line is the summary object.
#   submit/bench.sh engine     plain vs MetaLR step time, small CNN and ResNet-18; RSS growth
#   submit/bench.sh data       decode + preprocess + augment images/s (one thread) vs training images/s
#   submit/bench.sh spark      a MetaLR step in one process vs on Spark local[2] (2 shards): overhead, bytes
#   submit/bench.sh cosine     the exact cosine rule vs the shard_mean estimator on local[2] (2 shards):
#                              ms and bytes per step of each, the estimator's norm and hypergradient ratios
#   submit/bench.sh scale      a standalone cluster on this machine (2 executors), a synthetic PNG table
#                              (--images N, default 40000, of 224px RGB; cached under
#                              ${METALR_BENCH_DIR:-runs/bench}), loaded into executor stores by a 1 GB driver
set -euo pipefail
name="${1:?usage: submit/bench.sh NAME (engine, data, spark, scale, cosine)}"
shift
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case "$name" in
  engine) exec "${JAVA_CMD[@]}" io.metalr.bench.EngineBenchmark "$@" ;;
  data) exec "${JAVA_CMD[@]}" io.metalr.bench.DataBenchmark "$@" ;;
  spark) exec "${JAVA_CMD[@]}" io.metalr.bench.SparkBenchmark "$@" ;;
  scale) exec "${JAVA_CMD[@]}" io.metalr.bench.ScaleBenchmark "$@" ;;
  cosine) exec "${JAVA_CMD[@]}" io.metalr.bench.CosineNormsBenchmark "$@" ;;
  *) echo "unknown benchmark '$name'; known: engine, data, spark, scale, cosine" >&2; exit 2 ;;
esac
