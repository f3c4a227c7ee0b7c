// RUN: ember-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(ember-fuse-conv-batch-norm))" | FileCheck %s

// A convolution feeding an inference batch norm becomes one convolution with
// folded weight and bias: W' = W * s, b' = (b - mean) * s + beta with
// s = gamma / sqrt(var + eps) = 2 / sqrt(3 + 1) = 1, so here W' = W and
// b' = (1 - 0.5) * 1 + 0.25 = 0.75 for each channel. The batch norm and its
// constants are gone.
// CHECK-LABEL: func.func @fused
// CHECK-NOT: _native_batch_norm_legit_no_training
// CHECK: %[[W:.*]] = edge.constant {name = "w.bn_fused"} dense<{{\[\[\[\[}}5.000000e+00]]], {{\[\[\[}}6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK: %[[B:.*]] = edge.constant {name = "b.bn_fused"} dense<7.500000e-01> : tensor<2xf32>
// CHECK: %[[C:.*]] = edge.convolution %arg0, %[[W]], %[[B]]
// CHECK: return %[[C]]
func.func @fused(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant {name = "w"} dense<[[[[5.0]]], [[[6.0]]]]> : tensor<2x1x1x1xf32>
  %b = edge.constant {name = "b"} dense<1.0> : tensor<2xf32>
  %g = edge.constant dense<2.0> : tensor<2xf32>
  %beta = edge.constant dense<0.25> : tensor<2xf32>
  %mean = edge.constant dense<0.5> : tensor<2xf32>
  %var = edge.constant dense<3.0> : tensor<2xf32>
  %c = edge.convolution %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %g, %beta, %mean, %var {eps = 1.0 : f64, momentum = 0.1 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Not folded: the convolution's result has another user (folding would
// change what that user sees).
// CHECK-LABEL: func.func @conv_used_twice
// CHECK: edge._native_batch_norm_legit_no_training
func.func @conv_used_twice(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant dense<1.0> : tensor<2x1x1x1xf32>
  %none = edge.none
  %s = edge.constant dense<1.0> : tensor<2xf32>
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %none, %none, %s, %s {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<1x2x4x4xf32>, none, none, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y, %c : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Not folded: the running variance is a function input, not a constant.
// CHECK-LABEL: func.func @stats_not_constant
// CHECK: edge._native_batch_norm_legit_no_training
func.func @stats_not_constant(%x: tensor<1x1x4x4xf32>, %var: tensor<2xf32>) -> tensor<1x2x4x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant dense<1.0> : tensor<2x1x1x1xf32>
  %none = edge.none
  %s = edge.constant dense<1.0> : tensor<2xf32>
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %none, %none, %s, %var {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<1x2x4x4xf32>, none, none, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A transposed convolution's weight is [C_in, C_out / groups, ...]: with 2
// groups of one input and one output channel each, element [i][0] belongs
// to output channel i. s = gamma / sqrt(var + eps) = [1, 2] (var 3, eps 1,
// gamma [2, 4]); W' = [5 * 1, 6 * 2]; b' = (0 - 0) * s + beta = [0.5, 0.5].
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: _native_batch_norm_legit_no_training
// CHECK: %[[W:.*]] = edge.constant {name = "conv_bn_weight"} dense<{{\[\[\[\[}}5.000000e+00]]], {{\[\[\[}}1.200000e+01]]]]> : tensor<2x1x1x1xf32>
// CHECK: %[[B:.*]] = edge.constant {name = "conv_bn_bias"} dense<5.000000e-01> : tensor<2xf32>
// CHECK: edge.convolution %arg0, %[[W]], %[[B]] {{.*}}transposed = true
func.func @transposed(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant dense<[[[[5.0]]], [[[6.0]]]]> : tensor<2x1x1x1xf32>
  %none = edge.none
  %g = edge.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = edge.constant dense<0.5> : tensor<2xf32>
  %zero = edge.constant dense<0.0> : tensor<2xf32>
  %var = edge.constant dense<3.0> : tensor<2xf32>
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = true} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %g, %beta, %zero, %var {eps = 1.0 : f64, momentum = 0.1 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Not folded: an f16 convolution (its weights would be rounded to 16 bits a
// second time; the batch norm runs as its own f16 kernel).
// CHECK-LABEL: func.func @f16_not_folded
// CHECK: edge.convolution
// CHECK: edge._native_batch_norm_legit_no_training
func.func @f16_not_folded(%x: tensor<1x1x4x4xf16>) -> tensor<1x2x4x4xf16> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant dense<1.0> : tensor<2x1x1x1xf16>
  %none = edge.none
  %s = edge.constant dense<1.0> : tensor<2xf16>
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x4x4xf16>, tensor<2x1x1x1xf16>, none) -> tensor<1x2x4x4xf16>
  %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %none, %none, %s, %s {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<1x2x4x4xf16>, none, none, tensor<2xf16>, tensor<2xf16>) -> (tensor<1x2x4x4xf16>, tensor<0xf16>, tensor<0xf16>)
  return %y : tensor<1x2x4x4xf16>
}
