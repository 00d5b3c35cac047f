"""Atomic load and store of an int64 array element, sched_yield and the cycle counter,
for numba code.

numba has no atomics on the CPU. These intrinsics emit LLVM's atomic load
(acquire) and store (release), which is all the two threads of a run need to
hand work to each other (``second_thread``): a store-release of a sequence
number publishes every plain store made before it, and the compiler may not
hoist an atomic load out of a spin loop. A thread that has spun for a while
calls sched_yield (libc, found by name when the code is loaded, so cached
code stays valid), so that on a machine with more busy threads than cores
the spinning does not take the core from the thread it waits for. The cycle
counter (LLVM's readcyclecounter) times the steps with and without the second
thread, so that a run can keep the faster.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic

from ..kernel_cache import njit

# Loads a waiting thread makes before it starts yielding the core (some 20 µs: longer
# than the main thread's serial work in a step, so that an idle machine never yields).
SPINS_BEFORE_YIELD = 20000


def _element_pointer(context, builder, aryty, ary, index):
    array = context.make_array(aryty)(context, builder, ary)
    return cgutils.get_item_pointer(context, builder, aryty, array, [index])


@intrinsic
def load_acquire(typingctx, array, index):
    """array[index] (an int64 array), read with acquire ordering."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None
    sig = types.int64(array, index)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)

    return sig, codegen


@intrinsic
def store_release(typingctx, array, index, value):
    """array[index] = value (an int64 array), written with release ordering."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None
    sig = types.void(array, index, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        value = context.cast(builder, args[2], signature.args[2], types.int64)
        builder.store_atomic(value, ptr, "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _sched_yield(typingctx):
    sig = types.int32()

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [])
        return builder.call(cgutils.get_or_insert_function(builder.module, fnty, "sched_yield"),
                            [])

    return sig, codegen


@njit(cache=True, inline="always")
def wait_while(array, index, value):
    """Wait until array[index] (int64, read with acquire) differs from value; return it."""
    spins = 0
    while True:
        now = load_acquire(array, index)
        if now != value:
            return now
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            _sched_yield()


@njit(cache=True, inline="always")
def wait_for(array, index, value):
    """Wait until array[index] (int64, read with acquire) equals value."""
    spins = 0
    while load_acquire(array, index) != value:
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            _sched_yield()


@intrinsic
def cycle_counter(typingctx):
    """The processor's cycle (time-stamp) counter: int64, for differences only."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=fnty)
        return builder.call(fn, [])

    return sig, codegen
