//===- PartitionPasses.td - The partition phase as a pass -----------------===//
#ifndef EMBER_PARTITION_PASSES_TD
#define EMBER_PARTITION_PASSES_TD

include "mlir/Pass/PassBase.td"

def Partition : Pass<"ember-partition", "mlir::ModuleOp"> {
  let summary = "Outline the runs of ops a backend takes into edge.delegate_call";
  let description = [{
    Asks the named backend's partitioner which ops it takes, outlines every
    maximal run of them (in program order; constants are cloned into the
    subgraph) into a module of its own, has the backend's preprocess step
    compile it to a blob, and replaces the run by one `edge.delegate_call`.

    Example (`--ember-partition="backend=EmberTestBackend ops=edge.relu"`):
    ```mlir
    // before
    %r = edge.relu %x : (tensor<4xf32>) -> tensor<4xf32>
    // after
    %r = edge.delegate_call "EmberTestBackend" (%x) {processed = dense_resource<delegate_0> : tensor<...xui8>, ...}
    ```
  }];
  let options = [
    Option<"backend", "backend", "std::string", "\"EmberTestBackend\"",
           "Name of the backend whose partitioner runs">,
    Option<"ops", "ops", "std::string", "\"\"",
           "Comma-separated Edge ops the backend may take (empty: its default)">,
  ];
  let dependentDialects = ["ember::edge::EdgeDialect"];
}

#endif // EMBER_PARTITION_PASSES_TD
