// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed ops of the family verify: a 0-d float64 does not promote a
// float32 tensor, an int tensor with a float Scalar gives f32, uint8 with
// int8 gives i16, a uint8 condition is accepted and a dynamic size
// broadcasts.
func.func @valid(%f: tensor<2x3xf32>, %d: tensor<f64>, %i: tensor<2x3xi32>, %u: tensor<3xui8>,
                 %c: tensor<3xi8>, %m: tensor<?x1xui8>, %h: tensor<3xf16>) -> tensor<2x3xf32> {
  %0 = edge.maximum %f, %d : (tensor<2x3xf32>, tensor<f64>) -> tensor<2x3xf32>
  %1 = edge.add.Scalar %i {alpha = 1 : i64, other = 2.5 : f64} : (tensor<2x3xi32>) -> tensor<2x3xf32>
  %2 = edge.remainder.Tensor %u, %c : (tensor<3xui8>, tensor<3xi8>) -> tensor<3xi16>
  %3 = edge.where.self %m, %c, %h : (tensor<?x1xui8>, tensor<3xi8>, tensor<3xf16>) -> tensor<?x3xf16>
  %4 = edge.gt.Scalar %i {other = 0 : i64} : (tensor<2x3xi32>) -> tensor<2x3xi1>
  %5 = edge.pow.Scalar %i {self = 2 : i64} : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %6 = edge.div.Scalar_mode %i {other = 2 : i64, rounding_mode = "floor"} : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %7 = edge.bitwise_and.Scalar %u {other = true} : (tensor<3xui8>) -> tensor<3xui8>
  return %0 : tensor<2x3xf32>
}

// -----

// Operands that cannot broadcast.
func.func @remainder_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand shapes [2, 3] and [4] cannot be broadcast together}}
  %y = edge.remainder.Tensor %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A comparison gives bool.
func.func @eq_not_bool(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result element type 'f32' does not match 'i1'}}
  %y = edge.eq.Tensor %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// A comparison with a Scalar gives bool too.
func.func @gt_scalar_not_bool(%a: tensor<3xi64>) -> tensor<3xi64> {
  // expected-error @+1 {{result element type 'i64' does not match 'i1'}}
  %y = edge.gt.Scalar %a {other = 0 : i64} : (tensor<3xi64>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// Logical ops give bool.
func.func @logical_and_not_bool(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type 'i32' does not match 'i1'}}
  %y = edge.logical_and %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// An int32 tensor plus a float Scalar promotes to the default float dtype.
func.func @add_scalar_promotes(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type 'i32' does not match 'f32'}}
  %y = edge.add.Scalar %a {alpha = 1 : i64, other = 0.5 : f64} : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// Dimensioned tensors promote among themselves: int32 with int64 is int64.
func.func @pow_promotes(%a: tensor<3xi32>, %b: tensor<3xi64>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type 'i32' does not match 'i64'}}
  %y = edge.pow.Tensor_Tensor %a, %b : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// uint8 with int8 promotes to int16.
func.func @fmod_uint8_int8(%a: tensor<3xui8>, %b: tensor<3xi8>) -> tensor<3xui8> {
  // expected-error @+1 {{result element type 'ui8' does not match 'i16'}}
  %y = edge.fmod.Tensor %a, %b : (tensor<3xui8>, tensor<3xi8>) -> tensor<3xui8>
  return %y : tensor<3xui8>
}

// -----

// A 0-d float operand of a higher category promotes an int tensor.
func.func @minimum_zero_dim_float(%a: tensor<3xi64>, %b: tensor<f16>) -> tensor<3xi64> {
  // expected-error @+1 {{result element type 'i64' does not match 'f16'}}
  %y = edge.minimum %a, %b : (tensor<3xi64>, tensor<f16>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// True division of integers by a Scalar gives float32.
func.func @div_scalar_int(%a: tensor<3xi64>) -> tensor<3xi64> {
  // expected-error @+1 {{result element type 'i64' does not match 'f32'}}
  %y = edge.div.Scalar %a {other = 2 : i64} : (tensor<3xi64>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// atan2 of integers gives float32.
func.func @atan2_int(%a: tensor<3xi8>, %b: tensor<3xi8>) -> tensor<3xi8> {
  // expected-error @+1 {{result element type 'i8' does not match 'f32'}}
  %y = edge.atan2 %a, %b : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  return %y : tensor<3xi8>
}

// -----

// A float Scalar base promotes an int exponent tensor.
func.func @pow_scalar_float_base(%e: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type 'i32' does not match 'f32'}}
  %y = edge.pow.Scalar %e {self = 2.0 : f64} : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// A Scalar operand keeps self's shape.
func.func @mul_scalar_shape(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{result shape [3, 2] does not match the inferred shape [2, 3]}}
  %y = edge.mul.Scalar %a {other = 2 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Only trunc and floor are rounding modes.
func.func @div_scalar_mode(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{rounding_mode must be "trunc" or "floor", got "round"}}
  %y = edge.div.Scalar_mode %a {other = 2 : i64, rounding_mode = "round"} : (tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Bitwise ops take integers and bools, not floats.
func.func @bitwise_float(%a: tensor<3xf32>, %b: tensor<3xi32>) -> tensor<3xf32> {
  // expected-error @+1 {{takes integer or bool operands, but they promote to 'f32'}}
  %y = edge.bitwise_or.Tensor %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// A float Scalar makes a bitwise op float, which it rejects.
func.func @bitwise_float_scalar(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{takes integer or bool operands, but they promote to 'f32'}}
  %y = edge.bitwise_xor.Scalar %a {other = 1.5 : f64} : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// where's condition is bool (or uint8).
func.func @where_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{condition must be bool (or uint8), got 'f32'}}
  %y = edge.where.self %c, %a, %a : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// where broadcasts all three operands.
func.func @where_broadcast(%c: tensor<2x1xi1>, %a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand shapes [2, 3] and [4] cannot be broadcast together}}
  %y = edge.where.self %c, %a, %b : (tensor<2x1xi1>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// where's result has the three-way broadcast shape.
func.func @where_result_shape(%c: tensor<2x1xi1>, %a: tensor<3xf32>, %b: tensor<f32>) -> tensor<3xf32> {
  // expected-error @+1 {{result shape [3] does not match the inferred shape [2, 3]}}
  %y = edge.where.self %c, %a, %b : (tensor<2x1xi1>, tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// where promotes self and other (not the condition).
func.func @where_promotes(%c: tensor<3xi1>, %a: tensor<3xi32>, %b: tensor<3xf16>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type 'i32' does not match 'f16'}}
  %y = edge.where.self %c, %a, %b : (tensor<3xi1>, tensor<3xi32>, tensor<3xf16>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}
