// RUN: ember-opt %s -split-input-file -verify-diagnostics

// The XNNPACK nodes check their shapes and parameters.
func.func @transpose_not_a_permutation(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error @+1 {{perm is not a permutation}}
  %y = xnnpack.static_transpose %x {perm = array<i64: 0, 0, 2>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}

// -----

func.func @transpose_wrong_shape(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error @+1 {{result dim 1 must be input dim 2}}
  %y = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{changes the number of elements}}
  %y = xnnpack.static_reshape %x : (tensor<2x3xf32>) -> tensor<7xf32>
  return %y : tensor<7xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x4x4x3xf32>, %w: tensor<4x3x3x2xf32>) -> tensor<1x2x2x4xf32> {
  // expected-error @+1 {{filter [O, KH, KW, I] does not match 1 group(s) of the 3 input channels}}
  %y = xnnpack.convolution_2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x3x3x2xf32>) -> tensor<1x2x2x4xf32>
  return %y : tensor<1x2x2x4xf32>
}

// -----

func.func @fc_shapes(%x: tensor<2x3xf32>, %w: tensor<4x5xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{needs input [..., K], filter [N, K] and result [..., N]}}
  %y = xnnpack.fully_connected %x, %w : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @pad_shape(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{result dim 0 is not the padded input dim}}
  %y = xnnpack.static_constant_pad %x {post = array<i64: 0, 0>, pre = array<i64: 2, 0>, value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

func.func @fp32_only(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 8-bit signless integer or 8-bit unsigned integer or 32-bit signless integer values}}
  %y = xnnpack.abs %x : (tensor<2x3xf16>) -> tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

// -----

func.func @broadcast(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operands do not broadcast together}}
  %z = xnnpack.add %x, %y : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

func.func @broadcast_result(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result shape is not the operands' broadcast shape}}
  %z = xnnpack.maximum %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %z : tensor<3xf32>
}

// -----

func.func @unary_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{result shape is not the operands' broadcast shape}}
  %z = xnnpack.sigmoid %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}
