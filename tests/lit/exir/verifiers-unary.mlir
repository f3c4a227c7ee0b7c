// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Float math keeps a floating element type and gives f32 for integers; a
// dynamic size matches any size.
func.func @valid(%x: tensor<?x3xi64>, %f: tensor<2x3xbf16>, %b: tensor<4xi1>) -> (tensor<2x3xf32>, tensor<2x3xbf16>, tensor<4xi1>, tensor<4xi64>) {
  %e = edge.exp %x : (tensor<?x3xi64>) -> tensor<2x3xf32>
  %s = edge.sigmoid %f : (tensor<2x3xbf16>) -> tensor<2x3xbf16>
  %n = edge.isnan %b : (tensor<4xi1>) -> tensor<4xi1>
  %c = edge.clamp %b {min = 0 : i64} : (tensor<4xi1>) -> tensor<4xi64>
  return %e, %s, %n, %c : tensor<2x3xf32>, tensor<2x3xbf16>, tensor<4xi1>, tensor<4xi64>
}

// -----

// exp of an integer tensor is f32, not the integer type.
func.func @exp_int_result(%x: tensor<2x3xi64>) -> tensor<2x3xi64> {
  // expected-error @+1 {{result element type 'i64' should be 'f32' (integer and bool inputs give f32)}}
  %y = edge.exp %x : (tensor<2x3xi64>) -> tensor<2x3xi64>
  return %y : tensor<2x3xi64>
}

// -----

// A floating input keeps its type.
func.func @tanh_half(%x: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{result element type 'f32' should be 'f16' (self's element type)}}
  %y = edge.tanh %x : (tensor<4xf16>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A unary op keeps self's shape.
func.func @neg_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{result shape [3, 2] does not match the inferred shape [2, 3]}}
  %y = edge.neg %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// floor of an integer tensor is that integer type.
func.func @floor_int(%x: tensor<5xi32>) -> tensor<5xf32> {
  // expected-error @+1 {{result element type 'f32' should be 'i32' (self's element type)}}
  %y = edge.floor %x : (tensor<5xi32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

// Predicates give i1.
func.func @isinf_type(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{result element type 'f32' should be 'i1' (a predicate gives i1)}}
  %y = edge.isinf %x : (tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

// gelu knows two approximations.
func.func @gelu_mode(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "erf"}}
  %y = edge.gelu %x {approximate = "erf"} : (tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

// clamp needs a bound.
func.func @clamp_no_bound(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{needs at least one of min and max}}
  %y = edge.clamp %x : (tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

// An integer tensor clamped to a float bound is f32.
func.func @clamp_int_float_bound(%x: tensor<5xi32>) -> tensor<5xi32> {
  // expected-error @+1 {{result element type 'i32' should be 'f32' (self promoted with the bounds)}}
  %y = edge.clamp %x {max = 2.500000e+00 : f64} : (tensor<5xi32>) -> tensor<5xi32>
  return %y : tensor<5xi32>
}

// -----

// A bool tensor clamped to bool bounds has no kernel (torch has none either).
func.func @clamp_bool_bounds(%x: tensor<5xi1>) -> tensor<5xi1> {
  // expected-error @+1 {{of a bool tensor needs an int or float bound}}
  %y = edge.clamp %x {min = true} : (tensor<5xi1>) -> tensor<5xi1>
  return %y : tensor<5xi1>
}

// -----

// clamp.Tensor: the bounds must broadcast with self.
func.func @clamp_tensor_broadcast(%x: tensor<2x3xf32>, %lo: tensor<4xf32>) -> tensor<2x3xf32> {
  %none = edge.none
  // expected-error @+1 {{operand shapes [2, 3] and [4] cannot be broadcast together}}
  %y = edge.clamp.Tensor %x, %lo, %none : (tensor<2x3xf32>, tensor<4xf32>, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// clamp.Tensor: the result has the broadcast shape of self, min and max.
func.func @clamp_tensor_shape(%x: tensor<3xf32>, %hi: tensor<2x1xf32>) -> tensor<3xf32> {
  %none = edge.none
  // expected-error @+1 {{result shape [3] does not match the inferred shape [2, 3]}}
  %y = edge.clamp.Tensor %x, %none, %hi : (tensor<3xf32>, none, tensor<2x1xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// clamp.Tensor: a 0-d bound of the same category does not widen self.
func.func @clamp_tensor_promotion(%x: tensor<3xf16>, %lo: tensor<f32>) -> tensor<3xf32> {
  %none = edge.none
  // expected-error @+1 {{result element type 'f32' should be 'f16' (self, min and max promoted)}}
  %y = edge.clamp.Tensor %x, %lo, %none : (tensor<3xf16>, tensor<f32>, none) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// clamp.Tensor: bounds with dims promote with self (ui8 with i8 gives i16).
func.func @clamp_tensor_uint8_int8(%x: tensor<3xui8>, %lo: tensor<3xi8>) -> tensor<3xui8> {
  %none = edge.none
  // expected-error @+1 {{result element type 'ui8' should be 'i16' (self, min and max promoted)}}
  %y = edge.clamp.Tensor %x, %lo, %none : (tensor<3xui8>, tensor<3xi8>, none) -> tensor<3xui8>
  return %y : tensor<3xui8>
}

// -----

// clamp.Tensor needs a bound.
func.func @clamp_tensor_no_bound(%x: tensor<3xf32>) -> tensor<3xf32> {
  %none = edge.none
  // expected-error @+1 {{needs at least one of min and max}}
  %y = edge.clamp.Tensor %x, %none, %none : (tensor<3xf32>, none, none) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// clamp.Tensor of bool tensors has no kernel.
func.func @clamp_tensor_bool(%x: tensor<3xi1>, %lo: tensor<3xi1>) -> tensor<3xi1> {
  %none = edge.none
  // expected-error @+1 {{of bool tensors is not supported}}
  %y = edge.clamp.Tensor %x, %lo, %none : (tensor<3xi1>, tensor<3xi1>, none) -> tensor<3xi1>
  return %y : tensor<3xi1>
}
