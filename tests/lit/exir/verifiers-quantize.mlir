// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed: PT2E's static and dynamic ops, per-channel weights and
// torchao's 8da4w chain (per-token activations, group-wise int4 weights).
func.func @valid(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16xf32>,
                 %z: tensor<16xi64>, %gs: tensor<16x2xf32>, %gz: tensor<16x2xi8>)
    -> tensor<16x64xf32> {
  %0 = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 3 : i64} : (tensor<4x64xf32>) -> tensor<4x64xi8>
  %1 = edge.dequantize_per_tensor %0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 3 : i64} : (tensor<4x64xi8>) -> tensor<4x64xf32>
  %2 = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<16x64xi8>, tensor<16xf32>, tensor<16xi64>) -> tensor<16x64xf32>
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x64xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %3 = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x64xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x64xi8>
  %4 = edge.dequantize_per_tensor.tensor %3, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x64xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x64xf32>
  %as, %az = edge.choose_qparams_affine %x {block_size = array<i64: 1, 64>, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<4x64xf32>) -> (tensor<4xf32>, tensor<4xi8>)
  %5 = edge.quantize_affine %x, %as, %az {block_size = array<i64: 1, 64>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x64xf32>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x64xi8>
  %6 = edge.dequantize_affine %w, %gs, %gz {block_size = array<i64: 1, 32>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<16x64xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<16x64xf32>
  return %6 : tensor<16x64xf32>
}

// -----

func.func @scale_not_positive(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{scale 0 must be positive and finite}}
  %0 = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @zero_point_out_of_range(%q: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{zero point 200 is outside the quantization range [-128, 127]}}
  %0 = edge.dequantize_per_tensor %q {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 200 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @range_outside_dtype(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{quantization range [0, 255] is empty or outside the dtype's [-128, 127]}}
  %0 = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @not_a_quantized_dtype(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{dtype 6 is not a quantized dtype Ember supports}}
  %0 = edge.quantize_per_tensor %x {dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @input_is_not_dtype(%q: tensor<4xui8>) -> tensor<4xf32> {
  // expected-error @+1 {{input is 'ui8' but dtype says 'i8'}}
  %0 = edge.dequantize_per_tensor %q {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scales_per_channel_size(%w: tensor<16x64xi8>, %s: tensor<8xf32>) -> tensor<16x64xf32> {
  %none = edge.none
  // expected-error @+1 {{scales has shape [8], expected [16] (one per index of axis 0)}}
  %0 = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<16x64xi8>, tensor<8xf32>, none) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// A constant scale that is not positive is caught at compile time.
func.func @constant_scale_negative(%w: tensor<2x4xi8>) -> tensor<2x4xf32> {
  %s = edge.constant {name = "s"} dense<[0.5, -0.25]> : tensor<2xf32>
  %none = edge.none
  // expected-error @+1 {{scale -0.25 must be positive and finite}}
  %0 = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A constant zero point out of range is caught at compile time.
func.func @constant_zero_point(%w: tensor<2x4xi8>) -> tensor<2x4xf32> {
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %z = edge.constant {name = "z"} dense<[0, 9]> : tensor<2xi8>
  // expected-error @+1 {{zero point 9 is outside the quantization range [-8, 7]}}
  %0 = edge.dequantize_affine %w, %s, %z {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @group_not_dividing(%w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<16x64xf32> {
  %none = edge.none
  // expected-error @+1 {{block size 48 does not divide dim 1 of size 64}}
  %0 = edge.dequantize_affine %w, %s, %none {block_size = array<i64: 1, 48>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<16x64xi8>, tensor<16x2xf32>, none) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @scales_per_block(%w: tensor<16x64xi8>, %s: tensor<16x4xf32>) -> tensor<16x64xf32> {
  %none = edge.none
  // expected-error @+1 {{scale has 64 entries, expected 32 (one per block)}}
  %0 = edge.dequantize_affine %w, %s, %none {block_size = array<i64: 1, 32>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<16x64xi8>, tensor<16x4xf32>, none) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @mapping_type(%x: tensor<4x64xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{mapping_type 'AFFINE' is not SYMMETRIC, SYMMETRIC_NO_CLIPPING_ERR or ASYMMETRIC}}
  %s, %z = edge.choose_qparams_affine %x {block_size = array<i64: 1, 64>, keepdim = false, mapping_type = "AFFINE", target_dtype = 1 : i64} : (tensor<4x64xf32>) -> (tensor<4xf32>, tensor<4xi8>)
  return %s : tensor<4xf32>
}

// -----

func.func @choose_range_without_zero(%x: tensor<4xf32>) -> tensor<1xf64> {
  // expected-error @+1 {{quantization range [1, 127] must include 0 and more than one value}}
  %s, %z = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 0.001 : f64, quant_max = 127 : i64, quant_min = 1 : i64} : (tensor<4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  return %s : tensor<1xf64>
}

// -----

// Well-formed quantized ops: a conv with a fused relu (quant_min at the
// output zero point), a linear, a residual add, the dynamic linear and the
// 4-bit group-wise linear (uint8 [N, K / 2] storage).
func.func @quantized_ops(%x: tensor<1x8x6x6xi8>, %w: tensor<16x8x3x3xi8>, %s: tensor<16xf32>,
                         %b: tensor<16xf32>, %l: tensor<2x32xi8>, %lw: tensor<16x32xi8>,
                         %f: tensor<2x64xf32>, %w4: tensor<16x32xui8>, %g: tensor<16x2xf32>,
                         %dw: tensor<16x64xi8>) -> tensor<2x16xf32> {
  %0 = edge.quantized_convolution %x, %w, %s, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = 0 : i64, output_scale = 0.2 : f64, output_zero_point = -5 : i64, padding = array<i64: 1, 1>, quant_max = 127 : i64, quant_min = -5 : i64, stride = array<i64: 2, 2>} : (tensor<1x8x6x6xi8>, tensor<16x8x3x3xi8>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x3x3xi8>
  %1 = edge.quantized_linear %l, %lw, %s, %b {input_scale = 0.1 : f64, input_zero_point = 3 : i64, output_scale = 0.2 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x32xi8>, tensor<16x32xi8>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xi8>
  %2 = edge.quantized_add %0, %0 {self_scale = 0.2 : f64, self_zero_point = -5 : i64, other_scale = 0.2 : f64, other_zero_point = -5 : i64, output_scale = 0.4 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = 0 : i64} : (tensor<1x16x3x3xi8>, tensor<1x16x3x3xi8>) -> tensor<1x16x3x3xi8>
  %3 = edge.linear_dynamic_int8 %f, %dw, %s, %b {eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x64xf32>, tensor<16x64xi8>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  %none = edge.none
  %4 = edge.linear_lowbit %f, %w4, %g, %none, %none {bits = 4 : i64, group_size = 32 : i64, quantize_input = true} : (tensor<2x64xf32>, tensor<16x32xui8>, tensor<16x2xf32>, none, none) -> tensor<2x16xf32>
  return %4 : tensor<2x16xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x8x6x6xi8>, %w: tensor<16x4x3x3xi8>, %s: tensor<1xf32>) -> tensor<1x16x4x4xi8> {
  %none = edge.none
  // expected-error @+1 {{input channels 8 do not match weight [16, 4, 3, 3] with 1 group(s)}}
  %0 = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = 0 : i64, output_scale = 0.2 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xi8>, tensor<16x4x3x3xi8>, tensor<1xf32>, none) -> tensor<1x16x4x4xi8>
  return %0 : tensor<1x16x4x4xi8>
}

// -----

func.func @lowbit_storage(%f: tensor<2x64xf32>, %w: tensor<16x64xui8>, %g: tensor<16x2xf32>) -> tensor<2x16xf32> {
  %none = edge.none
  // expected-error @+1 {{a 4-bit weight for K = 64 must be uint8 [N, K / 2]}}
  %0 = edge.linear_lowbit %f, %w, %g, %none, %none {bits = 4 : i64, group_size = 32 : i64, quantize_input = false} : (tensor<2x64xf32>, tensor<16x64xui8>, tensor<16x2xf32>, none, none) -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}

// -----

func.func @lowbit_group(%f: tensor<2x64xf32>, %w: tensor<16x64xi8>, %g: tensor<16x2xf32>) -> tensor<2x16xf32> {
  %none = edge.none
  // expected-error @+1 {{group size 48 does not divide K = 64}}
  %0 = edge.linear_lowbit %f, %w, %g, %none, %none {bits = 8 : i64, group_size = 48 : i64, quantize_input = false} : (tensor<2x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>, none, none) -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}

// -----

// quantized_mul broadcasts as quantized_add does.
func.func @mul_broadcast(%a: tensor<1x8x4x4xi8>, %b: tensor<1x3x1x1xi8>) -> tensor<1x8x4x4xi8> {
  // expected-error @+1 {{operand shapes [1, 8, 4, 4] and [1, 3, 1, 1] cannot be broadcast together}}
  %0 = edge.quantized_mul %a, %b {other_scale = 0.1 : f64, other_zero_point = 0 : i64, output_scale = 0.2 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<1x8x4x4xi8>, tensor<1x3x1x1xi8>) -> tensor<1x8x4x4xi8>
  return %0 : tensor<1x8x4x4xi8>
}

// -----

func.func @mean_repeated_dim(%x: tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xi8> {
  // expected-error @+1 {{dim 2 appears more than once in the list of dims}}
  %0 = edge.quantized_mean %x {dim = array<i64: 2, -2>, keepdim = true, output_scale = 0.2 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xi8>
  return %0 : tensor<1x8x1x1xi8>
}

// -----

func.func @mean_result_type(%x: tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xui8> {
  // expected-error @+1 {{result must have self's element type 'i8'}}
  %0 = edge.quantized_mean %x {dim = array<i64: 2, 3>, keepdim = true, output_scale = 0.2 : f64, output_zero_point = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, self_scale = 0.1 : f64, self_zero_point = 0 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xui8>
  return %0 : tensor<1x8x1x1xui8>
}
