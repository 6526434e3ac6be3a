#!/usr/bin/env bash
# Installs what lossfn's build, tests and demonstration need and the machine
# lacks (Debian 12; run as root, or with sudo available). Extra package names
# given as arguments are installed too (e.g. libbenchmark-dev libtorch-dev).
set -euo pipefail

packages=(cmake make g++ libeigen3-dev catch2 "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
