#!/usr/bin/env bash
# A metalr command on a Spark standalone cluster, driver on this machine (client mode):
#   SPARK_MASTER_URL=spark://head:7077 submit/standalone.sh train --config conf/pocus.conf \
#     --set data.path=hdfs:///data/pocus/frames.csv --set run.dir=hdfs:///runs/pocus-metalr
# GPU executors (METALR_GPU=1, the default) need the workers to offer GPUs: in each worker's
# spark-defaults.conf or SPARK_WORKER_OPTS, spark.worker.resource.gpu.amount=<GPUs on the node> and
# spark.worker.resource.gpu.discoveryScript=/opt/metalr/submit/gpu-discovery.sh (this repository's
# script, installed on the node); the worker hands each executor its GPU addresses.
# More settings: submit/spark-submit.sh (environment variables), conf/spark-gpu.conf.
source "$(dirname "${BASH_SOURCE[0]}")/spark-submit.sh"
submit --master "${SPARK_MASTER_URL:?set SPARK_MASTER_URL=spark://host:7077}" --deploy-mode client -- "$@"
