// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-xnnpack-propagate-nhwc))' | FileCheck %s

// conv -> relu -> add(residual input) -> conv: one transpose in (shared by
// the first conv and the residual add), one out. The relu and the add follow
// their NHWC producers; the transposes between them go.
// CHECK-LABEL: func.func @chain
// CHECK: %[[IN:.*]] = xnnpack.static_transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C1:.*]] = xnnpack.convolution_2d %[[IN]]
// CHECK: %[[R:.*]] = xnnpack.clamp %[[C1]] {output_min = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[A:.*]] = xnnpack.add %[[R]], %[[IN]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[C2:.*]] = xnnpack.convolution_2d %[[A]]
// CHECK: %[[OUT:.*]] = xnnpack.static_transpose %[[C2]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[OUT]]
// CHECK-NOT: xnnpack.static_transpose
func.func @chain(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %t0 = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c0 = xnnpack.convolution_2d %t0, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b0 = xnnpack.static_transpose %c0 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %r = xnnpack.clamp %b0 {output_min = 0.0 : f32} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %a = xnnpack.add %r, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %t1 = xnnpack.static_transpose %a {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c1 = xnnpack.convolution_2d %t1, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b1 = xnnpack.static_transpose %c1 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  return %b1 : tensor<1x2x4x4xf32>
}

// -----

// Operands of an elementwise node moved to NHWC: a per-channel constant
// [C, 1, 1] is permuted at compile time to [1, 1, 1, C] (here C = 2, data
// unchanged); a one-element constant stays as it is; a 2-d input [H, W] is
// extended to [1, 1, H, W] and transposed to [1, H, W, 1], which moves only
// size-1 dims: one reshape.
// CHECK-LABEL: func.func @operands
// CHECK: %[[C:.*]] = xnnpack.convolution_2d
// CHECK: %[[K:.*]] = edge.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: %[[M:.*]] = xnnpack.multiply %[[C]], %[[K]] : (tensor<1x4x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x3x2xf32>
// CHECK: %[[S:.*]] = xnnpack.add %[[M]], %{{.*}} : (tensor<1x4x3x2xf32>, tensor<f32>) -> tensor<1x4x3x2xf32>
// CHECK: %[[YT:.*]] = xnnpack.static_reshape %arg1 : (tensor<4x3xf32>) -> tensor<1x4x3x1xf32>
// CHECK: %[[D:.*]] = xnnpack.subtract %[[S]], %[[YT]] : (tensor<1x4x3x2xf32>, tensor<1x4x3x1xf32>) -> tensor<1x4x3x2xf32>
// CHECK: xnnpack.static_transpose %[[D]] {perm = array<i64: 0, 3, 1, 2>}
func.func @operands(%x: tensor<1x2x4x3xf32>, %y: tensor<4x3xf32>) -> tensor<1x2x4x3xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %k = edge.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %one = edge.constant dense<1.0> : tensor<f32>
  %t0 = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x3xf32>) -> tensor<1x4x3x2xf32>
  %c0 = xnnpack.convolution_2d %t0, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x3x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x3x2xf32>
  %b0 = xnnpack.static_transpose %c0 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x3x2xf32>) -> tensor<1x2x4x3xf32>
  %m = xnnpack.multiply %b0, %k : (tensor<1x2x4x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x3xf32>
  %s = xnnpack.add %m, %one : (tensor<1x2x4x3xf32>, tensor<f32>) -> tensor<1x2x4x3xf32>
  %d = xnnpack.subtract %s, %y : (tensor<1x2x4x3xf32>, tensor<4x3xf32>) -> tensor<1x2x4x3xf32>
  return %d : tensor<1x2x4x3xf32>
}

// -----

