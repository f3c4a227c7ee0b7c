// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fuse-activations))' | FileCheck %s

// SiLU as torch.export leaves it (x * sigmoid(x), either order) becomes one
// op; the sigmoid goes.
// CHECK-LABEL: func.func @silu
// CHECK-NEXT: %[[A:.*]] = edge.silu %arg0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[B:.*]] = edge.silu %arg1 : (tensor<4xf16>) -> tensor<4xf16>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @silu(%x: tensor<2x8xf32>, %h: tensor<4xf16>) -> (tensor<2x8xf32>, tensor<4xf16>) {
  %s = edge.sigmoid %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = edge.mul.Tensor %x, %s : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %t = edge.sigmoid %h : (tensor<4xf16>) -> tensor<4xf16>
  %z = edge.mul.Tensor %t, %h : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  return %y, %z : tensor<2x8xf32>, tensor<4xf16>
}

// -----

// Not SiLU: the sigmoid is used again (a gate read twice must stay), the
// product is of another tensor (a squeeze-excite scale), or the input is an
// integer tensor (sigmoid gives f32).
// CHECK-LABEL: func.func @not_silu
// CHECK-NOT: edge.silu
// CHECK: return
func.func @not_silu(%x: tensor<8xf32>, %y: tensor<8xf32>, %i: tensor<8xi32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %s = edge.sigmoid %x : (tensor<8xf32>) -> tensor<8xf32>
  %a = edge.mul.Tensor %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = edge.sigmoid %y : (tensor<8xf32>) -> tensor<8xf32>
  %b = edge.mul.Tensor %x, %t : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %u = edge.sigmoid %i : (tensor<8xi32>) -> tensor<8xf32>
  %c = edge.mul.Tensor %i, %u : (tensor<8xi32>, tensor<8xf32>) -> tensor<8xf32>
  return %a, %s, %b, %c : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Hardswish as torch.export leaves it: add 3, clamp at 0, clamp at 6,
// multiply by the input, divide by 6. The five ops and their constants go;
// the run-time sizes of the last op stay on the fused one.
// CHECK-LABEL: func.func @hardswish
// CHECK-NEXT: %[[H:.*]] = edge.hardswish %arg0 {edge.dynamic_results = [0]} : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
// CHECK-NEXT: return %[[H]]
func.func @hardswish(%x: tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %three = edge.constant dense<3.0> : tensor<f32>
  %six = edge.constant dense<6.0> : tensor<f32>
  %a = edge.add.Tensor %x, %three {alpha = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  %lo = edge.clamp %a {min = 0 : i64} : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %hi = edge.clamp %lo {max = 6 : i64} : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %m = edge.mul.Tensor %x, %hi : (tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %y = edge.div.Tensor %m, %six {edge.dynamic_results = [0]} : (tensor<1x4x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  return %y : tensor<1x4x5x5xf32>
}

// -----

// The other spellings: hardtanh(0, 6), or one clamp with both bounds, with
// add.Scalar and div.Scalar, the product in either order.
// CHECK-LABEL: func.func @hardswish_spellings
// CHECK-NEXT: %[[A:.*]] = edge.hardswish %arg0
// CHECK-NEXT: %[[B:.*]] = edge.hardswish %arg0
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @hardswish_spellings(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %a = edge.add.Scalar %x {other = 3 : i64, alpha = 1 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %c = edge.hardtanh %a {min_val = 0 : i64, max_val = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %m = edge.mul.Tensor %c, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = edge.div.Scalar %m {other = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %b = edge.add.Scalar %x {other = 3.0 : f64, alpha = 1 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %d = edge.clamp %b {min = 0 : i64, max = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %n = edge.mul.Tensor %x, %d : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %z = edge.div.Scalar %n {other = 6.0 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  return %y, %z : tensor<8xf32>, tensor<8xf32>
}

// -----

// Hard sigmoid times another tensor (MobileNetV3's squeeze-excite) is not
// hardswish, nor is a chain with other constants or a shared intermediate.
// CHECK-LABEL: func.func @not_hardswish
// CHECK-NOT: edge.hardswish
// CHECK: return
func.func @not_hardswish(%x: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %a = edge.add.Scalar %g {other = 3 : i64, alpha = 1 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %c = edge.clamp %a {min = 0 : i64, max = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %m = edge.mul.Tensor %x, %c : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = edge.div.Scalar %m {other = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %b = edge.add.Scalar %x {other = 2 : i64, alpha = 1 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %d = edge.clamp %b {min = 0 : i64, max = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %n = edge.mul.Tensor %x, %d : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %z = edge.div.Scalar %n {other = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %e = edge.add.Scalar %x {other = 3 : i64, alpha = 1 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %f = edge.clamp %e {min = 0 : i64, max = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %o = edge.mul.Tensor %x, %f : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %w = edge.div.Scalar %o {other = 6 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  return %y, %z, %w, %f : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// A relu, relu6 (hardtanh 0..6) or clamp whose input is a convolution read by
// nothing else joins it: edge.convolution_clamp with the convolution's
// operands and attributes and the activation's bounds (relu: min 0).
// CHECK-LABEL: func.func @convolution_clamp
// CHECK: %[[A:.*]] = edge.convolution_clamp %arg0, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, min = 0 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false}
// CHECK: %[[B:.*]] = edge.convolution_clamp %[[A]], {{.*}}max = 6 : i64, min = 0 : i64
// CHECK: %[[C:.*]] = edge.convolution_clamp %[[B]], {{.*}}edge.dynamic_results = [0]{{.*}}max = 2.500000e+00 : f64
// CHECK-NOT: min =
// CHECK-SAME: -> tensor<1x4x6x6xf32>
// CHECK-NOT: edge.relu
// CHECK-NOT: edge.hardtanh
// CHECK-NOT: edge.clamp
func.func @convolution_clamp(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = edge.constant dense<0.5> : tensor<4x4x3x3xf32>
  %b = edge.constant dense<0.25> : tensor<4xf32>
  %c0 = edge.convolution %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %r = edge.relu %c0 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %c1 = edge.convolution %r, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %h = edge.hardtanh %c1 {min_val = 0 : i64, max_val = 6 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %c2 = edge.convolution %h, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %k = edge.clamp %c2 {max = 2.5 : f64, edge.dynamic_results = [0]} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %k : tensor<1x4x6x6xf32>
}

// -----

// Left alone: a convolution read twice (a residual), and a clamp with min
// above max (torch gives max everywhere; the fused kernel requires an interval).
// CHECK-LABEL: func.func @convolution_not_clamped
// CHECK-NOT: edge.convolution_clamp
// CHECK: return
func.func @convolution_not_clamped(%x: tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %w = edge.constant dense<0.5> : tensor<4x4x1x1xf32>
  %none = edge.none
  %c0 = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  %r = edge.relu %c0 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %c1 = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  %k = edge.clamp %c1 {min = 3 : i64, max = 1 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %r, %c0, %k : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

// GELU's tanh approximation written out (Hugging Face's NewGELU, GPT-2):
// 0.5 x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) becomes one
// edge.gelu with approximate = "tanh"; the eight ops and four constants go.
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-NEXT: %[[G:.*]] = edge.gelu %arg0 {approximate = "tanh"} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %half = edge.constant dense<0.5> : tensor<f32>
  %kappa = edge.constant dense<0.044715> : tensor<f32>
  %beta = edge.constant dense<0.797884583> : tensor<f32>
  %one = edge.constant dense<1.0> : tensor<f32>
  %h = edge.mul.Tensor %x, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %p = edge.pow.Tensor_Scalar %x {exponent = 3.000000e+00 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %q = edge.mul.Tensor %p, %kappa : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %s = edge.add.Tensor %x, %q {alpha = 1 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %u = edge.mul.Tensor %s, %beta : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %t = edge.tanh %u : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %v = edge.add.Tensor %t, %one {alpha = 1 : i64} : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %y = edge.mul.Tensor %h, %v : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Not GELU: another cube coefficient, or the tanh read elsewhere.
// CHECK-LABEL: func.func @not_gelu_tanh
// CHECK-NOT: edge.gelu
// CHECK: return
func.func @not_gelu_tanh(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %half = edge.constant dense<0.5> : tensor<f32>
  %kappa = edge.constant dense<0.05> : tensor<f32>
  %beta = edge.constant dense<0.797884583> : tensor<f32>
  %one = edge.constant dense<1.0> : tensor<f32>
  %h = edge.mul.Tensor %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %p = edge.pow.Tensor_Scalar %x {exponent = 3.000000e+00 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %q = edge.mul.Tensor %p, %kappa : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s = edge.add.Tensor %x, %q {alpha = 1 : i64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %u = edge.mul.Tensor %s, %beta : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %t = edge.tanh %u : (tensor<8xf32>) -> tensor<8xf32>
  %v = edge.add.Tensor %t, %one {alpha = 1 : i64} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = edge.mul.Tensor %h, %v : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %h2 = edge.mul.Tensor %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %p2 = edge.pow.Tensor_Scalar %x {exponent = 3.000000e+00 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %k2 = edge.constant dense<0.044715> : tensor<f32>
  %q2 = edge.mul.Tensor %p2, %k2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s2 = edge.add.Tensor %x, %q2 {alpha = 1 : i64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %u2 = edge.mul.Tensor %s2, %beta : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %t2 = edge.tanh %u2 : (tensor<8xf32>) -> tensor<8xf32>
  %v2 = edge.add.Tensor %t2, %one {alpha = 1 : i64} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y2 = edge.mul.Tensor %h2, %v2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %w = edge.add.Tensor %y2, %t2 {alpha = 1 : i64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y, %w : tensor<8xf32>, tensor<8xf32>
}
