// RUN: ember-opt %s -split-input-file -ember-verify-edge-contract -verify-diagnostics | FileCheck %s

// A dynamic-shape function: types at the upper bound, the dynamic ones
// marked, sizes read and combined at run time, a view whose sizes refer to
// them. It round-trips and satisfies the Edge contract.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: {edge.dynamic}
// CHECK: %[[B:.*]] = edge.sym_size %arg0 {dim = 0 : i64}
// CHECK: %[[T:.*]] = edge.sym_size %arg0 {dim = 1 : i64}
// CHECK: %[[FOUR:.*]] = edge.sym_constant(4 : i64) : i64
// CHECK: %[[N:.*]] = edge.sym_op "mul"(%[[B]], %[[T]]) : (i64, i64) -> i64
// CHECK: %[[F:.*]] = edge.sym_op "sym_float"(%[[FOUR]]) : (i64) -> f64
// CHECK: edge.view %arg0, %[[N]] {{.*}}sym_slots = array<i64: 1, 0>
// CHECK: edge.div.Scalar {{.*}}sym_slots = array<i64: 1, -1>
func.func @reshape(%x: tensor<4x16x8xf32> {edge.dynamic}) -> tensor<64x8xf32> {
  %b = edge.sym_size %x {dim = 0 : i64} : (tensor<4x16x8xf32>) -> i64
  %t = edge.sym_size %x {dim = 1 : i64} : (tensor<4x16x8xf32>) -> i64
  %four = edge.sym_constant(4 : i64) : i64
  %n = edge.sym_op "mul"(%b, %t) : (i64, i64) -> i64
  %f = edge.sym_op "sym_float"(%four) : (i64) -> f64
  %v = edge.view %x, %n {size = array<i64: 64, 8>, sym_slots = array<i64: 1, 0>, edge.dynamic_results = array<i1: true>} : (tensor<4x16x8xf32>, i64) -> tensor<64x8xf32>
  %d = edge.div.Scalar %v, %f {other = 4.0 : f64, sym_slots = array<i64: 1, -1>, edge.dynamic_results = array<i1: true>} : (tensor<64x8xf32>, f64) -> tensor<64x8xf32>
  return %d : tensor<64x8xf32>
}

// -----

func.func @size_dim_out_of_range(%x: tensor<4x16xf32>) -> i64 {
  // expected-error @+1 {{'edge.sym_size' op dim 2 is out of range for a 2-d tensor}}
  %b = edge.sym_size %x {dim = 2 : i64} : (tensor<4x16xf32>) -> i64
  return %b : i64
}

// -----

func.func @unknown_function(%a: i64) -> i64 {
  // expected-error @+1 {{'edge.sym_op' op unknown function 'pow'}}
  %r = edge.sym_op "pow"(%a, %a) : (i64, i64) -> i64
  return %r : i64
}

// -----

func.func @wrong_arity(%a: i64) -> i64 {
  // expected-error @+1 {{'edge.sym_op' op 'neg' takes 1 operand(s), got 2}}
  %r = edge.sym_op "neg"(%a, %a) : (i64, i64) -> i64
  return %r : i64
}

// -----

func.func @truediv_gives_a_float(%a: i64) -> i64 {
  // expected-error @+1 {{'edge.sym_op' op 'truediv' of ints gives f64, not 'i64'}}
  %r = edge.sym_op "truediv"(%a, %a) : (i64, i64) -> i64
  return %r : i64
}

// -----

func.func @constant_type(%a: i64) -> f64 {
  // expected-error @+1 {{'edge.sym_constant' op value 4 : i64 does not match the result type 'f64'}}
  %r = edge.sym_constant(4 : i64) : f64
  return %r : f64
}

// -----

// A run-time value placed past the end of the list it replaces an element of.
func.func @slot_out_of_range(%x: tensor<4x16xf32>) -> tensor<64xf32> {
  %n = edge.sym_size %x {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
  // expected-error @+1 {{'edge.view' op sym_slots puts a run-time int at position 3 of 'size', which has 1 ints}}
  %v = edge.view %x, %n {size = array<i64: 64>, sym_slots = array<i64: 1, 3>} : (tensor<4x16xf32>, i64) -> tensor<64xf32>
  return %v : tensor<64xf32>
}

// -----

// An int argument may not take a float.
func.func @float_for_an_int(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {
  %n = edge.sym_size %x {dim = 1 : i64} : (tensor<4x16xf32>) -> i64
  %f = edge.sym_op "sym_float"(%n) : (i64) -> f64
  // expected-error @+1 {{'edge.slice.Tensor' op argument 'end' takes one run-time int}}
  %s = edge.slice.Tensor %x, %f {dim = 1 : i64, start = 0 : i64, end = 8 : i64, step = 1 : i64, sym_slots = array<i64: 3, -1>} : (tensor<4x16xf32>, f64) -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// A slot naming an argument that is not a SymInt or Scalar.
func.func @not_symbolic(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %n = edge.sym_size %x {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
  // expected-error @+1 {{'edge.slice.Tensor' op argument 'self' cannot take a run-time value}}
  %s = edge.slice.Tensor %x, %n {dim = 1 : i64, start = 0 : i64, end = 16 : i64, step = 1 : i64, sym_slots = array<i64: 0, -1>} : (tensor<4x16xf32>, i64) -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}
