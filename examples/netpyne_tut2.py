"""NetPyNE's tutorial 2 (Dura-Bernal et al. 2019, eLife 8:e44494), as NetPyNE's tutorial
page writes it: two populations of 20 Hodgkin-Huxley somata, S and M, driven by
10 Hz background NetStims, S -> M with probability 0.5. (The file NetPyNE 1.1 ships
beside that page, ``doc/source/code/tut2.py``, also gives each cell its own soma
diameter and sodium conductance by string functions and connects by divergence 12;
lifnet's loader refuses per-cell section parameters, naming the key.)

This is a NetPyNE model file, run unchanged by NetPyNE (``python netpyne_tut2.py``) or by
lifnet, which executes it with its own stand-ins for ``netpyne.specs`` and ``netpyne.sim``
(NetPyNE and NEURON need not be installed)::

    lifnet run examples/netpyne_tut2.py
"""

from netpyne import sim, specs

netParams = specs.NetParams()  # noqa: N816 (NetPyNE's names)

# One cell type: a soma of 18.8 um with NEURON's hh channels.
PYRcell = {'secs': {}}
PYRcell['secs']['soma'] = {'geom': {}, 'mechs': {}}
PYRcell['secs']['soma']['geom'] = {'diam': 18.8, 'L': 18.8, 'Ra': 123.0}
PYRcell['secs']['soma']['mechs']['hh'] = {'gnabar': 0.12, 'gkbar': 0.036, 'gl': 0.003,
                                          'el': -70}
netParams.cellParams['PYR'] = PYRcell

netParams.popParams['S'] = {'cellType': 'PYR', 'numCells': 20}
netParams.popParams['M'] = {'cellType': 'PYR', 'numCells': 20}

netParams.synMechParams['exc'] = {'mod': 'Exp2Syn', 'tau1': 0.1, 'tau2': 5.0, 'e': 0}

netParams.stimSourceParams['bkg'] = {'type': 'NetStim', 'rate': 10, 'noise': 0.5}
netParams.stimTargetParams['bkg->PYR'] = {'source': 'bkg', 'conds': {'cellType': 'PYR'},
                                          'weight': 0.01, 'delay': 5, 'synMech': 'exc'}

netParams.connParams['S->M'] = {
    'preConds': {'pop': 'S'}, 'postConds': {'pop': 'M'},
    'probability': 0.5, 'weight': 0.01, 'delay': 5, 'synMech': 'exc'}

simConfig = specs.SimConfig()  # noqa: N816
simConfig.duration = 1 * 1e3        # ms
simConfig.dt = 0.025                # ms
simConfig.verbose = False
simConfig.recordTraces = {'V_soma': {'sec': 'soma', 'loc': 0.5, 'var': 'v'}}
simConfig.recordStep = 0.1          # ms
simConfig.filename = 'tut2'
simConfig.savePickle = False

simConfig.analysis['plotRaster'] = {'saveFig': True}
simConfig.analysis['plotTraces'] = {'include': [1], 'saveFig': True}    # the cell of gid 1
simConfig.analysis['plot2Dnet'] = {'saveFig': True}

sim.createSimulateAnalyze(netParams, simConfig)
