"""NetPyNE's tutorial 5 (``doc/source/code/tut5.py`` in NetPyNE's repository) as a plain dict:
its ``netParams`` values, unchanged, for the loader's tests and the peer script
``benchmarks/peers/netpyne_tut_rates.py``."""

TUT5 = {
    "sizeX": 100, "sizeY": 1000, "sizeZ": 100, "propVelocity": 100.0, "probLengthConst": 150.0,
    "popParams": {
        "E2": {"cellType": "E", "numCells": 50, "yRange": [100, 300], "cellModel": "HH"},
        "I2": {"cellType": "I", "numCells": 50, "yRange": [100, 300], "cellModel": "HH"},
        "E4": {"cellType": "E", "numCells": 50, "yRange": [300, 600], "cellModel": "HH"},
        "I4": {"cellType": "I", "numCells": 50, "yRange": [300, 600], "cellModel": "HH"},
        "E5": {"cellType": "E", "numCells": 50, "ynormRange": [0.6, 1.0], "cellModel": "HH"},
        "I5": {"cellType": "I", "numCells": 50, "ynormRange": [0.6, 1.0], "cellModel": "HH"},
    },
    "cellParams": {
        "Erule": {"conds": {"cellType": "E"}, "secs": {"soma": {
            "geom": {"diam": 15, "L": 14, "Ra": 120.0},
            "mechs": {"hh": {"gnabar": 0.13, "gkbar": 0.036, "gl": 0.003, "el": -70}}}}},
        "Irule": {"conds": {"cellType": "I"}, "secs": {"soma": {
            "geom": {"diam": 10.0, "L": 9.0, "Ra": 110.0},
            "mechs": {"hh": {"gnabar": 0.11, "gkbar": 0.036, "gl": 0.003, "el": -70}}}}},
    },
    "synMechParams": {"exc": {"mod": "Exp2Syn", "tau1": 0.8, "tau2": 5.3, "e": 0},
                      "inh": {"mod": "Exp2Syn", "tau1": 0.6, "tau2": 8.5, "e": -75}},
    "stimSourceParams": {"bkg": {"type": "NetStim", "rate": 20, "noise": 0.3}},
    "stimTargetParams": {"bkg->all": {"source": "bkg", "conds": {"cellType": ["E", "I"]},
                                      "weight": 0.01, "delay": "max(1, normal(5,2))",
                                      "synMech": "exc"}},
    "connParams": {
        "E->all": {"preConds": {"cellType": "E"}, "postConds": {"y": [100, 1000]},
                   "probability": 0.1, "weight": "0.005*post_ynorm",
                   "delay": "dist_3D/propVelocity", "synMech": "exc"},
        "I->E": {"preConds": {"cellType": "I"}, "postConds": {"pop": ["E2", "E4", "E5"]},
                 "probability": "0.4*exp(-dist_3D/probLengthConst)", "weight": 0.001,
                 "delay": "dist_3D/propVelocity", "synMech": "inh"},
    },
}
