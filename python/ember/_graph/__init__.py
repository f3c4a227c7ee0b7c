"""From a torch.export ExportedProgram to the graph the C++ importer takes.

This package is the only place that reads FX graphs. In the order
EdgeProgramManager calls it:

1. `decompose` (decompose.py): core ATen, keeping whole the ops Ember has an
   Edge op for (attention that fits its kernel, torchao's quantize ops).
2. `check_supported` (checks.py): every operator against the Edge op table,
   so that a model using ops Ember lacks fails at once with all of them
   named; sizes that depend on data are rejected first.
3. `build_graph` (program.py): one `ember._C.graph.Graph` per method, the
   C++ structs of compiler/GraphDesc.h built directly (no tagged tuples):
   every schema argument in schema order, defaults filled in, as a typed
   `Arg` (builder.py); getitem on multi-output ops resolved; split, unbind,
   alias and dense as_strided rewritten (rewrites.py); constants folded
   (folding.py); weights handed over as numpy views (no copy).

Dynamic shapes (sizes.py): every size is given at its upper bound (each size
symbol at the maximum of its range, checked to be where every size
expression is largest), tensors whose sizes vary are flagged, and the SymInt
arithmetic of the graph becomes run-time sizes (`Sym`s) that arguments refer
to by id.
"""

from .checks import check_supported
from .decompose import decompose
from .fx import MEMORY_FORMATS, SCALAR_TYPES, op_name, source_loc
from .program import build_graph

__all__ = ["MEMORY_FORMATS", "SCALAR_TYPES", "build_graph", "check_supported", "decompose",
           "op_name", "source_loc"]
