"""The Poisson drive and the noise have the statistics they are defined by."""

import numpy as np

import lifnet as ln


def test_poisson_drive_mean_and_variance_of_conductance():
    """Campbell's theorem: mean g = r w tau, var g = r w^2 tau / 2 (shot noise)."""
    rate, w, tau = 1800.0, 0.0031, 2.0
    net = ln.Network(dt=0.1, seed=2)
    pop = net.add(ln.PyrPop(400, V_th=1e3, V_reset=-60.0, V_init=-70.0))
    net.stimulate(pop, ln.PoissonDrive(rate=rate, weight=w, tau=tau))
    mon = net.monitor(pop, "g_ext", interval=10.0)
    net.run(2000.0)
    g = mon["g_ext"][:, 5:]     # after 50 ms of warm-up; samples 10 ms apart, nearly independent
    r = rate / 1000.0
    assert abs(g.mean() / (r * w * tau) - 1) < 0.01
    assert abs(g.var() / (r * w * w * tau / 2) - 1) < 0.05


def test_gaussian_noise_gives_the_stated_voltage_spread():
    sigma = 0.05
    net = ln.Network(dt=0.1, seed=2)
    pop = net.add(ln.PyrPop(1000, V_th=1e3, V_reset=-80.0, V_init=-70.0))
    net.stimulate(pop, ln.GaussianNoise(sigma=sigma))
    mon = net.monitor(pop, "V", interval=50.0)
    net.run(500.0)
    v = mon["V"][:, 2:]
    expected_sd = sigma / pop.C * np.sqrt(pop.tau_m / 2)
    assert abs(v.mean() - pop.E_L) < 0.05
    assert abs(v.std() / expected_sd - 1) < 0.03
