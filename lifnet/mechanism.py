"""The contract through which a cell model or a current is added to lifnet, in one file.

A **cell model** is a population class: subclass ``CellModel`` and declare

``parameters``
    ``{name: Parameter(default, unit, ...)}``; each becomes a keyword of the
    constructor, checked, stored and given back by ``get_params``. One must be
    the capacitance (``capacitance``, default ``"C"``, nF).
``states``
    ``{name: State(unit, initial)}``; ``"V"`` (mV) is the membrane potential
    and must come first. ``initial`` is a number or a parameter's name.
``current(V, ..., <parameters>)``
    A static method: the cell's own membrane current, nA, positive inward
    (depolarising); its arguments are named after states and parameters.
    ``C dV/dt = current + currents of the population + synapses + injected``.
``derivatives``
    ``{state: function}`` for every state but V: d(state)/dt in the state's
    unit per ms, the function's arguments named after states and parameters.
``threshold``
    The name of the parameter (mV) whose upward crossing by V is a spike,
    placed inside the step by cubic Hermite interpolation.
``reset(V, ..., <parameters>)``
    A static method giving every state's value just after a spike, in the
    order of ``states``; or None: the spike is only detected (as NEURON's
    ``NetCon`` detects it on a conductance cell) and every state goes on
    unchanged. A crossing counts once: the next spike needs V to fall below
    the threshold and cross it again.
``refractory``
    Optionally the name of a parameter (ms): V is held where the reset put
    it for that long after a spike; the other states go on. Only with a reset.
``fastest_rate(V, ..., <parameters>)``
    Optionally a static method: the largest rate (1/ms) at which a state of
    the cell relaxes there (e.g. 1 / tau of its fastest gate). The step then
    takes substeps no longer than 1 / rate, where Heun's method is stable:
    fast gates (a warm Hodgkin-Huxley cell) stay stable at any dt.
``substeps``
    What else makes the step take substeps: ``"slope"`` (default), a substep
    per 2 dt mV of V's change, which follows an exponential upstroke; or
    ``"curvature"``, for a cell whose spike is smooth (conductance-based,
    with a ``fastest_rate`` that includes its membrane's own rate,
    conductance / capacitance): a substep per dt sqrt(10 mV/ms² / |V''|),
    and none longer than capacitance / synaptic conductance. Both keep the
    spike-time error falling as dt²; a conductance cell spends far fewer
    substeps on a spike with the second.

A **current** is added to any population of a ``CellModel`` or to a LIF
population (``currents=[...]``): subclass ``Current`` and declare its
``parameters`` and ``states`` (per cell, no V among them),
``current(V, <its states>, <its parameters>)`` (nA, positive depolarising),
``derivatives`` as above (arguments may include V), and optionally
``on_spike(<its states>, <its parameters>)``: its states' values after a spike
of the cell (a spike-triggered current). Its states are recorded and set as
``"<current name>.<state>"``.

lifnet compiles each model into a kernel of its own the first time it runs
(``integrators.custom_cells``), inlining these functions: write them as
plain numerical Python (``math`` functions, arithmetic, ``if``), as numba
compiles it. The step is Heun's, with substeps where V moves fast (the
upstroke of an exponential cell), every synaptic arrival at its exact time
(the step is cut there), and the rest of the step integrated after a spike.

What the contract cannot express, refused with an error where it is declared
or used: a spike condition other than V crossing a threshold upwards; state
that is not one number per cell (vectors, per-synapse state); currents
between cells (gap junctions are built in for conductance cells); stochastic
terms (Gaussian noise on such populations); NMDA onto such a population;
parameters that differ from cell to cell (give each cell its initial state
instead).
"""

import inspect
import numbers

import numpy as np

from . import validation as val
from .integrators import layout as L

#: Keywords of the constructors and attributes of every population, which no parameter
#: may take as its name.
RESERVED = ("n", "name", "currents", "initial", "layout_kind", "receptor_kinds", "takes_noise",
            "linear", "cell_model")


