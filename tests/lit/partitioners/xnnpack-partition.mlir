// RUN: ember-opt %s --ember-partition="backend=XnnpackBackend" | FileCheck %s
// RUN: not ember-opt %s --ember-partition="backend=XnnpackBackend ops=edge.relu" 2>&1 | FileCheck %s --check-prefix=OPTION

// The XNNPACK partitioner takes the convolution, relu and linear layer and
// refuses tanh (no such node in XNNPACK 2022), a softmax that is not on the
// last dim, and a matmul whose weight is not a constant, saying why. The
// runs around the refused ops become separate delegates.
// CHECK-LABEL: func.func @forward
// CHECK: %[[D0:.*]] = edge.delegate_call "XnnpackBackend"(%arg0) {edge.delegated_ops = {edge.convolution = 1 : i64, edge.relu = 1 : i64}, processed = dense_resource<delegate_0>
// CHECK: %[[T:.*]] = edge.tanh %[[D0]] {edge.refused = {XnnpackBackend = "tanh: not in XNNPACK 2022"}}
// CHECK: %[[S:.*]] = edge._softmax %[[T]] {dim = 1 : i64, edge.refused = {XnnpackBackend = "softmax not on the last dim"}
// CHECK: %[[D1:.*]] = edge.delegate_call "XnnpackBackend"(%[[S]]) {edge.delegated_ops = {edge.addmm = 1 : i64, edge.view = 1 : i64}
// CHECK: edge.mm %[[D1]], %arg1 {edge.refused = {XnnpackBackend = "weight is not a constant"}}
// OPTION: XnnpackBackend: unknown option 'ops'
func.func @forward(%x: tensor<1x2x4x4xf32>, %m: tensor<4x3xf32>) -> tensor<1x3xf32> attributes {edge.in_spec = "", edge.out_spec = ""} {
  %w = edge.constant dense<0.5> : tensor<2x2x1x1xf32>
  %none = edge.none
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %r = edge.relu %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %t = edge.tanh %r : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %s = edge._softmax %t {dim = 1 : i64, half_to_float = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %v = edge.view %s {size = array<i64: 1, 32>} : (tensor<1x2x4x4xf32>) -> tensor<1x32xf32>
  %lw = edge.constant dense<0.25> : tensor<32x4xf32>
  %lb = edge.constant dense<1.0> : tensor<4xf32>
  %l = edge.addmm %lb, %v, %lw {alpha = 1 : i64, beta = 1 : i64} : (tensor<4xf32>, tensor<1x32xf32>, tensor<32x4xf32>) -> tensor<1x4xf32>
  %y = edge.mm %l, %m : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// A run of reshapes only stays on the portable path, where a view is free.
// CHECK-LABEL: func.func @lone_view
// CHECK: edge.view %{{.*}} {edge.refused = {XnnpackBackend = "only reshapes and transposes (no faster in a delegate)"}
// CHECK-NOT: edge.delegate_call
func.func @lone_view(%x: tensor<2x3xf32>) -> tensor<6xf32> attributes {edge.in_spec = "", edge.out_spec = ""} {
  %t = edge.tanh %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %v = edge.view %t {size = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %u = edge.tanh %v : (tensor<6xf32>) -> tensor<6xf32>
  return %u : tensor<6xf32>
}

// Depthwise windows: XNNPACK 2022 has depthwise kernels for 3, 4, 9 and 25
// taps only and runs any other window as a grouped GEMM, several times slower
// than Ember's depthwise kernel, so a 7x7 depthwise convolution (ConvNeXt's)
// stays on Ember's kernels; a 5x5 one (25 taps), a 7x7 grouped convolution
// with two channels per group and a 7x7 dense one are taken.
// CHECK-LABEL: func.func @depthwise_windows
// CHECK: edge.convolution {{.*}}edge.refused = {XnnpackBackend = "depthwise window of 49 taps: XNNPACK 2022 has depthwise kernels for 3, 4, 9 and 25 taps only; Ember's depthwise kernel runs it"}, groups = 4 : i64
// CHECK: edge.delegate_call "XnnpackBackend"{{.*}}edge.delegated_ops = {edge.convolution = 3 : i64}
func.func @depthwise_windows(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> attributes {edge.in_spec = "", edge.out_spec = ""} {
  %none = edge.none
  %w7 = edge.constant dense<0.5> : tensor<4x1x7x7xf32>
  %a = edge.convolution %x, %w7, %none {dilation = array<i64: 1, 1>, groups = 4 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 3, 3>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x8x8xf32>, tensor<4x1x7x7xf32>, none) -> tensor<1x4x8x8xf32>
  %w5 = edge.constant dense<0.5> : tensor<4x1x5x5xf32>
  %b = edge.convolution %a, %w5, %none {dilation = array<i64: 1, 1>, groups = 4 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x8x8xf32>, tensor<4x1x5x5xf32>, none) -> tensor<1x4x8x8xf32>
  %wg = edge.constant dense<0.5> : tensor<4x2x7x7xf32>
  %c = edge.convolution %b, %wg, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 3, 3>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x8x8xf32>, tensor<4x2x7x7xf32>, none) -> tensor<1x4x8x8xf32>
  %wd = edge.constant dense<0.5> : tensor<4x4x7x7xf32>
  %d = edge.convolution %c, %wd, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 3, 3>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x8x8xf32>, tensor<4x4x7x7xf32>, none) -> tensor<1x4x8x8xf32>
  return %d : tensor<1x4x8x8xf32>
}
