"""Bad input found by fuzzing: each gets a clear ParameterError before time or memory is spent.

Every case here once hung, crashed with an error that named no parameter, or
gave a silently wrong network. The compiled path (pair kernels) and the NumPy
path (callables, small networks) are both tried where they differ.
"""

import math
import signal

import numpy as np
import pytest

import lifnet as ln


def grid_pops(n=20):
    net = ln.Network(dt=0.1, seed=1)
    xyz = np.random.default_rng(0).uniform(0.0, 100.0, (n, 3))
    E = net.add(ln.PyrPop(n, name="E"), positions=xyz)
    I = net.add(ln.InterPop(n, name="I"), positions=xyz)
    return net, E, I


@pytest.fixture
def deadline():
    """Fail instead of hanging: a case that loops forever is stopped after 60 s."""
    def stop(signum, frame):
        raise TimeoutError("no answer within 60 s: the input made lifnet loop")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("text, what", [
    ("1/0", "not finite"),
    ("1e999", "not finite"),
    ("log(-1) + 0.01", "not finite"),
    ("minimum(0.01)", "minimum takes 2 arguments"),
    ("maximum(0.01, 0.02, 0.03)", "maximum takes 2 arguments"),
    ("uniform(0.5)", "uniform takes 2 arguments"),
    ("exp()", "exp takes 1 argument"),
    ("exponential(-1)", "exponential.*scale"),
    ("normal(0.01, -1)", "normal.*sd"),
    ("poisson(-2) * 0.01", "poisson.*lam"),
    (" + ".join(["0.001"] * 300), "too long"),
    ("-" * 500 + "0.01", "too deeply nested"),
])
def test_bad_weight_expressions(text, what, deadline):
    net, E, I = grid_pops()
    with pytest.raises(ln.ParameterError, match=what):
        net.connect(E, I, rule="probability", p=0.5, weight=text)


@pytest.mark.parametrize("nsyn", ["poisson(log(-1))", "log(-1)", "1/0 + 1"])
def test_bad_synapse_counts_fail_and_never_hang(nsyn, deadline):
    net, E, I = grid_pops()
    with pytest.raises(ln.ParameterError, match="nsyn"):
        net.connect(E, I, rule="probability", p=0.5, weight=0.01, nsyn=nsyn)


@pytest.mark.parametrize("p", ["1.5", "-0.5", "log(-1)", "1.5 * exp(-dist_3D / 1000)",
                               "0.5 - dist_3D", lambda v: 1.0 + v["dist_3D"],
                               lambda v: np.full(len(v["dist_3D"]), np.nan)])
def test_probability_expressions_outside_zero_one_are_refused(p):
    net, E, I = grid_pops()
    with pytest.raises(ln.ParameterError, match=r"\bp\b"):
        net.connect(E, I, rule="probability", p=p, weight=0.01)


def test_nan_synapse_count_from_a_callable_is_refused():
    net, E, I = grid_pops()
    with pytest.raises(ln.ParameterError, match="nsyn"):
        net.connect(E, I, rule="probability", p=0.5, weight=0.01,
                    nsyn=lambda v: np.full(len(v["dist_3D"]), np.nan))


def test_both_paths_give_the_same_network_for_two_argument_minimum():
    """``minimum(a, b)`` means the same in compiled and NumPy evaluation."""
    nets = []
    for weight in ("minimum(0.01, dist_3D / 1000)",
                   lambda v: np.minimum(0.01, v["dist_3D"] / 1000)):
        net, E, I = grid_pops()
        proj = net.connect(E, I, rule="all_to_all", weight=weight)
        nets.append(np.sort(proj.weights().data if hasattr(proj.weights(), "data")
                            else np.ravel(proj.weights())))
    np.testing.assert_allclose(nets[0], nets[1], rtol=1e-6)


@pytest.mark.parametrize("seed", [2 ** 64, -1, 1.5, "1"])
def test_seeds_outside_64_bits_are_refused(seed):
    with pytest.raises(ln.ParameterError, match="seed"):
        ln.Network(dt=0.1, seed=seed)


@pytest.mark.parametrize("duration", [1e-12, 100000.05, 0.15, -1.0, math.nan])
def test_durations_that_are_not_whole_steps_are_refused(duration):
    net = ln.Network(dt=0.1, seed=1)
    net.add(ln.PyrPop(2, name="E"))
    with pytest.raises(ln.ParameterError, match="duration"):
        net.run(duration)


