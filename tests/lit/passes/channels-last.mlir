// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-channels-last))' | FileCheck %s

// A ResNet stem and block: a convolution with its relu (convolution_clamp),
// the max pool, two convolutions, the residual add and its relu, the global
// average pool. One permute to NHWC at the input, the max pool channels-last,
// no permute between the convolutions, the add and the relu, the mean over
// NHWC's dims 1 and 2 ([N, C] in both layouts: no permute after it).
// CHECK-LABEL: func.func @resnet_block
// CHECK-NEXT: %[[W:.*]] = edge.constant
// CHECK-NEXT: %[[T:.*]] = edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>} : (tensor<1x3x16x16xf32>) -> tensor<1x16x16x3xf32>
// CHECK-NEXT: %[[A:.*]] = edge.convolution_nhwc %[[T]], %arg1, %arg2 {activation = "none", dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, padding = array<i64: 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x16x16x3xf32>, tensor<8x3x7x7xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
// CHECK-NEXT: %[[P:.*]] = edge.max_pool2d_nhwc %[[A]] {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[B:.*]] = edge.convolution_nhwc %[[P]], %[[W]], %arg2 {{.*}}min = 0 : i64{{.*}} -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[C:.*]] = edge.convolution_nhwc %[[B]], %[[W]], %arg2 {activation = "none", dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[S:.*]] = edge.add.Tensor %[[C]], %[[P]] {{.*}} -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[R:.*]] = edge.relu %[[S]] : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[M:.*]] = edge.mean.dim %[[R]] {dim = array<i64: 1, 2>, keepdim = false} : (tensor<1x4x4x8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: return %[[M]]
func.func @resnet_block(%x: tensor<1x3x16x16xf32>, %w0: tensor<8x3x7x7xf32>, %b: tensor<8xf32>) -> tensor<1x8xf32> {
  %w = edge.constant dense<0.5> : tensor<8x8x3x3xf32>
  %a = edge.convolution_clamp %x, %w0, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 3, 3>, stride = array<i64: 2, 2>, transposed = false} : (tensor<1x3x16x16xf32>, tensor<8x3x7x7xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %p:2 = edge.max_pool2d_with_indices %a {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xi64>)
  %c1 = edge.convolution_clamp %p#0, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x4x4xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %c2 = edge.convolution %c1, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x4x4xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %s = edge.add.Tensor %c2, %p#0 {alpha = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r = edge.relu %s : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %m = edge.mean.dim %r {dim = array<i64: -1, -2>, keepdim = false} : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// A depthwise convolution (groups == channels) and a squeeze-excitation
// gate: the pool keeps its dims ([N, 1, 1, C]), the 1x1 convolutions run on
// it channels-last, the gate's sigmoid and its product with the feature map
// too. The chain ends at a view, which needs NCHW: one permute back there.
// CHECK-LABEL: func.func @depthwise_squeeze_excite
// CHECK: edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>}
// CHECK-NEXT: %[[D:.*]] = edge.convolution_nhwc {{.*}}groups = 8 : i64{{.*}} -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[M:.*]] = edge.mean.dim %[[D]] {dim = array<i64: 1, 2>, keepdim = true} : (tensor<1x6x6x8xf32>) -> tensor<1x1x1x8xf32>
// CHECK-NEXT: %[[E:.*]] = edge.convolution_nhwc %[[M]], {{.*}} -> tensor<1x1x1x2xf32>
// CHECK-NEXT: %[[F:.*]] = edge.convolution_nhwc %[[E]], {{.*}} -> tensor<1x1x1x8xf32>
// CHECK-NEXT: %[[G:.*]] = edge.sigmoid %[[F]] : (tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32>
// CHECK-NEXT: %[[Y:.*]] = edge.mul.Tensor %[[D]], %[[G]] : (tensor<1x6x6x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[B:.*]] = edge.permute %[[Y]] {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x6x6x8xf32>) -> tensor<1x8x6x6xf32>
// CHECK-NEXT: edge.view %[[B]]
// CHECK-NOT: edge.permute
func.func @depthwise_squeeze_excite(%x: tensor<1x8x6x6xf32>, %dw: tensor<8x1x3x3xf32>, %w1: tensor<2x8x1x1xf32>, %w2: tensor<8x2x1x1xf32>) -> tensor<1x288xf32> {
  %none = edge.none
  %d = edge.convolution %x, %dw, %none {dilation = array<i64: 1, 1>, groups = 8 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  %m = edge.mean.dim %d {dim = array<i64: 2, 3>, keepdim = true} : (tensor<1x8x6x6xf32>) -> tensor<1x8x1x1xf32>
  %e = edge.convolution_clamp %m, %w1, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x1x1xf32>, tensor<2x8x1x1xf32>, none) -> tensor<1x2x1x1xf32>
  %f = edge.convolution %e, %w2, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x2x1x1xf32>, tensor<8x2x1x1xf32>, none) -> tensor<1x8x1x1xf32>
  %g = edge.sigmoid %f : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %y = edge.mul.Tensor %d, %g : (tensor<1x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x6x6xf32>
  %v = edge.view %y {size = array<i64: 1, 288>} : (tensor<1x8x6x6xf32>) -> tensor<1x288xf32>
  return %v : tensor<1x288xf32>
}

// -----

// Left alone: a transposed convolution, a 1-d one, a float16 one, one of
// run-time sizes; a max pool whose indices are read stays NCHW (after the
// convolution's permute back).
// CHECK-LABEL: func.func @left_alone
// CHECK: edge.convolution %arg0, {{.*}}transposed = true
// CHECK: edge.convolution %arg1,
// CHECK: edge.convolution %arg2,
// CHECK: edge.convolution %arg3, {{.*}}edge.dynamic_results
// CHECK: %[[N:.*]] = edge.convolution_nhwc
// CHECK-NEXT: %[[B:.*]] = edge.permute %[[N]] {dims = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: edge.max_pool2d_with_indices %[[B]]
func.func @left_alone(%x: tensor<1x4x5x5xf32>, %l: tensor<1x4x9xf32>, %h: tensor<1x4x5x5xf16>, %d: tensor<1x4x5x5xf32>, %wt: tensor<4x4x3x3xf32>, %w1: tensor<4x4x3xf32>, %wh: tensor<4x4x3x3xf16>) -> (tensor<1x4x7x7xf32>, tensor<1x4x7xf32>, tensor<1x4x3x3xf16>, tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>, tensor<1x4x1x1xi64>) {
  %none = edge.none
  %t = edge.convolution %x, %wt, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = true} : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x7x7xf32>
  %o = edge.convolution %l, %w1, %none {dilation = array<i64: 1>, groups = 1 : i64, output_padding = array<i64: 0>, padding = array<i64: 0>, stride = array<i64: 1>, transposed = false} : (tensor<1x4x9xf32>, tensor<4x4x3xf32>, none) -> tensor<1x4x7xf32>
  %f = edge.convolution %h, %wh, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x5x5xf16>, tensor<4x4x3x3xf16>, none) -> tensor<1x4x3x3xf16>
  %r = edge.convolution %d, %wt, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false, edge.dynamic_results = [0]} : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x3x3xf32>
  %c = edge.convolution %x, %wt, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x3x3xf32>
  %p:2 = edge.max_pool2d_with_indices %c {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 0, 0>, stride = array<i64: 3, 3>} : (tensor<1x4x3x3xf32>) -> (tensor<1x4x1x1xf32>, tensor<1x4x1x1xi64>)
  return %t, %o, %f, %r, %p#0, %p#1 : tensor<1x4x7x7xf32>, tensor<1x4x7xf32>, tensor<1x4x3x3xf16>, tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>, tensor<1x4x1x1xi64>
}

