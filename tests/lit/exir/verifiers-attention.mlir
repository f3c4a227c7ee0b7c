// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed: grouped heads (4 query heads over 2 key/value heads), a bool
// mask broadcast over batch and heads, a float mask of 2 dims, causal
// without a mask, an explicit scale.
func.func @valid(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x5x8xf32>, %v: tensor<2x2x5x6xf32>,
                 %b: tensor<1x1x3x5xi1>, %f: tensor<3x5xf32>) -> tensor<2x4x3x6xf32> {
  %none = edge.none
  %0 = edge.scaled_dot_product_attention %q, %k, %v, %b {dropout_p = 0.0 : f64, enable_gqa = true, is_causal = false} : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>, tensor<1x1x3x5xi1>) -> tensor<2x4x3x6xf32>
  %1 = edge.scaled_dot_product_attention %q, %k, %v, %f {dropout_p = 0.0 : f64, enable_gqa = true, is_causal = false, scale = 0.5 : f64} : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>, tensor<3x5xf32>) -> tensor<2x4x3x6xf32>
  %2 = edge.scaled_dot_product_attention %q, %k, %v, %none {dropout_p = 0.0 : f64, enable_gqa = true, is_causal = true} : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>, none) -> tensor<2x4x3x6xf32>
  return %2 : tensor<2x4x3x6xf32>
}

// -----

func.func @heads_without_gqa(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> {
  %none = edge.none
  // expected-error @+1 {{query has 4 heads and key 2; different head counts need enable_gqa}}
  %0 = edge.scaled_dot_product_attention %q, %k, %k, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, none) -> tensor<1x4x3x8xf32>
  return %0 : tensor<1x4x3x8xf32>
}

// -----

func.func @heads_not_dividing(%q: tensor<1x3x3x8xf32>, %k: tensor<1x2x5x8xf32>) -> tensor<1x3x3x8xf32> {
  %none = edge.none
  // expected-error @+1 {{key heads 2 do not divide query heads 3}}
  %0 = edge.scaled_dot_product_attention %q, %k, %k, %none {dropout_p = 0.0 : f64, enable_gqa = true, is_causal = false} : (tensor<1x3x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, none) -> tensor<1x3x3x8xf32>
  return %0 : tensor<1x3x3x8xf32>
}

// -----

func.func @dropout(%q: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %none = edge.none
  // expected-error @+1 {{dropout_p must be 0 (inference), got 1.000000e-01}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %none {dropout_p = 0.1 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

func.func @mask_and_causal(%q: tensor<1x1x3x8xf32>, %m: tensor<3x3xi1>) -> tensor<1x1x3x8xf32> {
  // expected-error @+1 {{takes either attn_mask or is_causal, not both}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %m {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = true} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<3x3xi1>) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

func.func @mask_not_broadcasting(%q: tensor<1x1x3x8xf32>, %m: tensor<3x4xf32>) -> tensor<1x1x3x8xf32> {
  // expected-error @+1 {{attn_mask [3, 4] does not broadcast to the scores [1, 1, 3, 3]}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %m {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<3x4xf32>) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

func.func @mask_dtype(%q: tensor<1x1x3x8xf32>, %m: tensor<3x3xi64>) -> tensor<1x1x3x8xf32> {
  // expected-error @+1 {{attn_mask must be bool or the query's element type 'f32', got 'i64'}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %m {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<3x3xi64>) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

func.func @wrong_result(%q: tensor<1x1x3x8xf32>, %v: tensor<1x1x3x4xf32>) -> tensor<1x1x3x8xf32> {
  %none = edge.none
  // expected-error @+1 {{result shape [1, 1, 3, 8] does not match the inferred shape [1, 1, 3, 4]}}
  %0 = edge.scaled_dot_product_attention %q, %q, %v, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x4xf32>, none) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

// Half precision: f16 (or bf16) query, key and value with a mask of their
// own type or bool are valid; the result has their type.
func.func @valid_f16(%q: tensor<1x2x3x8xf16>, %m: tensor<3x5xf16>, %k: tensor<1x2x5x8xf16>) -> tensor<1x2x3x8xf16> {
  %0 = edge.scaled_dot_product_attention %q, %k, %k, %m {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x2x3x8xf16>, tensor<1x2x5x8xf16>, tensor<1x2x5x8xf16>, tensor<3x5xf16>) -> tensor<1x2x3x8xf16>
  return %0 : tensor<1x2x3x8xf16>
}

// -----

func.func @mixed_elements(%q: tensor<1x1x3x8xbf16>, %k: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xbf16> {
  %none = edge.none
  // expected-error @+1 {{expects query, key and value of one element type, got 'bf16' and 'f32'}}
  %0 = edge.scaled_dot_product_attention %q, %k, %k, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xbf16>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none) -> tensor<1x1x3x8xbf16>
  return %0 : tensor<1x1x3x8xbf16>
}

// -----

func.func @f16_with_f32_mask(%q: tensor<1x1x3x8xf16>, %m: tensor<3x3xf32>) -> tensor<1x1x3x8xf16> {
  // expected-error @+1 {{attn_mask must be bool or the query's element type 'f16', got 'f32'}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %m {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf16>, tensor<1x1x3x8xf16>, tensor<1x1x3x8xf16>, tensor<3x3xf32>) -> tensor<1x1x3x8xf16>
  return %0 : tensor<1x1x3x8xf16>
}

// -----

func.func @f64_query(%q: tensor<1x1x3x8xf64>) -> tensor<1x1x3x8xf64> {
  %none = edge.none
  // expected-error @+1 {{expects f32, f16 or bf16 query, key and value, got 'f64'}}
  %0 = edge.scaled_dot_product_attention %q, %q, %q, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false} : (tensor<1x1x3x8xf64>, tensor<1x1x3x8xf64>, tensor<1x1x3x8xf64>, none) -> tensor<1x1x3x8xf64>
  return %0 : tensor<1x1x3x8xf64>
}
