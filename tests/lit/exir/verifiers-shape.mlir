// RUN: ember-opt %s -split-input-file -verify-diagnostics

// Well-formed shape, creation and resampling ops verify, dynamic sizes
// included (what cannot be checked statically is left to the kernel).
func.func @valid(%x: tensor<2x3x4xf32>, %d: tensor<?x3xf32>, %i: tensor<2x3xi32>, %l: tensor<1x3xi64>, %b: tensor<2x3xi1>, %e: tensor<0xf32>, %img: tensor<1x2x4x5xf16>) {
  %0 = edge.slice.Tensor %x {dim = 1 : i64, start = -100 : i64, end = 1 : i64, step = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %1 = edge.slice.Tensor %d {dim = 1 : i64, step = 2 : i64} : (tensor<?x3xf32>) -> tensor<?x2xf32>
  %2 = edge.slice.Tensor %x {dim = -1 : i64, start = 5 : i64, step = 3 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x0xf32>
  %3 = edge.select.int %x {dim = 0 : i64, index = -1 : i64} : (tensor<2x3x4xf32>) -> tensor<3x4xf32>
  %4 = edge.alias %d : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %5 = edge.cat %i, %i {dim = -1 : i64} : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x6xi32>
  %6 = edge.cat %i, %l, %b {dim = 0 : i64} : (tensor<2x3xi32>, tensor<1x3xi64>, tensor<2x3xi1>) -> tensor<5x3xi64>
  %7 = edge.cat %e, %d {dim = 0 : i64} : (tensor<0xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %8 = edge.constant_pad_nd %x {pad = array<i64: 2, 2, 2, 1>, value = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<2x6x8xf32>
  %9 = edge.constant_pad_nd %x {pad = array<i64: -4, 1>, value = 1.5 : f64} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %10 = edge.repeat %x {repeats = array<i64: 2, 1, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<2x2x6x8xf32>
  %11 = edge.repeat %d {repeats = array<i64: 1, 2>} : (tensor<?x3xf32>) -> tensor<?x6xf32>
  %12 = edge.flip %x {dims = array<i64: 0, -1>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %13 = edge.full {size = array<i64: 4, 6>, fill_value = 1 : i64, dtype = 4 : i64} : () -> tensor<4x6xi64>
  %14 = edge.full {size = array<i64>, fill_value = true} : () -> tensor<i1>
  %15 = edge.full_like %i {fill_value = 2.5 : f64, dtype = 6 : i64} : (tensor<2x3xi32>) -> tensor<2x3xf32>
  %16 = edge.full_like %d {fill_value = 0 : i64} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %17 = edge.scalar_tensor {s = true, dtype = 7 : i64} : () -> tensor<f64>
  %18 = edge.arange.start_step {start = 0.0 : f64, end = 5.5 : f64, step = 1 : i64, dtype = 3 : i64} : () -> tensor<6xi32>
  %19 = edge.arange.start_step {start = 0.0 : f64, end = 5.5 : f64, step = 1 : i64} : () -> tensor<5xi64>
  %20 = edge.arange.start_step {start = 10 : i64, end = -3 : i64, step = -3 : i64} : () -> tensor<5xi64>
  %21 = edge.arange.start_step {start = 0.0 : f64, end = 1.0 : f64, step = 0.1 : f64} : () -> tensor<10xf32>
  %22 = edge.upsample_nearest2d.vec %img {scale_factors = array<f64: 1.7, 1.7>} : (tensor<1x2x4x5xf16>) -> tensor<1x2x6x8xf16>
  %23 = edge.upsample_bilinear2d.vec %img {align_corners = true, output_size = array<i64: 6, 8>} : (tensor<1x2x4x5xf16>) -> tensor<1x2x6x8xf16>
  %24 = edge.view %x {size = array<i64: 4, -1>} : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
  %25 = edge.view %d {size = array<i64: -1>} : (tensor<?x3xf32>) -> tensor<?xf32>
  %26 = edge.unsqueeze %x {dim = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x1x4xf32>
  %27 = edge.squeeze.dims %26 {dim = array<i64: 0, 2>} : (tensor<2x3x1x4xf32>) -> tensor<2x3x4xf32>
  %28 = edge.expand %0 {size = array<i64: 5, -1, 3, -1>, implicit = false} : (tensor<2x1x4xf32>) -> tensor<5x2x3x4xf32>
  %29 = edge.permute %x {dims = array<i64: 2, 0, -2>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return
}

// -----

// view: the sizes must hold self's elements.
func.func @view_numel(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{size [4, 2] does not hold the 6 elements of self [2, 3]}}
  %y = edge.view %x {size = array<i64: 4, 2>} : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// view: at most one -1, and it must divide evenly.
func.func @view_infer(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{cannot infer the -1 in [4, -1] for the 6 elements of [2, 3]}}
  %y = edge.view %x {size = array<i64: 4, -1>} : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @view_two_infers(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{size [-1, -1] has more than one -1}}
  %y = edge.view %x {size = array<i64: -1, -1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// view: the inferred size is the result's.
func.func @view_result(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{result shape [3, 3] does not match the inferred shape [3, 2]}}
  %y = edge.view %x {size = array<i64: 3, -1>} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

// permute: dims must be a permutation.
func.func @permute_repeat(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dim 0 appears more than once in [0, -2]}}
  %y = edge.permute %x {dims = array<i64: 0, -2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @permute_count(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dims [0] is not a permutation of the 2 dims of [2, 3]}}
  %y = edge.permute %x {dims = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @permute_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result shape [2, 3] does not match the inferred shape [3, 2]}}
  %y = edge.permute %x {dims = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// unsqueeze: dim may be at most rank.
func.func @unsqueeze_dim(%x: tensor<2x3xf32>) -> tensor<2x3x1xf32> {
  // expected-error @+1 {{dim 3 is out of range for a 3-d tensor}}
  %y = edge.unsqueeze %x {dim = 3 : i64} : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  return %y : tensor<2x3x1xf32>
}

// -----

// squeeze.dims: only size-1 dims go.
func.func @squeeze_result(%x: tensor<1x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{result shape [] does not match the inferred shape [3]}}
  %y = edge.squeeze.dims %x {dim = array<i64: 0, 1>} : (tensor<1x3xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @squeeze_repeat(%x: tensor<1x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{dim 0 appears more than once in [0, -2]}}
  %y = edge.squeeze.dims %x {dim = array<i64: 0, -2>} : (tensor<1x3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// expand: only size-1 dims grow.
func.func @expand_size(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{self [2, 3] cannot expand to [2, 4]}}
  %y = edge.expand %x {size = array<i64: 2, 4>, implicit = false} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @expand_rank(%x: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{size [3] has fewer dims than self [2, 3]}}
  %y = edge.expand %x {size = array<i64: 3>, implicit = false} : (tensor<2x3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// cat: inputs widen to the result's element type, never narrow.
func.func @cat_narrowing(%a: tensor<2x3xi32>, %b: tensor<2x3xf32>) -> tensor<4x3xi32> {
  // expected-error @+1 {{tensor #1 has element type 'f32', which does not widen to the result's 'i32'}}
  %y = edge.cat %a, %b {dim = 0 : i64} : (tensor<2x3xi32>, tensor<2x3xf32>) -> tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}

// -----

// cat: sizes must agree outside the cat dim.
func.func @cat_sizes(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{tensor #1 has shape [2, 4], which does not match [2, 3] outside dim 0}}
  %y = edge.cat %a, %b {dim = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @cat_0d(%a: tensor<f32>) -> tensor<2xf32> {
  // expected-error @+1 {{cannot concatenate 0-d tensors}}
  %y = edge.cat %a, %a {dim = 0 : i64} : (tensor<f32>, tensor<f32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @cat_result(%a: tensor<2x3xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{result shape [2, 5] does not match the inferred shape [2, 6]}}
  %y = edge.cat %a, %a {dim = -1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// slice: the step must be positive.
func.func @slice_step(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{step 0 must be positive}}
  %y = edge.slice.Tensor %x {dim = 0 : i64, step = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// slice: bounds clamp as in Python (-3:100:2 of 4 elements is 2 elements).
func.func @slice_result(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result shape [3] does not match the inferred shape [2]}}
  %y = edge.slice.Tensor %x {dim = 0 : i64, start = -3 : i64, end = 100 : i64, step = 2 : i64} : (tensor<4xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @slice_0d(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{cannot slice a 0-d tensor}}
  %y = edge.slice.Tensor %x {dim = 0 : i64, step = 1 : i64} : (tensor<f32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// select: the index must be inside the dim.
func.func @select_index(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{index -4 is out of range for dim 1 of size 3}}
  %y = edge.select.int %x {dim = -1 : i64, index = -4 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @select_dim(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{dim 2 is out of range for a 2-d tensor}}
  %y = edge.select.int %x {dim = 2 : i64, index = 0 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @alias_result(%x: tensor<2x3xf32>) -> tensor<2x3xf16> {
  // expected-error @+1 {{result element type 'f16' does not match the operand element type 'f32'}}
  %y = edge.alias %x : (tensor<2x3xf32>) -> tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

// -----

// constant_pad_nd: (before, after) pairs, at most one per dim.
func.func @pad_odd(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{pad [1, 0, 1] needs a (before, after) pair per padded dim, at most 2 pairs}}
  %y = edge.constant_pad_nd %x {pad = array<i64: 1, 0, 1>, value = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// constant_pad_nd: negative pads crop, but not past the dim.
func.func @pad_crop(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // expected-error @+1 {{pad (-4, 2) crops more than the 3 elements of dim 1}}
  %y = edge.constant_pad_nd %x {pad = array<i64: -4, 2>, value = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

func.func @pad_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result shape [2, 3] does not match the inferred shape [5, 2]}}
  %y = edge.constant_pad_nd %x {pad = array<i64: 0, -1, 1, 2>, value = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// repeat: an entry per dim of self at least.
func.func @repeat_short(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{repeats [2] has fewer entries than self [2, 3] has dims}}
  %y = edge.repeat %x {repeats = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}

// -----

func.func @repeat_result(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{result shape [2, 6] does not match the inferred shape [3, 2, 6]}}
  %y = edge.repeat %x {repeats = array<i64: 3, 1, 2>} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}

// -----

func.func @flip_repeat(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dim 1 appears more than once in [1, -1]}}
  %y = edge.flip %x {dims = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// full: the dtype argument is the result's element type.
func.func @full_dtype() -> tensor<2xf32> {
  // expected-error @+1 {{result element type 'f32' does not match dtype 'i64'}}
  %y = edge.full {size = array<i64: 2>, fill_value = 1 : i64, dtype = 4 : i64} : () -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @full_size() -> tensor<2xf32> {
  // expected-error @+1 {{size [2, -1] has a negative entry}}
  %y = edge.full {size = array<i64: 2, -1>, fill_value = 1 : i64} : () -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @full_like_result(%x: tensor<2x3xi32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result element type 'f32' does not match the operand element type 'i32'}}
  %y = edge.full_like %x {fill_value = 1 : i64} : (tensor<2x3xi32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @scalar_tensor_rank() -> tensor<1xf32> {
  // expected-error @+1 {{result shape [1] does not match the inferred shape []}}
  %y = edge.scalar_tensor {s = 1.0 : f64} : () -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

// arange: int64 truncates the bounds first (0 to 5.5 is 5 values), the
// other types take ceil((end - start) / step) (6 values for int32).
func.func @arange_length() -> tensor<6xi64> {
  // expected-error @+1 {{result shape [6] does not match the inferred shape [5]}}
  %y = edge.arange.start_step {start = 0.0 : f64, end = 5.5 : f64, step = 1 : i64} : () -> tensor<6xi64>
  return %y : tensor<6xi64>
}

// -----

func.func @arange_sign() -> tensor<0xf32> {
  // expected-error @+1 {{upper bound and lower bound inconsistent with step sign}}
  %y = edge.arange.start_step {start = 1.0 : f64, end = 0.0 : f64, step = 0.5 : f64} : () -> tensor<0xf32>
  return %y : tensor<0xf32>
}

// -----

func.func @arange_step() -> tensor<0xi64> {
  // expected-error @+1 {{step must be nonzero}}
  %y = edge.arange.start_step {start = 0 : i64, end = 4 : i64, step = 0.5 : f64} : () -> tensor<0xi64>
  return %y : tensor<0xi64>
}

// -----

// upsample: exactly one of output_size and scale_factors.
func.func @upsample_both(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error @+1 {{needs exactly one of output_size and scale_factors}}
  %y = edge.upsample_nearest2d.vec %x {output_size = array<i64: 8, 8>, scale_factors = array<f64: 2.0, 2.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}

// -----

// upsample: a scale factor gives floor(size * scale).
func.func @upsample_scale(%x: tensor<1x2x4x5xf32>) -> tensor<1x2x7x8xf32> {
  // expected-error @+1 {{result shape [1, 2, 7, 8] does not match the inferred shape [1, 2, 6, 8]}}
  %y = edge.upsample_bilinear2d.vec %x {align_corners = false, scale_factors = array<f64: 1.7, 1.7>} : (tensor<1x2x4x5xf32>) -> tensor<1x2x7x8xf32>
  return %y : tensor<1x2x7x8xf32>
}

// -----

func.func @upsample_rank(%x: tensor<2x4x4xf32>) -> tensor<2x8x8xf32> {
  // expected-error @+1 {{expects a 4-d [N, C, H, W] input, got [2, 4, 4]}}
  %y = edge.upsample_nearest2d.vec %x {output_size = array<i64: 8, 8>} : (tensor<2x4x4xf32>) -> tensor<2x8x8xf32>
  return %y : tensor<2x8x8xf32>
}

// -----

func.func @upsample_negative_scale(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{scale factor -2.000000e+00 must be positive and finite}}
  %y = edge.upsample_nearest2d.vec %x {scale_factors = array<f64: -2.0, 2.0>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// -----

func.func @upsample_size(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{output_size must have 2 entries, got 1}}
  %y = edge.upsample_bilinear2d.vec %x {align_corners = false, output_size = array<i64: 8>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}
