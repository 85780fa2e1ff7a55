#!/usr/bin/env bash
# A metalr command on YARN (Hadoop 3.1+ GPU scheduling: yarn.io/gpu enabled on the NodeManagers):
#   submit/yarn.sh train --config conf/pocus.conf --set data.path=hdfs:///data/pocus/frames.csv \
#     --set run.dir=hdfs:///runs/pocus-metalr
# HADOOP_CONF_DIR (or YARN_CONF_DIR) must point at the cluster's configuration. The driver runs in
# the cluster (METALR_DEPLOY_MODE=cluster, the default; client keeps it here), so every path the
# command names must be a cluster path (hdfs://, s3a://). The GPU discovery script travels with
# --files and is found in each executor's working directory, as conf/spark-gpu.conf expects.
# More settings: submit/spark-submit.sh (environment variables), conf/spark-gpu.conf.
source "$(dirname "${BASH_SOURCE[0]}")/spark-submit.sh"
files=()
[[ "${METALR_GPU:-1}" != 0 ]] && files=(--files "$SUBMIT_DIR/gpu-discovery.sh")
submit --master yarn --deploy-mode "${METALR_DEPLOY_MODE:-cluster}" "${files[@]}" -- "$@"
