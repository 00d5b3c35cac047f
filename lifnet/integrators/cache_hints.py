"""A software prefetch for numba code (LLVM's llvm.prefetch).

The conductance step reads a row of its rate table for every cell, at a
potential known a few cells ahead (``conductance_step._auto_stages``). The
hot rows of a table span a few hundred kB, more than L1 holds, and the
out-of-order core does not look far enough ahead to hide the wait for
them: asking for a row eight cells early takes that wait off the cell's
chain. Delivery likewise asks for the synapses of the next spikes while it
delivers one (``run_loop._deliver``): each spike's are somewhere else.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic


def _prefetch_codegen(context, builder, signature, args):
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    ptr = cgutils.get_item_pointer(context, builder, aryty, ary, list(args[1:]))
    i8p = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    # read (0), keep in all levels (3), data cache (1)
    builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                      ir.Constant(i32, 1)])
    return context.get_dummy_value()


@intrinsic
def prefetch_item(typingctx, array, i):
    """Ask for the cache line of array[i] (a 1-D array, i within it), to be read soon."""
    if not (isinstance(array, types.Array) and array.ndim == 1):
        return None
    return types.void(array, i), _prefetch_codegen


@intrinsic
def prefetch(typingctx, array, i, j):
    """Ask for the cache line of array[i, j] (a 2-D array), to be read soon; a hint only."""
    if not (isinstance(array, types.Array) and array.ndim == 2):
        return None
    return types.void(array, i, j), _prefetch_codegen