// -----

// SiLU and hardswish after a channels-last convolution that nothing else
// reads join it as its activation (applied while its output is in cache);
// one read twice, or already clamped, keeps its activation op.
// CHECK-LABEL: func.func @activations
// CHECK: %[[A:.*]] = edge.convolution_nhwc {{.*}}activation = "silu"{{.*}} -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[B:.*]] = edge.convolution_nhwc %[[A]], {{.*}}activation = "hardswish"{{.*}} -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[C:.*]] = edge.convolution_nhwc %[[B]], {{.*}}activation = "none"{{.*}}min = 0 : i64{{.*}} -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[S:.*]] = edge.silu %[[C]]
// CHECK-NEXT: %[[D:.*]] = edge.convolution_nhwc %[[S]], {{.*}}activation = "none"{{.*}} -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[T:.*]] = edge.silu %[[D]]
// CHECK-NEXT: %[[M:.*]] = edge.mul.Tensor %[[T]], %[[D]]
func.func @activations(%x: tensor<1x8x6x6xf32>, %w: tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %none = edge.none
  %a = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  %sa = edge.silu %a : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %b = edge.convolution %sa, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  %hb = edge.hardswish %b : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c = edge.convolution_clamp %hb, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  %sc = edge.silu %c : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %d = edge.convolution %sc, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  %sd = edge.silu %d : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %m = edge.mul.Tensor %sd, %d : (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %m : tensor<1x8x6x6xf32>
}
