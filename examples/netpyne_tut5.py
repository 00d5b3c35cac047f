"""NetPyNE's tutorial 5 (Dura-Bernal et al. 2019, eLife 8:e44494), as NetPyNE ships it
(``doc/source/code/tut5.py``): six populations of Hodgkin-Huxley somata in three layers
of a 100 x 1000 x 100 um column, excitatory weights growing with depth, delays from
distance at 100 um/ms, inhibition falling off with distance, 20 Hz background NetStims.

This is a NetPyNE model file, run unchanged by NetPyNE (``python netpyne_tut5.py``) or by
lifnet, which executes it with its own stand-ins for ``netpyne.specs`` and ``netpyne.sim``
(NetPyNE and NEURON need not be installed)::

    lifnet run examples/netpyne_tut5.py --duration 500
"""

from netpyne import sim, specs

netParams = specs.NetParams()  # noqa: N816 (NetPyNE's names)

netParams.sizeX = 100               # um
netParams.sizeY = 1000              # um, depth
netParams.sizeZ = 100               # um
netParams.propVelocity = 100.0      # um/ms
netParams.probLengthConst = 150.0   # um

# Two cell types: excitatory (E) and inhibitory (I) somata with NEURON's hh channels.
secs = {}
secs['soma'] = {'geom': {}, 'mechs': {}}
secs['soma']['geom'] = {'diam': 15, 'L': 14, 'Ra': 120.0}
secs['soma']['mechs']['hh'] = {'gnabar': 0.13, 'gkbar': 0.036, 'gl': 0.003, 'el': -70}
netParams.cellParams['E'] = {'secs': secs}

secs = {}
secs['soma'] = {'geom': {}, 'mechs': {}}
secs['soma']['geom'] = {'diam': 10.0, 'L': 9.0, 'Ra': 110.0}
secs['soma']['mechs']['hh'] = {'gnabar': 0.11, 'gkbar': 0.036, 'gl': 0.003, 'el': -70}
netParams.cellParams['I'] = {'secs': secs}

netParams.popParams['E2'] = {'cellType': 'E', 'numCells': 50, 'yRange': [100, 300]}
netParams.popParams['I2'] = {'cellType': 'I', 'numCells': 50, 'yRange': [100, 300]}
netParams.popParams['E4'] = {'cellType': 'E', 'numCells': 50, 'yRange': [300, 600]}
netParams.popParams['I4'] = {'cellType': 'I', 'numCells': 50, 'yRange': [300, 600]}
netParams.popParams['E5'] = {'cellType': 'E', 'numCells': 50, 'ynormRange': [0.6, 1.0]}
netParams.popParams['I5'] = {'cellType': 'I', 'numCells': 50, 'ynormRange': [0.6, 1.0]}

netParams.synMechParams['exc'] = {'mod': 'Exp2Syn', 'tau1': 0.8, 'tau2': 5.3, 'e': 0}
netParams.synMechParams['inh'] = {'mod': 'Exp2Syn', 'tau1': 0.6, 'tau2': 8.5, 'e': -75}

netParams.stimSourceParams['bkg'] = {'type': 'NetStim', 'rate': 20, 'noise': 0.3}
netParams.stimTargetParams['bkg->all'] = {'source': 'bkg', 'conds': {'cellType': ['E', 'I']},
                                          'weight': 0.01, 'delay': 'max(1, normal(5,2))',
                                          'synMech': 'exc'}

netParams.connParams['E->all'] = {
    'preConds': {'cellType': 'E'}, 'postConds': {'y': [100, 1000]},
    'probability': 0.1,
    'weight': '0.005*post_ynorm',           # uS, growing with the target's depth
    'delay': 'dist_3D/propVelocity',        # ms
    'synMech': 'exc'}

netParams.connParams['I->E'] = {
    'preConds': {'cellType': 'I'}, 'postConds': {'pop': ['E2', 'E4', 'E5']},
    'probability': '0.4*exp(-dist_3D/probLengthConst)',
    'weight': 0.001,
    'delay': 'dist_3D/propVelocity',
    'synMech': 'inh'}

simConfig = specs.SimConfig()  # noqa: N816
simConfig.duration = 1 * 1e3        # ms
simConfig.dt = 0.025                # ms
simConfig.verbose = False
simConfig.recordTraces = {'V_soma': {'sec': 'soma', 'loc': 0.5, 'var': 'v'}}
simConfig.recordStep = 1            # ms
simConfig.filename = 'tut5'
simConfig.savePickle = False
simConfig.saveMat = False

simConfig.analysis['plotRaster'] = {'orderBy': 'y', 'orderInverse': True, 'saveFig': True}

sim.createSimulateAnalyze(netParams=netParams, simConfig=simConfig)
