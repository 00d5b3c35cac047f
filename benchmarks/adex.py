"""AdEx spike times: lifnet's ``AdExPop`` against NEST's ``aeif_cond_exp`` and a DOP853 reference.

The cells: the four firing patterns of Naud et al. (2008), Table 1 (tonic,
adapting, initial burst, regular bursting; the table is ``NAUD`` in
``peers/adex_nest.py``), one cell each, driven by the pattern's constant
current from V = E_L, w = 0, with V_peak 0 mV and t_ref 0 ms, for 500 ms::

    C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T) - w + I
    tau_w dw/dt = a (V - E_L) - w
    V = V_peak: a spike; V -> V_reset, w -> w + b

What is run, at dt = 0.1 and 0.05 ms:

* lifnet, in this interpreter: ``ln.AdExPop(1, ...)`` with the pattern's
  parameters in lifnet's units (C nF = pF / 1000, g_L and a uS = nS / 1000,
  b nA = pA / 1000) and ``ln.CurrentClamp(amplitude=I nA)``; its spike is
  the crossing of V_peak interpolated inside the step;
* NEST ``aeif_cond_exp`` (``peers/adex_nest.py``, in the peer environment
  that ``peers/setup_env.sh`` creates, one process per dt, one thread): the
  same cell in pF, nS, pA with ``I_e``; NEST resets within the step but
  records the spike at the end of the step, so its times are late by 0 to
  dt;
* the reference (once per pattern): ``scipy.integrate.solve_ivp`` (DOP853,
  rtol 1e-10, atol 1e-12) with a terminal event at V = V_peak, restarted
  from V_reset, w + b; inside the exponential V is capped at V_peak + 10 mV,
  only so that trial steps past the event stay finite.

Reported per pattern and dt: the spike counts of each, and over the common
spikes (the first min(n, m) of two trains, paired in order) max |lifnet -
reference|, max |NEST - reference|, max |lifnet - NEST| and the medians of
NEST - reference and lifnet - NEST.

Writes ``benchmarks/results/adex-nest-<date>-<host>.json`` and ``.md`` (the
table) and prints the table.

Usage: python benchmarks/adex.py [--dts 0.1 0.05] [--duration 500] [--skip-nest]
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
from results_io import metadata, write
from scipy.integrate import solve_ivp

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, PEERS)
from adex_nest import NAUD, T_REF, V_PEAK, naud  # noqa: E402

PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
DTS = (0.1, 0.05)
DURATION = 500.0   # ms


def lifnet_params(pattern):
    """The pattern's ``AdExPop`` parameters (nF, uS, mV, ms, nA) and its current (nA)."""
    p = naud(pattern)
    return dict(C=p["C"] / 1e3, g_L=p["g_L"] / 1e3, E_L=p["E_L"], V_T=p["V_T"],
                Delta_T=p["Delta_T"], a=p["a"] / 1e3, tau_w=p["tau_w"], b=p["b"] / 1e3,
                V_reset=p["V_reset"], V_peak=V_PEAK, t_ref=T_REF), p["I"] / 1e3


def lifnet_spikes(pattern, dt, duration):
    """Spike times (ms) of lifnet's AdEx cell for the pattern."""
    params, current = lifnet_params(pattern)
    net = ln.Network(dt=dt, seed=1)
    cell = net.add(ln.AdExPop(1, name="A", **params))
    net.stimulate(cell, ln.CurrentClamp(amplitude=current))
    return np.asarray(net.run(duration).spikes("A").times, dtype=np.float64)


def reference_spikes(pattern, duration):
    """Spike times (ms) by solve_ivp (DOP853, rtol 1e-10), the reset applied at each event."""
    p, current = lifnet_params(pattern)

    def rhs(t, y):
        V, w = y
        e = math.exp((min(V, p["V_peak"] + 10.0) - p["V_T"]) / p["Delta_T"])
        return [(-p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"] * e - w + current)
                / p["C"], (p["a"] * (V - p["E_L"]) - w) / p["tau_w"]]

    def crossing(t, y):
        return y[0] - p["V_peak"]
    crossing.terminal, crossing.direction = True, 1

    t, y, out = 0.0, [p["E_L"], 0.0], []
    while t < duration:
        sol = solve_ivp(rhs, (t, duration), y, method="DOP853", rtol=1e-10, atol=1e-12,
                        events=crossing)
        if not sol.t_events[0].size:
            break
        t = float(sol.t_events[0][0])
        out.append(t)
        y = [p["V_reset"], sol.y_events[0][0][1] + p["b"]]
    return np.array(out)


def run_json(cmd):
    """Run cmd; its last stdout line as JSON, or {"error": stderr tail}."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def nest_run(patterns, dt, duration):
    """NEST's spikes for every pattern at one dt (peers/adex_nest.py in the peer python)."""
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(PEERS, "setup_env.sh")], check=True)
    cmd = [PEER_PYTHON, os.path.join(PEERS, "adex_nest.py"), "--dt", repr(dt),
           "--duration", repr(duration)]
    for pattern in patterns:
        cmd += ["--pattern", pattern]
    print(f"nest dt={dt} ...", file=sys.stderr, flush=True)
    out = run_json(cmd)
    out["command"] = " ".join(os.path.relpath(c, os.path.dirname(HERE))
                              if os.path.isabs(c) else c for c in cmd[1:])
    if "error" in out:
        print(out["error"], file=sys.stderr)
    return out