// Global pooling then flatten: the transpose back to NCHW moves only size-1
// dims, so it is a reshape, and the two reshapes become one. A softmax needs
// the NCHW order of its input, so a node feeding it keeps its transpose.
// CHECK-LABEL: func.func @pool_flatten
// CHECK: %[[G:.*]] = xnnpack.global_average_pooling_2d
// CHECK-NEXT: %[[F:.*]] = xnnpack.static_reshape %[[G]] : (tensor<1x1x1x8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: xnnpack.softmax %[[F]]
// CHECK-NOT: xnnpack.static_transpose
func.func @pool_flatten(%x: tensor<1x8x5x5xf32>) -> tensor<1x8xf32> {
  %t = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x5x5xf32>) -> tensor<1x5x5x8xf32>
  %g = xnnpack.global_average_pooling_2d %t : (tensor<1x5x5x8xf32>) -> tensor<1x1x1x8xf32>
  %b = xnnpack.static_transpose %g {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x1x1x8xf32>) -> tensor<1x8x1x1xf32>
  %f = xnnpack.static_reshape %b : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
  %s = xnnpack.softmax %f : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %s : tensor<1x8xf32>
}

// -----

// A constant pad of an NHWC value runs in NHWC with its paddings permuted.
// Flattening a feature map larger than 1x1 needs the NCHW order: that
// transpose stays (a real one, mid-graph).
// CHECK-LABEL: func.func @pad_flatten
// CHECK: %[[P:.*]] = xnnpack.static_constant_pad %{{.*}} {post = array<i64: 0, 2, 0, 0>, pre = array<i64: 0, 1, 0, 0>, value = 0.000000e+00 : f32} : (tensor<1x2x2x3xf32>) -> tensor<1x5x2x3xf32>
// CHECK: %[[T:.*]] = xnnpack.static_transpose %[[P]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x5x2x3xf32>) -> tensor<1x3x5x2xf32>
// CHECK: xnnpack.static_reshape %[[T]] : (tensor<1x3x5x2xf32>) -> tensor<1x30xf32>
func.func @pad_flatten(%x: tensor<1x3x2x2xf32>) -> tensor<1x30xf32> {
  %t = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x2x2xf32>) -> tensor<1x2x2x3xf32>
  %a = xnnpack.hardswish %t : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %b = xnnpack.static_transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %p = xnnpack.static_constant_pad %b {post = array<i64: 0, 0, 2, 0>, pre = array<i64: 0, 0, 1, 0>, value = 0.0 : f32} : (tensor<1x3x2x2xf32>) -> tensor<1x3x5x2xf32>
  %f = xnnpack.static_reshape %p : (tensor<1x3x5x2xf32>) -> tensor<1x30xf32>
  return %f : tensor<1x30xf32>
}

// -----