class Parameter:
    """A declared parameter of a mechanism.

    Parameters
    ----------
    default : float
        Default value, in ``unit``.
    unit : str
        Unit, as lifnet's (ms, mV, nF, µS, nA; "1" for a pure number).
    low, high : float, optional
        Allowed range (inclusive); None: unbounded.
    positive : bool
        Refuse values <= 0.
    doc : str
        One line for the documentation and errors.
    """

    def __init__(self, default, unit, *, low=None, high=None, positive=False, doc=""):
        self.default = float(default)
        self.unit = str(unit)
        self.low, self.high, self.positive, self.doc = low, high, positive, doc

    def check(self, name, value, owner):
        if self.positive:
            return val.positive(name, value, owner=owner)
        return val.number(name, value, owner=owner, low=self.low, high=self.high)

    def __repr__(self):
        return f"Parameter({self.default:g}, {self.unit!r})"


class State:
    """A declared state variable of a mechanism: one number per cell.

    Parameters
    ----------
    unit : str
        Unit of the variable.
    initial : float or str
        Value at t = 0: a number, or the name of a parameter whose value it takes.
    doc : str
        One line for the documentation.
    """

    def __init__(self, unit, initial=0.0, *, doc=""):
        self.unit = str(unit)
        if not isinstance(initial, (str, numbers.Real)) or isinstance(initial, bool):
            raise val.ParameterError(
                f"State: initial={initial!r} must be a number or a parameter's name")
        self.initial = initial
        self.doc = doc

    def __repr__(self):
        return f"State({self.unit!r}, initial={self.initial!r})"


def _arguments(owner, what, func):
    if not callable(func):
        raise val.ParameterError(f"{owner}: {what} must be a function, got {func!r}")
    params = inspect.signature(func).parameters.values()
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise val.ParameterError(
                f"{owner}: {what} takes only plain named arguments; {p.name!r} is {p.kind}")
    return [p.name for p in params]


class _Declared:
    """What CellModel and Current share: declared parameters and states, checked once."""

    parameters = {}
    states = {}
    derivatives = {}

    @classmethod
    def _check_declarations(cls):
        owner = cls.__name__
        if cls.__dict__.get("_declarations_checked"):
            return
        if not isinstance(cls.parameters, dict) or not all(
                isinstance(p, Parameter) for p in cls.parameters.values()):
            raise val.ParameterError(f"{owner}: parameters must map names to Parameter(...)")
        if not isinstance(cls.states, dict) or not all(
                isinstance(s, State) for s in cls.states.values()):
            raise val.ParameterError(f"{owner}: states must map names to State(...)")
        for name in list(cls.parameters) + list(cls.states):
            if not name.isidentifier() or name.startswith("_") or (
                    name in RESERVED and name in cls.parameters):
                raise val.ParameterError(
                    f"{owner}: {name!r} cannot name a parameter or state (an identifier, "
                    f"not starting with _; no parameter named {', '.join(RESERVED)})")
        both = set(cls.parameters) & set(cls.states)
        if both:
            raise val.ParameterError(f"{owner}: {sorted(both)} are both parameters and states")
        for name, state in cls.states.items():
            if isinstance(state.initial, str) and state.initial not in cls.parameters:
                raise val.ParameterError(
                    f"{owner}: state {name!r} starts at {state.initial!r}, which is not a "
                    f"parameter; parameters: {', '.join(cls.parameters)}")
        if not isinstance(cls.derivatives, dict):
            raise val.ParameterError(f"{owner}: derivatives must map state names to functions")
        type.__setattr__(cls, "_declarations_checked", True)

    def _set_parameters(self, values):
        owner = type(self).__name__
        unknown = set(values) - set(self.parameters)
        if unknown:
            raise val.ParameterError(
                f"{owner}: unknown parameter(s) {sorted(unknown)}; it has "
                f"{', '.join(self.parameters) or 'none'}")
        for name, spec in self.parameters.items():
            setattr(self, name, spec.check(name, values.get(name, spec.default), owner))

    def parameter_values(self):
        """The parameters in declared order, as floats."""
        return [float(getattr(self, name)) for name in self.parameters]

    def _check_function(self, what, func, allowed):
        owner = type(self).__name__
        for arg in _arguments(owner, what, func):
            if arg not in allowed:
                raise val.ParameterError(
                    f"{owner}: {what} takes {arg!r}, which is none of its states or "
                    f"parameters: {', '.join(allowed)}")


