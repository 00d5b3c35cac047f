"""Kernels for user-defined cell models (``lifnet.mechanism``): generated, compiled, cached.

A network whose populations include cell models written through the
contract of ``lifnet.mechanism`` runs a run loop of its own:

- one module per cell model (with the currents its population carries):
  ``custom_step_template.py`` with its placeholder line replaced by the glue
  that names the model's states and parameters and calls the user's
  functions (inlined by numba into one step kernel);
- one module per set of models: ``step_custom_populations``, which steps
  population p with its model's kernel, and ``run_loop.advance`` compiled
  again in that module, where it calls them.

Each module is written to lifnet's kernel folder under the hash of its text
and of the source files of the classes it uses, and imported: numba caches
its compiled code beside it, so a model compiles once per machine, not in
every process, and an edited model never loads a stale kernel. Networks
without such populations use ``run_loop.advance`` itself.
"""

import hashlib
import importlib.util
import inspect
import os
import pathlib
import sys
import tempfile

from ..kernel_cache import kernel_folder
from ..validation import ParameterError
from . import run_loop

_HERE = pathlib.Path(__file__).resolve().parent
_TEMPLATE = (_HERE / "custom_step_template.py").read_text()
_PLACEHOLDER = "THRESHOLD = CAPACITANCE = REFRACTORY = -1  # MODEL\n"
_PREAMBLE = "N_STATES = 1\nRESTARTS = SLOPE_SUBSTEPS = True\nrhs = reset = fastest_rate = None\n"
_modules = {}
_FALLBACK = [None]


def _import_path(cls):
    """(module, name) from which generated code imports a class: it must be importable."""
    module = cls.__module__
    if "<locals>" in cls.__qualname__:
        raise _refuse(cls, "is defined inside a function; define it at the top level of a "
                           "module")
    return module, cls.__qualname__


def _refuse(cls, why):
    return ParameterError(f"{cls.__name__} {why} (lifnet compiles it from its module)")


def _source_digest(classes):
    digest = hashlib.sha256()
    for cls in classes:
        try:
            digest.update(inspect.getsource(sys.modules[cls.__module__]).encode())
        except (OSError, TypeError, KeyError):
            digest.update(repr(cls).encode())
    return digest.hexdigest()


def _glue(model):
    """The model's lines of its step module: imports, the user's functions, rhs, reset."""
    cls = type(model)
    lines = []
    module, qualname = _import_path(cls)
    lines.append(f"import {module} as _model_module")
    lines.append(f"_Model = _model_module.{qualname}")
    for k, current in enumerate(model.currents):
        cmod, cqual = _import_path(type(current))
        lines.append(f"import {cmod} as _current_module_{k}")
        lines.append(f"_Current{k} = _current_module_{k}.{cqual}")
    lines.append("")

    def wrap(name, expression):
        lines.append(f'{name} = njit(inline="always")({expression})')

    states = list(cls.states)
    # Argument names of the user's functions -> local names of the glue (prefixed, so
    # that no state or parameter meets a name of the glue's own).
    names = {s: f"u_{s}" for s in states}
    names.update({p: f"u_{p}" for p in cls.parameters})
    wrap("_cell_current", "_Model.current")
    for s in states[1:]:
        wrap(f"_d_{s}", f"_Model.derivatives[{s!r}]")
    if cls.reset is not None:
        wrap("_cell_reset", "_Model.reset")
    if cls.fastest_rate is not None:
        wrap("_cell_fastest_rate", "_Model.fastest_rate")
    locals_state = [names[s] for s in states]
    locals_par = [names[p] for p in cls.parameters]
    current_names = []
    for k, current in enumerate(model.currents):
        ccls = type(current)
        local = {"V": "u_V"}
        local.update({s: f"c{k}_{s}" for s in ccls.states})
        local.update({p: f"c{k}_{p}" for p in ccls.parameters})
        current_names.append(local)
        locals_state += [local[s] for s in ccls.states]
        locals_par += [local[p] for p in ccls.parameters]
        wrap(f"_c{k}_current", f"_Current{k}.current")
        for s in ccls.states:
            wrap(f"_c{k}_d_{s}", f"_Current{k}.derivatives[{s!r}]")
        if ccls.on_spike is not None:
            wrap(f"_c{k}_on_spike", f"_Current{k}.on_spike")
    unpack = [f"    {name} = y[{k}]" for k, name in enumerate(locals_state)]
    unpack += [f"    {name} = par[{k}]" for k, name in enumerate(locals_par)]
    params_of = inspect.signature

    def args_of(func, mapping):
        return [mapping[a] for a in params_of(func).parameters]

    body = ["", "", '@njit(inline="always")', "def rhs(y, par, G, H, out):", *unpack]
    terms = [f"_cell_current({', '.join(args_of(cls.current, names))})"]
    for k, current in enumerate(model.currents):
        arguments = ", ".join(args_of(type(current).current, current_names[k]))
        terms.append(f"_c{k}_current({arguments})")
    body.append(f"    I = {' + '.join(terms)}")
    body.append(f"    out[0] = (I + H - G * u_V) / {names[cls.capacitance]}")
    row = 1
    for s in states[1:]:
        body.append(f"    out[{row}] = _d_{s}({', '.join(args_of(cls.derivatives[s], names))})")
        row += 1
    for k, current in enumerate(model.currents):
        ccls = type(current)
        for s in ccls.states:
            func = ccls.derivatives[s]
            body.append(f"    out[{row}] = _c{k}_d_{s}("
                        f"{', '.join(args_of(func, current_names[k]))})")
            row += 1
    body += ["", "", '@njit(inline="always")', "def reset(y, par):", *unpack]
    if cls.reset is None:
        pass    # a spike only detected: the cell's states go on (its currents may jump)
    elif len(states) == 1:
        body.append(f"    y[0] = _cell_reset({', '.join(args_of(cls.reset, names))})")
    else:
        body.append(f"    after = _cell_reset({', '.join(args_of(cls.reset, names))})")
        body += [f"    y[{k}] = after[{k}]" for k in range(len(states))]
    row = len(states)
    for k, current in enumerate(model.currents):
        ccls = type(current)
        count = len(ccls.states)
        if ccls.on_spike is not None and count:
            call = f"_c{k}_on_spike({', '.join(args_of(ccls.on_spike, current_names[k]))})"
            if count == 1:
                body.append(f"    y[{row}] = {call}")
            else:
                body.append(f"    after_{k} = {call}")
                body += [f"    y[{row + j}] = after_{k}[{j}]" for j in range(count)]
        row += count
    body += ["", "", '@njit(inline="always")', "def fastest_rate(y, par):"]
    if cls.fastest_rate is None:
        body.append("    return 0.0")
    else:
        rate = f"_cell_fastest_rate({', '.join(args_of(cls.fastest_rate, names))})"
        body += [*unpack, f"    return {rate}"]
    par_index = {name: k for k, name in enumerate(cls.parameters)}
    restarts = cls.reset is not None or any(type(c).on_spike for c in model.currents)
    header = [f"N_STATES = {len(locals_state)}", f"RESTARTS = {restarts}",
              f"SLOPE_SUBSTEPS = {cls.substeps == 'slope'}",
              f"THRESHOLD = {par_index[cls.threshold]}",
              f"CAPACITANCE = {par_index[cls.capacitance]}",
              f"REFRACTORY = {par_index[cls.refractory] if cls.refractory else -1}", ""]
    return "\n".join(header + lines + body) + "\n"


