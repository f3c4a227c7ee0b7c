// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory))' | FileCheck %s
// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory{plan-inputs=false alignment=64}))' | FileCheck %s --check-prefix=NOIN

// A chain reuses memory: each 24-byte tensor takes a 32-byte slot; x is dead
// after the first op, so the third result can take x's slot.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: edge.arg_offsets = array<i64: [[X:[0-9]+]]>
// CHECK-SAME: edge.planned_size = 64
// CHECK: edge.relu %{{.*}} {edge.offsets = array<i64: [[A:[0-9]+]]>}
// CHECK: edge.sigmoid %{{.*}} {edge.offsets = array<i64: [[X]]>}
// CHECK: edge.tanh %{{.*}} {edge.offsets = array<i64: [[A]]>}
// NOIN-LABEL: func.func @chain
// NOIN-SAME: edge.arg_offsets = array<i64: -1>
// NOIN-SAME: edge.planned_size = 128
func.func @chain(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = edge.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = edge.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = edge.tanh %b : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// Values alive at the same time never share memory, and an output lives to
// the end even when an op after it is the last to run.
// CHECK-LABEL: func.func @overlap
// CHECK-SAME: edge.arg_offsets = array<i64: 0>
// CHECK-SAME: edge.planned_size = 192
// CHECK: edge.relu %{{.*}} {edge.offsets = array<i64: 64>}
// CHECK: edge.sigmoid %{{.*}} {edge.offsets = array<i64: 128>}
// CHECK: edge.add.Tensor %{{.*}} {alpha = 1 : i64, edge.offsets = array<i64: 0>}
func.func @overlap(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = edge.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = edge.sigmoid %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = edge.add.Tensor %a, %b {alpha = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a, %c : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Unused results of a multi-result op still get memory while the op writes them.
// CHECK-LABEL: func.func @unused_result
// CHECK: edge.max_pool2d_with_indices %{{.*}} {{{.*}}edge.offsets = array<i64: [[O:[0-9]+]], [[I:[0-9]+]]>
func.func @unused_result(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %p:2 = edge.max_pool2d_with_indices %x {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %p#0 : tensor<1x1x2x2xf32>
}

// -----

// Dynamic shapes: tensors are planned at their upper-bound types (4x16 f32:
// 256 bytes each), run-time sizes take no memory and get no offsets.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: edge.planned_size = 512
// CHECK: edge.sym_size %arg0 {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
// CHECK: edge.view {{.*}}edge.offsets = array<i64: {{[0-9]+}}>
// NOIN-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<4x16xf32> {edge.dynamic}) -> tensor<64xf32> {
  %b = edge.sym_size %x {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
  %n = edge.sym_op "mul"(%b, %b) : (i64, i64) -> i64
  %v = edge.view %x, %n {size = array<i64: 64>, sym_slots = array<i64: 1, 0>, edge.dynamic_results = array<i1: true>} : (tensor<4x16xf32>, i64) -> tensor<64xf32>
  return %v : tensor<64xf32>
}
