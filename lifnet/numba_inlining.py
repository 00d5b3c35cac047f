"""Inlining in numba without the quadratic copy: a quarter of lifnet's compile time.

lifnet's run loop inlines each population step into one compiled function
(``inline="always"``). Before it inlines a function, numba copies that
function's IR block by block, each block with a deep copy of its own, and
every block refers to the function's scope (all its variables): a function of
B blocks and V variables costs B x V variable copies, twice per call site.
The LIF population step (235 blocks, 3,900 variables once its own callees
are inlined) took 3.7 s of the 15 s that COBA's run loop took to compile.

Where numba's inliner reads as this module expects (its source is checked),
the copy is made in one piece, so that the blocks share one copy of the scope,
as they share one scope in the function copied: the same IR, the same
compiled code (the LLVM IR of COBA's run loop is the same text either way).
Where numba's inliner reads otherwise, nothing is changed: slower to compile,
never wrong.
"""

import inspect
import textwrap

_BLOCK_BY_BLOCK = """\
        kernel_copy.blocks = {}
        for block_label, block in the_ir.blocks.items():
            new_block = copy.deepcopy(the_ir.blocks[block_label])
            kernel_copy.blocks[block_label] = new_block
"""
_IN_ONE_PIECE = """\
        kernel_copy.blocks = copy.deepcopy(the_ir.blocks)
"""


def copy_in_one_piece():
    """Make numba's inliner copy a function's blocks with one shared scope.

    Returns
    -------
    bool
        True where numba's inliner was as expected and now copies in one piece
        (also when it already did), False where it was left as it is.
    """
    try:
        from numba.core import inline_closurecall
        worker = inline_closurecall.InlineWorker
        if getattr(worker.inline_ir, "_lifnet_one_piece", False):
            return True
        source = textwrap.dedent(inspect.getsource(worker.inline_ir))
    except (ImportError, AttributeError, OSError, TypeError):
        return False
    if source.count(_BLOCK_BY_BLOCK) != 1 or not source.startswith("def inline_ir("):
        return False
    namespace = dict(vars(inline_closurecall))
    exec(compile(source.replace(_BLOCK_BY_BLOCK, _IN_ONE_PIECE),
                 inline_closurecall.__file__, "exec"), namespace)
    inline_ir = namespace["inline_ir"]
    inline_ir._lifnet_one_piece = True
    worker.inline_ir = inline_ir
    return True
