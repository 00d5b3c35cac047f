"""nox sessions: the tests on the oldest and the newest Python, NumPy and numba lifnet supports.

    pip install nox && nox              # both
    nox -s oldest -- tests/test_single_neuron.py      # one, on some tests

``oldest`` pins the lowest versions setup.cfg allows where they still install
together (numba 0.59 needs NumPy < 2 and Python < 3.13); ``newest`` takes the
latest releases. CI runs the README's commands on the newest; run these before
widening or raising a lower bound.
"""

import nox

nox.options.sessions = ["oldest", "newest"]


@nox.session(python="3.10")
def oldest(session):
    session.install("numba==0.59.1", "llvmlite==0.42.0", "numpy==1.26.4", "scipy==1.10.1",
                    "matplotlib==3.7.5", "h5py==3.12.1", "pandas==1.5.3", "rocket-fft==0.2.5")
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.13")
def newest(session):
    session.install("--upgrade", "numba", "numpy", "scipy", "matplotlib", "h5py", "pandas")
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)
