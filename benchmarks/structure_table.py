"""The package's structure, measured at two commits: what the mechanism contract changed.

    python benchmarks/structure_table.py [--before dae1b91] [--after HEAD]

Reads each commit's ``lifnet/`` with ``git show`` (no checkout) and counts, as the
mechanisms issue listed them: the lines of ``integrators/`` and of the package;
the names ``lif_rk2`` takes from ``layout``; the positional parameters of the run
loop's ``advance`` and of the conductance step's ``_substep`` and ``_substeps``; the
lines of ``Assembly.__init__``; ``isinstance`` checks in ``network.py`` and
``assemble.py``; uses of numba's private ``_nrt=`` option; imports of lifnet modules
inside functions; the files a user edits to add a cell model (0 where the public
contract takes one from the user's own file). Writes
benchmarks/results/structure-<date>-<host>.{json,md}.
"""

import argparse
import ast
import os
import subprocess

from results_io import metadata, write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def files(ref):
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", ref, "lifnet"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {name: subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout
            for name in names if name.endswith(".py")}


def function(tree, name):
    return next((node for node in ast.walk(tree)
                 if isinstance(node, ast.FunctionDef) and node.name == name), None)


def measure(ref):
    source = files(ref)
    trees = {name: ast.parse(text) for name, text in source.items()}
    lines = {name: len(text.splitlines()) for name, text in source.items()}
    out = {"package lines": sum(lines.values()),
           "integrators/ lines": sum(n for name, n in lines.items()
                                     if name.startswith("lifnet/integrators/"))}
    rk2 = trees.get("lifnet/integrators/lif_rk2.py")
    out["names lif_rk2 takes from layout"] = sum(
        len(node.names) for node in ast.walk(rk2) if isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("layout")) if rk2 else 0
    for path, name in (("lifnet/integrators/run_loop.py", "advance"),
                       ("lifnet/integrators/conductance_step.py", "_substep"),
                       ("lifnet/integrators/conductance_step.py", "_substeps")):
        node = function(trees[path], name) if path in trees else None
        out[f"positional parameters of {name}"] = len(node.args.args) if node else None
    init = None
    for node in ast.walk(trees["lifnet/integrators/assemble.py"]):
        if isinstance(node, ast.ClassDef) and node.name == "Assembly":
            init = function(node, "__init__")
    out["lines of Assembly.__init__"] = init.end_lineno - init.lineno + 1 if init else None
    out["isinstance in network.py and assemble.py"] = sum(
        1 for path in ("lifnet/network.py", "lifnet/integrators/assemble.py")
        for node in ast.walk(trees[path]) if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "isinstance")
    domain = {node.name for name, tree in trees.items()
              if name.startswith(("lifnet/populations/", "lifnet/currents/", "lifnet/mechanism"))
              for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    out["of which on population, synapse and stimulus classes"] = sum(
        1 for path in ("lifnet/network.py", "lifnet/integrators/assemble.py")
        for node in ast.walk(trees[path]) if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2
        and {n.id if isinstance(n, ast.Name) else getattr(n, "attr", None)
             for n in ast.walk(node.args[1])} & domain)
    out["files that mention NMDA outside currents/nmda.py"] = sum(
        1 for name, text in source.items()
        if name != "lifnet/currents/nmda.py" and "nmda" in text.lower())
    out["_nrt= uses"] = sum(text.count("_nrt=") for text in source.values())
    out["lifnet imports inside functions"] = sum(
        1 for tree in trees.values() for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn) if isinstance(node, ast.ImportFrom)
        and (node.level or (node.module or "").startswith("lifnet")))
    out["public cell-model contract (lifnet.CellModel)"] = "CellModel" in source.get(
        "lifnet/mechanism.py", "")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="dae1b91")
    parser.add_argument("--after", default="HEAD")
    args = parser.parse_args(argv)
    args.before, args.after = (subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.strip() for ref in (args.before, args.after))
    before, after = measure(args.before), measure(args.after)
    lines = [f"| | {args.before} | {args.after} |", "|---|---|---|"]
    lines += [f"| {key} | {before[key]} | {after[key]} |" for key in before]
    meta = metadata("structure_table.py", before=args.before, after=args.after)
    write("structure", meta, {"before": before, "after": after},
          "The package's structure before and after the mechanism contract", "\n".join(lines))


if __name__ == "__main__":
    main()
