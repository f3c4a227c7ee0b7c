// RUN: ember-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(ember-fuse-linear))" | FileCheck %s

// A tied LM head: the embedding reads the weight, and mm reads its run-time
// transpose. The product becomes linear on the weight itself; the permute,
// which nothing else reads, is gone, and the embedding still reads %w.
// CHECK-LABEL: func.func @tied_head
// CHECK: %[[W:.*]] = edge.constant {name = "wte"}
// CHECK: edge.embedding %[[W]]
// CHECK-NOT: edge.permute
// CHECK-NOT: edge.mm
// CHECK: %[[N:.*]] = edge.none
// CHECK: %[[Y:.*]] = edge.linear %arg1, %[[W]], %[[N]] : (tensor<4x8xf32>, tensor<50x8xf32>, none) -> tensor<4x50xf32>
// CHECK: return %{{.*}}, %[[Y]]
func.func @tied_head(%ids: tensor<4xi64>, %x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x50xf32>) attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %w = edge.constant {name = "wte"} dense<0.5> : tensor<50x8xf32>
  %e = edge.embedding %w, %ids {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<50x8xf32>, tensor<4xi64>) -> tensor<4x8xf32>
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<50x8xf32>) -> tensor<8x50xf32>
  %y = edge.mm %x, %wt : (tensor<4x8xf32>, tensor<8x50xf32>) -> tensor<4x50xf32>
  return %e, %y : tensor<4x8xf32>, tensor<4x50xf32>
}

// -----

// addmm with a bias of one value per output column, beta = alpha = 1:
// linear with that bias. The transpose is of a run-time value.
// CHECK-LABEL: func.func @addmm_bias
// CHECK-NOT: edge.permute
// CHECK: %[[Y:.*]] = edge.linear %arg0, %arg1, %arg2 : (tensor<3x5xf32>, tensor<6x5xf32>, tensor<6xf32>) -> tensor<3x6xf32>
// CHECK: return %[[Y]]
func.func @addmm_bias(%x: tensor<3x5xf32>, %w: tensor<6x5xf32>, %b: tensor<6xf32>) -> tensor<3x6xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<6x5xf32>) -> tensor<5x6xf32>
  %y = edge.addmm %b, %x, %wt {alpha = 1 : i64, beta = 1 : i64} : (tensor<6xf32>, tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

// -----

// Left alone: beta 2 (linear adds the bias once), a [3, 6] bias (not one
// value per column), and a permute another op also reads, which stays for
// that op while the mm still becomes linear.
// CHECK-LABEL: func.func @not_linear
// CHECK: %[[WT:.*]] = edge.permute %arg1
// CHECK: edge.addmm %arg2, %arg0, %[[WT]] {alpha = 1 : i64, beta = 2 : i64}
// CHECK: edge.addmm %arg3, %arg0, %[[WT]] {alpha = 1 : i64, beta = 1 : i64}
// CHECK: edge.linear %arg0, %arg1
// CHECK: return
func.func @not_linear(%x: tensor<3x5xf32>, %w: tensor<6x5xf32>, %b: tensor<6xf32>, %b2: tensor<3x6xf32>) -> (tensor<3x6xf32>, tensor<3x6xf32>, tensor<3x6xf32>) attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<6x5xf32>) -> tensor<5x6xf32>
  %y = edge.addmm %b, %x, %wt {alpha = 1 : i64, beta = 2 : i64} : (tensor<6xf32>, tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  %z = edge.addmm %b2, %x, %wt {alpha = 1 : i64, beta = 1 : i64} : (tensor<3x6xf32>, tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  %v = edge.mm %x, %wt : (tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y, %z, %v : tensor<3x6xf32>, tensor<3x6xf32>, tensor<3x6xf32>
}

// -----

// Half precision too: an f16 product becomes an f16 linear.
// CHECK-LABEL: func.func @f16_product
// CHECK-NOT: edge.mm
// CHECK: edge.linear %arg0, %arg1, %{{.*}} : (tensor<3x5xf16>, tensor<6x5xf16>, none) -> tensor<3x6xf16>
func.func @f16_product(%x: tensor<3x5xf16>, %w: tensor<6x5xf16>) -> tensor<3x6xf16> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<6x5xf16>) -> tensor<5x6xf16>
  %y = edge.mm %x, %wt : (tensor<3x5xf16>, tensor<5x6xf16>) -> tensor<3x6xf16>
  return %y : tensor<3x6xf16>
}

// -----

// And bf16.
// CHECK-LABEL: func.func @bf16_head
// CHECK-NOT: edge.permute
// CHECK: edge.linear %arg0, %arg1, %{{.*}} : (tensor<4x8xbf16>, tensor<50x8xbf16>, none) -> tensor<4x50xbf16>
func.func @bf16_head(%x: tensor<4x8xbf16>, %w: tensor<50x8xbf16>) -> tensor<4x50xbf16> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<50x8xbf16>) -> tensor<8x50xbf16>
  %y = edge.mm %x, %wt : (tensor<4x8xbf16>, tensor<8x50xbf16>) -> tensor<4x50xbf16>
  return %y : tensor<4x50xbf16>
}

// -----

// A product whose sizes vary at run time: the linear keeps the flag that
// says so (edge.dynamic_results), so its output is planned and emitted as a
// dynamic-bound tensor.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: edge.linear %arg0, %arg1, %{{.*}} {edge.dynamic_results = array<i1: true>}
func.func @dynamic_rows(%x: tensor<16x8xf32> {edge.dynamic}, %w: tensor<50x8xf32>) -> tensor<16x50xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<50x8xf32>) -> tensor<8x50xf32>
  %y = edge.mm %x, %wt {edge.dynamic_results = array<i1: true>} : (tensor<16x8xf32>, tensor<8x50xf32>) -> tensor<16x50xf32>
  return %y : tensor<16x50xf32>
}

// -----

// Left alone: beta computed at run time (a sym value), which linear cannot take.
// CHECK-LABEL: func.func @runtime_beta
// CHECK: edge.addmm
// CHECK-NOT: edge.linear
func.func @runtime_beta(%x: tensor<3x5xf32>, %w: tensor<6x5xf32>, %b: tensor<6xf32>, %beta: f64) -> tensor<3x6xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %wt = edge.permute %w {dims = array<i64: 1, 0>} : (tensor<6x5xf32>) -> tensor<5x6xf32>
  %y = edge.addmm %b, %x, %wt, %beta {alpha = 1 : i64, beta = 1 : i64, sym_slots = array<i64: 3, -1>} : (tensor<6xf32>, tensor<3x5xf32>, tensor<5x6xf32>, f64) -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}
