"""The counter-based generator against Random123's published known answers."""

import numpy as np

from lifnet.integrators.philox import open_unit, philox4x32


def test_philox4x32_10_known_answers():
    m = 0xFFFFFFFF
    assert philox4x32(0, 0, 0, 0, 0, 0) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    assert philox4x32(m, m, m, m, m, m) == (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)
    assert philox4x32(0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822,
                      0x299F31D0) == (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)


def test_uniforms_are_uniform():
    u = np.array([open_unit(*philox4x32(i, 7, 3, 0, 11, 0)[:2]) for i in range(20000)])
    assert 0.0 < u.min() and u.max() < 1.0
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    chi2 = ((counts - 2000) ** 2 / 2000).sum()
    assert chi2 < 27.9  # 99.9 % quantile of chi2 with 9 degrees of freedom
