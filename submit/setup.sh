#!/usr/bin/env bash
# Installs what the project needs on a Debian machine (run as root, or with sudo available):
# a JDK 17 and Maven. Safe to run again. Elsewhere, install Java 17+ and Maven 3.8+ yourself.
set -euo pipefail
need=()
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need+=(maven)
if ((${#need[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "missing ${need[*]}: install Java 17+ and Maven 3.8+ (apt-get is not available here)" >&2
    exit 1
  fi
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
