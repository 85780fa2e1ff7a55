#!/usr/bin/env bash
# Runs the job on this machine (CPU). With no arguments: the demo (pre-train a source model,
# fine-tune with MetaLR and baselines, print the comparison). With arguments: a CLI command, e.g.
#   submit/local.sh train --config my.conf --set train.epochs=5 --set run.dir=/tmp/run1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec "${JAVA_CMD[@]}" io.metalr.cli.Main "$@"