class Current(_Declared):
    """Base class of a current added to a population (``currents=[...]``); see the module.

    Parameters
    ----------
    name : str
        Name of the current on its population (its states are recorded as
        ``"<name>.<state>"``); default: the class's ``default_name``.
    **parameters : float
        The declared parameters, in their units.
    """

    default_name = None
    on_spike = None

    def __init__(self, *, name=None, **parameters):
        cls = type(self)
        owner = cls.__name__
        cls._check_declarations()
        if "V" in cls.states:
            raise val.ParameterError(f"{owner}: a current has no state 'V' (the cell's)")
        self.name = name or cls.default_name or cls.__name__.lower()
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise val.ParameterError(f"{owner}: name={self.name!r} must be an identifier")
        self._set_parameters(parameters)
        allowed = ["V", *cls.states, *cls.parameters]
        self._check_function("current", getattr(cls, "current", None), allowed)
        if set(cls.derivatives) != set(cls.states):
            raise val.ParameterError(
                f"{owner}: derivatives are given for {sorted(cls.derivatives)}; every state "
                f"needs one: {sorted(cls.states)}")
        for state, func in cls.derivatives.items():
            self._check_function(f"derivatives[{state!r}]", func, allowed)
        if cls.on_spike is not None:
            self._check_function("on_spike", cls.on_spike, [*cls.states, *cls.parameters])

    def get_params(self):
        """The current's parameters and name, as a dict."""
        return {"name": self.name, **{k: getattr(self, k) for k in self.parameters}}

    def __repr__(self):
        args = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v!r}"
                         for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class CellModel(_Declared):
    """Base class of a user-defined cell model; a subclass is a population class.

    Parameters
    ----------
    n : int
        Number of cells (>= 1).
    name : str, optional
        Name used by ``Network.connect``, results and files.
    currents : sequence of Current
        Currents added to every cell (adaptation, ...), each with its own name.
    initial : dict, optional
        ``{state: value or array of shape (n,)}``: initial values other than
        the declared ones (e.g. ``{"V": np.linspace(-70, -55, n)}``).
    **parameters : float
        The model's declared parameters, in their units.
    """

    capacitance = "C"
    threshold = None
    refractory = None
    current = None
    reset = None
    fastest_rate = None
    substeps = "slope"
    # How the population is laid out (integrators.assemble): stepped by a kernel compiled
    # for the model (integrators.custom_cells), with the synapses it takes (not NMDA); no
    # Gaussian noise. ``linear`` (lifnet's own models only): the model's ``step_kernel``
    # integrates it as a linear system, so delivery may sum its arrivals and the second
    # thread may step half of it.
    layout_kind = L.KIND_CUSTOM
    receptor_kinds = (L.CH_EXP, L.CH_EXP2, L.CH_ALPHA_CURRENT, L.CH_EXP_CURRENT)
    takes_noise = False
    linear = False

    def __init__(self, n, *, name=None, currents=(), initial=None, **parameters):
        cls = type(self)
        owner = cls.__name__
        cls._check_model()
        self.n = val.size("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        self._set_parameters(parameters)
        self.currents = val.sequence("currents", currents, owner=owner)
        names = set()
        for current in self.currents:
            if not isinstance(current, Current):
                raise val.ParameterError(
                    f"{owner}: currents must be Current objects (e.g. AdaptationCurrent), "
                    f"got {current!r}")
            if current.name in names or current.name in cls.states:
                raise val.ParameterError(
                    f"{owner}: two currents, or a current and a state, are named "
                    f"{current.name!r}; give one another name")
            names.add(current.name)
        self.initial = {}
        for state, value in val.mapping("initial", initial, owner=owner).items():
            if state not in self.state_names():
                raise val.ParameterError(
                    f"{owner}: initial value for {state!r}, which is not a state; states: "
                    f"{', '.join(self.state_names())}")
            self.initial[state] = (val.number(f"initial[{state!r}]", value, owner=owner)
                                   if val.ndim(f"initial[{state!r}]", value, owner=owner) == 0 else
                                   val.per_neuron(f"initial[{state!r}]", value, self.n,
                                                  owner=owner))

    @classmethod
    def _check_model(cls):
        owner = cls.__name__
        cls._check_declarations()
        if cls.__dict__.get("_model_checked"):
            return
        if list(cls.states)[:1] != ["V"] or cls.states["V"].unit != "mV":
            raise val.ParameterError(f"{owner}: states must start with 'V' in mV")
        for attr, what in ((cls.capacitance, "capacitance"), (cls.threshold, "threshold")):
            if attr not in cls.parameters:
                raise val.ParameterError(
                    f"{owner}: {what} must name a parameter (got {attr!r}); parameters: "
                    f"{', '.join(cls.parameters)}")
        if cls.refractory is not None and cls.refractory not in cls.parameters:
            raise val.ParameterError(
                f"{owner}: refractory must name a parameter (ms) or be None, got "
                f"{cls.refractory!r}")
        if cls.substeps not in ("slope", "curvature"):
            raise val.ParameterError(
                f"{owner}: substeps={cls.substeps!r} must be 'slope' or 'curvature'")
        if cls.reset is None and cls.refractory is not None:
            raise val.ParameterError(
                f"{owner}: refractory={cls.refractory!r} needs a reset (V is held where the "
                "reset puts it); a cell whose spike is only detected (reset = None) has none")
        allowed = [*cls.states, *cls.parameters]
        probe = object.__new__(cls)
        probe._check_function("current", cls.current, allowed)
        if cls.reset is not None:
            probe._check_function("reset", cls.reset, allowed)
        if cls.fastest_rate is not None:
            probe._check_function("fastest_rate", cls.fastest_rate, allowed)
        others = [s for s in cls.states if s != "V"]
        if set(cls.derivatives) != set(others):
            raise val.ParameterError(
                f"{owner}: derivatives are given for {sorted(cls.derivatives)}; every state "
                f"but V needs one: {sorted(others)}")
        for state, func in cls.derivatives.items():
            probe._check_function(f"derivatives[{state!r}]", func, allowed)
        type.__setattr__(cls, "_model_checked", True)

    def state_names(self):
        """Every recordable state: the model's, then each current's as "<current>.<state>"."""
        return list(self.states) + [f"{c.name}.{s}" for c in self.currents for s in c.states]

    def state_units(self):
        """{state name: unit} for state_names()."""
        units = {name: s.unit for name, s in self.states.items()}
        units.update({f"{c.name}.{s}": spec.unit for c in self.currents
                      for s, spec in c.states.items()})
        return units

    def initial_state(self, rng=None):
        """Initial values, shape (len(state_names()), n)."""
        rows = []
        owners = [(self, name, spec) for name, spec in self.states.items()]
        owners += [(c, name, spec) for c in self.currents for name, spec in c.states.items()]
        for (owner, _, spec), full in zip(owners, self.state_names(), strict=True):
            value = self.initial.get(full)
            if value is None:
                value = (getattr(owner, spec.initial) if isinstance(spec.initial, str)
                         else spec.initial)
            rows.append(np.broadcast_to(np.asarray(value, dtype=np.float64), (self.n,)))
        return np.array(rows)

    def initial_V(self, rng=None):
        """Membrane potentials at t = 0, mV."""
        return self.initial_state(rng)[0].copy()

    def all_parameter_values(self):
        """The model's parameters, then each current's, in declared order."""
        values = self.parameter_values()
        for current in self.currents:
            values += current.parameter_values()
        return values

    def cell_model(self):
        """The cell model the population is stepped as: itself."""
        return self

    def fill_layout_row(self, row):
        """Write the population's row of ``layout.Populations`` (``assemble.PopulationRow``);
        its states and parameters go to ``layout.CustomCells``."""
        row.ints[L.I_MAX_SPIKES] = self.max_spikes_per_step(row.dt)

    def max_spikes_per_step(self, dt):
        """Spikes one cell can fire in a step of dt ms (the refractory period bounds it)."""
        return L.max_spikes_per_step(dt, getattr(self, self.refractory) if self.refractory
                                     else 0.0)

    def get_params(self):
        """The population's parameters (its size, name, currents and model parameters)."""
        return {"n": self.n, "name": self.name, "currents": self.currents,
                **{k: getattr(self, k) for k in self.parameters}}

    def __repr__(self):
        args = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v!r}"
                         for k, v in self.get_params().items()
                         if k != "currents" or self.currents)
        return f"{type(self).__name__}({args})"

    def __len__(self):
        return self.n

