"""The ``lifnet`` command.

    lifnet run                      a built-in model (default: coba)
    lifnet run --model compte2000   another built-in model
    lifnet run MODEL.yaml           a model file (YAML or JSON; see lifnet.spec)
    lifnet run MODEL.yaml --set run.duration=500 --set populations.E.n=40
    lifnet sweep MODEL.yaml --grid populations.E.n=20,40 --grid stimuli.0.weight=0.01:0.03:3
    lifnet bench                    lifnet's side of every benchmark, quickly

Each run writes, in ``--out/<name>/``: ``spikes.h5`` (SONATA), one SONATA
report per recorded variable, the plots as PNG, and ``summary.json``.
"""

import argparse
import json
import os
import sys
import time


def _save_plots(net, result, plots, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plotting

    written = []
    for name, options in plots:
        if name == "traces":
            for k, mon in enumerate(net.monitors):
                for var in mon.variables:
                    fig, ax = plt.subplots(figsize=(9, 3.5))
                    plotting.traces(mon, var, ax=ax)
                    written.append(_write(fig, out, f"traces_{k}_{mon.population.name}_{var}"))
            continue
        fig, ax = plt.subplots(figsize=(9, 5) if name in ("raster", "rates") else (6, 5))
        if name == "raster":
            plotting.raster(result, ax=ax, **options)
        elif name == "rates":
            plotting.rates(result, {p: (p, None) for p in net.populations}, ax=ax)
        elif name == "positions":
            plotting.positions(net, ax=ax)
        elif name == "connectivity":
            plotting.connectivity(net, ax=ax)
        else:
            plotting.rate_histogram(result, ax=ax)
        written.append(_write(fig, out, name))
    return written


def _write(fig, out, name):
    import matplotlib.pyplot as plt

    path = os.path.join(out, f"{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _run(args):
    from . import models, spec
    from .io import write_report, write_spikes

    t0 = time.perf_counter()
    if args.file:
        data = spec.load(args.file)
        for assignment in args.set or []:
            spec.override(data, assignment)
        net, run, _, plots = spec.build(data)
        name = os.path.splitext(os.path.basename(args.file))[0]
        duration = run["duration"] if args.duration is None else args.duration
    else:
        if args.set:
            raise spec.SpecError("--set applies to a model file: lifnet run FILE --set ...")
        build = models.MODELS[args.model]
        net = build(dt=args.dt, seed=args.seed)
        name, plots = args.model, [("raster", {})]
        duration = 1000.0 if args.duration is None else args.duration
    result = net.run(duration, progress=args.progress)
    elapsed = time.perf_counter() - t0
    out = os.path.join(args.out, name)
    os.makedirs(out, exist_ok=True)
    trains = {p: result.spikes(p) for p in net.populations}
    write_spikes(os.path.join(out, "spikes.h5"), trains)
    files = [os.path.join(out, "spikes.h5")]
    for k, mon in enumerate(net.monitors):
        for var in mon.variables:
            path = os.path.join(out, f"report_{k}_{mon.population.name}_{var}.h5")
            write_report(path, mon, var)
            files.append(path)
    files += _save_plots(net, result, plots, out)
    summary = {
        "model": name, "duration_ms": duration, "dt_ms": net.dt, "seed": net.seed,
        "wall_s": round(elapsed, 3),
        "rates_hz": {p: round(tr.rate(result.t), 3) for p, tr in trains.items()},
        "spikes": {p: len(tr) for p, tr in trains.items()},
        "files": [os.path.relpath(f, out) for f in files],
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    print(f"wrote {len(files) + 1} files in {out}/")
    return 0


def _grid_values(text):
    """'a,b,c' -> [a, b, c] (each parsed as YAML); 'start:stop:num' -> evenly spaced numbers."""
    import numpy as np
    import yaml

    if text.count(":") == 2 and "," not in text:
        start, stop, num = text.split(":")
        return [float(v) for v in np.linspace(float(start), float(stop), int(num))]
    return [yaml.safe_load(v) for v in text.split(",")]


def _sweep(args):
    from . import spec
    from .sweep import sweep

    grid = {}
    for item in args.grid or []:
        if "=" not in item:
            raise spec.SpecError(f"--grid {item!r}: expected path=v1,v2,... or path=start:stop:num")
        path, text = item.split("=", 1)
        grid[path] = _grid_values(text)
    from .models import MODELS

    if args.file in MODELS:
        duration = args.duration
    else:
        duration = args.duration or spec.load(args.file).get("run", {}).get("duration")
    if duration is None:
        raise spec.SpecError("lifnet sweep: give --duration (or run.duration in the file)")
    seeds = [int(s) for s in args.seeds.split(",")]
    table = sweep(args.file, grid=grid, seeds=seeds, duration=duration, out=args.out,
                  workers=args.workers, scheduler=args.scheduler, progress=args.progress,
                  save_spikes=args.save_spikes)
    path = os.path.join(args.out, "sweep.csv")
    table.to_csv(path, index=False)
    metric = args.metric or next((c for c in table.columns if c.startswith("rate_")), None)
    if metric and grid:
        _sweep_plot(table, list(grid), metric, os.path.join(args.out, f"sweep_{metric}.png"))
    failed = int((table["status"] != "ok").sum())
    print(table.drop(columns=["error", "spikes_file"], errors="ignore").to_string(index=False))
    print(f"{len(table)} runs ({int(table['ran_now'].sum())} now, {failed} failed); wrote {path}")
    return 0


def _sweep_plot(table, names, metric, path):
    """A line (one parameter) or heat map (two) of a metric's mean over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table[table["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(names) == 1:
        mean = ok.groupby(names[0])[metric].agg(["mean", "std"])
        ax.errorbar(mean.index, mean["mean"], yerr=mean["std"], marker="o")
        ax.set_xlabel(names[0])
        ax.set_ylabel(metric)
    else:
        grid = ok.groupby(names[:2])[metric].mean().unstack()
        image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
        ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns])
        ax.set_ylabel(names[0])
        ax.set_xlabel(names[1])
        plt.colorbar(image, ax=ax, label=metric)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    from .models import MODELS

    parser = argparse.ArgumentParser(prog="lifnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a model file or a built-in model; write spikes, "
                                     "reports, plots and a summary")
    run.add_argument("file", nargs="?", help="model file (.yaml, .yml, .json)")
    run.add_argument("--set", action="append", metavar="PATH=VALUE",
                     help="override a value of the model file, e.g. run.duration=500")
    run.add_argument("--model", choices=sorted(MODELS), default="coba",
                     help="built-in model when no file is given (default: coba, Brette et "
                          "al. 2007 benchmark 1)")
    run.add_argument("--duration", type=float, default=None,
                     help="ms (default: the file's run.duration, or 1000)")
    run.add_argument("--dt", type=float, default=0.1, help="built-in model: time step, ms")
    run.add_argument("--seed", type=int, default=1, help="built-in model: seed")
    run.add_argument("--out", default="lifnet-output", help="output folder")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar (default: on a terminal, for long runs)")
    sw = sub.add_parser("sweep", help="run a model file over a parameter grid and seeds; "
                                      "write sweep.csv, a figure and runs.sqlite")
    sw.add_argument("file", help="model file (.yaml, .yml, .json) or a built-in model's name "
                                 "(its keywords are the parameters)")
    sw.add_argument("--grid", action="append", metavar="PATH=V1,V2|START:STOP:NUM",
                    help="a swept parameter (repeat for a grid)")
    sw.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    sw.add_argument("--duration", type=float, default=None, help="ms (default run.duration)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address")
    sw.add_argument("--metric", default=None, help="metric to plot (default: the first rate)")
    sw.add_argument("--out", default="lifnet-sweep", help="output folder (re-runs skip what "
                                                          "it holds)")
    sw.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    sw.add_argument("--save-spikes", action="store_true",
                    help="also write each run's spikes to OUT/spikes/<run>.h5 (SONATA)")
    bench = sub.add_parser("bench", help="lifnet's side of every benchmark, small and quick")
    bench.add_argument("--scale", type=float, default=1.0,
                       help="simulated time and sizes relative to the defaults (default 1)")
    bench.add_argument("--only", nargs="*", help="names of the workloads to run")
    args = parser.parse_args(argv)
    from .validation import ParameterError, SimulationError

    try:
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "bench":
            from .bench import run as run_bench

            run_bench(args.scale, args.only)
            return 0
        return _run(args)
    except (ParameterError, SimulationError, OSError) as err:
        print(f"lifnet: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
