#!/usr/bin/env bash
# Runs benchmark NAME and prints JSON lines; the last line is the summary object.
#   submit/bench.sh engine     plain vs MetaLR step time, small CNN and ResNet-18; RSS growth
set -euo pipefail
name="${1:?usage: submit/bench.sh NAME (engine)}"
shift
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case "$name" in
  engine) exec "${JAVA_CMD[@]}" io.metalr.bench.EngineBenchmark "$@" ;;
  *) echo "unknown benchmark '$name'; known: engine" >&2; exit 2 ;;
esac
