"""Ember's developer tools, named as ExecuTorch's `executorch.devtools`, so that
moving a script over is a change of import.

Bundled programs (.bpte, ExecuTorch's BundledProgram format): a program with
test inputs and expected outputs inside, verified on the device with
`ember run --verify model.bpte` or the C++ API in
runtime/extension/bundled_program.h.

    from ember.devtools import BundledProgram
    from ember.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
    from ember.devtools.bundled_program.serialize import (
        serialize_from_bundled_program_to_flatbuffer)

    prog = ember.to_edge(torch.export.export(model, (x,))).to_executorch()
    suite = MethodTestSuite(method_name="forward",
                            test_cases=[MethodTestCase(inputs=(x,), expected_outputs=model(x))])
    bundled = BundledProgram(prog, [suite])
    bundled.save("model.bpte")     # or serialize_from_bundled_program_to_flatbuffer(bundled)

The Inspector ties a profile's events to the Edge ops and source lines that
made them (ember.devtools.inspector):

    prog.save_debug_info("model.debug.json")
    inspector = Inspector("model.debug.json", module.profile(x, runs=20))
    print(inspector.by_source()[0])     # the slowest source line
    Inspector("model.debug.json", "model.etdp")   # or an ETDump (ember.devtools.etdump)

The graph view draws a .pte's methods in a self-contained HTML page, backends
coloured and fallbacks with their reasons (ember.devtools.graph_view; the
command line's `ember inspect --html model.pte --debug-info model.debug.json`):

    graph_view.save_html("model.pte", "model.html", debug_info="model.debug.json")

See docs/devtools.md.
"""

from .bundled_program.core import BundledProgram
from .inspector import Inspector

__all__ = ["BundledProgram", "Inspector"]
