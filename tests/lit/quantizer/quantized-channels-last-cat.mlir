// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-quantized-channels-last))' | FileCheck %s

// Two convolution branches concatenated over channels, then a third
// convolution: the cat runs on the NHWC branches over their dim 3 (NCHW's
// 1), and no permute is left between the convolutions.
// CHECK-LABEL: func.func @branches
// CHECK: %[[T:.*]] = edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>}
// CHECK: %[[A:.*]] = edge.quantized_convolution_nhwc %[[T]]
// CHECK: %[[B:.*]] = edge.quantized_convolution_nhwc
// CHECK-NEXT: %[[C:.*]] = edge.quantized_cat %[[A]], %[[B]], %[[A]] {dim = 3 : i64, {{.*}}} : (tensor<1x6x6x4xi8>, tensor<1x6x6x4xi8>, tensor<1x6x6x4xi8>) -> tensor<1x6x6x12xi8>
// CHECK-NEXT: %[[D:.*]] = edge.quantized_convolution_nhwc %[[C]]
// CHECK-NEXT: %[[P:.*]] = edge.permute %[[D]] {dims = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: return %[[P]]
func.func @branches(%x: tensor<1x3x6x6xi8>, %w: tensor<4x3x1x1xi8>, %w2: tensor<4x12x1x1xi8>, %s: tensor<4xf32>) -> tensor<1x4x6x6xi8> {
  %none = edge.none
  %a = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x6x6xi8>, tensor<4x3x1x1xi8>, tensor<4xf32>, none) -> tensor<1x4x6x6xi8>
  %b = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = 0 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x6x6xi8>, tensor<4x3x1x1xi8>, tensor<4xf32>, none) -> tensor<1x4x6x6xi8>
  %c = edge.quantized_cat %a, %b, %a {dim = 1 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, 0.1, 0.1>, zero_points = array<i64: 0, 0, 0>} : (tensor<1x4x6x6xi8>, tensor<1x4x6x6xi8>, tensor<1x4x6x6xi8>) -> tensor<1x12x6x6xi8>
  %d = edge.quantized_convolution %c, %w2, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x12x6x6xi8>, tensor<4x12x1x1xi8>, tensor<4xf32>, none) -> tensor<1x4x6x6xi8>
  return %d : tensor<1x4x6x6xi8>
}

// -----

// A cat of a convolution's output and the (NCHW) input: not every operand
// comes in NHWC, so the cat stays NCHW after the convolution's permute back.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[A:.*]] = edge.quantized_convolution_nhwc
// CHECK-NEXT: %[[P:.*]] = edge.permute %[[A]] {dims = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: %[[C:.*]] = edge.quantized_cat %[[P]], %arg0 {dim = 1 : i64, {{.*}}} : (tensor<1x4x6x6xi8>, tensor<1x3x6x6xi8>) -> tensor<1x7x6x6xi8>
// CHECK-NEXT: return %[[C]]
func.func @mixed(%x: tensor<1x3x6x6xi8>, %w: tensor<4x3x1x1xi8>, %s: tensor<4xf32>) -> tensor<1x7x6x6xi8> {
  %none = edge.none
  %a = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x6x6xi8>, tensor<4x3x1x1xi8>, tensor<4xf32>, none) -> tensor<1x4x6x6xi8>
  %c = edge.quantized_cat %a, %x {dim = 1 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, 0.02>, zero_points = array<i64: 0, 0>} : (tensor<1x4x6x6xi8>, tensor<1x3x6x6xi8>) -> tensor<1x7x6x6xi8>
  return %c : tensor<1x7x6x6xi8>
}
