COMMENT
Sodium current of the reduced Traub-Miles (RTM) cell, for the NEURON peer of
benchmarks/accuracy_cost.py (benchmarks/peers/rtm_neuron.py).

    ina = gnabar m^3 h (v - ena),   m = a_m / (a_m + b_m) (instantaneous),
    dh/dt = a_h (1 - h) - b_h h

    a_m = 0.32 (v+54) / (1 - exp(-(v+54)/4)),  b_m = 0.28 (v+27) / (exp((v+27)/5) - 1)
    a_h = 0.128 exp(-(v+50)/18),               b_h = 4 / (1 + exp(-(v+27)/5))

(rates per ms, v in mV).  h starts at its steady state at the initial v.

m is computed with h in the state update (SOLVE states), from the v of the
end of the step, so that over the next step's current evaluation it is fixed
at m_inf of the step's start: NEURON linearizes ina in v by evaluating the
BREAKPOINT at v and v + 0.001 mV, and with m held it gets the chord
conductance gnabar m^3 h.  With m = m_inf(v) in the BREAKPOINT instead the
slope would include d(m^3)/dv, strongly negative in the upstroke (below
-C/dt at dt = 0.025 ms and smaller): the linearized implicit step then blows
up (v of thousands of mV in one step).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX na_rtm
    USEION na READ ena WRITE ina
    RANGE gnabar, m
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.1 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    m
}

STATE {
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gnabar * m^3 * h * (v - ena)
}

INITIAL {
    m = minf(v)
    h = alpha_h(v) / (alpha_h(v) + beta_h(v))
}

DERIVATIVE states {
    m = minf(v)
    h' = alpha_h(v) * (1 - h) - beta_h(v) * h
}

UNITSOFF
: x / (1 - exp(-x/k)); at |x/k| < 1e-6 its Taylor series k (1 + x/(2k)), no 0/0
FUNCTION efrac(x, k) {
    if (fabs(x / k) < 1e-6) {
        efrac = k * (1 + x / (2 * k))
    } else {
        efrac = x / (1 - exp(-x / k))
    }
}

FUNCTION minf(v) {
    LOCAL am, bm
    am = 0.32 * efrac(v + 54, 4)
    bm = 0.28 * efrac(-(v + 27), 5)
    minf = am / (am + bm)
}

FUNCTION alpha_h(v) {
    alpha_h = 0.128 * exp(-(v + 50) / 18)
}

FUNCTION beta_h(v) {
    beta_h = 4 / (1 + exp(-(v + 27) / 5))
}
UNITSON
