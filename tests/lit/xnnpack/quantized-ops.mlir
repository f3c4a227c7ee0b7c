// RUN: ember-opt %s -split-input-file -verify-diagnostics

// The verifiers of the quantized forms: an 8-bit result carries its scale
// and zero point, an int8 filter its scales, and a convert goes between
// fp32 and 8 bits.
func.func @result_without_scale(%x: tensor<1x2xi8>, %y: tensor<1x2xi8>) -> tensor<1x2xi8> {
  // expected-error @+1 {{8-bit result needs result_scale and result_zero_point}}
  %z = xnnpack.add %x, %y : (tensor<1x2xi8>, tensor<1x2xi8>) -> tensor<1x2xi8>
  return %z : tensor<1x2xi8>
}

// -----

func.func @zero_point_outside_int8(%x: tensor<1x2xf32>) -> tensor<1x2xi8> {
  // expected-error @+1 {{result_scale must be positive and result_zero_point in [-128, 127]}}
  %z = xnnpack.convert %x {result_scale = 0.1 : f64, result_zero_point = 200 : i64} : (tensor<1x2xf32>) -> tensor<1x2xi8>
  return %z : tensor<1x2xi8>
}

// -----

func.func @convert_int8_to_int8(%x: tensor<1x2xi8>) -> tensor<1x2xi8> {
  // expected-error @+1 {{converts between fp32 and an 8-bit type only}}
  %z = xnnpack.convert %x {result_scale = 0.1 : f64, result_zero_point = 0 : i64} : (tensor<1x2xi8>) -> tensor<1x2xi8>
  return %z : tensor<1x2xi8>
}

// -----

func.func @filter_without_scales(%x: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %w = edge.constant dense<1> : tensor<4x3xi8>
  // expected-error @+1 {{int8 filter needs filter_scales of 1 or 4 entries}}
  %y = xnnpack.fully_connected %x, %w {result_scale = 0.1 : f64, result_zero_point = 0 : i64} : (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi8>
  return %y : tensor<2x4xi8>
}

// -----

func.func @float_bias_on_int8(%x: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %w = edge.constant dense<1> : tensor<4x3xi8>
  %b = edge.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{quantized: needs int8 input, filter and result and an int32 bias}}
  %y = xnnpack.fully_connected %x, %w, %b {filter_scales = array<f32: 0.5>, result_scale = 0.1 : f64, result_zero_point = 0 : i64} : (tensor<2x3xi8>, tensor<4x3xi8>, tensor<4xf32>) -> tensor<2x4xi8>
  return %y : tensor<2x4xi8>
}
