// RUN: ember-opt %s --ember-partition="backend=EmberTestBackend ops=edge.sub.Tensor,edge.add.Tensor,edge.mm" -o %t.mlir
// RUN: ember-translate %t.mlir -o %t.pte
// RUN: ember_run %t.pte --seed 3 | FileCheck %s
// RUN: ember-translate %t.mlir -o %t.inline.pte --delegate-segments=false
// RUN: ember_run %t.inline.pte --seed 4 | FileCheck %s

// The same program as emit-and-run.mlir with its sub/add and mm delegated to
// EmberTestBackend (nested .pte blobs, in segments and inline): the outputs
// are unchanged.
// CHECK: output[0]: float32 [2, 3] = [1.5, -2, 3, 1.5, -2, 3]
// CHECK: output[1]: float32 [1, 1, 1, 1] = [10]
// CHECK: output[2]: float32 [2, 2] = [19, 22, 43, 50]
func.func @forward(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<1x1x1x1xf32>, tensor<2x2xf32>) {
  %c = edge.constant {name = "c"} dense<[1.5, -2.0, 3.0]> : tensor<3xf32>
  %z = edge.sub.Tensor %x, %x {alpha = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %o0 = edge.add.Tensor %z, %c {alpha = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %img = edge.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %w = edge.constant dense<1.0> : tensor<1x1x2x2xf32>
  %none = edge.none
  %conv = edge.convolution %img, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, none) -> tensor<1x1x1x1xf32>
  %p:2 = edge.max_pool2d_with_indices %conv {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 1, 1>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>) -> (tensor<1x1x1x1xf32>, tensor<1x1x1x1xi64>)
  %a = edge.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = edge.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %mm = edge.mm %a, %b : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %o0, %p#0, %mm : tensor<2x3xf32>, tensor<1x1x1x1xf32>, tensor<2x2xf32>
}
