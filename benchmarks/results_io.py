"""Where and how every benchmark writes its results: benchmarks/results/<name>-<date>-<host>."""

import datetime
import json
import os
import platform
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def metadata(script, **extra):
    """Date, machine and the command that reproduces the run."""
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": socket.gethostname(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "command": f"python benchmarks/{script} " + " ".join(sys.argv[1:]), **extra}


def write(name, meta, payload, title, markdown):
    """Write <name>-<date>-<host>.json (meta + payload) and .md; return the path stem."""
    base = os.path.join(HERE, "results", f"{name}-{meta['date'][:10]}-{meta['host']}")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, **payload}, f, indent=2)
    with open(base + ".md", "w") as f:
        f.write(f"# {title}, {meta['date']}, {meta['host']} ({meta['cpus']} CPUs)\n\n"
                f"`{meta['command']}`\n\n{markdown}\n")
    print(markdown)
    print(f"\nwrote {base}.json and .md")
    return base