def test_poisson_population_above_its_per_step_limit_is_refused():
    with pytest.raises(ln.ParameterError, match="rate"):
        net = ln.Network(dt=0.1, seed=1)
        net.add(ln.PoissonPop(1, rate=1e7, name="P"))
        net.run(1.0)


@pytest.mark.parametrize("select", [{"y": (1,)}, {"y": "a"}, {"y": (1, 2, 3)}])
def test_malformed_selections_are_refused(select):
    net, E, I = grid_pops()
    with pytest.raises(ln.ParameterError, match="pre_select"):
        net.connect(E, I, rule="all_to_all", weight=0.01, pre_select=select)


@pytest.mark.parametrize("text, message", [
    (b"\xff\xfe not text", "not UTF-8"),
    (b"populations: {E: {type: PyrPop, n: 3}\n", "not valid YAML"),
    (b"populations:\n  E: [\n", "not valid YAML"),
    (b"a: !!python/object:os.system {}\n", "not valid YAML"),
    (b"populations: {E: {type: [PyrPop], n: 3}}\nrun: {duration: 10}\n",
     "populations.E.type"),
    (b"populations: {E: {type: PyrPop, n: 3}}\nconnections: [{pre: [[E]], post: E, "
     b"weight: 0.1}]\nrun: {duration: 10}\n", r"connections\[0\]\.pre"),
    (b"populations: {E: {type: PyrPop, n: 3}}\nplots: [{raster: {order_by: [x]}}]\n"
     b"run: {duration: 10}\n", "order_by"),
    (b"[" * 3000 + b"]" * 3000, "nested too deeply|not valid YAML"),
])
def test_unreadable_model_files_are_refused_naming_the_file(text, message, tmp_path):
    path = tmp_path / "model.yaml"
    path.write_bytes(text)
    with pytest.raises(ln.ParameterError, match=message):
        ln.spec.build(ln.spec.load(path))


def test_a_json_model_file_with_a_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"populations": {"E": {"type": "PyrPop", "n": 3,}}}')
    with pytest.raises(ln.ParameterError, match="not valid JSON.*line 1"):
        ln.spec.load(path)


def test_yaml_aliases_that_expand_exponentially_are_refused_at_once(tmp_path, deadline):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, 10):
        refs = ", ".join([f"*a{k - 1}"] * 9)
        lines.append(f"a{k}: &a{k} [{refs}]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ln.ParameterError, match="aliases expand"):
        ln.spec.load(path)


def test_a_network_past_32_bit_cell_indices_is_refused(monkeypatch):
    from lifnet import network

    assert network.MAX_NEURONS == np.iinfo(np.int32).max
    monkeypatch.setattr(network, "MAX_NEURONS", 10)   # as 2**31 - 1, without the memory
    net = ln.Network(dt=0.1, seed=1)
    net.add(ln.PyrPop(6, name="A"))
    with pytest.raises(ln.ParameterError, match="11 cells; at most 10.*32-bit"):
        net.add(ln.PyrPop(5, name="B"))


def test_a_rule_module_that_is_not_what_its_name_says_is_written_again(tmp_path, monkeypatch):
    from lifnet import pair_kernels

    monkeypatch.setattr(pair_kernels, "_cache_folder", lambda: str(tmp_path))
    monkeypatch.setattr(pair_kernels, "_rule_modules", {})
    module = pair_kernels.rule_module(None, 0.5, None, None)
    path = module.__file__
    with open(path, "a") as f:
        f.write("\nraise SystemExit('planted')\n")
    monkeypatch.setattr(pair_kernels, "_rule_modules", {})
    again = pair_kernels.rule_module(None, 0.5, None, None)
    with open(again.__file__) as f:
        assert "planted" not in f.read()


def test_ctrl_c_stops_a_run_between_steps_and_the_run_goes_on_from_there():
    import os
    import threading

    def coba():
        return ln.models.coba(n=800, seed=3)

    net = coba()
    net.run(1.0)   # compiled before the clock starts
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt, match=r"run stopped at t=.* ms .*goes on from it"):
        net.run(100_000.0)
    timer.join()
    stopped = net.t
    assert 1.0 < stopped < 100_001.0
    net.run(50.0)
    whole = coba().run(round(stopped + 50.0, 6))
    for pop in ("E", "I"):
        a, b = whole.spikes(pop), net.result.spikes(pop)
        np.testing.assert_array_equal(a.times, b.times)
        np.testing.assert_array_equal(a.ids, b.ids)


