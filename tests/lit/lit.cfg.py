# ruff: noqa: F821  (lit provides `config`)
# lit configuration of Ember's compiler tests: each .mlir file is a test,
# run with ember-opt / ember-translate and checked with FileCheck.
import os

import lit.formats

config.name = "ember"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

llvm_bin = os.path.dirname(config.filecheck)
config.environment["PATH"] = os.pathsep.join([
    config.ember_tools_dir, config.runtime_tools_dir, llvm_bin, config.environment.get("PATH", ""),
])
config.substitutions.append(("%python", config.python))