def _load(prefix, text, classes):
    digest = hashlib.sha256((text + _source_digest(classes)).encode()).hexdigest()[:20]
    name = f"lifnet_{prefix}_{digest}"
    if name in _modules:
        return _modules[name]
    folder = kernel_folder()
    if folder is None:
        if _FALLBACK[0] is None:
            _FALLBACK[0] = tempfile.mkdtemp(prefix="lifnet-models-")
        folder = pathlib.Path(_FALLBACK[0])
    else:
        folder = folder / "models"
        folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{name}.py"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)     # atomic: another process may be writing it too
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _modules[name] = module
    return module


def classes_of(model):
    return [type(model), *(type(c) for c in model.currents)]


def model_module(model):
    """The compiled step (``step_population``) of a CellModel population's model: the
    module its class names as ``step_kernel`` (lifnet's exact linear cells), or one
    generated from the contract's functions."""
    if getattr(type(model), "step_kernel", None):
        return importlib.import_module(type(model).step_kernel)
    text = _TEMPLATE.replace(_PREAMBLE, "").replace(_PLACEHOLDER, _glue(model))
    return _load("model", text, classes_of(model))


def run_loop_for(models):
    """``advance`` for a network whose custom populations use these models (in order)."""
    modules = [model_module(m) for m in models]
    advance = inspect.getsource(run_loop.advance.py_func)
    lines = ['"""Generated by lifnet.integrators.custom_cells: the run loop of networks with',
             'these cell models."""', "",
             "from lifnet.integrators import run_loop as _run_loop",
             "globals().update({k: v for k, v in vars(_run_loop).items()",
             "                  if not k.startswith('__')})", ""]
    lines += [f"import {m.__name__} as _m{k}" for k, m in enumerate(modules)]
    args = ("p, step, t, dt, interp, pops, neurons, chans, arrivals, shared, custom, ring, "
            "out, status, helper")
    lines += ["", "", "@njit(cache=True, refcount=False)",
              f"def step_custom_populations({args}):",
              "    m = custom.model[p]"]
    for k in range(len(modules)):
        lines += [f"    if m == {k}:", f"        return _m{k}.step_population({args})"]
    lines += ["    return True", "", ""]
    text = "\n".join(lines) + advance
    classes = [c for m in models for c in classes_of(m)]
    return _load("run_loop", text, classes).advance
