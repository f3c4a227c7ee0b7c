// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Valid uses verify: a None and an int index (B in place), separated indices
// (B first), GPT-2's broadcast index pair, a mask (a dynamic dim), and the
// other ops with their inferred shapes.
func.func @valid(%x: tensor<3x4x5xf32>, %i: tensor<2xi64>, %j: tensor<2x1xi32>,
                 %p: tensor<1x16xi64>, %z: tensor<1x1x1x1xi64>, %q: tensor<1x1x16x1xi64>,
                 %m: tensor<3x4xi1>, %g: tensor<3x6x5xi64>, %w: tensor<10x8xf16>) {
  %none = edge.none
  %a = edge.index.Tensor %x, %none, %i : (tensor<3x4x5xf32>, none, tensor<2xi64>) -> tensor<3x2x5xf32>
  %b = edge.index.Tensor %x, %j, %none, %i : (tensor<3x4x5xf32>, tensor<2x1xi32>, none, tensor<2xi64>) -> tensor<2x2x4xf32>
  %c = edge.index.Tensor %p, %z, %q : (tensor<1x16xi64>, tensor<1x1x1x1xi64>, tensor<1x1x16x1xi64>) -> tensor<1x1x16x1xi64>
  %d = edge.index.Tensor %x, %m : (tensor<3x4x5xf32>, tensor<3x4xi1>) -> tensor<?x5xf32>
  %e = edge.index_select %x, %i {dim = -1 : i64} : (tensor<3x4x5xf32>, tensor<2xi64>) -> tensor<3x4x2xf32>
  %f = edge.gather %x, %g {dim = 1 : i64, sparse_grad = false} : (tensor<3x4x5xf32>, tensor<3x6x5xi64>) -> tensor<3x6x5xf32>
  %h = edge.embedding %w, %p {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<10x8xf16>, tensor<1x16xi64>) -> tensor<1x16x8xf16>
  %t:2 = edge.topk %x {dim = -1 : i64, k = 3 : i64, largest = true, sorted = true} : (tensor<3x4x5xf32>) -> (tensor<3x4x3xf32>, tensor<3x4x3xi64>)
  %s:2 = edge.sort %x {descending = true, dim = 0 : i64} : (tensor<3x4x5xf32>) -> (tensor<3x4x5xf32>, tensor<3x4x5xi64>)
  return
}

// -----

// index: adjacent indexed dims keep B in place, so [3, 2, 5] is wrong here.
func.func @index_separated_puts_b_first(%x: tensor<3x4x5xf32>, %i: tensor<2xi64>) -> tensor<3x2x5xf32> {
  %none = edge.none
  // expected-error @+1 {{result shape [3, 2, 5] does not match the inferred shape [2, 4]}}
  %y = edge.index.Tensor %x, %i, %none, %i : (tensor<3x4x5xf32>, tensor<2xi64>, none, tensor<2xi64>) -> tensor<3x2x5xf32>
  return %y : tensor<3x2x5xf32>
}

// -----

