#!/bin/sh
# Spark GPU discovery script: Spark runs it on each executor (YARN, Kubernetes) or worker
# (standalone) host at start, through spark.{executor,worker}.resource.gpu.discoveryScript, and
# reads one line of JSON in the ResourceInformation format from stdout:
#   {"name": "gpu", "addresses": ["0","1"]}   the indices nvidia-smi lists
#   {"name": "gpu", "addresses": []}          no nvidia-smi on this host
# Spark then refuses to start an executor that found fewer GPUs than
# spark.executor.resource.gpu.amount. An nvidia-smi that fails (driver not loaded, version
# mismatch) or prints something other than indices is an error (exit 1, message on stderr), so the
# cause reaches the executor log instead of a silent "0 GPUs".
# The indices are the ones this host's CUDA numbering uses; under YARN/Kubernetes GPU isolation the
# container only sees its own GPUs, and nvidia-smi inside it lists just those.
# POSIX sh: no bash needed on the executor hosts. Must be executable (chmod +x).
set -u
set -f   # no globbing of nvidia-smi's output

if ! command -v nvidia-smi >/dev/null 2>&1; then
  printf '%s\n' '{"name": "gpu", "addresses": []}'
  exit 0
fi

# nvidia-smi's own stderr passes through to the executor log
if ! out=$(nvidia-smi --query-gpu=index --format=csv,noheader); then
  printf 'gpu-discovery.sh: nvidia-smi --query-gpu=index --format=csv,noheader failed: %s\n' "$out" >&2
  exit 1
fi

addresses=""
# one index per line; tr drops carriage returns and commas so only digits and blanks remain to split on
for id in $(printf '%s\n' "$out" | tr -d '\r' | tr ',' ' '); do
  case $id in
    *[!0-9]*)
      printf 'gpu-discovery.sh: unexpected nvidia-smi output (not a GPU index): %s\n' "$id" >&2
      exit 1
      ;;
  esac
  addresses="${addresses:+$addresses, }\"$id\""
done

printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