@pytest.mark.parametrize("kwargs", [
    {"rule": "probability", "p": 0.5, "weight": 0.01},
    {"rule": "all_to_all", "weight": "0.01 * uniform(0.5, 1.5)"},
    {"rule": "fixed_indegree", "indegree": 10 ** 7, "weight": 0.01},
])
def test_a_projection_that_cannot_fit_in_memory_is_refused_before_drawing(kwargs, deadline):
    net = ln.Network(dt=0.1, seed=1)
    E = net.add(ln.PyrPop(10 ** 6, name="E"))
    with pytest.raises(ln.ParameterError, match=r"needs about .* GiB; this machine has"):
        net.connect(E, E, **kwargs)


def test_a_p_expression_whose_synapses_cannot_fit_is_refused_before_its_pairs_are_counted(
        deadline):
    net = ln.Network(dt=0.1, seed=1)
    box = ln.positions.Box(size=(1000.0, 1000.0, 100.0))
    E = net.add(ln.PyrPop(10 ** 6, name="E"), positions=box)
    with pytest.raises(ln.ParameterError, match=r"about 3.\d+e\+11 synapses: 1e\+12 pairs at "
                                                r"a mean p of 0.3\d+.* GiB; this machine has"):
        net.connect(E, E, rule="probability", p="0.5 * exp(-dist_3D / 1000)", weight=0.01)
    assert not net.projections


def test_ctrl_c_while_drawing_synapses_starts_no_more_chunks_and_adds_nothing(monkeypatch):
    import threading

    from lifnet import connectivity, pair_kernels

    started = []

    def work(k):
        started.append(k)
        if k == 2:
            raise KeyboardInterrupt
        threading.Event().wait(0.01)

    monkeypatch.setattr(pair_kernels.numba, "get_num_threads", lambda: 2)
    with pytest.raises(KeyboardInterrupt):
        pair_kernels.on_threads(work, range(1000))
    assert len(started) < 20

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    net = ln.Network(dt=0.1, seed=1)
    E = net.add(ln.PyrPop(10, name="E"))
    monkeypatch.setattr(connectivity, "build", interrupted)
    with pytest.raises(KeyboardInterrupt, match="connect E -> E .* nothing of it was added"):
        net.connect(E, E, rule="probability", p=0.1, weight=0.01)
    assert not net.projections


def test_traces_that_cannot_fit_are_refused_before_the_run(deadline):
    net = ln.Network(dt=0.1, seed=1)
    E = net.add(ln.PyrPop(10 ** 5, name="E"))
    net.monitor(E, "V")
    with pytest.raises(ln.ParameterError, match=r"run: the traces its monitors record \(1e\+11 "
                                                r"values over 1000000 steps\) needs about 745 GiB"):
        net.run(100_000.0)
    assert net.step == 0


def test_spikes_in_flight_that_cannot_fit_are_refused_before_the_run(deadline):
    net = ln.Network(dt=0.01, seed=1)
    E = net.add(ln.PyrPop(10 ** 6, name="E", t_ref=0.0))
    net.connect(E, E, rule="one_to_one", weight=0.001, delay=5000.0, autapses=True)
    with pytest.raises(ln.ParameterError, match=r"spikes in flight .* GiB"):
        net.run(0.01)


def test_uniform_with_high_below_low_draws_between_them_on_both_paths():
    for weight in ("0.01 * uniform(1, 0.5)", lambda v: 0.01):
        net = ln.Network(dt=0.1, seed=4)
        E = net.add(ln.PyrPop(50, name="E"))
        kwargs = {"nsyn": "uniform(3, 1)"} if callable(weight) else {}
        proj = net.connect(E, E, rule="probability", p=0.5, weight=weight, **kwargs)
        w = proj.weights().data / 0.01
        low, high = (1, 3) if callable(weight) else (0.5, 1.0)
        assert w.size > 500 and np.all((w >= low) & (w <= high))
