"""The ``lifnet`` command."""

import argparse
import json
import os
import sys
import time


def _run(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import models
    from .io import write_spikes
    from .plotting import raster

    build = models.MODELS[args.model]
    t0 = time.perf_counter()
    net = build(dt=args.dt, seed=args.seed)
    result = net.run(args.duration, progress=None if args.progress is None else args.progress)
    elapsed = time.perf_counter() - t0
    out = os.path.join(args.out, args.model)
    os.makedirs(out, exist_ok=True)
    trains = {name: result.spikes(name) for name in net.populations}
    write_spikes(os.path.join(out, "spikes.h5"), trains)
    fig, ax = plt.subplots(figsize=(9, 5))
    raster(result, ax=ax)
    ax.set_title(f"{args.model}: {args.duration:g} ms, dt {args.dt:g} ms, seed {args.seed}")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "raster.png"), dpi=120)
    plt.close(fig)
    summary = {
        "model": args.model, "duration_ms": args.duration, "dt_ms": args.dt, "seed": args.seed,
        "wall_s": round(elapsed, 3),
        "rates_hz": {name: round(tr.rate(result.t), 3) for name, tr in trains.items()},
        "spikes": {name: len(tr) for name, tr in trains.items()},
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    print(f"wrote {out}/raster.png, {out}/spikes.h5 (SONATA), {out}/summary.json")
    return 0


def main(argv=None):
    from .models import MODELS

    parser = argparse.ArgumentParser(prog="lifnet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a built-in model; write a raster and a spike file")
    run.add_argument("--model", choices=sorted(MODELS), default="coba",
                     help="built-in model (default: coba, Brette et al. 2007 benchmark 1)")
    run.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    run.add_argument("--dt", type=float, default=0.1, help="time step, ms (default 0.1)")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--out", default="lifnet-output", help="output folder")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)
    from .validation import ParameterError, SimulationError

    try:
        return _run(args)
    except (ParameterError, SimulationError) as err:
        print(f"lifnet: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
