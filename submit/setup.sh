#!/usr/bin/env bash
# Installs what the project needs on a Debian machine (run as root, or with sudo available).
#   submit/setup.sh           everything the tests need: the tools below, and the two Debian packages
#                             the demo data come from (Fashion-MNIST, the source task; the MRI
#                             templates of mricron, the target task)
#   submit/setup.sh --tools   only what building and running the job needs: a JDK 17, Maven, and a
#                             font for the run directory's charts (the demo's `prepare` installs its
#                             data packages itself). submit/common.sh runs this when java or mvn is missing.
# Safe to run again: it installs only what is missing. Elsewhere, install Java 17+ and Maven 3.8+
# yourself; the demo then tells you which data files it needs.
set -euo pipefail
need=()
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need+=(maven)
# the run directory's charts draw text: AWT needs at least one font (a headless JDK brings none)
compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null || need+=(fonts-dejavu-core fontconfig)
if [[ "${1:-}" != "--tools" ]]; then
  [[ -d /usr/share/datasets/fashion-mnist ]] || need+=(dataset-fashion-mnist)
  [[ -d /usr/share/mricron/templates ]] || need+=(mricron-data)
fi
if ((${#need[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "missing: ${need[*]} (Debian package names). apt-get is not available here: install Java 17+ and" >&2
    echo "Maven 3.8+, and for the demo put Fashion-MNIST's IDX files in /usr/share/datasets/fashion-mnist" >&2
    echo "and mricron's templates (ch2better.nii.gz, aal.nii.gz) in /usr/share/mricron/templates." >&2
    exit 1
  fi
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "missing: ${need[*]}; run this script as root to install them" >&2; exit 1; }
    SUDO=sudo
  fi
  echo "installing ${need[*]} with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
