"""Synaptic delivery: the gate follows the analytic sum of delayed, decaying pulses."""

import numpy as np
import pytest

import lifnet as ln


@pytest.mark.parametrize("delay", [0.1, 0.73, 2.0])
def test_gate_is_exact_sum_of_delayed_pulses(delay):
    net = ln.Network(dt=0.1, seed=1)
    pre = net.add(ln.PyrPop(3, name="pre", V_init=-70.0))
    post = net.add(ln.PyrPop(4, name="post", V_th=1e3, V_init=-70.0))
    net.stimulate(pre, ln.CurrentClamp(amplitude=[0.6, 0.75, 0.9]))
    w = np.array([[0.001, 0.0, 0.002, 0.003],
                  [0.0, 0.004, 0.0, 0.001],
                  [0.002, 0.002, 0.002, 0.0]])
    rec = ln.ExponentialSynapse(tau=5.0, E=0.0, name="e")
    net.connect(pre, post, receptor=rec, weight=w, rule="array", delay=delay)
    mon = net.monitor(post, "g_e", interval=0.1)
    result = net.run(200.0)
    spikes = result.spikes(pre)
    assert len(spikes) > 15
    t = mon.t
    expected = np.zeros((4, t.size))
    for ts, j in zip(spikes.times, spikes.ids, strict=True):
        lag = t - (ts + delay)
        on = lag > 0
        expected[:, on] += w[j][:, None].astype(np.float32) * np.exp(-lag[on] / 5.0)
    np.testing.assert_allclose(mon["g_e"], expected, rtol=1e-9, atol=1e-15)