def differences(a, b):
    """a - b over the common spikes (the first min(len(a), len(b)), paired in order), ms."""
    n = min(len(a), len(b))
    return np.asarray(a[:n]) - np.asarray(b[:n])


def _max_abs(d):
    return float(np.abs(d).max()) if d is not None and d.size else None


def _median(d):
    return float(np.median(d)) if d is not None and d.size else None


def compare(lif, ref, nest):
    """Counts and the differences the table reports (``nest`` None: NEST not run)."""
    row = {"n_lifnet": len(lif), "n_reference": len(ref),
           "n_nest": None if nest is None else len(nest),
           "max_abs_lifnet_minus_reference_ms": _max_abs(differences(lif, ref)),
           "median_lifnet_minus_reference_ms": _median(differences(lif, ref))}
    d_nr = None if nest is None else differences(nest, ref)
    d_ln = None if nest is None else differences(lif, nest)
    row.update({"max_abs_nest_minus_reference_ms": _max_abs(d_nr),
                "median_nest_minus_reference_ms": _median(d_nr),
                "max_abs_lifnet_minus_nest_ms": _max_abs(d_ln),
                "median_lifnet_minus_nest_ms": _median(d_ln)})
    return row


def _fmt(x, spec):
    return "" if x is None else format(x, spec)


def markdown(rows, nest_version):
    lines = ["| pattern | dt (ms) | spikes lifnet / ref / NEST | max abs lifnet - ref (ms) | "
             "max abs NEST - ref (ms) | median NEST - ref (ms) | max abs lifnet - NEST (ms) | "
             "median lifnet - NEST (ms) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        counts = f"{r['n_lifnet']} / {r['n_reference']} / {_fmt(r['n_nest'], 'd') or '-'}"
        lines.append(
            f"| {r['pattern']} | {r['dt_ms']:g} | {counts} | "
            f"{_fmt(r['max_abs_lifnet_minus_reference_ms'], '.2e')} | "
            f"{_fmt(r['max_abs_nest_minus_reference_ms'], '.3f')} | "
            f"{_fmt(r['median_nest_minus_reference_ms'], '.3f')} | "
            f"{_fmt(r['max_abs_lifnet_minus_nest_ms'], '.3f')} | "
            f"{_fmt(r['median_lifnet_minus_nest_ms'], '.3f')} |")
    lines.append("")
    nest = ("NEST not run" if nest_version is None else
            f"NEST {nest_version} `aeif_cond_exp` (spikes stamped at the end of the step in "
            "which V passed V_peak)")
    lines.append(f"lifnet {ln.__version__} `AdExPop`; {nest}; reference: solve_ivp DOP853, "
                 "rtol 1e-10. Differences over the common spikes, paired in order.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dts", type=float, nargs="+", default=list(DTS), help="ms")
    ap.add_argument("--duration", type=float, default=DURATION, help="ms")
    ap.add_argument("--pattern", choices=list(NAUD), action="append",
                    help="a pattern; repeat for several (default: all four)")
    ap.add_argument("--skip-nest", action="store_true")
    args = ap.parse_args()
    patterns = args.pattern or list(NAUD)

    print("reference ...", file=sys.stderr, flush=True)
    ref = {p: reference_spikes(p, args.duration) for p in patterns}
    nest = {} if args.skip_nest else {dt: nest_run(patterns, dt, args.duration)
                                      for dt in args.dts}
    versions = {r.get("version") for r in nest.values() if "version" in r}
    rows, spikes = [], {"reference": {p: t.tolist() for p, t in ref.items()}}
    for dt in args.dts:
        print(f"lifnet dt={dt} ...", file=sys.stderr, flush=True)
        for pattern in patterns:
            lif = lifnet_spikes(pattern, dt, args.duration)
            nest_times = nest.get(dt, {}).get("spikes", {}).get(pattern)
            nest_times = None if nest_times is None else np.asarray(nest_times)
            rows.append({"pattern": pattern, "dt_ms": dt,
                         **compare(lif, ref[pattern], nest_times)})
            spikes.setdefault(f"lifnet dt={dt:g}", {})[pattern] = lif.tolist()
            if nest_times is not None:
                spikes.setdefault(f"nest dt={dt:g}", {})[pattern] = nest_times.tolist()

    nest_version = ", ".join(sorted(versions)) or None
    meta = metadata("adex.py", duration_ms=args.duration, dts_ms=args.dts,
                    lifnet_version=ln.__version__, nest_version=nest_version)
    payload = {"patterns": {p: naud(p) for p in patterns}, "results": rows,
               "nest_runs": [{k: v for k, v in r.items() if k != "spikes"}
                             for r in nest.values()],
               "spikes": spikes}
    write("adex-nest", meta, payload, "AdEx spike times: lifnet and NEST aeif_cond_exp",
          markdown(rows, nest_version))


if __name__ == "__main__":
    main()