// Outputs XNNPACK could not express: an input returned as it is and a value
// returned twice each get a copy (an identity reshape); an identity reshape
// that is not an output goes.
// CHECK-LABEL: func.func @outputs
// CHECK: %[[A:.*]] = xnnpack.abs %arg0
// CHECK: %[[C1:.*]] = xnnpack.static_reshape %arg0 : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: %[[C2:.*]] = xnnpack.static_reshape %[[A]] : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: return %[[C1]], %[[A]], %[[C2]]
func.func @outputs(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %r = xnnpack.static_reshape %x : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %a = xnnpack.abs %r : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %x, %a, %a : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// A feature map flattened into a fully-connected layer: the filter's columns
// are permuted into NHWC order ([O, C*H*W] read as [O, C, H, W] ->
// [O, H, W, C]; here C = 2, H = 1, W = 2: columns c0w0 c0w1 c1w0 c1w1 become
// c0w0 c1w0 c0w1 c1w1) and the NHWC value is flattened as it is: no
// transpose back to NCHW.
// CHECK-LABEL: func.func @flatten_into_fc
// CHECK: %[[G:.*]] = xnnpack.convolution_2d
// CHECK: %[[F:.*]] = edge.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00, 2.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>
// CHECK: %[[R:.*]] = xnnpack.static_reshape %[[G]] : (tensor<1x1x2x2xf32>) -> tensor<1x4xf32>
// CHECK: xnnpack.fully_connected %[[R]], %[[F]]
// CHECK-NOT: xnnpack.static_transpose %[[G]]
func.func @flatten_into_fc(%x: tensor<1x1x2x2xf32>) -> tensor<1x1xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %f = edge.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %c = xnnpack.convolution_2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x1x2x2xf32>
  %b = xnnpack.static_transpose %c {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x1x2xf32>
  %r = xnnpack.static_reshape %b : (tensor<1x2x1x2xf32>) -> tensor<1x4xf32>
  %y = xnnpack.fully_connected %r, %f : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Input normalization before the first convolution: the transpose to NHWC
// moves above the subtract and divide (their other operands are per-channel
// constants, permuted), so it sits on the input. It moves above the add of
// two inputs too: one of them is already in NHWC, the other's new transpose
// replaces the one below the add.
// CHECK-LABEL: func.func @hoist
// CHECK: %[[IN:.*]] = xnnpack.static_transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[S:.*]] = xnnpack.subtract %[[IN]], %{{.*}} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[D:.*]] = xnnpack.divide %[[S]], %{{.*}} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: xnnpack.convolution_2d %[[D]]
// CHECK: %[[Y:.*]] = xnnpack.static_transpose %arg1 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[A:.*]] = xnnpack.add %[[IN]], %[[Y]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: xnnpack.convolution_2d %[[A]]
func.func @hoist(%x: tensor<1x2x4x4xf32>, %y: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %mean = edge.constant dense<[[[0.5]], [[0.25]]]> : tensor<2x1x1xf32>
  %std = edge.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %s = xnnpack.subtract %x, %mean : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %d = xnnpack.divide %s, %std : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %t0 = xnnpack.static_transpose %d {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c0 = xnnpack.convolution_2d %t0, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b0 = xnnpack.static_transpose %c0 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %a = xnnpack.add %x, %y : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %t1 = xnnpack.static_transpose %a {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c1 = xnnpack.convolution_2d %t1, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b1 = xnnpack.static_transpose %c1 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  return %b0, %b1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// ConvNeXt's residual add: the block's input %x comes from outside the
// delegate in NCHW, the other operand is NHWC, and the sum is an output.
// In NHWC it would take two transposes (%x in, the sum out); in NCHW one (the
// NHWC operand out), so the add stays in NCHW.
// CHECK-LABEL: func.func @residual_output
// CHECK: %[[C:.*]] = xnnpack.convolution_2d
// CHECK: %[[B:.*]] = xnnpack.static_transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[A:.*]] = xnnpack.add %arg1, %[[B]] : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NOT: xnnpack.static_transpose
// CHECK: return %[[A]]
func.func @residual_output(%y: tensor<1x2x4x4xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %t0 = xnnpack.static_transpose %y {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c0 = xnnpack.convolution_2d %t0, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b0 = xnnpack.static_transpose %c0 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %a = xnnpack.add %x, %b0 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// The same add feeding a convolution moves to NHWC: %x takes one transpose
// in, and the sum's transpose back cancels against the convolution's.
// CHECK-LABEL: func.func @residual_into_conv
// CHECK: %[[C:.*]] = xnnpack.convolution_2d
// CHECK: %[[X:.*]] = xnnpack.static_transpose %arg1 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[A:.*]] = xnnpack.add %[[X]], %[[C]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[C2:.*]] = xnnpack.convolution_2d %[[A]]
// CHECK: %[[OUT:.*]] = xnnpack.static_transpose %[[C2]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[OUT]]
func.func @residual_into_conv(%y: tensor<1x2x4x4xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %t0 = xnnpack.static_transpose %y {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c0 = xnnpack.convolution_2d %t0, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b0 = xnnpack.static_transpose %c0 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %a = xnnpack.add %x, %b0 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %t1 = xnnpack.static_transpose %a {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c1 = xnnpack.convolution_2d %t1, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %b1 = xnnpack.static_transpose %c1 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  return %b1 : tensor<1x2x4x4xf32>
}
