"""The ``lifnet`` command: run a model, sweep its parameters, or time lifnet's benchmarks.

    lifnet run                                   COBA (Brette et al. 2007), 1 s
    lifnet run --model compte2000                another built-in model (see --help)
    lifnet run --model wang2002 --set coherence=51.2 --seed 3
    lifnet run examples/bmtk_ch3_column.yaml     a model file (YAML or JSON; see lifnet.spec)
    lifnet run examples/netpyne_tut5.py          a NetPyNE model file (Python: it is executed)
    lifnet run MODEL.yaml --set run.duration=500 --set populations.E.n=40
    lifnet run simulation_config.json            a SONATA circuit (BMTK; see lifnet.sonata)
    lifnet export MODEL.yaml --sonata DIR        the model as a SONATA circuit, for NEST
    lifnet sweep MODEL.yaml --grid populations.E.n=20,40 --seeds 0,1
    lifnet bench --only coba ping                lifnet's side of the benchmarks, quickly

Each run writes, in OUT/NAME/: spikes.h5 (SONATA), one SONATA
report per recorded variable, the figures as PNG, and summary.json.
"""

import argparse
import inspect
import json
import os
import sys
import time

RUN_EXAMPLES = """examples:
  lifnet run                                    COBA network (Brette et al. 2007), 1 s
  lifnet run --model compte2000                 the bump through a 3 s delay (Compte 2000)
  lifnet run --model wang2002 --set coherence=51.2 --seed 3
  lifnet run --model ping --duration 500 --dt 0.025
  lifnet run examples/netpyne_tut5.py --seed 2 --duration 500
  lifnet run MODEL.yaml --set populations.E.n=40 --set connections.0.weight=0.002

--seed, --dt and --duration apply to built-in models and model files alike;
--set sets a keyword of a built-in model (lifnet run --model NAME --set KEY=VALUE)
or a key path of a YAML/JSON model file. A NetPyNE model file (.py, defining
netParams and simConfig as NetPyNE's tutorials do) is executed as Python code,
unlike YAML/JSON files: run only files you trust. lifnet stands in for
netpyne.specs and netpyne.sim while it runs; neither NetPyNE nor NEURON is needed.
Kernels compile once per machine (tens of seconds) and are cached; later runs
start in about a second.
"""

SWEEP_EXAMPLES = """examples:
  lifnet sweep examples/netpyne_tut2_lif.yaml --grid connections.0.weight=0.01:0.03:3 --seeds 0,1
  lifnet sweep gap_junction_network --grid gap_weight=0:0.001:11 --seeds 1,2,3 \\
      --duration 501 --metric synchrony_HH

Every finished run is stored at once in OUT/runs.sqlite; running the same command
again skips what is done.
"""

BENCH_EXAMPLES = """examples:
  lifnet bench                      every workload (a few minutes the first time: compiling)
  lifnet bench --only coba ping     two of them
  lifnet bench --scale 0.2          shorter runs, smaller builds

The full comparisons against Brian2 and NEST are the scripts in benchmarks/.
"""


