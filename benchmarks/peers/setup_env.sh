#!/usr/bin/env bash
# Create (idempotently) the virtual environment used by the peer benchmarks
# (Brian2, NEST, NEURON, NetPyNE and BMTK) at benchmarks/.peer-env and install the simulators.
#
# Usage: bash benchmarks/peers/setup_env.sh
#   PYTHON=/path/to/python3.11  choose the base interpreter (default: python3.11,
#                               falling back to python3)
#
# Needs: python3 (3.9+) with its C headers (Brian2's runtime mode compiles
# Cython code), a C++ compiler (g++) and make (Brian2's cpp_standalone mode),
# and access to PyPI.  NEST comes as a binary wheel (nest-simulator on PyPI,
# which bundles GSL and OpenMP), and so does NEURON (neuron on PyPI; its
# nrnivmodl compiles .mod files with the same C++ compiler).  If either cannot
# be installed, the script still succeeds for Brian2 and says so.  The last
# line of stdout is the path of the environment's python.
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

# Install pip into a venv made with --without-pip (Debian's python3 has no
# ensurepip unless python3-venv is installed): fetch pip's wheel from PyPI,
# check its digest and let it install itself.
bootstrap_pip() {
    "$env_dir/bin/python" - <<'PYEOF'
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

with urllib.request.urlopen("https://pypi.org/pypi/pip/json") as resp:
    base = resp.geturl()
    meta = json.load(resp)
wheel = next(f for f in meta["urls"] if f["filename"].endswith(".whl"))
path = os.path.join(tempfile.mkdtemp(), wheel["filename"])
# Mirrors may answer with relative file URLs.
urllib.request.urlretrieve(urllib.parse.urljoin(base, wheel["url"]), path)
with open(path, "rb") as f:
    if hashlib.sha256(f.read()).hexdigest() != wheel["digests"]["sha256"]:
        sys.exit("pip wheel digest mismatch")
subprocess.check_call([sys.executable, os.path.join(path, "pip"), "install",
                       "--quiet", "--no-index", path])
PYEOF
}

if venv_ok; then
    log "reusing existing environment $env_dir"
else
    log "creating virtual environment $env_dir with $PYTHON"
    rm -rf "$env_dir"
    if ! "$PYTHON" -m venv "$env_dir" >/dev/null 2>&1; then
        log "'$PYTHON -m venv' failed (no ensurepip?); creating the" \
            "environment without pip and bootstrapping pip from PyPI"
        rm -rf "$env_dir"
        "$PYTHON" -m venv --without-pip "$env_dir"
        bootstrap_pip
    fi
fi

py="$env_dir/bin/python"
pip_install() { "$py" -m pip install --quiet --disable-pip-version-check "$@"; }

pip_install --upgrade pip setuptools wheel

# Python headers are needed for Brian2's Cython (runtime) code generation.
if ! "$py" -c 'import os, sys, sysconfig
inc = sysconfig.get_paths()["include"]
sys.exit(not os.path.exists(os.path.join(inc, "Python.h")))'; then
    log "WARNING: Python.h not found; Brian2's runtime (Cython) mode will" \
        "not work (install python3.11-dev)"
fi
command -v g++ >/dev/null 2>&1 ||
    log "WARNING: g++ not found; Brian2's cpp_standalone mode will not work"

log "installing numpy<2.4 and brian2"
pip_install "numpy<2.4" cython brian2
"$py" -c "import brian2; print('brian2', brian2.__version__)" >&2

log "installing nest-simulator"
nest_status="ok"
if pip_install "numpy<2.4" nest-simulator; then
    # 'import nest' prints a banner to stdout; report the version on stderr.
    if nest_version="$(PYNEST_QUIET=1 "$py" -c "import nest, sys; \
sys.stderr.write('nest ' + nest.__version__ + '\n')" 2>&1 >/dev/null |
            grep '^nest ')"; then
        log "$nest_version"
    else
        nest_status="installed, but 'import nest' failed"
    fi
else
    nest_status="'pip install nest-simulator' failed"
fi

if [[ "$nest_status" != "ok" ]]; then
    log "WARNING: NEST is not available ($nest_status);" \
        "only the Brian2 benchmarks can run"
fi

log "installing neuron"
neuron_status="ok"
if pip_install "numpy<2.4" neuron; then
    # 'import neuron' may print a banner; report the version on stderr.
    if neuron_version="$("$py" -c "import neuron, sys; \
sys.stderr.write('neuron ' + neuron.__version__ + '\n')" 2>&1 >/dev/null |
            grep '^neuron ')"; then
        log "$neuron_version"
        [[ -x "$env_dir/bin/nrnivmodl" ]] ||
            neuron_status="installed, but $env_dir/bin/nrnivmodl is missing"
    else
        neuron_status="installed, but 'import neuron' failed"
    fi
else
    neuron_status="'pip install neuron' failed"
fi

if [[ "$neuron_status" != "ok" ]]; then
    log "WARNING: NEURON is not available ($neuron_status);" \
        "the NEURON runs of accuracy_cost.py will be skipped"
fi

log "installing netpyne"
if pip_install "numpy<2.4" netpyne &&
        netpyne_version="$("$py" -c "import netpyne; print(netpyne.__version__)" 2>/dev/null |
            tail -n 1)"; then
    log "netpyne $netpyne_version"
else
    log "WARNING: NetPyNE is not available; build_tut5.py --netpyne-cells will fail"
fi
log "installing bmtk and libsonata"
if pip_install "numpy<2.4" bmtk libsonata &&
        bmtk_version="$("$py" -c "import bmtk; print(bmtk.__version__)" 2>/dev/null |
            tail -n 1)"; then
    log "bmtk $bmtk_version"
else
    log "WARNING: BMTK is not available; sonata_bmtk.py will fail"
fi
log "done"
echo "$py"
