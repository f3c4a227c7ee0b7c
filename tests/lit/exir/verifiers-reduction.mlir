// RUN: ember-opt %s -split-input-file -verify-diagnostics

// A reduction dim beyond the input's rank.
func.func @amax_dim_range(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{dim 2 is out of range for a 2-d tensor}}
  %y = edge.amax %x {dim = array<i64: 2>, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// The same dim twice (1 and -1 of a 2-d tensor).
func.func @amin_repeated_dim(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{dim 1 appears more than once in the list of dims}}
  %y = edge.amin %x {dim = array<i64: 1, -1>, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// An empty amax dim list reduces every dim: the result is 0-d.
func.func @amax_empty_means_all(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result shape [2] does not match the inferred shape []}}
  %y = edge.amax %x {dim = array<i64>, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// keepdim keeps the reduced dim as 1.
func.func @max_dim_keepdim(%x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xi64>) {
  // expected-error @+1 {{result shape [2] does not match the inferred shape [2, 1]}}
  %v, %i = edge.max.dim %x {dim = -1 : i64, keepdim = true} : (tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xi64>)
  return %v, %i : tensor<2xf32>, tensor<2xi64>
}

// -----

// min.dim's indices are int64.
func.func @min_dim_indices(%x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xi32>) {
  // expected-error @+1 {{result element type 'i32' does not match the operand element type 'i64'}}
  %v, %i = edge.min.dim %x {dim = 1 : i64, keepdim = false} : (tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xi32>)
  return %v, %i : tensor<2xf32>, tensor<2xi32>
}

// -----

// max of all elements is 0-d, of the input's type.
func.func @max_all(%x: tensor<2x3xi32>) -> tensor<i64> {
  // expected-error @+1 {{result element type 'i64' does not match the operand element type 'i32'}}
  %y = edge.max %x : (tensor<2x3xi32>) -> tensor<i64>
  return %y : tensor<i64>
}

// -----

// argmax without a dim reduces the flattened tensor; keepdim keeps every dim as 1.
func.func @argmax_no_dim(%x: tensor<2x3xf32>) -> tensor<i64> {
  // expected-error @+1 {{result shape [] does not match the inferred shape [1, 1]}}
  %y = edge.argmax %x {keepdim = true} : (tensor<2x3xf32>) -> tensor<i64>
  return %y : tensor<i64>
}

// -----

// argmin's result is int64.
func.func @argmin_type(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result element type 'f32' does not match the operand element type 'i64'}}
  %y = edge.argmin %x {dim = 1 : i64, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// var needs a floating input.
func.func @var_int(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{expects a floating input, got 'i32'}}
  %y = edge.var.correction %x {dim = array<i64: 1>, keepdim = false} : (tensor<2x3xi32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----

// var without dims reduces everything.
func.func @var_all(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result shape [2] does not match the inferred shape []}}
  %y = edge.var.correction %x {correction = 0 : i64, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// var_mean checks both results.
func.func @var_mean_second(%x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3xf32>) {
  // expected-error @+1 {{result shape [3] does not match the inferred shape [2]}}
  %v, %m = edge.var_mean.correction %x {dim = array<i64: 1>, keepdim = false} : (tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3xf32>)
  return %v, %m : tensor<2xf32>, tensor<3xf32>
}

// -----

// any gives bool.
func.func @any_type(%x: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{result element type 'f32' does not match the operand element type 'i1'}}
  %y = edge.any %x : (tensor<2x3xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// any.dims with an empty list reduces nothing (unlike sum and amax).
func.func @any_dims_empty(%x: tensor<2x3xi1>) -> tensor<i1> {
  // expected-error @+1 {{result shape [] does not match the inferred shape [2, 3]}}
  %y = edge.any.dims %x {dim = array<i64>, keepdim = false} : (tensor<2x3xi1>) -> tensor<i1>
  return %y : tensor<i1>
}

// -----

// any.dim range.
func.func @any_dim_range(%x: tensor<2x3xi1>) -> tensor<2xi1> {
  // expected-error @+1 {{dim -3 is out of range for a 2-d tensor}}
  %y = edge.any.dim %x {dim = -3 : i64, keepdim = false} : (tensor<2x3xi1>) -> tensor<2xi1>
  return %y : tensor<2xi1>
}

// -----

// An integer product widens to int64.
func.func @prod_widens(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{result element type 'i32' does not match the operand element type 'i64'}}
  %y = edge.prod.dim_int %x {dim = 1 : i64, keepdim = false} : (tensor<2x3xi32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----

// ... unless a dtype is given (3 is int32).
func.func @prod_dtype(%x: tensor<2x3xi32>) -> tensor<i64> {
  // expected-error @+1 {{result element type 'i64' does not match the operand element type 'i32'}}
  %y = edge.prod %x {dtype = 3 : i64} : (tensor<2x3xi32>) -> tensor<i64>
  return %y : tensor<i64>
}

// -----

// cumsum keeps the input's shape.
func.func @cumsum_shape(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result shape [2] does not match the inferred shape [2, 3]}}
  %y = edge.cumsum %x {dim = 1 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// mean of an integer tensor needs a floating dtype.
func.func @mean_int(%x: tensor<2x3xi64>) -> tensor<i64> {
  // expected-error @+1 {{needs a floating result dtype; the input is 'i64'}}
  %y = edge.mean %x : (tensor<2x3xi64>) -> tensor<i64>
  return %y : tensor<i64>
}

// -----

// log_softmax's dim must exist.
func.func @log_softmax_dim(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dim 2 is out of range for a 2-d tensor}}
  %y = edge._log_softmax %x {dim = 2 : i64, half_to_float = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A vector norm's result dtype must be floating (4 is int64).
func.func @norm_dtype(%x: tensor<2x3xf32>) -> tensor<i64> {
  // expected-error @+1 {{needs a floating result dtype}}
  %y = edge.linalg_vector_norm %x {dtype = 4 : i64, keepdim = false, ord = 2 : i64} : (tensor<2x3xf32>) -> tensor<i64>
  return %y : tensor<i64>
}

// -----

// normalized_shape must match the input's trailing dims.
func.func @layer_norm_shape(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %none = edge.none
  // expected-error @+1 {{normalized_shape [4, 3] does not match the trailing dims of the input [2, 3, 4]}}
  %y:3 = edge.native_layer_norm %x, %none, %none {eps = 1.0e-05 : f64, normalized_shape = array<i64: 4, 3>} : (tensor<2x3x4xf32>, none, none) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// Layer norm's weight has the normalised shape.
func.func @layer_norm_weight(%x: tensor<2x3x4xf32>, %w: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %none = edge.none
  // expected-error @+1 {{weight shape [4] should be [3, 4]}}
  %y:3 = edge.native_layer_norm %x, %w, %none {eps = 1.0e-05 : f64, normalized_shape = array<i64: 3, 4>} : (tensor<2x3x4xf32>, tensor<4xf32>, none) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// Layer norm's mean and rstd keep the leading dims and 1 for each normalised one.
func.func @layer_norm_stats(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %none = edge.none
  // expected-error @+1 {{result shape [2, 3] does not match the inferred shape [2, 3, 1]}}
  %y:3 = edge.native_layer_norm %x, %none, %none {eps = 1.0e-05 : f64, normalized_shape = array<i64: 4>} : (tensor<2x3x4xf32>, none, none) -> (tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A dynamic size is checked by the kernel at run time: no error here.
func.func @layer_norm_dynamic(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %none = edge.none
  %y:3 = edge.native_layer_norm %x, %none, %none {eps = 1.0e-05 : f64, normalized_shape = array<i64: 4>} : (tensor<?x4xf32>, none, none) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>)
  return %y#0, %y#1, %y#2 : tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Group norm's group must divide the channels.
func.func @group_norm_groups(%x: tensor<2x6x5xf32>) -> (tensor<2x6x5xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %none = edge.none
  // expected-error @+1 {{group 4 must be positive and divide the 6 channels}}
  %y:3 = edge.native_group_norm %x, %none, %none {C = 6 : i64, HxW = 5 : i64, N = 2 : i64, eps = 1.0e-05 : f64, group = 4 : i64} : (tensor<2x6x5xf32>, none, none) -> (tensor<2x6x5xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x6x5xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Group norm's N, C and HxW must describe the input.
func.func @group_norm_sizes(%x: tensor<2x6x5xf32>) -> (tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %none = edge.none
  // expected-error @+1 {{input shape [2, 6, 5] does not match N=2, C=6, HxW=4}}
  %y:3 = edge.native_group_norm %x, %none, %none {C = 6 : i64, HxW = 4 : i64, N = 2 : i64, eps = 1.0e-05 : f64, group = 3 : i64} : (tensor<2x6x5xf32>, none, none) -> (tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Group norm's per-channel weight.
func.func @group_norm_weight(%x: tensor<2x6x5xf32>, %w: tensor<3xf32>) -> (tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %none = edge.none
  // expected-error @+1 {{weight shape [3] should be [6]}}
  %y:3 = edge.native_group_norm %x, %w, %none {C = 6 : i64, HxW = 5 : i64, N = 2 : i64, eps = 1.0e-05 : f64, group = 3 : i64} : (tensor<2x6x5xf32>, tensor<3xf32>, none) -> (tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x6x5xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Group norm's mean and rstd are [N, group].
func.func @group_norm_stats(%x: tensor<2x6x5xf32>) -> (tensor<2x6x5xf32>, tensor<2x6xf32>, tensor<2x3xf32>) {
  %none = edge.none
  // expected-error @+1 {{result shape [2, 6] does not match the inferred shape [2, 3]}}
  %y:3 = edge.native_group_norm %x, %none, %none {C = 6 : i64, HxW = 5 : i64, N = 2 : i64, eps = 1.0e-05 : f64, group = 3 : i64} : (tensor<2x6x5xf32>, none, none) -> (tensor<2x6x5xf32>, tensor<2x6xf32>, tensor<2x3xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x6x5xf32>, tensor<2x6xf32>, tensor<2x3xf32>
}
