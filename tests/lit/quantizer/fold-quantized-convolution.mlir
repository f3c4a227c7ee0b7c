// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-convolution))' | FileCheck %s

// PT2E's per-channel conv + relu: one quantized_convolution on the int8
// input and weight. The relu raises quant_min to the output zero point; the
// dequantizes, the quantize and the zero-point constant are erased.
// CHECK-LABEL: func.func @conv_relu_per_channel
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"} dense<{{.*}}> : tensor<4x3x1x1xi8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "s"} dense<{{.*}}> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "b"} dense<{{.*}}> : tensor<4xf32>
// CHECK: %[[Y:.*]] = edge.quantized_convolution %arg0, %[[W]], %[[S]], %[[B]] {dilation = array<i64: 1, 1>, edge.dynamic_results = [0], groups = 1 : i64, input_scale = 2.000000e-02 : f64, input_zero_point = -4 : i64, output_scale = 5.000000e-02 : f64, output_zero_point = -5 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -5 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x4x4xi8>, tensor<4x3x1x1xi8>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xi8>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: edge.dequantize
// CHECK-NOT: edge.constant {name = "z"}
func.func @conv_relu_per_channel(%xq: tensor<1x3x4x4xi8>) -> tensor<1x4x4x4xi8> {
  %w = edge.constant {name = "w"} dense<[[[[1]], [[-2]], [[3]]], [[[4]], [[5]], [[-6]]], [[[7]], [[8]], [[9]]], [[[-10]], [[11]], [[12]]]]> : tensor<4x3x1x1xi8>
  %s = edge.constant {name = "s"} dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %z = edge.constant {name = "z"} dense<0> : tensor<4xi64>
  %b = edge.constant {name = "b"} dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = -4 : i64} : (tensor<1x3x4x4xi8>) -> tensor<1x3x4x4xf32>
  %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<4x3x1x1xi8>, tensor<4xf32>, tensor<4xi64>) -> tensor<4x3x1x1xf32>
  %c = edge.convolution %xf, %wf, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = edge.relu %c : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = edge.quantize_per_tensor %r {dtype = 1 : i64, edge.dynamic_results = [0], quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = -5 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}

// -----

// A per-tensor weight (zero point 0) gets weight_scales [1] holding its
// scale; no bias (none), a 1-d convolution, a uint8 input and output.
// CHECK-LABEL: func.func @conv1d_per_tensor_weight
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"}
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "w.scale"} dense<2.500000e-01> : tensor<1xf32>
// CHECK-DAG: %[[N:.*]] = edge.none
// CHECK: %[[Y:.*]] = edge.quantized_convolution %arg0, %[[W]], %[[S]], %[[N]] {{{.*}}input_scale = 1.000000e-01 : f64, input_zero_point = 128 : i64, output_scale = 2.000000e-01 : f64, output_zero_point = 100 : i64, {{.*}}quant_max = 255 : i64, quant_min = 0 : i64{{.*}}} : (tensor<1x2x5xui8>, tensor<3x2x2xi8>, tensor<1xf32>, none) -> tensor<1x3x4xui8>
// CHECK-NEXT: return %[[Y]]
func.func @conv1d_per_tensor_weight(%xq: tensor<1x2x5xui8>) -> tensor<1x3x4xui8> {
  %w = edge.constant {name = "w"} dense<1> : tensor<3x2x2xi8>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<1x2x5xui8>) -> tensor<1x2x5xf32>
  %wf = edge.dequantize_per_tensor %w {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64, scale = 0.25 : f64, zero_point = 0 : i64} : (tensor<3x2x2xi8>) -> tensor<3x2x2xf32>
  %c = edge.convolution %xf, %wf, %none {dilation = array<i64: 1>, groups = 1 : i64, output_padding = array<i64: 0>, padding = array<i64: 0>, stride = array<i64: 1>, transposed = false} : (tensor<1x2x5xf32>, tensor<3x2x2xf32>, none) -> tensor<1x3x4xf32>
  %y = edge.quantize_per_tensor %c {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.2 : f64, zero_point = 100 : i64} : (tensor<1x3x4xf32>) -> tensor<1x3x4xui8>
  return %y : tensor<1x3x4xui8>
}

// -----

