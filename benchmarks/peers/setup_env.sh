#!/usr/bin/env bash
# Create (idempotently) the virtual environment used by the peer benchmarks
# (Brian2 and NEST) at benchmarks/.peer-env and install the simulators.
#
# Usage: bash benchmarks/peers/setup_env.sh
#   PYTHON=/path/to/python3.11  choose the base interpreter (default: python3.11,
#                               falling back to python3)
#
# Needs: python3 (3.9+) with the venv module and its C headers (Brian2's
# runtime mode compiles Cython code), a C++ compiler (g++) and make (Brian2's
# cpp_standalone mode), and access to PyPI.  NEST comes as a binary wheel
# (nest-simulator on PyPI, which bundles GSL and OpenMP).  If it cannot be
# installed, the script still succeeds for Brian2 and says so.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_dir="$(cd "$here/.." && pwd)/.peer-env"

if [[ -z "${PYTHON:-}" ]]; then
    if command -v python3.11 >/dev/null 2>&1; then
        PYTHON=python3.11
    else
        PYTHON=python3
    fi
fi

log() { printf '[setup_env] %s\n' "$*" >&2; }

venv_ok() {
    [[ -x "$env_dir/bin/python" ]] &&
        "$env_dir/bin/python" -m pip --version >/dev/null 2>&1
}

if venv_ok; then
    log "reusing existing environment $env_dir"
else
    log "creating virtual environment $env_dir with $PYTHON"
    rm -rf "$env_dir"
    if ! "$PYTHON" -m venv "$env_dir"; then
        rm -rf "$env_dir"
        log "'$PYTHON -m venv' failed; trying virtualenv from PyPI"
        "$PYTHON" -m pip install --user --quiet virtualenv || {
            log "ERROR: cannot create a virtual environment; on Debian" \
                "install python3-venv (e.g. apt-get install python3.11-venv)"
            exit 1
        }
        "$PYTHON" -m virtualenv "$env_dir"
    fi
fi

py="$env_dir/bin/python"
pip_install() { "$py" -m pip install --quiet --disable-pip-version-check "$@"; }

pip_install --upgrade pip setuptools wheel

# Python headers are needed for Brian2's Cython (runtime) code generation.
if ! "$py" - <<'EOF'
import os, sys, sysconfig
sys.exit(0 if os.path.exists(
    os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
EOF
then
    log "WARNING: Python.h not found; Brian2 runtime (Cython) mode will" \
        "fall back to numpy or fail (install python3.11-dev)"
fi
command -v g++ >/dev/null 2>&1 ||
    log "WARNING: g++ not found; Brian2 cpp_standalone mode will not work"

log "installing numpy<2.4 and brian2"
pip_install "numpy<2.4" cython brian2
"$py" -c "import brian2; print('brian2', brian2.__version__)" >&2

log "installing nest-simulator"
nest_status="ok"
if pip_install "numpy<2.4" nest-simulator; then
    # Importing nest prints a banner to stdout; keep only our line.
    if nest_version="$("$py" -c "import nest, sys; \
sys.stderr.write('nest ' + nest.__version__ + '\n')" 2>&1 >/dev/null \
            | grep '^nest ')"; then
        log "$nest_version"
    else
        nest_status="installed but 'import nest' failed"
    fi
else
    nest_status="pip install nest-simulator failed"
fi

if [[ "$nest_status" != "ok" ]]; then
    log "WARNING: NEST is not available ($nest_status);" \
        "only the Brian2 benchmarks can run"
fi
log "done"
echo "$py"
