// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-cache-update))' | FileCheck %s

// A KV-cache write as export leaves transformers' StaticCache.update
// (index_copy_ along dim 2 at the call's positions): index_put with None
// for the leading dims becomes update_cache at dim 2, the Nones go; an
// int32 index at dim 0 also matches, with a dynamic length.
// CHECK-LABEL: func.func @kv_cache
// CHECK-NEXT: %[[U:.*]] = edge.update_cache %arg0, %arg1, %arg2 {dim = 2 : i64} : (tensor<1x2x40x16xf32>, tensor<3xi64>, tensor<1x2x3x16xf32>) -> tensor<1x2x40x16xf32>
// CHECK-NEXT: %[[V:.*]] = edge.update_cache %arg3, %arg4, %arg5 {dim = 0 : i64, edge.dynamic_results = [0]} : (tensor<8x4xf16>, tensor<8xi32>, tensor<8x4xf16>) -> tensor<8x4xf16>
// CHECK-NEXT: return %[[U]], %[[V]]
func.func @kv_cache(%cache: tensor<1x2x40x16xf32>, %pos: tensor<3xi64>, %kv: tensor<1x2x3x16xf32>,
                    %c2: tensor<8x4xf16>, %p2: tensor<8xi32>, %v2: tensor<8x4xf16>)
    -> (tensor<1x2x40x16xf32>, tensor<8x4xf16>) {
  %none = edge.none
  %u = edge.index_put %cache, %none, %none, %pos, %kv {accumulate = false} : (tensor<1x2x40x16xf32>, none, none, tensor<3xi64>, tensor<1x2x3x16xf32>) -> tensor<1x2x40x16xf32>
  %v = edge.index_put %c2, %p2, %v2 {accumulate = false, edge.dynamic_results = [0]} : (tensor<8x4xf16>, tensor<8xi32>, tensor<8x4xf16>) -> tensor<8x4xf16>
  return %u, %v : tensor<1x2x40x16xf32>, tensor<8x4xf16>
}

// -----

// Not a cache write, left alone: accumulate, values that broadcast, two
// index tensors, a 2-d index, a bool mask.
// CHECK-LABEL: func.func @not_cache_writes
// CHECK-NOT: edge.update_cache
// CHECK-COUNT-5: edge.index_put
func.func @not_cache_writes(%c: tensor<4x6xf32>, %i: tensor<2xi64>, %v: tensor<2x6xf32>,
                            %b: tensor<6xf32>, %i2: tensor<2x1xi64>, %m: tensor<4xi1>,
                            %v2: tensor<2xf32>, %v3: tensor<2x1x6xf32>)
    -> (tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>) {
  %a = edge.index_put %c, %i, %v {accumulate = true} : (tensor<4x6xf32>, tensor<2xi64>, tensor<2x6xf32>) -> tensor<4x6xf32>
  %bc = edge.index_put %c, %i, %b {accumulate = false} : (tensor<4x6xf32>, tensor<2xi64>, tensor<6xf32>) -> tensor<4x6xf32>
  %two = edge.index_put %c, %i, %i, %v2 {accumulate = false} : (tensor<4x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xf32>) -> tensor<4x6xf32>
  %twod = edge.index_put %c, %i2, %v3 {accumulate = false} : (tensor<4x6xf32>, tensor<2x1xi64>, tensor<2x1x6xf32>) -> tensor<4x6xf32>
  %mask = edge.index_put %c, %m, %b {accumulate = false} : (tensor<4x6xf32>, tensor<4xi1>, tensor<6xf32>) -> tensor<4x6xf32>
  return %a, %bc, %two, %twod, %mask : tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>
}
