"""A run saved to a checkpoint and resumed equals the run that was never interrupted."""

import os
import stat

import h5py
import numpy as np
import pytest

import lifnet as ln


def network(seed=2):
    net = ln.Network(dt=0.1, seed=seed)
    E = net.add(ln.PyrRingPop(64, name="E"))
    I = net.add(ln.InterPop(16, name="I", E_L=-70.0))
    net.stimulate(E, ln.PoissonDrive(rate=1800.0, weight=0.006))
    net.stimulate(I, ln.PoissonDrive(rate=1800.0, weight=0.004))
    net.stimulate(E, ln.GaussianNoise(sigma=0.01))
    net.stimulate(E, ln.RingCue(amplitude=0.3, kappa=4.0, theta=2.0, start=30.0, stop=80.0))
    net.connect(E, E, receptor="NMDA", rule="ring", weight=0.01, J_plus=2.0, sigma=30.0,
                delay=1.35)
    net.connect(E, I, receptor="AMPA", weight=0.003, rule="probability", p=0.3, delay=0.7)
    net.connect(I, E, receptor="GABA", weight=0.004, delay=2.25)
    net.connect(I, I, receptor="GABA", weight=0.003, delay=0.5)
    net.monitor(E, ["V", "g_NMDA"], neurons=[0, 5], interval=0.5)
    return net


def test_resumed_run_equals_the_uninterrupted_run(tmp_path):
    whole = network()
    whole.run(120.0)
    whole.stimulate("E", ln.CurrentClamp(amplitude=0.05, start=130.0, stop=170.0))
    whole.run(80.0)

    first = network()
    first.run(120.0)
    first.stimulate("E", ln.CurrentClamp(amplitude=0.05, start=130.0, stop=170.0))
    first.run(33.3)   # mid-way: spikes in flight, a clamp on, NMDA gates up
    path = tmp_path / "state.h5"
    first.save_checkpoint(path)

    resumed = network()
    resumed.load_checkpoint(path)
    assert resumed.t == pytest.approx(153.3)
    resumed.run(200.0 - 153.3)
    for name in ("E", "I"):
        a, b = whole.result.spikes(name), resumed.result.spikes(name)
        assert len(a) > 50
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(whole.monitors[0]["V"], resumed.monitors[0]["V"])
    np.testing.assert_array_equal(whole.monitors[0]["g_NMDA"], resumed.monitors[0]["g_NMDA"])
    np.testing.assert_array_equal(whole.get_state("E", "V"), resumed.get_state("E", "V"))


def test_a_different_network_is_refused(tmp_path):
    net = network()
    net.run(10.0)
    path = tmp_path / "state.h5"
    net.save_checkpoint(path)
    with pytest.raises(ln.ParameterError, match="differs .* in: clock"):
        network(seed=3).load_checkpoint(path)
    other = ln.Network(dt=0.1, seed=2)
    other.add(ln.PyrPop(3, name="E"))
    with pytest.raises(ln.ParameterError, match="differs"):
        other.load_checkpoint(path)
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f.attrs["x"] = 1
    with pytest.raises(ln.ParameterError, match="not a lifnet checkpoint"):
        network().load_checkpoint(tmp_path / "plain.h5")


def test_an_interrupted_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    from lifnet.io import checkpoint

    net = network()
    net.run(20.0)
    path = tmp_path / "state.h5"
    net.save_checkpoint(path)
    before = path.read_bytes()
    net.run(20.0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut while writing")

    monkeypatch.setattr(checkpoint, "fingerprint", crash)   # fails after the file is opened
    with pytest.raises(KeyboardInterrupt):
        net.save_checkpoint(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.h5"]   # no temporary left


def conductance_network():
    """Conductance cells of every kind of state: gates, two-trace synapses, gap junctions."""
    net = ln.Network(dt=0.05, seed=4)
    E = net.add(ln.RTMPop(40, name="E", V_init=np.linspace(-70.0, -55.0, 40)))
    I = net.add(ln.WBPop(10, name="I"))
    Z = net.add(ln.IzhikevichPop(5, name="Z"))
    net.stimulate(E, ln.CurrentClamp(amplitude=np.linspace(0.8, 1.6, 40)))
    net.stimulate(Z, ln.CurrentClamp(amplitude=0.1))
    net.stimulate(I, ln.PoissonDrive(rate=300.0, weight=0.5,
                                     receptor=ln.AlphaCurrentSynapse(tau=1.0, name="ext")))
    exc = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=3.0, E=0.0, name="e")
    inh = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=9.0, E=-75.0, name="i")
    net.connect(E, I, receptor=exc, weight=0.01, rule="probability", p=0.5, delay=0.3)
    net.connect(I, E, receptor=inh, weight=0.05, rule="probability", p=0.5, delay=0.45)
    net.gap_junctions(I, n_pairs=20, weight=0.05)
    return net


def whole_and_resumed(build, duration, saved_at, path):
    """The run of build() for duration ms, and the same run saved at saved_at ms to a
    checkpoint at path and resumed from it in a new network."""
    whole = build()
    whole.run(duration)
    first = build()
    first.run(saved_at)
    first.save_checkpoint(path)
    resumed = build()
    resumed.load_checkpoint(path)
    resumed.run(duration - saved_at)
    return whole, resumed


@pytest.mark.long
def test_conductance_cells_resume_bit_for_bit(tmp_path):
    whole, resumed = whole_and_resumed(conductance_network, 150.0, 61.35, tmp_path / "hh.h5")
    for name in ("E", "I", "Z"):
        assert len(whole.result.spikes(name)) > 5
        np.testing.assert_array_equal(resumed.result.spikes(name).times,
                                      whole.result.spikes(name).times)
    np.testing.assert_array_equal(resumed.get_state("I", "h"), whole.get_state("I", "h"))


