#!/usr/bin/env bash
# Runs benchmark NAME and prints JSON lines; the last line is the summary object.
#   submit/bench.sh engine     plain vs MetaLR step time, small CNN and ResNet-18; RSS growth
#   submit/bench.sh data       decode + preprocess + augment images/s (one thread) vs training images/s
#   submit/bench.sh spark      a MetaLR step on Spark local[2] (2 shards of 32) and in one process, step by step
#                              side by side in one JVM, for reference_cnn, small_resnet and ResNet-18 at 64 px: the
#                              overhead a user pays (Spark step minus one-process step, same global batch and
#                              cores), its share, the bytes moved, and the overhead's fixed ms per step and ms per
#                              MB (a line); --transport tcp: the executors average over TCP, not through memory
#                              --shards 1,2,4: a standalone cluster per count, one 1-core executor JVM per shard,
#                              small_resnet, a global batch of 64 cut into N shards: driver and executor bytes per
#                              step, overhead, and their growth from 2 to 4 shards (--only picks another network);
#                              --steps N (default 18, 2 warm-up)
#   submit/bench.sh cosine     the exact cosine rule vs the shard_mean estimator on local[4] (2 shards each):
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