// relu6 (hardtanh 0, 6) and clamps become the output's clamp, each bound
// rounded as torch's quantize rounds it in float32: 6 / 0.05 = 120;
// clamp(-0.5, 1.03) at scale 0.1, zero point 3: round(-5) + 3 = -2 and
// round(10.3) + 3 = 13; clamp(max = 0.35) at scale 0.1: 0.35f * 10f is
// 3.5 in float32 (3.4999999 in exact arithmetic) and rounds half to even to
// 4; clamp(min = 0.25): 2.5 rounds to 2; a bound beyond the range stays at
// quant_min / quant_max.
// CHECK-LABEL: func.func @activation_bounds
// CHECK: edge.quantized_convolution {{.*}}output_scale = 5.000000e-02 : f64, output_zero_point = 0 : i64, {{.*}}quant_max = 120 : i64, quant_min = 0 : i64
// CHECK: edge.quantized_convolution {{.*}}output_scale = 1.000000e-01 : f64, output_zero_point = 3 : i64, {{.*}}quant_max = 13 : i64, quant_min = -2 : i64
// CHECK: edge.quantized_convolution {{.*}}output_scale = 1.000000e-01 : f64, output_zero_point = 0 : i64, {{.*}}quant_max = 4 : i64, quant_min = -128 : i64
// CHECK: edge.quantized_convolution {{.*}}output_scale = 1.000000e-01 : f64, output_zero_point = 0 : i64, {{.*}}quant_max = 127 : i64, quant_min = 2 : i64
// CHECK: edge.quantized_convolution {{.*}}output_scale = 1.000000e-01 : f64, output_zero_point = 0 : i64, {{.*}}quant_max = 127 : i64, quant_min = -128 : i64
// CHECK-NOT: edge.clamp
// CHECK-NOT: edge.hardtanh
func.func @activation_bounds(%xq: tensor<1x1x2x2xi8>) -> (tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>) {
  %w = edge.constant {name = "w"} dense<3> : tensor<1x1x1x1xi8>
  %s = edge.constant {name = "s"} dense<0.5> : tensor<1xf32>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, none) -> tensor<1x1x1x1xf32>
  %c0 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %a0 = edge.hardtanh %c0 {max_val = 6 : i64, min_val = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %y0 = edge.quantize_per_tensor %a0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c1 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %a1 = edge.clamp %c1 {max = 1.03 : f64, min = -0.5 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %y1 = edge.quantize_per_tensor %a1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 3 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c2 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %a2 = edge.clamp %c2 {max = 0.35 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %y2 = edge.quantize_per_tensor %a2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c3 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %a3 = edge.clamp %c3 {min = 0.25 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %y3 = edge.quantize_per_tensor %a3 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c4 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %a4 = edge.clamp %c4 {max = 1000.0 : f64, min = -1000.0 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %y4 = edge.quantize_per_tensor %a4 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  return %y0, %y1, %y2, %y3, %y4 : tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>
}

// -----

// One weight dequantize read by two convolutions: each folds, reading the
// int8 weight; the dequantize goes with the last one.
// CHECK-LABEL: func.func @shared_weight
// CHECK: %[[W:.*]] = edge.constant {name = "w"}
// CHECK: %[[S:.*]] = edge.constant {name = "s"}
// CHECK: edge.quantized_convolution %arg0, %[[W]], %[[S]]
// CHECK: edge.quantized_convolution %arg1, %[[W]], %[[S]]
// CHECK-NOT: edge.dequantize_per_channel
func.func @shared_weight(%aq: tensor<1x1x2x2xi8>, %bq: tensor<1x1x2x2xi8>) -> (tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>) {
  %w = edge.constant {name = "w"} dense<3> : tensor<1x1x1x1xi8>
  %s = edge.constant {name = "s"} dense<0.5> : tensor<1xf32>
  %none = edge.none
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, none) -> tensor<1x1x1x1xf32>
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %c0 = edge.convolution %af, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y0 = edge.quantize_per_tensor %c0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %bf = edge.dequantize_per_tensor %bq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.03 : f64, zero_point = 1 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %c1 = edge.convolution %bf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y1 = edge.quantize_per_tensor %c1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  return %y0, %y1 : tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>
}

// -----

// Refusals, each recorded on the convolution (which stays, with its
// dequantizes): asymmetric weights; a weight that is not a constant; a
// transposed convolution; a float result also read by another op; an input
// that is not dequantized (the weight is).
// CHECK-LABEL: func.func @refusals
// CHECK: edge.convolution {{.*}}edge.refused = {quantizer = "asymmetric weights (a zero point is 2, not 0)"}
// CHECK: edge.convolution {{.*}}edge.refused = {quantizer = "the quantized weight is not a constant"}
// CHECK: edge.convolution {{.*}}edge.refused = {quantizer = "a transposed convolution has no quantized kernel"}
// CHECK: edge.convolution {{.*}}edge.refused = {quantizer = "its float result is also read by other ops"}
// CHECK: edge.convolution {{.*}}edge.refused = {quantizer = "the input is not dequantized"}
// CHECK-NOT: edge.quantized_convolution
func.func @refusals(%xq: tensor<1x1x2x2xi8>, %x: tensor<1x1x2x2xf32>, %wa: tensor<1x1x1x1xi8>) -> (tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xi8>) {
  %w = edge.constant {name = "w"} dense<3> : tensor<1x1x1x1xi8>
  %s = edge.constant {name = "s"} dense<0.5> : tensor<1xf32>
  %z = edge.constant {name = "z"} dense<2> : tensor<1xi64>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, none) -> tensor<1x1x1x1xf32>
  %wz = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, tensor<1xi64>) -> tensor<1x1x1x1xf32>
  %c0 = edge.convolution %xf, %wz, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y0 = edge.quantize_per_tensor %c0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %wv = edge.dequantize_per_channel %wa, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, none) -> tensor<1x1x1x1xf32>
  %c1 = edge.convolution %xf, %wv, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y1 = edge.quantize_per_tensor %c1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c2 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = true} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y2 = edge.quantize_per_tensor %c2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c3 = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y3 = edge.quantize_per_tensor %c3 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %c4 = edge.convolution %x, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y4 = edge.quantize_per_tensor %c4 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  return %y0, %y1, %y2, %y3, %c3, %y4 : tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xi8>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xi8>
}

// -----

// A float convolution outside any quantized region is left alone, unmarked.
// CHECK-LABEL: func.func @float_conv
// CHECK: edge.convolution
// CHECK-NOT: edge.refused
func.func @float_conv(%x: tensor<1x1x2x2xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32> {
  %none = edge.none
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  return %c : tensor<1x1x2x2xf32>
}