def current_based_network():
    """NEST-style current-based cells with every current synapse: delays drawn per
    synapse (delay-group tables), summed arrivals, a Poisson drive, delta jumps."""
    net = ln.Network(dt=0.1, seed=5)
    E = net.add(ln.CurrentBasedLIFPop(60, name="E", I_e=0.3,
                                      initial={"V": np.linspace(-70.0, -56.0, 60)}))
    I = net.add(ln.CurrentBasedLIFPop(20, name="I", I_e=0.2))
    exc = ln.ExponentialCurrentSynapse(tau=0.5, name="ex")
    net.stimulate(E, ln.PoissonDrive(rate=8000.0, weight=0.08, receptor=exc))
    net.stimulate(I, ln.PoissonDrive(rate=6000.0, weight=0.08, receptor=exc))
    delay = ln.Normal(mean=1.5, sd=0.3, low=0.05, resolution=0.1)
    net.connect(E, I, rule="fixed_total_number", n_synapses=3000, receptor=exc, delay=delay,
                weight=ln.Normal(mean=0.02, sd=0.002, low=0.0))
    net.connect(I, E, rule="fixed_total_number", n_synapses=3000, delay=delay,
                receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="in"),
                weight=ln.Normal(mean=-0.06, sd=0.006, high=0.0))
    net.connect(E, E, receptor=ln.AlphaCurrentSynapse(tau=1.0, name="al"), weight=0.02,
                rule="probability", p=0.1, delay=0.75)
    net.connect(I, I, receptor=ln.DeltaSynapse(), weight=-0.5, delay=0.8)
    return net


def test_current_based_cells_resume_bit_for_bit(tmp_path):
    whole, resumed = whole_and_resumed(current_based_network, 150.0, 61.3, tmp_path / "psc.h5")
    assert whole._asm.storage.delay_groups.size > 0       # the tables' path is taken
    for name in ("E", "I"):
        assert len(whole.result.spikes(name)) > 100
        np.testing.assert_array_equal(resumed.result.spikes(name).ids,
                                      whole.result.spikes(name).ids)
        np.testing.assert_array_equal(resumed.result.spikes(name).times,
                                      whole.result.spikes(name).times)
    np.testing.assert_array_equal(resumed.get_state("E", "V"), whole.get_state("E", "V"))
    np.testing.assert_array_equal(resumed.get_state("E", "g_al"), whole.get_state("E", "g_al"))


def saved(tmp_path):
    net = network()
    net.run(20.0)
    path = tmp_path / "state.h5"
    net.save_checkpoint(path)
    return path


def edit_V(f):
    V = f["state/neurons/V"]
    V[0] = -V[0]


def edit_step(f):
    f.attrs["step"] = f.attrs["step"] + 10


def drop_monitor_data(f):
    del f["recorded/monitors/0/data"]


def drop_checksum(f):
    del f.attrs["checksum"]


@pytest.mark.parametrize("edit, message", [(edit_V, "checksum"), (edit_step, "checksum"),
                                           (drop_monitor_data, "checksum"),
                                           (drop_checksum, "lacks checksum")])
def test_a_damaged_or_edited_checkpoint_is_refused_and_loads_nothing(edit, message, tmp_path):
    path = saved(tmp_path)
    with h5py.File(path, "r+") as f:
        edit(f)
    net = network()
    net.run(10.0)
    V, step = net._asm.neurons.V.copy(), net.step
    with pytest.raises(ln.ParameterError, match=message):
        net.load_checkpoint(path)
    assert net.step == step
    np.testing.assert_array_equal(net._asm.neurons.V, V)


def test_a_bit_flipped_anywhere_is_refused_or_changes_nothing(tmp_path):
    path = saved(tmp_path)
    data = path.read_bytes()
    reference = network()
    reference.load_checkpoint(path)
    expected = reference.run(10.0).spikes("E").times
    damaged = tmp_path / "damaged.h5"
    refused = 0
    for offset in range(0, len(data), 211):
        raw = bytearray(data)
        raw[offset] ^= 1 << (offset % 8)
        damaged.write_bytes(bytes(raw))
        net = network()
        try:
            net.load_checkpoint(damaged)
        except ln.ParameterError:
            refused += 1
            assert net.step == 0
            continue
        np.testing.assert_array_equal(net.run(10.0).spikes("E").times, expected)
    assert refused > len(data) // 211 // 4


def test_a_checkpoint_that_is_not_hdf5_is_refused(tmp_path):
    path = tmp_path / "state.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(ln.ParameterError, match="cannot be read as HDF5"):
        network().load_checkpoint(path)


def test_a_full_disk_is_a_clean_error_that_leaves_the_old_file(tmp_path, monkeypatch):
    import collections
    import errno

    from lifnet.io import atomic

    path = saved(tmp_path)
    before = path.read_bytes()
    net = network()
    net.run(30.0)
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda p: usage(10 ** 6, 10 ** 6, 5000))
    with pytest.raises(OSError, match="needs .* bytes .* 5000 free; nothing was written"):
        net.save_checkpoint(path)
    monkeypatch.undo()

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left on device; nothing was written"):
        net.save_checkpoint(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.h5"]


def test_a_saved_file_gets_the_permissions_a_plain_open_would(tmp_path):
    mask = os.umask(0o027)
    try:
        path = saved(tmp_path)
        plain = tmp_path / "plain"
        plain.write_bytes(b"")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o640