def _save_plots(net, result, plots, out, name):
    from . import plotting

    plt = _pyplot()
    written = []
    for kind, options in plots:
        if kind == "traces":
            for k, mon in enumerate(net.monitors):
                for var in mon.variables:
                    fig, ax = plt.subplots(figsize=(9, 3.5))
                    plotting.traces(mon, var, ax=ax)
                    plotting.title(ax, result, name)
                    written.append(_write(fig, out, f"traces_{k}_{mon.population.name}_{var}"))
            continue
        fig, ax = plt.subplots(figsize=(9, 5) if kind in ("raster", "rates") else (6, 5))
        if kind == "raster":
            plotting.raster(result, ax=ax, **options)
        elif kind == "rates":
            # 50 ms bins, or five bins over a shorter run.
            plotting.rates(result, {p: (p, None) for p in net.populations}, ax=ax,
                           width=min(50.0, result.t / 5.0))
        elif kind == "positions":
            plotting.positions(net, ax=ax)
        elif kind == "connectivity":
            plotting.connectivity(net, ax=ax)
        else:
            plotting.rate_histogram(result, ax=ax)
        plotting.title(ax, result, name)
        written.append(_write(fig, out, kind))
    return written


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _write(fig, out, name):
    import matplotlib.pyplot as plt

    path = os.path.join(out, f"{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _model_keywords(name, assignments):
    """--set KEY=VALUE for a built-in model: checked against its function's keywords."""
    import yaml

    from . import spec
    from .models import MODELS

    allowed = [k for k in inspect.signature(MODELS[name]).parameters if k not in ("dt", "seed")]
    keywords = {}
    for assignment in assignments:
        if "=" not in assignment:
            raise spec.SpecError(f"--set {assignment!r}: expected KEY=VALUE, e.g. "
                                 f"--set {allowed[0]}=...")
        key, text = assignment.split("=", 1)
        if key not in allowed:
            raise spec.SpecError(f"--set {key}: {name} has no keyword {key!r}; it has "
                                 f"{', '.join(allowed)} (and --seed, --dt)")
        keywords[key] = yaml.safe_load(text)
    return keywords


def _build_run(args):
    """(network, name, duration, plots or None, showcase or None, keywords)."""
    from . import spec

    if args.file:
        if args.model is not None:
            raise spec.SpecError(f"--model {args.model}: give a model file or --model, not both")
        if args.file.endswith(".py"):
            return _build_netpyne(args)
        data = spec.load(args.file)
        for assignment in args.set or []:
            spec.override(data, assignment)
        for key, value in (("seed", args.seed), ("dt", args.dt)):
            if value is not None:
                data.setdefault("network", {})[key] = value
        if args.duration is not None:
            data.setdefault("run", {})["duration"] = args.duration
        net, run, _, plots = spec.build(data)
        name = os.path.splitext(os.path.basename(args.file))[0]
        return net, name, run["duration"], plots, None, {}
    from .models import MODELS
    from .showcase import SHOWCASES

    name = args.model or "coba"
    show = SHOWCASES[name]
    keywords = {**show.keywords, **_model_keywords(name, args.set or [])}
    keywords["seed"] = 1 if args.seed is None else args.seed
    if args.dt is not None:
        keywords["dt"] = args.dt
    net = MODELS[name](**keywords)
    if show.record is not None:
        show.record(net)
    duration = show.duration if args.duration is None else args.duration
    return net, name, duration, None, show, keywords


def _build_netpyne(args):
    """A NetPyNE model file (Python), executed with lifnet's stand-ins for netpyne.specs and
    netpyne.sim; --seed sets every seed of simConfig, --dt and --duration its own."""
    from . import netpyne
    from .spec import SpecError

    if args.set:
        raise SpecError(f"--set {args.set[0]}: {args.file} is a NetPyNE model file (Python); "
                        "edit it, or give --seed, --dt, --duration")
    netParams, simConfig = netpyne.read(args.file)
    for key, value in (("dt", args.dt), ("duration", args.duration)):
        if value is not None:
            _put(simConfig, key, value)
    if args.seed is not None:
        _put(simConfig, "seeds", {"conn": args.seed, "stim": args.seed, "loc": args.seed})
    net, duration, plots = netpyne.build(netParams, simConfig)
    name = os.path.splitext(os.path.basename(args.file))[0]
    return net, name, duration, plots, None, {}


def _put(config, key, value):
    """Set a key of a simConfig, a dict or an object."""
    if isinstance(config, dict):
        config[key] = value
    else:
        setattr(config, key, value)


def _run_sonata(args):
    """lifnet run simulation_config.json: outputs where the config's ``output`` says."""
    from . import sonata
    from .spec import SpecError

    if args.set or args.model is not None:
        raise SpecError(f"{args.file} is a SONATA config: it takes --duration, --dt, --seed, "
                        "not --set or --model")
    t0 = time.perf_counter()
    net, result, files = sonata.run(args.file, tstop=args.duration, dt=args.dt,
                                     seed=args.seed or 0, progress=args.progress,
                                     threads=args.threads)
    rates = ", ".join(f"{p} {result.spikes(p).rate(result.t):.1f} Hz"
                      for p in net.populations)
    print(f"{args.file}: {result.t:g} ms at dt {net.dt:g} ms in "
          f"{time.perf_counter() - t0:.1f} s; rates {rates}")
    print(f"wrote {', '.join(files)}")
    return 0


def _run(args):
    from .io import write_report, write_spikes
    from .io.circuit import is_config
    from .validation import ParameterError

    if args.file and is_config(args.file):
        return _run_sonata(args)
    t0 = time.perf_counter()
    net, name, duration, plots, show, keywords = _build_run(args)
    out = os.path.join(args.out, name)
    os.makedirs(out, exist_ok=True)
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(f"--out {args.out}: cannot write in {out}; nothing was run")
    t_run = time.perf_counter()
    interrupted = None
    try:
        result = net.run(duration, progress=args.progress, threads=args.threads)
    except KeyboardInterrupt as err:
        if net.step == 0:
            raise
        result, interrupted = net.result, err     # what was simulated is saved, no figures
    run_s = time.perf_counter() - t_run
    trains = {p: result.spikes(p) for p in net.populations}
    write_spikes(os.path.join(out, "spikes.h5"), trains)
    files = [os.path.join(out, "spikes.h5")]
    for k, mon in enumerate(net.monitors):
        for var in mon.variables:
            path = os.path.join(out, f"report_{k}_{mon.population.name}_{var}.h5")
            write_report(path, mon, var)
            files.append(path)
    caption = None
    failure = None
    try:
        if interrupted is not None:
            pass
        elif show is not None:
            fig, caption = show.draw(net, result, keywords)
            files.append(_write(fig, out, "figure"))
        else:
            files += _save_plots(net, result, plots, out, name)
    except (ParameterError, ValueError) as err:
        failure = err     # the summary is written all the same, then the error is raised
    wall = time.perf_counter() - t0
    summary = {
        "model": name, "duration_ms": duration, "simulated_ms": result.t, "dt_ms": net.dt,
        "seed": net.seed,
        "keywords": {k: v for k, v in keywords.items() if k not in ("dt", "seed")},
        "wall_s": round(wall, 3), "run_s": round(run_s, 3),
        "rates_hz": {p: round(tr.rate(result.t), 3) for p, tr in trains.items()},
        "spikes": {p: len(tr) for p, tr in trains.items()},
        "files": [os.path.relpath(f, out) for f in files] + ["summary.json"],
        "figure_caption": caption,
        "figure_error": None if failure is None else str(failure),
        "interrupted": None if interrupted is None else str(interrupted),
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if interrupted is not None:
        raise KeyboardInterrupt(f"{interrupted}; the {result.t:g} ms simulated are saved in "
                                f"{out}{os.sep} (spikes, traces, summary.json; no figures)")
    if failure is not None:
        raise ParameterError(f"the figures of {name}: {failure} (spikes and summary.json "
                             f"are in {out})") from failure
    rates = ", ".join(f"{p} {r:.1f} Hz" for p, r in summary["rates_hz"].items())
    print(f"{name}: {duration:g} ms at dt {net.dt:g} ms, seed {net.seed}, in {run_s:.2f} s "
          f"({wall:.1f} s in all); rates {rates}")
    if caption:
        print(f"figure.png: {caption}")
    print(f"wrote {', '.join(summary['files'])} in {out}{os.sep}")
    return 0


def _export(args):
    """lifnet export FILE --sonata DIR: a model file or built-in model as a SONATA circuit."""
    from .populations import PoissonPop
    from .spec import SpecError

    args.model = None
    if args.file is not None and not os.path.exists(args.file):
        from .models import MODELS

        if args.file not in MODELS:
            raise SpecError(f"{args.file}: no such file, nor a built-in model "
                            f"({', '.join(sorted(MODELS))})")
        args.model, args.file = args.file, None
    net, name, duration, _, _, _ = _build_run(args)
    if any(isinstance(p, PoissonPop) for p in net.populations.values()):
        # A Poisson source's spikes are drawn as the network runs; they become input files.
        net.run(duration, progress=args.progress)
    config = net.save_sonata(args.sonata, tstop=duration)
    print(f"{name}: {len(net.populations)} populations, "
          f"{sum(p.n_synapses for p in net.projections)} synapses, {duration:g} ms; wrote "
          f"{config} (run it with BMTK's pointnet on NEST, or lifnet run {config})")
    return 0


MAX_GRID_POINTS = 10_000   # per swept parameter
METRIC_KINDS = ("rate", "cv", "synchrony", "peak_hz", "angle", "bump")


def _grid_values(path, text):
    """'a,b,c' -> [a, b, c] (each parsed as YAML); 'start:stop:num' -> evenly spaced numbers."""
    import numpy as np
    import yaml

    from .spec import SpecError

    if text.count(":") == 2 and "," not in text:
        start, stop, num = text.split(":")
        try:
            start, stop, num = float(start), float(stop), int(num)
        except ValueError:
            raise SpecError(f"--grid {path}={text}: START:STOP:NUM needs two numbers and a "
                            "whole number of points, e.g. 0:1:5") from None
        if not (np.isfinite(start) and np.isfinite(stop)) or not 1 <= num <= MAX_GRID_POINTS:
            raise SpecError(f"--grid {path}={text}: START and STOP must be finite and NUM "
                            f"between 1 and {MAX_GRID_POINTS}")
        return [float(v) for v in np.linspace(start, stop, num)]
    try:
        return [yaml.safe_load(v) for v in text.split(",")]
    except yaml.YAMLError as err:
        raise SpecError(f"--grid {path}={text}: cannot read a value: "
                        f"{str(err).splitlines()[0]}") from None


def _metric_name(metric, populations):
    """Check --metric against default_metrics' names before any run."""
    from .spec import SpecError

    kind = next((k for k in METRIC_KINDS if metric.startswith(k + "_")), None)
    pop = metric[len(kind) + 1:] if kind else None
    if kind is None or (populations is not None and pop not in populations):
        pops = ", ".join(populations) if populations is not None else "<population>"
        raise SpecError(f"--metric {metric}: not a metric of this sweep; metrics are "
                        f"{{{', '.join(METRIC_KINDS)}}}_{{{pops}}}")
    return metric


def _sweep(args):
    from . import spec
    from .sweep import sweep

    grid = {}
    for item in args.grid or []:
        if "=" not in item:
            raise spec.SpecError(f"--grid {item!r}: expected path=v1,v2,... or path=start:stop:num")
        path, text = item.split("=", 1)
        grid[path] = _grid_values(path, text)
    from .models import MODELS

    populations = None
    if args.file in MODELS:
        duration = args.duration
    else:
        data = spec.load(args.file)
        populations = list(data.get("populations") or {})
        duration = args.duration or data.get("run", {}).get("duration")
    if duration is None:
        raise spec.SpecError("lifnet sweep: give --duration (or run.duration in the file)")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise spec.SpecError(f"--seeds {args.seeds}: expected whole numbers separated by "
                             "commas, e.g. 0,1,2") from None
    if any(not 0 <= s < 2 ** 64 for s in seeds):
        raise spec.SpecError(f"--seeds {args.seeds}: seeds must be in [0, 2**64)")
    if args.workers is not None and args.workers < 1:
        raise spec.SpecError(f"--workers {args.workers}: must be at least 1")
    if args.metric is not None:
        _metric_name(args.metric, populations)
    table = sweep(args.file, grid=grid, seeds=seeds, duration=duration, out=args.out,
                  workers=args.workers, scheduler=args.scheduler, progress=args.progress,
                  save_spikes=args.save_spikes)
    path = os.path.join(args.out, "sweep.csv")
    table.to_csv(path, index=False)
    metric = args.metric or next((c for c in table.columns if c.startswith("rate_")), None)
    if args.metric is not None and args.metric not in table.columns:
        raise spec.SpecError(f"--metric {args.metric}: the runs gave no such metric; they "
                             f"gave {', '.join(c for c in table.columns if '_' in c)}")
    if metric and grid and (table["status"] == "ok").any():
        _sweep_plot(table, list(grid), metric, os.path.join(args.out, f"sweep_{metric}.png"))
    failed = int((table["status"] != "ok").sum())
    print(table.drop(columns=["error", "spikes_file"], errors="ignore").to_string(index=False))
    print(f"{len(table)} runs ({int(table['ran_now'].sum())} now, {failed} failed); wrote {path}")
    if failed:
        first = table.loc[table["status"] != "ok", "error"].iloc[0]
        print(f"lifnet: error: {failed} of {len(table)} runs failed; the first: "
              f"{str(first).strip().splitlines()[-1] if first else 'unknown'}", file=sys.stderr)
        return 1
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


def _parser():
    from . import __version__
    from .bench import WORKLOADS
    from .models import MODELS
    from .showcase import SHOWCASES

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="lifnet", formatter_class=raw,
        description="lifnet: spiking networks with second-order accurate spike times.\n\n"
                    + __doc__.split("\n\n", 1)[1])
    parser.add_argument("--version", action="version", version=f"lifnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    models = "\n".join(f"  {k:22s}{SHOWCASES[k].title}, {SHOWCASES[k].duration:g} ms"
                        for k in MODELS)
    run = sub.add_parser(
        "run", formatter_class=raw, epilog=RUN_EXAMPLES,
        help="run a built-in model or a model file; write spikes, figures and a summary",
        description="Run a built-in model (default: coba) or a model file, then write "
                    "spikes.h5 (SONATA), the figures and summary.json in OUT/NAME/.\n\n"
                    "built-in models (--model), each run long enough to show its "
                    f"phenomenon:\n{models}")
    run.add_argument("file", nargs="?", help="model file (.yaml, .yml, .json), a NetPyNE "
                                             "model file (.py, executed as Python) or a "
                                             "SONATA simulation_config.json")
    run.add_argument("--model", choices=sorted(MODELS), default=None,
                     help="built-in model, when no file is given (default: coba)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE",
                     help="a keyword of the built-in model (coherence=51.2) or a key path "
                          "of the model file (run.duration=500); repeat for more")
    run.add_argument("--duration", type=float, default=None,
                     help="simulated time, ms (default: the model's, or the file's "
                          "run.duration)")
    run.add_argument("--dt", type=float, default=None,
                     help="time step, ms (default: the model's or the file's)")
    run.add_argument("--seed", type=int, default=None,
                     help="seed of every random draw (default: 1 for a built-in model, the "
                          "file's for a model file)")
    run.add_argument("--threads", type=int, choices=(1, 2), default=None,
                     help="threads of the run (default: lifnet's choice)")
    run.add_argument("--out", default="lifnet-output", help="output folder "
                                                            "(default: lifnet-output)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar (default: on a terminal, for long runs)")
    sw = sub.add_parser(
        "sweep", formatter_class=raw, epilog=SWEEP_EXAMPLES,
        help="run a model over a parameter grid and seeds; write sweep.csv, a figure, "
             "runs.sqlite",
        description="Run a model file or a built-in model over a grid of parameters and "
                    "seeds, on local processes or a Dask cluster; write OUT/sweep.csv, a "
                    "figure of one metric and OUT/runs.sqlite.")
    sw.add_argument("file", help="model file (.yaml, .yml, .json) or a built-in model's name "
                                 "(its keywords are the parameters)")
    sw.add_argument("--grid", action="append", metavar="PATH=V1,V2|START:STOP:NUM",
                    help="a swept parameter (repeat for a grid)")
    sw.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    sw.add_argument("--duration", type=float, default=None,
                    help="ms (default: the file's run.duration)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address")
    sw.add_argument("--metric", default=None, help="metric to plot (default: the first rate)")
    sw.add_argument("--out", default="lifnet-sweep", help="output folder (re-runs skip what "
                                                          "it holds)")
    sw.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar over the runs (default: on a terminal)")
    sw.add_argument("--save-spikes", action="store_true",
                    help="also write each run's spikes to OUT/spikes/<run>.h5 (SONATA)")
    ex = sub.add_parser(
        "export", formatter_class=raw,
        help="write a model file or built-in model as a SONATA circuit (for NEST via BMTK)",
        description="Write a model file or a built-in model as a SONATA circuit: nodes, "
                    "edges, NEST parameters, input spikes and a simulation config that BMTK's "
                    "pointnet runs on NEST (on many machines with MPI). Mechanisms without a "
                    "NEST model (NMDA, HH-type cells, rings, Poisson drives, gap junctions) "
                    "are an error.")
    ex.add_argument("file", help="model file (.yaml, .yml, .json) or a built-in model's name")
    ex.add_argument("--sonata", required=True, metavar="DIR", help="folder to write")
    ex.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="as for lifnet run")
    ex.add_argument("--duration", type=float, default=None,
                    help="run.tstop of the simulation config, ms (default: the model's)")
    ex.add_argument("--dt", type=float, default=None, help="time step, ms")
    ex.add_argument("--seed", type=int, default=None, help="seed")
    ex.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar while Poisson sources are drawn")
    names = "\n".join(f"  {name:12s}{what}" for name, what in WORKLOADS)
    bench = sub.add_parser(
        "bench", formatter_class=raw, epilog=BENCH_EXAMPLES,
        help="lifnet's side of every benchmark, small and quick",
        description="Time lifnet's side of the benchmarks (build and simulation, after a "
                    f"warm-up run that compiles the kernels).\n\nworkloads:\n{names}")
    bench.add_argument("--scale", type=float, default=1.0,
                       help="simulated time and sizes relative to the defaults (default 1)")
    bench.add_argument("--only", nargs="+", metavar="WORKLOAD",
                       choices=[name for name, _ in WORKLOADS],
                       help="workloads to run: " + ", ".join(name for name, _ in WORKLOADS))
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    from .validation import ParameterError, SimulationError

    try:
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "export":
            return _export(args)
        if args.command == "bench":
            from .bench import run as run_bench

            run_bench(args.scale, args.only)
            return 0
        return _run(args)
    except (ParameterError, SimulationError, OSError) as err:
        print(f"lifnet: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        print(f"lifnet: stopped (Ctrl-C){': ' + str(err) if str(err) else ''}",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
