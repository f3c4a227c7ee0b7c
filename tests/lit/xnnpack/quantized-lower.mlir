// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-lower-to-xnnpack))' -verify-diagnostics | FileCheck %s

// A channels-last int8 convolution is an XNNPACK convolution on the int8
// value itself (no transposes): its OIHW int8 weight becomes an OHWI filter,
// its float bias an int32 one at scale input_scale * weight_scale[c]
// (0.5 / (0.1 * 0.5) = 10, -0.3 / (0.1 * 0.25) = -12), its weight scales
// the filter's; quant_min above -128 (a fused relu) is the output clamp in
// real units, (-100 - -128) * 0.05 = 1.4. The quantize feeding it is a
// Convert with the quantize's parameters.
// CHECK-LABEL: func.func @conv_nhwc
// CHECK-DAG: %[[F:.*]] = edge.constant {name = "filter_int8"} dense<{{\[\[\[\[}}1, 5], [2, 6]], {{\[\[}}3, 7], [4, 8]]], {{.*}}> : tensor<2x2x2x2xi8>
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "bias_int32"} dense<[10, -12]> : tensor<2xi32>
// CHECK-DAG: %[[Q:.*]] = xnnpack.convert %arg0 {result_scale = 1.000000e-01 : f64, result_zero_point = -3 : i64} : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xi8>
// CHECK: %[[Y:.*]] = xnnpack.convolution_2d %[[Q]], %[[F]], %[[B]] {dilation = array<i64: 1, 1>, filter_scales = array<f32: 5.000000e-01, 2.500000e-01>, groups = 1 : i64, output_min = 1.400000e+00 : f32, padding = array<i64: 0, 0, 0, 0>, result_scale = 5.000000e-02 : f64, result_zero_point = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xi8>, tensor<2x2x2x2xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi8>
// CHECK: return %[[Y]]
func.func @conv_nhwc(%x: tensor<1x3x3x2xf32>) -> tensor<1x2x2x2xi8> {
  %w = edge.constant {name = "w"} dense<[[[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [[[-1, -2], [-3, -4]], [[-5, -6], [-7, -8]]]]> : tensor<2x2x2x2xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %b = edge.constant {name = "b"} dense<[0.5, -0.3]> : tensor<2xf32>
  %q = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = -3 : i64} : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xi8>
  %y = edge.quantized_convolution_nhwc %q, %w, %s, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = -3 : i64, output_scale = 0.05 : f64, output_zero_point = -128 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -100 : i64, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xi8>, tensor<2x2x2x2xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xi8>
  return %y : tensor<1x2x2x2xi8>
}

// -----

// A depthwise int8 convolution (one input channel per group) gets a
// [1, KH, KW, C] filter; an int8 delegate input gets its parameters as
// argument attributes (the convolution reads it with them); the residual
// add requantizes both inputs to its own scale; the permute and max
// pooling keep their input's parameters (no attributes of their own); the
// dequantize at the end is a Convert.
// CHECK-LABEL: func.func @depthwise_add_pool
// CHECK-SAME: %arg0: tensor<1x4x4x2xi8> {xnnpack.scale = 2.000000e-02 : f64, xnnpack.zero_point = 5 : i64}
// CHECK: %[[D:.*]] = xnnpack.depthwise_convolution_2d %arg0, %{{.*}} {dilation = array<i64: 1, 1>, filter_scales = array<f32: 1.000000e-01>, padding = array<i64: 1, 1, 1, 1>, result_scale = 2.000000e-02 : f64, result_zero_point = 5 : i64, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<1x3x3x2xi8>) -> tensor<1x4x4x2xi8>
// CHECK: %[[A:.*]] = xnnpack.add %[[D]], %arg0 {result_scale = 4.000000e-02 : f64, result_zero_point = 0 : i64} : (tensor<1x4x4x2xi8>, tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
// CHECK: %[[P:.*]] = xnnpack.max_pooling_2d %[[A]] {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, pooling = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
// CHECK: %[[T:.*]] = xnnpack.static_transpose %[[P]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
// CHECK: %[[F:.*]] = xnnpack.convert %[[T]] : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xf32>
// CHECK: return %[[F]]
func.func @depthwise_add_pool(%x: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xf32> {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x1x3x3xi8>
  %s = edge.constant {name = "s"} dense<0.1> : tensor<1xf32>
  %none = edge.none
  %d = edge.quantized_convolution_nhwc %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, input_scale = 0.02 : f64, input_zero_point = 5 : i64, output_scale = 0.02 : f64, output_zero_point = 5 : i64, padding = array<i64: 1, 1>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<2x1x3x3xi8>, tensor<1xf32>, none) -> tensor<1x4x4x2xi8>
  %a = edge.quantized_add %d, %x {other_scale = 0.02 : f64, other_zero_point = 5 : i64, output_scale = 0.04 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.02 : f64, self_zero_point = 5 : i64} : (tensor<1x4x4x2xi8>, tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
  %p = edge.quantized_max_pool2d_nhwc %a {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
  %t = edge.permute %p {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
  %f = edge.dequantize_per_tensor %t {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.04 : f64, zero_point = 0 : i64} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xf32>
  return %f : tensor<1x2x2x2xf32>
}

// -----

// A per-tensor int8 linear is a fully-connected node with an int8 [N, K]
// filter (PyTorch's layout, as XNNPACK's) and an int32 bias at scale
// 0.1 * 0.2: 1.0 / 0.02 = 50.
// CHECK-LABEL: func.func @linear_per_tensor
// CHECK: %[[B:.*]] = edge.constant {name = "bias_int32"} dense<50> : tensor<4xi32>
// CHECK: xnnpack.fully_connected %arg0, %{{.*}}, %[[B]] {filter_scales = array<f32: 2.000000e-01>, result_scale = 3.000000e-01 : f64, result_zero_point = 1 : i64} : (tensor<2x3xi8>, tensor<4x3xi8>, tensor<4xi32>) -> tensor<2x4xi8>
func.func @linear_per_tensor(%x: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %w = edge.constant {name = "w"} dense<2> : tensor<4x3xi8>
  %s = edge.constant {name = "s"} dense<0.2> : tensor<1xf32>
  %b = edge.constant {name = "b"} dense<1.0> : tensor<4xf32>
  %y = edge.quantized_linear %x, %w, %s, %b {input_scale = 0.1 : f64, input_zero_point = 0 : i64, output_scale = 0.3 : f64, output_zero_point = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x3xi8>, tensor<4x3xi8>, tensor<1xf32>, tensor<4xf32>) -> tensor<2x4xi8>
  return %y : tensor<2x4xi8>
}

// -----

// NCHW quantized ops (without the quantizer's channels-last pass): the
// convolution gets transposes on each side, and dequantize -> max pooling
// -> quantize with one scale and zero point is one int8 max pooling.
// CHECK-LABEL: func.func @nchw_conv_and_int8_pool
// CHECK: %[[IN:.*]] = xnnpack.static_transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xi8>) -> tensor<1x4x4x2xi8>
// CHECK: %[[C:.*]] = xnnpack.convolution_2d %[[IN]]
// CHECK: %[[OUT:.*]] = xnnpack.static_transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x4x4xi8>
// CHECK: %[[P:.*]] = xnnpack.max_pooling_2d %{{.*}} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
// CHECK-NOT: xnnpack.convert
// CHECK: return
func.func @nchw_conv_and_int8_pool(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8> {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x2x1x1xi8>
  %s = edge.constant {name = "s"} dense<[0.1, 0.2]> : tensor<2xf32>
  %none = edge.none
  %c = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.05 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x2x4x4xi8>, tensor<2x2x1x1xi8>, tensor<2xf32>, none) -> tensor<1x2x4x4xi8>
  %f = edge.dequantize_per_tensor %c {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %p:2 = edge.max_pool2d_with_indices %f {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  %q = edge.quantize_per_tensor %p#0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// XNNPACK gives a value one scale: an int8 value read with two scales is
// refused (the partitioner would not have taken it).
func.func @two_scales(%x: tensor<1x2xi8>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  // expected-error @+1 {{cannot be lowered to XNNPACK: input is read with two scales or zero points}}
  %a = edge.dequantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  // expected-error @+1 {{cannot be lowered to XNNPACK: input is read with two scales or zero points}}
  %b = edge.dequantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.2 : f64, zero_point = 0 : i64} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  return %a, %b : tensor<1x2xf32>, tensor<1x2xf32>
}
