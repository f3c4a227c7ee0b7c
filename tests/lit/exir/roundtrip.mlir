// RUN: ember-opt %s | ember-opt | FileCheck %s

// Edge ops print and parse back unchanged: tensor operands, `none` for an
// absent optional tensor, attributes named as in the ATen schema.
// CHECK-LABEL: func.func @conv_relu
// CHECK: %[[W:.*]] = edge.constant {name = "conv.weight"} dense<1.000000e+00> : tensor<4x3x3x3xf32>
// CHECK: %[[NONE:.*]] = edge.none
// CHECK: %[[C:.*]] = edge.convolution %{{.*}}, %[[W]], %[[NONE]] {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x8x8xf32>
// CHECK: %[[R:.*]] = edge.relu %[[C]] : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK: %[[V:.*]] = edge.view %[[R]] {size = array<i64: 1, 256>}
// CHECK: return %[[V]]
func.func @conv_relu(%x: tensor<1x3x8x8xf32>) -> tensor<1x256xf32> {
  %w = edge.constant {name = "conv.weight"} dense<1.0> : tensor<4x3x3x3xf32>
  %none = edge.none
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x8x8xf32>
  %r = edge.relu %c : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %v = edge.view %r {size = array<i64: 1, 256>} : (tensor<1x4x8x8xf32>) -> tensor<1x256xf32>
  return %v : tensor<1x256xf32>
}

// Multi-result ops and variadic operands.
// CHECK-LABEL: func.func @multi
// CHECK: %{{.*}}, %{{.*}} = edge.max_pool2d_with_indices
// CHECK: edge.cat %{{.*}}, %{{.*}} {dim = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @multi(%x: tensor<1x4x8x8xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x4x4x4xi64>) {
  %p:2 = edge.max_pool2d_with_indices %x {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>)
  %c = edge.cat %p#0, %p#0 {dim = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c, %p#1 : tensor<1x8x4x4xf32>, tensor<1x4x4x4xi64>
}
