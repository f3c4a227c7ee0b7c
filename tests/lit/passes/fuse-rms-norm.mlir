// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fuse-rms-norm))' | FileCheck %s

// RMS norm as torch.export leaves Llama's: pow, mean over the last dim, add
// eps, rsqrt, times x, times the weight. The six ops and the eps constant
// go; the run-time sizes of the last op stay on the fused one.
// CHECK-LABEL: func.func @llama
// CHECK-NEXT: %[[Y:.*]] = edge.rms_norm %arg0, %arg1 {edge.dynamic_results = [0], eps = 9.9999999747524271E-7 : f64, normalized_shape = array<i64: 64>} : (tensor<1x16x64xf32>, tensor<64xf32>) -> tensor<1x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @llama(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf32> {
  %eps = edge.constant dense<1.0e-06> : tensor<f32>
  %sq = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %m = edge.mean.dim %sq {dim = array<i64: -1>, keepdim = true} : (tensor<1x16x64xf32>) -> tensor<1x16x1xf32>
  %a = edge.add.Tensor %m, %eps {alpha = 1 : i64} : (tensor<1x16x1xf32>, tensor<f32>) -> tensor<1x16x1xf32>
  %r = edge.rsqrt %a : (tensor<1x16x1xf32>) -> tensor<1x16x1xf32>
  %n = edge.mul.Tensor %x, %r : (tensor<1x16x64xf32>, tensor<1x16x1xf32>) -> tensor<1x16x64xf32>
  %y = edge.mul.Tensor %w, %n {edge.dynamic_results = [0]} : (tensor<64xf32>, tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

// The other spellings: x * x for the square, the mean's dim as rank - 1,
// eps first in the add, the products the other way round; and without a
// weight (F.rms_norm with none) in f16.
// CHECK-LABEL: func.func @spellings
// CHECK-NEXT: %[[A:.*]] = edge.rms_norm %arg0, %arg1 {eps = 9.9999997473787516E-6 : f64, normalized_shape = array<i64: 8>} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[N:.*]] = edge.none
// CHECK-NEXT: %[[B:.*]] = edge.rms_norm %arg2, %[[N]] {eps = 0.000000e+00 : f64, normalized_shape = array<i64: 8>} : (tensor<2x3x8xf16>, none) -> tensor<2x3x8xf16>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @spellings(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %h: tensor<2x3x8xf16>) -> (tensor<4x8xf32>, tensor<2x3x8xf16>) {
  %eps = edge.constant dense<1.0e-05> : tensor<f32>
  %sq = edge.mul.Tensor %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = edge.mean.dim %sq {dim = array<i64: 1>, keepdim = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a = edge.add.Tensor %eps, %m {alpha = 1 : i64} : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %r = edge.rsqrt %a : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = edge.mul.Tensor %r, %x : (tensor<4x1xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = edge.mul.Tensor %n, %w : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %zero = edge.constant dense<0.0> : tensor<f32>
  %hs = edge.pow.Tensor_Scalar %h {exponent = 2 : i64} : (tensor<2x3x8xf16>) -> tensor<2x3x8xf16>
  %hm = edge.mean.dim %hs {dim = array<i64: -1>, keepdim = true} : (tensor<2x3x8xf16>) -> tensor<2x3x1xf16>
  %ha = edge.add.Tensor %hm, %zero {alpha = 1 : i64} : (tensor<2x3x1xf16>, tensor<f32>) -> tensor<2x3x1xf16>
  %hr = edge.rsqrt %ha : (tensor<2x3x1xf16>) -> tensor<2x3x1xf16>
  %z = edge.mul.Tensor %h, %hr : (tensor<2x3x8xf16>, tensor<2x3x1xf16>) -> tensor<2x3x8xf16>
  return %y, %z : tensor<4x8xf32>, tensor<2x3x8xf16>
}

// -----

// torch's own nn.RMSNorm: eps as add.Scalar.
// CHECK-LABEL: func.func @torch_rms_norm
// CHECK-NEXT: %[[Y:.*]] = edge.rms_norm %arg0, %arg1 {eps = 1.000000e-05 : f64, normalized_shape = array<i64: 48>}
// CHECK-NEXT: return %[[Y]]
func.func @torch_rms_norm(%x: tensor<3x5x48xf32>, %w: tensor<48xf32>) -> tensor<3x5x48xf32> {
  %sq = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<3x5x48xf32>) -> tensor<3x5x48xf32>
  %m = edge.mean.dim %sq {dim = array<i64: 2>, keepdim = true} : (tensor<3x5x48xf32>) -> tensor<3x5x1xf32>
  %a = edge.add.Scalar %m {alpha = 1 : i64, other = 1.000000e-05 : f64} : (tensor<3x5x1xf32>) -> tensor<3x5x1xf32>
  %r = edge.rsqrt %a : (tensor<3x5x1xf32>) -> tensor<3x5x1xf32>
  %n = edge.mul.Tensor %x, %r : (tensor<3x5x48xf32>, tensor<3x5x1xf32>) -> tensor<3x5x48xf32>
  %y = edge.mul.Tensor %n, %w : (tensor<3x5x48xf32>, tensor<48xf32>) -> tensor<3x5x48xf32>
  return %y : tensor<3x5x48xf32>
}

// -----

// The normalised value read twice: the norm is fused without the weight,
// which stays a product of its own.
// CHECK-LABEL: func.func @normalized_read_twice
// CHECK-NEXT: %[[N:.*]] = edge.none
// CHECK-NEXT: %[[R:.*]] = edge.rms_norm %arg0, %[[N]]
// CHECK-NEXT: %[[Y:.*]] = edge.mul.Tensor %arg1, %[[R]]
// CHECK-NEXT: return %[[Y]], %[[R]]
func.func @normalized_read_twice(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %eps = edge.constant dense<1.0e-06> : tensor<f32>
  %sq = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = edge.mean.dim %sq {dim = array<i64: -1>, keepdim = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %a = edge.add.Tensor %m, %eps {alpha = 1 : i64} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = edge.rsqrt %a : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = edge.mul.Tensor %x, %r : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = edge.mul.Tensor %w, %n : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y, %n : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Not RMS norm: the mean over another dim, without keepdim, eps not a
// constant, a cube instead of a square, the mean read elsewhere, a weight
// that broadcasts differently ([1]: only the norm is fused).
// CHECK-LABEL: func.func @lookalikes
// CHECK-COUNT-1: edge.rms_norm
// CHECK-NOT: edge.rms_norm
// CHECK: return
func.func @lookalikes(%x: tensor<2x8xf32>, %e: tensor<f32>, %w1: tensor<1xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x8xf32>) {
  %eps = edge.constant dense<1.0e-06> : tensor<f32>
  %sq = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  // mean over dim 0
  %m0 = edge.mean.dim %sq {dim = array<i64: 0>, keepdim = true} : (tensor<2x8xf32>) -> tensor<1x8xf32>
  %a0 = edge.add.Tensor %m0, %eps {alpha = 1 : i64} : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %r0 = edge.rsqrt %a0 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %y0 = edge.mul.Tensor %x, %r0 : (tensor<2x8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  // eps a run-time value
  %sq1 = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m1 = edge.mean.dim %sq1 {dim = array<i64: -1>, keepdim = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %a1 = edge.add.Tensor %m1, %e {alpha = 1 : i64} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r1 = edge.rsqrt %a1 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y1 = edge.mul.Tensor %x, %r1 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  // a cube
  %cu = edge.pow.Tensor_Scalar %x {exponent = 3 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m2 = edge.mean.dim %cu {dim = array<i64: -1>, keepdim = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %a2 = edge.add.Tensor %m2, %eps {alpha = 1 : i64} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r2 = edge.rsqrt %a2 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y2 = edge.mul.Tensor %x, %r2 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  // the mean read elsewhere
  %sq3 = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m3 = edge.mean.dim %sq3 {dim = array<i64: -1>, keepdim = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %a3 = edge.add.Tensor %m3, %eps {alpha = 1 : i64} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r3 = edge.rsqrt %a3 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y3 = edge.mul.Tensor %x, %r3 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  // a [1] weight: the norm alone is fused, the product stays
  %sq4 = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m4 = edge.mean.dim %sq4 {dim = array<i64: -1>, keepdim = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %a4 = edge.add.Tensor %m4, %eps {alpha = 1 : i64} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r4 = edge.rsqrt %a4 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n4 = edge.mul.Tensor %x, %r4 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y4 = edge.mul.Tensor %w1, %n4 : (tensor<1xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y0, %y1, %y2, %y3, %m3, %y4 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x8xf32>
}
