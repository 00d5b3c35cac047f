COMMENT
Delayed-rectifier potassium current of the reduced Traub-Miles (RTM) cell, for
the NEURON peer of benchmarks/accuracy_cost.py (benchmarks/peers/rtm_neuron.py).

    ik = gkbar n^4 (v - ek),   dn/dt = a_n (1 - n) - b_n n

    a_n = 0.032 (v+52) / (1 - exp(-(v+52)/5)),  b_n = 0.5 exp(-(v+57)/40)

(rates per ms, v in mV).  n starts at its steady state at the initial v.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX k_rtm
    USEION k READ ek WRITE ik
    RANGE gkbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gkbar = 0.08 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
}

STATE {
    n
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar * n^4 * (v - ek)
}

INITIAL {
    n = alpha_n(v) / (alpha_n(v) + beta_n(v))
}

DERIVATIVE states {
    n' = alpha_n(v) * (1 - n) - beta_n(v) * n
}

UNITSOFF
FUNCTION alpha_n(v) {
    LOCAL x
    x = v + 52
    : 0.032 x / (1 - exp(-x/5)); near x = 0 its Taylor series, no 0/0
    if (fabs(x / 5) < 1e-6) {
        alpha_n = 0.032 * 5 * (1 + x / 10)
    } else {
        alpha_n = 0.032 * x / (1 - exp(-x / 5))
    }
}

FUNCTION beta_n(v) {
    beta_n = 0.5 * exp(-(v + 57) / 40)
}
UNITSON
