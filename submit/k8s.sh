#!/usr/bin/env bash
# A metalr command on Kubernetes (NVIDIA device plugin on the GPU nodes), driver in the cluster:
#   K8S_API_SERVER=https://k8s.example.org:6443 METALR_IMAGE=registry.example.org/metalr-spark:0.1.0 \
#     submit/k8s.sh train --config /opt/metalr/conf/pocus.conf --set data.path=s3a://bucket/pocus/frames.csv \
#     --set run.dir=s3a://bucket/runs/pocus-metalr
# The image is built from submit/Dockerfile (Spark 4.0.1's image plus this job's jars under
# /opt/metalr/jars and submit/ and conf/ under /opt/metalr); jars and the discovery script are
# referenced inside the image (local://), nothing is uploaded. Config files the command names must
# be in the image or on a cluster path. Namespace and service account: METALR_K8S_NAMESPACE
# (default "default"), METALR_K8S_SERVICE_ACCOUNT (default "spark", allowed to create pods).
# More settings: submit/spark-submit.sh (environment variables), conf/spark-gpu.conf.
source "$(dirname "${BASH_SOURCE[0]}")/spark-submit.sh"
: "${K8S_API_SERVER:?set K8S_API_SERVER=https://host:port}"
: "${METALR_IMAGE:?set METALR_IMAGE to an image built from submit/Dockerfile}"
in_image=/opt/metalr
# the image's copies of the jars, in the order of the runtime classpath
JOB_JARS=$(tr ':' '\n' <"$RUNTIME_CP_FILE" | grep -v '^$' | xargs -n1 basename | sed "s|^|local://$in_image/jars/|" | paste -sd, -)
APP_JAR="local://$in_image/jars/$(basename "$JOB_JAR")"
gpu=()
[[ "${METALR_GPU:-1}" != 0 ]] && gpu=(--conf "spark.executor.resource.gpu.discoveryScript=$in_image/submit/gpu-discovery.sh")
submit --master "k8s://$K8S_API_SERVER" --deploy-mode cluster \
  --conf "spark.kubernetes.container.image=$METALR_IMAGE" \
  --conf "spark.kubernetes.namespace=${METALR_K8S_NAMESPACE:-default}" \
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=${METALR_K8S_SERVICE_ACCOUNT:-spark}" \
  "${gpu[@]}" -- "$@"
