"""Parameters are keyword-only, documented defaults come back from get_params."""

import numpy as np
import pytest

import lifnet as ln


def test_population_defaults_are_compte_2000_and_round_trip():
    pyr = ln.PyrPop(10).get_params()
    assert (pyr["C"], pyr["g_L"], pyr["E_L"], pyr["V_th"], pyr["V_reset"], pyr["t_ref"]) == \
        (0.5, 0.025, -70.0, -50.0, -60.0, 2.0)
    inter = ln.InterPop(5).get_params()
    assert (inter["C"], inter["g_L"], inter["E_L"], inter["t_ref"]) == (0.2, 0.02, -65.0, 1.0)
    again = ln.PyrPop(**dict(ln.PyrPop(7, V_th=-52.0, name="E").get_params()))
    assert again.get_params() == ln.PyrPop(7, V_th=-52.0, name="E").get_params()


def test_receptor_defaults_and_overrides():
    assert ln.NMDA().get_params() == {"tau_x": 2.0, "tau": 100.0, "alpha": 0.5, "E": 0.0,
                                      "Mg": 1.0, "name": "NMDA"}
    gaba = ln.GABA(tau=10.0, E=-80.0)
    assert (gaba.tau, gaba.E, gaba.name) == (10.0, -80.0, "GABA")


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        ln.PyrPop(10, 0.5)   # C by position
    with pytest.raises(TypeError):
        ln.Network(0.1)


def test_monitor_is_continuous_across_run_calls():
    def build():
        net = ln.Network(dt=0.1, seed=2)
        pop = net.add(ln.PyrPop(3, V_init=-70.0))
        net.stimulate(pop, ln.CurrentClamp(amplitude=[0.5, 0.6, 0.7]))
        return net, net.monitor(pop, ["V"], neurons=[0, 2], interval=0.5)

    net, whole = build()
    net.run(100.0)
    net, split = build()
    net.run(30.0)
    net.run(70.0)
    np.testing.assert_array_equal(whole.t, split.t)
    np.testing.assert_array_equal(whole["V"], split["V"])
    assert whole["V"].shape == (2, 200)
