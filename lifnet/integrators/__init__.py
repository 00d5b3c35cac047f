"""Compiled integration: the RK2 LIF step, the run loop, counter-based random numbers."""
