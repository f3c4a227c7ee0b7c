// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed: ExecuTorch's LLM form (4-bit, groups of 32, no zero points,
// .dtype), a 2-bit table with float zero points, an int8 and a uint8 table
// with one scale per row, int32 indices.
func.func @valid(%w4: tensor<100x64xui8>, %s4: tensor<100x4xf32>, %w2: tensor<100x32xui8>,
                 %s2: tensor<100x2xf32>, %z2: tensor<100x2xf32>, %w8: tensor<100x128xi8>,
                 %u8: tensor<100x128xui8>, %s8: tensor<100xf32>, %idx: tensor<1x7xi64>,
                 %idx32: tensor<3xi32>) -> tensor<1x7x128xf32> {
  %none = edge.none
  %a = edge.embedding_4bit.dtype %w4, %s4, %none, %idx {dtype = 6 : i64, weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<100x64xui8>, tensor<100x4xf32>, none, tensor<1x7xi64>) -> tensor<1x7x128xf32>
  %b = edge.embedding_2bit %w2, %s2, %z2, %idx32 {weight_quant_max = 1 : i64, weight_quant_min = -2 : i64} : (tensor<100x32xui8>, tensor<100x2xf32>, tensor<100x2xf32>, tensor<3xi32>) -> tensor<3x128xf32>
  %c = edge.embedding_byte %w8, %s8, %none, %idx {weight_quant_max = 127 : i64, weight_quant_min = -127 : i64} : (tensor<100x128xi8>, tensor<100xf32>, none, tensor<1x7xi64>) -> tensor<1x7x128xf32>
  %d = edge.embedding_byte.dtype %u8, %s8, %none, %idx32 {dtype = 5 : i64, weight_quant_max = 255 : i64, weight_quant_min = 0 : i64} : (tensor<100x128xui8>, tensor<100xf32>, none, tensor<3xi32>) -> tensor<3x128xf16>
  return %a : tensor<1x7x128xf32>
}

// -----

func.func @packed_table_not_uint8(%w: tensor<10x4xi8>, %s: tensor<10x1xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %none = edge.none
  // expected-error @+1 {{'edge.embedding_4bit' op a 4-bit table must be uint8 (packed), got 'i8'}}
  %0 = edge.embedding_4bit %w, %s, %none, %i {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<10x4xi8>, tensor<10x1xf32>, none, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @groups_do_not_divide(%w: tensor<10x4xui8>, %s: tensor<10x3xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %none = edge.none
  // expected-error @+1 {{weight_scales has 3 groups per row, which do not divide the embedding dim 8}}
  %0 = edge.embedding_4bit %w, %s, %none, %i {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<10x4xui8>, tensor<10x3xf32>, none, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @scales_not_per_row(%w: tensor<10x4xui8>, %s: tensor<9x2xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %none = edge.none
  // expected-error @+1 {{weight_scales must be [V] or [V, D / G] with V = 10, got [9, 2]}}
  %0 = edge.embedding_4bit %w, %s, %none, %i {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<10x4xui8>, tensor<9x2xf32>, none, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @zero_points_unlike_scales(%w: tensor<10x4xui8>, %s: tensor<10x2xf32>, %z: tensor<10x2xi8>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight_zero_points must be none or like weight_scales}}
  %0 = edge.embedding_4bit %w, %s, %z, %i {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<10x4xui8>, tensor<10x2xf32>, tensor<10x2xi8>, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @range_not_4bit(%w: tensor<10x4xui8>, %s: tensor<10x2xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %none = edge.none
  // expected-error @+1 {{weight range [-128, 127] is not the table's [-8, 7]}}
  %0 = edge.embedding_4bit %w, %s, %none, %i {weight_quant_max = 127 : i64, weight_quant_min = -128 : i64} : (tensor<10x4xui8>, tensor<10x2xf32>, none, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @float_indices(%w: tensor<10x2xui8>, %s: tensor<10x1xf32>, %i: tensor<2xf32>) -> tensor<2x8xf32> {
  %none = edge.none
  // expected-error @+1 {{indices must be int64 or int32, got 'f32'}}
  %0 = edge.embedding_2bit %w, %s, %none, %i {weight_quant_max = 1 : i64, weight_quant_min = -2 : i64} : (tensor<10x2xui8>, tensor<10x1xf32>, none, tensor<2xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @scale_not_positive(%w: tensor<2x4xi8>, %i: tensor<2xi64>) -> tensor<2x4xf32> {
  %s = edge.constant {name = "s"} dense<[0.5, 0.0]> : tensor<2xf32>
  %none = edge.none
  // expected-error @+1 {{scale 0 must be positive and finite}}
  %0 = edge.embedding_byte %w, %s, %none, %i {weight_quant_max = 127 : i64, weight_quant_min = -128 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none, tensor<2xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @wrong_result(%w: tensor<10x4xui8>, %s: tensor<10x2xf32>, %i: tensor<2xi64>) -> tensor<2x4xf32> {
  %none = edge.none
  // expected-error @+1 {{result shape [2, 4] does not match the inferred shape [2, 8]}}
  %0 = edge.embedding_4bit %w, %s, %none, %i {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<10x4xui8>, tensor<10x2xf32>, none, tensor<2xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
