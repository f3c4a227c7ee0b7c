// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed: a cat of an int8 and another int8 on its own scale, a
// product of [2, 4, 8] and [2, 8, 3] uint8 activations.
func.func @valid(%a: tensor<1x4x6x6xi8>, %b: tensor<1x6x6x6xi8>, %p: tensor<2x4x8xui8>, %q: tensor<2x8x3xui8>) -> (tensor<1x10x6x6xi8>, tensor<2x4x3xi8>) {
  %0 = edge.quantized_cat %a, %b {dim = 1 : i64, output_scale = 0.02 : f64, output_zero_point = -3 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.02, 0.01>, zero_points = array<i64: -3, 7>} : (tensor<1x4x6x6xi8>, tensor<1x6x6x6xi8>) -> tensor<1x10x6x6xi8>
  %1 = edge.quantized_matmul %p, %q {other_scale = 0.2 : f64, other_zero_point = 100 : i64, output_scale = 0.3 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = 0 : i64, self_scale = 0.1 : f64, self_zero_point = 128 : i64} : (tensor<2x4x8xui8>, tensor<2x8x3xui8>) -> tensor<2x4x3xi8>
  return %0, %1 : tensor<1x10x6x6xi8>, tensor<2x4x3xi8>
}

// -----

func.func @cat_params_count(%a: tensor<2x3xi8>, %b: tensor<2x3xi8>) -> tensor<4x3xi8> {
  // expected-error @+1 {{has 2 tensors, 1 scales and 2 zero points}}
  %0 = edge.quantized_cat %a, %b {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1>, zero_points = array<i64: 0, 0>} : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

func.func @cat_zero_point(%a: tensor<2x3xi8>, %b: tensor<2x3xi8>) -> tensor<4x3xi8> {
  // expected-error @+1 {{zero point 200 is outside the quantization range [-128, 127]}}
  %0 = edge.quantized_cat %a, %b {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, 0.1>, zero_points = array<i64: 0, 200>} : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

func.func @cat_scale(%a: tensor<2x3xi8>, %b: tensor<2x3xi8>) -> tensor<4x3xi8> {
  // expected-error @+1 {{tensor #1 scale -0.1 must be positive and finite}}
  %0 = edge.quantized_cat %a, %b {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, -0.1>, zero_points = array<i64: 0, 0>} : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

func.func @cat_mixed_types(%a: tensor<2x3xi8>, %b: tensor<2x3xui8>) -> tensor<4x3xi8> {
  // expected-error @+1 {{tensor #1 has element type 'ui8', the result 'i8'}}
  %0 = edge.quantized_cat %a, %b {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, 0.1>, zero_points = array<i64: 0, 128>} : (tensor<2x3xi8>, tensor<2x3xui8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

func.func @cat_shapes(%a: tensor<2x3xi8>, %b: tensor<2x4xi8>) -> tensor<4x3xi8> {
  // expected-error @+1 {{tensor #1 has shape [2, 4], incompatible with [2, 3] along dim 0}}
  %0 = edge.quantized_cat %a, %b {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 0.1, 0.1>, zero_points = array<i64: 0, 0>} : (tensor<2x3xi8>, tensor<2x4xi8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

func.func @cat_range(%a: tensor<2x3xi8>) -> tensor<2x3xi8> {
  // expected-error @+1 {{}}
  %0 = edge.quantized_cat %a {dim = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, quant_max = -1 : i64, quant_min = 3 : i64, scales = array<f64: 0.1>, zero_points = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xi8>
  return %0 : tensor<2x3xi8>
}

// -----

func.func @matmul_depth(%a: tensor<2x4x8xi8>, %b: tensor<2x6x3xi8>) -> tensor<2x4x3xi8> {
  // expected-error @+1 {{self [2, 4, 8] and other [2, 6, 3] are not [..., M, K] and [..., K, N] with the same leading dims}}
  %0 = edge.quantized_matmul %a, %b {other_scale = 0.2 : f64, other_zero_point = 0 : i64, output_scale = 0.3 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<2x4x8xi8>, tensor<2x6x3xi8>) -> tensor<2x4x3xi8>
  return %0 : tensor<2x4x3xi8>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xi8>, %b: tensor<3x8x3xi8>) -> tensor<2x4x3xi8> {
  // expected-error @+1 {{with the same leading dims}}
  %0 = edge.quantized_matmul %a, %b {other_scale = 0.2 : f64, other_zero_point = 0 : i64, output_scale = 0.3 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<2x4x8xi8>, tensor<3x8x3xi8>) -> tensor<2x4x3xi8>
  return %0 : tensor<2x4x3xi8>
}

// -----

func.func @matmul_result(%a: tensor<2x4x8xi8>, %b: tensor<2x8x3xi8>) -> tensor<2x4x4xi8> {
  // expected-error @+1 {{}}
  %0 = edge.quantized_matmul %a, %b {other_scale = 0.2 : f64, other_zero_point = 0 : i64, output_scale = 0.3 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<2x4x8xi8>, tensor<2x8x3xi8>) -> tensor<2x4x4xi8>
  return %0 : tensor<2x4x4xi8>
}

// -----

func.func @matmul_zero_point(%a: tensor<4x8xui8>, %b: tensor<8x3xui8>) -> tensor<4x3xui8> {
  // expected-error @+1 {{zero point -1 is outside the quantization range [0, 255]}}
  %0 = edge.quantized_matmul %a, %b {other_scale = 0.2 : f64, other_zero_point = -1 : i64, output_scale = 0.3 : f64, output_zero_point = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<4x8xui8>, tensor<8x3xui8>) -> tensor<4x3xui8>
  return %0 : tensor<4x3xui8>
}
