// RUN: ember-opt %s -split-input-file -ember-verify-edge-contract -verify-diagnostics | FileCheck %s

// A function inside the contract passes unchanged.
// CHECK-LABEL: func.func @ok
// CHECK: edge.relu
func.func @ok(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = edge.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// An element type no kernel of the op takes.
func.func @i64_gelu(%x: tensor<2x3xi64>) -> tensor<2x3xi64> {
  // expected-error @+1 {{'edge.gelu' op has no kernel for element type 'i64' (kernels take f32, f16, bf16, f64)}}
  %y = edge.gelu %x {approximate = "none"} : (tensor<2x3xi64>) -> tensor<2x3xi64>
  return %y : tensor<2x3xi64>
}

// -----

// A dynamic shape with no bound.
func.func @dynamic(%x: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{result #0 has dynamic shape 'tensor<?x3xf32>'; dynamic shapes need an upper bound}}
  %y = edge.relu %x : (tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Ops of other dialects are outside the contract.
func.func @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func @foreign(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'func.call' op is not an Edge op}}
  %y = func.call @helper(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Rank above the format's limit of 16.
// expected-error @+1 {{argument #0 has rank 17, at most 16 is supported}}
func.func @rank17(%x: tensor<1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x2xf32>) -> tensor<1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x2xf32> {
  return %x : tensor<1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x2xf32>
}
