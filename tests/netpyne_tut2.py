"""NetPyNE's tutorial 2 (``doc/source/code/tut2.py`` in NetPyNE's repository) as a plain dict:
its ``netParams`` values, unchanged, for the loader's tests and the peer script
``benchmarks/peers/netpyne_tut_rates.py``."""

TUT2 = {
    "popParams": {"S": {"cellType": "PYR", "numCells": 20, "cellModel": "HH"},
                  "M": {"cellType": "PYR", "numCells": 20, "cellModel": "HH"}},
    "cellParams": {"PYRrule": {"conds": {"cellType": "PYR"}, "secs": {"soma": {
        "geom": {"diam": 18.8, "L": 18.8, "Ra": 123.0},
        "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -70}}}}}},
    "synMechParams": {"exc": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5.0, "e": 0}},
    "stimSourceParams": {"bkg": {"type": "NetStim", "rate": 10, "noise": 0.5}},
    "stimTargetParams": {"bkg->PYR": {"source": "bkg", "conds": {"cellType": "PYR"},
                                      "weight": 0.01, "delay": 5, "synMech": "exc"}},
    "connParams": {"S->M": {"preConds": {"pop": "S"}, "postConds": {"pop": "M"},
                            "probability": 0.5, "weight": 0.01, "delay": 5, "synMech": "exc"}},
}
