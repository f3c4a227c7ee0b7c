// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-xnnpack-fuse-activations))' | FileCheck %s

// relu6 after a convolution becomes the convolution's output clamp.
// CHECK-LABEL: func.func @conv_relu6
// CHECK: %[[C:.*]] = xnnpack.convolution_2d %arg0, %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, output_max = 6.000000e+00 : f32, output_min = 0.000000e+00 : f32, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}
// CHECK-NOT: xnnpack.clamp
// CHECK: return %[[C]]
func.func @conv_relu6(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = edge.constant dense<1.0> : tensor<2x1x1x2xf32>
  %c = xnnpack.convolution_2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %r = xnnpack.clamp %c {output_max = 6.0 : f32, output_min = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %r : tensor<1x4x4x2xf32>
}

// -----

// A chain of clamps on an add collapses into the intersection of the
// ranges: max(0, -1) .. min(inf, 6, 8) = [0, 6].
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]] = xnnpack.add %arg0, %arg1 {output_max = 6.000000e+00 : f32, output_min = 0.000000e+00 : f32}
// CHECK-NEXT: return %[[A]]
func.func @chain(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %a = xnnpack.add %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = xnnpack.clamp %a {output_min = 0.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %s = xnnpack.clamp %r {output_max = 6.0 : f32, output_min = -1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %t = xnnpack.clamp %s {output_max = 8.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

// Not fused: the producer has another user (here an output), the producer
// cannot clamp (sigmoid), or the ranges do not meet.
// CHECK-LABEL: func.func @not_fused
// CHECK: %[[M:.*]] = xnnpack.multiply %arg0, %arg0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK: xnnpack.clamp %[[M]] {output_min = 0.000000e+00 : f32}
// CHECK: %[[S:.*]] = xnnpack.sigmoid %arg0
// CHECK: xnnpack.clamp %[[S]] {output_max = 5.000000e-01 : f32}
// CHECK: %[[D:.*]] = xnnpack.divide %arg0, %arg0 {output_max = 1.000000e+00 : f32}
// CHECK: xnnpack.clamp %[[D]] {output_min = 2.000000e+00 : f32}
func.func @not_fused(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %m = xnnpack.multiply %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = xnnpack.clamp %m {output_min = 0.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %s = xnnpack.sigmoid %x : (tensor<4xf32>) -> tensor<4xf32>
  %h = xnnpack.clamp %s {output_max = 0.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %d = xnnpack.divide %x, %x {output_max = 1.0 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = xnnpack.clamp %d {output_min = 2.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %m, %r, %h, %e : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// PyTorch's hardswish after decomposition, x * clamp(x + 3, 0, 6) / 6, is
// one hardswish node (the clamps fuse into the add first).
// CHECK-LABEL: func.func @hardswish
// CHECK-NEXT: %[[H:.*]] = xnnpack.hardswish %arg0 : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
// CHECK-NEXT: return %[[H]]
func.func @hardswish(%x: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %three = edge.constant dense<3.0> : tensor<f32>
  %six = edge.constant dense<6.0> : tensor<f32>
  %a = xnnpack.add %x, %three : (tensor<1x2x2x3xf32>, tensor<f32>) -> tensor<1x2x2x3xf32>
  %c0 = xnnpack.clamp %a {output_min = 0.0 : f32} : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %c1 = xnnpack.clamp %c0 {output_max = 6.0 : f32} : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %m = xnnpack.multiply %x, %c1 : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %d = xnnpack.divide %m, %six : (tensor<1x2x2x3xf32>, tensor<f32>) -> tensor<1x2x2x3xf32>
  return %d : tensor<1x2x2x3xf32>
}
