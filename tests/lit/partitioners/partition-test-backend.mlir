// RUN: ember-opt %s --ember-partition="backend=EmberTestBackend ops=edge.relu,edge.mul.Tensor" | FileCheck %s
// RUN: ember-opt %s --ember-partition="backend=EmberTestBackend ops=edge.relu,edge.mul.Tensor" --ember-compile=to=memory-plan | FileCheck %s --check-prefix=PLAN
// RUN: not ember-opt %s --ember-partition="backend=NoSuchBackend" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not ember-opt %s --ember-partition="backend=EmberTestBackend ops=edge.nope" 2>&1 | FileCheck %s --check-prefix=BADOP

// The runs of ops the backend takes (relu, mul) become delegate calls; a
// constant the run uses is cloned into the subgraph, not passed in; the op
// between the runs (sigmoid) stays on the portable kernels and splits them.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: edge.relu
// CHECK: %[[D0:.*]] = edge.delegate_call "EmberTestBackend"(%arg0) {edge.delegated_ops = {edge.mul.Tensor = 1 : i64, edge.relu = 1 : i64}, processed = dense_resource<delegate_0> : tensor<{{[0-9]+}}xui8>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// The refused op records which backend refused it and why (the delegation
// summary prints it with the op's source line).
// CHECK: %[[S:.*]] = edge.sigmoid %[[D0]] {edge.refused = {EmberTestBackend = "not in the partitioner's op list"}}
// CHECK: %[[D1:.*]] = edge.delegate_call "EmberTestBackend"(%[[S]]) {edge.delegated_ops = {edge.relu = 1 : i64}, processed = dense_resource<delegate_1>
// CHECK: return %[[D1]]
// PLAN: edge.delegate_call "EmberTestBackend"(%arg0) {edge.delegated_ops = {{.*}}, edge.offsets = array<i64: {{[0-9]+}}>
// UNKNOWN: no partitioner for backend 'NoSuchBackend' (registered: EmberTestBackend
// BADOP: EmberTestBackend: 'edge.nope' is not an Edge op
func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %c = edge.constant dense<2.0> : tensor<f32>
  %r = edge.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = edge.mul.Tensor %r, %c : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %s = edge.sigmoid %m : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %r2 = edge.relu %s : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r2 : tensor<2x3xf32>
}