// index: index tensors must broadcast together.
func.func @index_broadcast(%x: tensor<3x4xf32>, %i: tensor<2xi64>, %j: tensor<3xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{operand shapes [2] and [3] cannot be broadcast together}}
  %y = edge.index.Tensor %x, %i, %j : (tensor<3x4xf32>, tensor<2xi64>, tensor<3xi64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// index: more indices than self has dims.
func.func @index_too_many(%x: tensor<3xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{2 indices for self of rank 1}}
  %y = edge.index.Tensor %x, %i, %i : (tensor<3xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// index: float indices are not indices.
func.func @index_float(%x: tensor<3xf32>, %i: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{index 0 has element type 'f32' (int64, int32, bool or uint8 expected)}}
  %y = edge.index.Tensor %x, %i : (tensor<3xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// index: a mask must match the sizes of the dims it covers.
func.func @index_mask_sizes(%x: tensor<3x4xf32>, %m: tensor<3x5xi1>) -> tensor<?xf32> {
  // expected-error @+1 {{mask 0 [3, 5] does not match self's sizes [3, 4] at dim 0}}
  %y = edge.index.Tensor %x, %m : (tensor<3x4xf32>, tensor<3x5xi1>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// index: a mask's count is only known at run time; a static result is still
// checked in its other dims.
func.func @index_mask_result(%x: tensor<3x4xf32>, %m: tensor<3xi1>) -> tensor<2x5xf32> {
  // expected-error @+1 {{result shape [2, 5] does not match the inferred shape [?, 4]}}
  %y = edge.index.Tensor %x, %m : (tensor<3x4xf32>, tensor<3xi1>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// index_select: the index is 0-d or 1-d.
func.func @index_select_rank(%x: tensor<3x4xf32>, %i: tensor<2x2xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{index must be 0-d or 1-d, got [2, 2]}}
  %y = edge.index_select %x, %i {dim = 1 : i64} : (tensor<3x4xf32>, tensor<2x2xi64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// index_select: dim out of range.
func.func @index_select_dim(%x: tensor<3x4xf32>, %i: tensor<2xi64>) -> tensor<3x2xf32> {
  // expected-error @+1 {{dim 2 is out of range for a 2-d tensor}}
  %y = edge.index_select %x, %i {dim = 2 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// gather: the result has the index's shape.
func.func @gather_result(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{result shape [3, 4] does not match the inferred shape [3, 2]}}
  %y = edge.gather %x, %i {dim = 1 : i64, sparse_grad = false} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// gather: the index may not be larger than self outside dim.
func.func @gather_too_large(%x: tensor<3x4xf32>, %i: tensor<4x2xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{index [4, 2] is larger than self [3, 4] at dim 0}}
  %y = edge.gather %x, %i {dim = 1 : i64, sparse_grad = false} : (tensor<3x4xf32>, tensor<4x2xi64>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// gather: index and self share a rank.
func.func @gather_rank(%x: tensor<3x4xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{index [2] must have the rank of self [3, 4]}}
  %y = edge.gather %x, %i {dim = 1 : i64, sparse_grad = false} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// scatter.src: the index may not be larger than src.
func.func @scatter_src_small(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>, %s: tensor<2x2xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{index [2, 3] is larger than src [2, 2] at dim 1}}
  %y = edge.scatter.src %x, %i, %s {dim = 0 : i64} : (tensor<3x4xf32>, tensor<2x3xi64>, tensor<2x2xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// scatter_add: src has self's element type.
func.func @scatter_add_dtype(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>, %s: tensor<2x3xf64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{src element type 'f64' differs from self's 'f32'}}
  %y = edge.scatter_add %x, %i, %s {dim = 0 : i64} : (tensor<3x4xf32>, tensor<2x3xi64>, tensor<2x3xf64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// scatter.value: the result is self's shape.
func.func @scatter_value_result(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result shape [2, 3] does not match the inferred shape [3, 4]}}
  %y = edge.scatter.value %x, %i {dim = 0 : i64, value = 1.5 : f64} : (tensor<3x4xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// scatter.value: the index holds integers.
func.func @scatter_value_index_type(%x: tensor<3x4xf32>, %i: tensor<2x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{index has element type 'f32' (int64 or int32 expected)}}
  %y = edge.scatter.value %x, %i {dim = 0 : i64, value = 1.5 : f64} : (tensor<3x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// scatter.reduce takes add or multiply.
func.func @scatter_reduce_name(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>, %s: tensor<2x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{reduce must be "add" or "multiply", got "sum"}}
  %y = edge.scatter.reduce %x, %i, %s {dim = 0 : i64, reduce = "sum"} : (tensor<3x4xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// scatter_reduce.two takes sum, prod, mean, amax or amin.
func.func @scatter_reduce_two_name(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>, %s: tensor<2x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{reduce must be sum, prod, mean, amax or amin, got "multiply"}}
  %y = edge.scatter_reduce.two %x, %i, %s {dim = 0 : i64, include_self = true, reduce = "multiply"} : (tensor<3x4xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// scatter_reduce.two: no mean of bools.
func.func @scatter_reduce_two_bool_mean(%x: tensor<3x4xi1>, %i: tensor<2x3xi64>, %s: tensor<2x3xi1>) -> tensor<3x4xi1> {
  // expected-error @+1 {{reduce "mean" is not defined for bool}}
  %y = edge.scatter_reduce.two %x, %i, %s {dim = 0 : i64, include_self = true, reduce = "mean"} : (tensor<3x4xi1>, tensor<2x3xi64>, tensor<2x3xi1>) -> tensor<3x4xi1>
  return %y : tensor<3x4xi1>
}

// -----

// embedding: the weight is 2-d.
func.func @embedding_weight(%w: tensor<10xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{weight must be 2-d, got [10]}}
  %y = edge.embedding %w, %i {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<10xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// embedding: the result is the indices' shape plus the embedding size.
func.func @embedding_result(%w: tensor<10x8xf32>, %i: tensor<2x3xi32>) -> tensor<6x8xf32> {
  // expected-error @+1 {{result shape [6, 8] does not match the inferred shape [2, 3, 8]}}
  %y = edge.embedding %w, %i {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<10x8xf32>, tensor<2x3xi32>) -> tensor<6x8xf32>
  return %y : tensor<6x8xf32>
}

// -----

// topk: k cannot exceed the dim's size.
func.func @topk_k(%x: tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>) {
  // expected-error @+1 {{k = 5 is out of range for a dim of size 4}}
  %v, %i = edge.topk %x {dim = 1 : i64, k = 5 : i64, largest = true, sorted = true} : (tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return %v, %i : tensor<3x5xf32>, tensor<3x5xi64>
}

// -----

// topk: the indices are int64.
func.func @topk_indices(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi32>) {
  // expected-error @+1 {{result element type 'i32' does not match the operand element type 'i64'}}
  %v, %i = edge.topk %x {dim = -1 : i64, k = 2 : i64, largest = false, sorted = true} : (tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi32>)
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi32>
}

// -----

// topk: no kernel (and no torch op) for bool.
func.func @topk_bool(%x: tensor<4xi1>) -> (tensor<2xi1>, tensor<2xi64>) {
  // expected-error @+1 {{does not support bool tensors}}
  %v, %i = edge.topk %x {dim = 0 : i64, k = 2 : i64, largest = true, sorted = true} : (tensor<4xi1>) -> (tensor<2xi1>, tensor<2xi64>)
  return %v, %i : tensor<2xi1>, tensor<2xi64>
}

// -----

// sort.stable: values keep self's shape.
func.func @sort_stable_result(%x: tensor<3x4xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>) {
  // expected-error @+1 {{result shape [4, 3] does not match the inferred shape [3, 4]}}
  %v, %i = edge.sort.stable %x {descending = false, dim = -1 : i64, stable = true} : (tensor<3x4xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>)
  return %v, %i : tensor<4x3xf32>, tensor<4x3xi64>
}

// -----

// sort: dim out of range.
func.func @sort_dim(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xi64>) {
  // expected-error @+1 {{dim -3 is out of range for a 2-d tensor}}
  %v, %i = edge.sort %x {descending = false, dim = -3 : i64} : (tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xi64>)
  return %v, %i : tensor<3x4xf32>, tensor<3x4xi64>
}

// -----

// update_cache: a KV-cache write verifies (a dynamic number of positions);
// the value must fit the cache with the index's length at dim.
func.func @update_cache(%c: tensor<1x2x8x4xf32>, %p: tensor<?xi64>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x8x4xf32> {
  %u = edge.update_cache %c, %p, %v {dim = -2 : i64} : (tensor<1x2x8x4xf32>, tensor<?xi64>, tensor<1x2x?x4xf32>) -> tensor<1x2x8x4xf32>
  return %u : tensor<1x2x8x4xf32>
}

// -----

func.func @update_cache_value(%c: tensor<1x2x8x4xf32>, %p: tensor<3xi64>, %v: tensor<1x2x3x5xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{value of shape [1, 2, 3, 5] does not fit the cache [1, 2, 8, 4] with [3] indices along dim 2}}
  %u = edge.update_cache %c, %p, %v {dim = 2 : i64} : (tensor<1x2x8x4xf32>, tensor<3xi64>, tensor<1x2x3x5xf32>) -> tensor<1x2x8x4xf32>
  return %u : tensor<1x2x8x4xf32>
}

// -----

func.func @update_cache_index(%c: tensor<8x4xf32>, %p: tensor<3x1xi64>, %v: tensor<3x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{indices must be 1-d, got [3, 1]}}
  %u = edge.update_cache %c, %p, %v {dim = 0 : i64} : (tensor<8x4xf32>, tensor<3x1xi64>, tensor<3x4xf32>) -> tensor<8x4xf32>
  return %u : tensor<8x4xf32>
}

// -----

func.func @update_cache_too_many(%c: tensor<2x4xf32>, %p: tensor<3xi32>, %v: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{updates 3 positions of a dim of 2}}
  %u = edge.update_cache %c, %p, %v {dim = 0 : i64} : (tensor<2x4xf32>, tensor<3xi32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %u : tensor<2x4xf32>
}
