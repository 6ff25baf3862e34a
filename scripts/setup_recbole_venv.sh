#!/usr/bin/env bash
# Create .venv-recbole at the repo root with RecBole 1.2.1 for the peer benchmark and the
# RecBole reference runs. RecBole is never an lgnas dependency (it pins old Ray, needs NumPy < 2).
#
# Usage: bash scripts/setup_recbole_venv.sh        (idempotent: exits early when already set up)
#        FORCE=1 bash scripts/setup_recbole_venv.sh (rebuild from scratch)
#        PYTHON=python3.11 bash scripts/setup_recbole_venv.sh
#
# What is installed and why:
#   torch==2.13.0       first, so nothing later pulls a CUDA build (the local CPU wheel is used)
#   numpy/pandas/scipy  pinned to NumPy-1 era versions RecBole 1.2.1 works with
#   recbole==1.2.1      with --no-deps: its metadata requires ray<=2.6.3, thop and plotly, which
#                       are only imported by recbole.quick_start / hyper-parameter tuning / FLOP
#                       counting. The peer scripts use Config/create_dataset/Trainer directly.
#   the rest            RecBole's import-time dependencies (trainer, config, data, evaluator):
#                       tqdm, colorlog, colorama, scikit-learn, pyyaml, tensorboard (for
#                       torch.utils.tensorboard.SummaryWriter), texttable, tabulate, psutil.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-recbole"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

check() {
    "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import numpy, torch, recbole
from recbole.config import Config
from recbole.data import create_dataset, data_preparation
from recbole.model.general_recommender import LightGCN, BPR, NGCF
from recbole.trainer import Trainer
assert recbole.__version__ == "1.2.1", recbole.__version__
assert numpy.__version__ == "1.26.4", numpy.__version__
assert torch.__version__.startswith("2.13.0") and not torch.version.cuda, torch.__version__
PY
}

if [[ "${FORCE:-0}" != "1" && -x "$VENV/bin/python" ]] && check; then
    echo "[setup_recbole_venv] $VENV already set up; nothing to do (FORCE=1 to rebuild)."
    exit 0
fi

if [[ "${FORCE:-0}" == "1" ]]; then rm -rf "$VENV"; fi
echo "[setup_recbole_venv] creating $VENV with $($PYTHON --version 2>&1)"
"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check)

"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" "numpy==1.26.4" "pandas==2.1.4" "scipy==1.11.4"
"${PIP[@]}" --no-deps "recbole==1.2.1"
"${PIP[@]}" \
    "tqdm>=4.48.2" "colorlog==4.7.2" "colorama==0.4.4" "scikit-learn>=1.3,<1.6" \
    "pyyaml>=5.1.0" "tensorboard>=2.5.0" "texttable>=0.9.0" "tabulate>=0.8.10" "psutil>=5.9.0" \
    "numpy==1.26.4" "torch==2.13.0"

if check; then
    echo "[setup_recbole_venv] OK: $("$VENV/bin/python" -c 'import recbole, torch, numpy; print("recbole", recbole.__version__, "torch", torch.__version__, "numpy", numpy.__version__)')"
else
    echo "[setup_recbole_venv] import check FAILED" >&2
    "$VENV/bin/python" -c "import recbole.trainer, recbole.data, recbole.config"
    exit 1
fi
