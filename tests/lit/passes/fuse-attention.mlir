// RUN: ember-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(ember-fuse-attention))" | FileCheck %s

// torch's decomposition of scaled_dot_product_attention with a mask: q and
// k^T each scaled by sqrt(0.25), the mask added, softmax, the guard that
// zeroes fully masked rows, views and no-op expands around two bmm. One op
// with scale 0.5 * 0.5 and the same mask replaces it all.
// CHECK-LABEL: func.func @decomposed_with_guard
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x2x3x4xf32>, %[[K:[^:]*]]: tensor<1x2x5x4xf32>, %[[V:[^:]*]]: tensor<1x2x5x6xf32>, %[[M:[^:]*]]: tensor<1x1x3x5xf32>)
// CHECK-NOT: edge.bmm
// CHECK-NOT: edge._softmax
// CHECK-NOT: edge.any.dim
// CHECK: %[[O:.*]] = edge.scaled_dot_product_attention %[[Q]], %[[K]], %[[V]], %[[M]] {dropout_p = 0.000000e+00 : f64, enable_gqa = false, is_causal = false, scale = 2.500000e-01 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x6xf32>, tensor<1x1x3x5xf32>) -> tensor<1x2x3x6xf32>
// CHECK-NOT: edge.bmm
// CHECK: return %[[O]]
func.func @decomposed_with_guard(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x6xf32>, %mask: tensor<1x1x3x5xf32>) -> tensor<1x2x3x6xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %qs = edge.mul.Scalar %q {other = 5.000000e-01 : f64} : (tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>} : (tensor<1x2x5x4xf32>) -> tensor<1x2x4x5xf32>
  %ks = edge.mul.Scalar %kt {other = 5.000000e-01 : f64} : (tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32>
  %qe = edge.expand %qs {implicit = false, size = array<i64: 1, 2, 3, 4>} : (tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %qf = edge.view %qe {size = array<i64: 2, 3, 4>} : (tensor<1x2x3x4xf32>) -> tensor<2x3x4xf32>
  %ke = edge.expand %ks {implicit = false, size = array<i64: 1, 2, 4, 5>} : (tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32>
  %kf = edge.view %ke {size = array<i64: 2, 4, 5>} : (tensor<1x2x4x5xf32>) -> tensor<2x4x5xf32>
  %s = edge.bmm %qf, %kf : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %s4 = edge.view %s {size = array<i64: 1, 2, 3, 5>} : (tensor<2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %x = edge.add.Tensor %s4, %mask {alpha = 1 : i64} : (tensor<1x2x3x5xf32>, tensor<1x1x3x5xf32>) -> tensor<1x2x3x5xf32>
  %p = edge._softmax %x {dim = -1 : i64, half_to_float = false} : (tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %eq = edge.eq.Scalar %x {other = 0xFFF0000000000000 : f64} : (tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xi1>
  %n1 = edge.logical_not %eq : (tensor<1x2x3x5xi1>) -> tensor<1x2x3x5xi1>
  %any = edge.any.dim %n1 {dim = -1 : i64, keepdim = true} : (tensor<1x2x3x5xi1>) -> tensor<1x2x3x1xi1>
  %n2 = edge.logical_not %any : (tensor<1x2x3x1xi1>) -> tensor<1x2x3x1xi1>
  %zero = edge.full_like %p {fill_value = 0 : i64, memory_format = 1 : i64, pin_memory = false} : (tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %pg = edge.where.self %n2, %zero, %p : (tensor<1x2x3x1xi1>, tensor<1x2x3x5xf32>, tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %pe = edge.expand %pg {implicit = false, size = array<i64: 1, 2, 3, 5>} : (tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %pf = edge.view %pe {size = array<i64: 2, 3, 5>} : (tensor<1x2x3x5xf32>) -> tensor<2x3x5xf32>
  %ve = edge.expand %v {implicit = false, size = array<i64: 1, 2, 5, 6>} : (tensor<1x2x5x6xf32>) -> tensor<1x2x5x6xf32>
  %vf = edge.view %ve {size = array<i64: 2, 5, 6>} : (tensor<1x2x5x6xf32>) -> tensor<2x5x6xf32>
  %o = edge.bmm %pf, %vf : (tensor<2x3x5xf32>, tensor<2x5x6xf32>) -> tensor<2x3x6xf32>
  %o4 = edge.view %o {size = array<i64: 1, 2, 3, 6>} : (tensor<2x3x6xf32>) -> tensor<1x2x3x6xf32>
  return %o4 : tensor<1x2x3x6xf32>
}

// -----

// Hand-written attention without a mask: the scores divided by a 0-d
// constant 2 (scale 0.5), no guard (no row can be fully masked). The mask
// operand is edge.none.
// CHECK-LABEL: func.func @hand_written_no_mask
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x2x3x4xf32>, %[[K:[^:]*]]: tensor<1x2x5x4xf32>, %[[V:[^:]*]]: tensor<1x2x5x4xf32>)
// CHECK-NOT: edge.constant
// CHECK: %[[N:.*]] = edge.none
// CHECK: %[[O:.*]] = edge.scaled_dot_product_attention %[[Q]], %[[K]], %[[V]], %[[N]] {{.*}}scale = 5.000000e-01 : f64
// CHECK-NOT: edge.bmm
// CHECK: return %[[O]]
func.func @hand_written_no_mask(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x4xf32>) -> tensor<1x2x3x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %two = edge.constant {name = "_scalar_0"} dense<2.0> : tensor<f32>
  %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>} : (tensor<1x2x5x4xf32>) -> tensor<1x2x4x5xf32>
  %qf = edge.view %q {size = array<i64: 2, 3, 4>} : (tensor<1x2x3x4xf32>) -> tensor<2x3x4xf32>
  %ke = edge.clone %kt {memory_format = 0 : i64} : (tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32>
  %kf = edge.view %ke {size = array<i64: 2, 4, 5>} : (tensor<1x2x4x5xf32>) -> tensor<2x4x5xf32>
  %s = edge.bmm %qf, %kf : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %s4 = edge.view %s {size = array<i64: 1, 2, 3, 5>} : (tensor<2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %x = edge.div.Tensor %s4, %two : (tensor<1x2x3x5xf32>, tensor<f32>) -> tensor<1x2x3x5xf32>
  %p = edge._softmax %x {dim = -1 : i64, half_to_float = false} : (tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %pf = edge.view %p {size = array<i64: 2, 3, 5>} : (tensor<1x2x3x5xf32>) -> tensor<2x3x5xf32>
  %vf = edge.view %v {size = array<i64: 2, 5, 4>} : (tensor<1x2x5x4xf32>) -> tensor<2x5x4xf32>
  %o = edge.bmm %pf, %vf : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  %o4 = edge.view %o {size = array<i64: 1, 2, 3, 4>} : (tensor<2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %o4 : tensor<1x2x3x4xf32>
}

// -----

// Not rewritten: a mask computed at run time and no guard. A bare softmax
// gives NaN for a fully masked row, the fused kernel 0.
// CHECK-LABEL: func.func @runtime_mask_without_guard
// CHECK-NOT: edge.scaled_dot_product_attention
// CHECK: edge._softmax
// CHECK: edge.bmm
func.func @runtime_mask_without_guard(%q: tensor<1x1x3x4xf32>, %k: tensor<1x1x5x4xf32>, %v: tensor<1x1x5x4xf32>, %mask: tensor<3x5xf32>) -> tensor<1x1x3x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>} : (tensor<1x1x5x4xf32>) -> tensor<1x1x4x5xf32>
  %qf = edge.view %q {size = array<i64: 1, 3, 4>} : (tensor<1x1x3x4xf32>) -> tensor<1x3x4xf32>
  %kf = edge.view %kt {size = array<i64: 1, 4, 5>} : (tensor<1x1x4x5xf32>) -> tensor<1x4x5xf32>
  %s = edge.bmm %qf, %kf : (tensor<1x3x4xf32>, tensor<1x4x5xf32>) -> tensor<1x3x5xf32>
  %s4 = edge.view %s {size = array<i64: 1, 1, 3, 5>} : (tensor<1x3x5xf32>) -> tensor<1x1x3x5xf32>
  %x = edge.add.Tensor %s4, %mask {alpha = 1 : i64} : (tensor<1x1x3x5xf32>, tensor<3x5xf32>) -> tensor<1x1x3x5xf32>
  %p = edge._softmax %x {dim = -1 : i64, half_to_float = false} : (tensor<1x1x3x5xf32>) -> tensor<1x1x3x5xf32>
  %pf = edge.view %p {size = array<i64: 1, 3, 5>} : (tensor<1x1x3x5xf32>) -> tensor<1x3x5xf32>
  %vf = edge.view %v {size = array<i64: 1, 5, 4>} : (tensor<1x1x5x4xf32>) -> tensor<1x5x4xf32>
  %o = edge.bmm %pf, %vf : (tensor<1x3x5xf32>, tensor<1x5x4xf32>) -> tensor<1x3x4xf32>
  %o4 = edge.view %o {size = array<i64: 1, 1, 3, 4>} : (tensor<1x3x4xf32>) -> tensor<1x1x3x4xf32>
  return %o4 : tensor<1x1x3x4xf32>
}

// -----

// A constant causal mask (-inf above the diagonal, no row fully masked):
// rewritten without the guard, the mask kept as the op's operand.
// CHECK-LABEL: func.func @constant_causal_mask
// CHECK: %[[M:.*]] = edge.constant
// CHECK: edge.scaled_dot_product_attention %arg0, %arg1, %arg2, %[[M]] {{.*}}scale = 1.000000e+00 : f64
// CHECK-NOT: edge._softmax
func.func @constant_causal_mask(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %mask = edge.constant dense<[[0.0, 0xFF800000], [0.0, 0.0]]> : tensor<2x2xf32>
  %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x4x2xf32>
  %qf = edge.view %q {size = array<i64: 1, 2, 4>} : (tensor<1x1x2x4xf32>) -> tensor<1x2x4xf32>
  %kf = edge.view %kt {size = array<i64: 1, 4, 2>} : (tensor<1x1x4x2xf32>) -> tensor<1x4x2xf32>
  %s = edge.bmm %qf, %kf : (tensor<1x2x4xf32>, tensor<1x4x2xf32>) -> tensor<1x2x2xf32>
  %s4 = edge.view %s {size = array<i64: 1, 1, 2, 2>} : (tensor<1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %x = edge.add.Tensor %s4, %mask {alpha = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = edge._softmax %x {dim = -1 : i64, half_to_float = false} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %pf = edge.view %p {size = array<i64: 1, 2, 2>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x2xf32>
  %vf = edge.view %v {size = array<i64: 1, 2, 4>} : (tensor<1x1x2x4xf32>) -> tensor<1x2x4xf32>
  %o = edge.bmm %pf, %vf : (tensor<1x2x2xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %o4 = edge.view %o {size = array<i64: 1, 1, 2, 4>} : (tensor<1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %o4 : tensor<1x1x2x4xf32>
}

// -----

// Not rewritten: a constant mask with a fully masked row (-inf everywhere in
// row 0) and no guard; and a softmax over another dim than the keys.
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT: edge.scaled_dot_product_attention
// CHECK: return
func.func @not_attention(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>) -> (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %mask = edge.constant dense<[[0xFF800000, 0xFF800000], [0.0, 0.0]]> : tensor<2x2xf32>
  %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x4x2xf32>
  %qf = edge.view %q {size = array<i64: 1, 2, 4>} : (tensor<1x1x2x4xf32>) -> tensor<1x2x4xf32>
  %kf = edge.view %kt {size = array<i64: 1, 4, 2>} : (tensor<1x1x4x2xf32>) -> tensor<1x4x2xf32>
  %s = edge.bmm %qf, %kf : (tensor<1x2x4xf32>, tensor<1x4x2xf32>) -> tensor<1x2x2xf32>
  %s4 = edge.view %s {size = array<i64: 1, 1, 2, 2>} : (tensor<1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %x = edge.add.Tensor %s4, %mask {alpha = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = edge._softmax %x {dim = -1 : i64, half_to_float = false} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %pf = edge.view %p {size = array<i64: 1, 2, 2>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x2xf32>
  %vf = edge.view %v {size = array<i64: 1, 2, 4>} : (tensor<1x1x2x4xf32>) -> tensor<1x2x4xf32>
  %o = edge.bmm %pf, %vf : (tensor<1x2x2xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %o4 = edge.view %o {size = array<i64: 1, 1, 2, 4>} : (tensor<1x2x4xf32>) -> tensor<1x1x2x4xf32>
  %p2 = edge._softmax %s4 {dim = 2 : i64, half_to_float = false} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %pf2 = edge.view %p2 {size = array<i64: 1, 2, 2>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x2xf32>
  %o2 = edge.bmm %pf2, %vf : (tensor<1x2x2xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %o24 = edge.view %o2 {size = array<i64: 1, 1, 2, 4>} : (tensor<1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %o4, %o24 : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>
}

// -----

// Key and value heads repeated for grouped-query attention (repeat_kv:
// unsqueeze, expand, clone, view; 2 heads -> 4) become the op's grouped
// heads: it reads the 2-head tensors with enable_gqa, the copies are gone.
// CHECK-LABEL: func.func @repeated_kv_heads
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x4x3x8xf32>, %[[K:[^:]*]]: tensor<1x2x5x8xf32>, %[[V:[^:]*]]: tensor<1x2x5x8xf32>)
// CHECK-NOT: edge.expand
// CHECK: edge.scaled_dot_product_attention %[[Q]], %[[K]], %[[V]], %{{.*}} {dropout_p = 0.000000e+00 : f64, enable_gqa = true, is_causal = true} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, none)
func.func @repeated_kv_heads(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %none = edge.none
  %ku = edge.unsqueeze %k {dim = 2 : i64} : (tensor<1x2x5x8xf32>) -> tensor<1x2x1x5x8xf32>
  %ke = edge.expand %ku {implicit = false, size = array<i64: 1, 2, 2, 5, 8>} : (tensor<1x2x1x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %kc = edge.clone %ke {memory_format = 0 : i64} : (tensor<1x2x2x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %kr = edge.view %kc {size = array<i64: 1, 4, 5, 8>} : (tensor<1x2x2x5x8xf32>) -> tensor<1x4x5x8xf32>
  %vu = edge.unsqueeze %v {dim = 2 : i64} : (tensor<1x2x5x8xf32>) -> tensor<1x2x1x5x8xf32>
  %ve = edge.expand %vu {implicit = false, size = array<i64: 1, 2, 2, 5, 8>} : (tensor<1x2x1x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %vr = edge.view %ve {size = array<i64: 1, 4, 5, 8>} : (tensor<1x2x2x5x8xf32>) -> tensor<1x4x5x8xf32>
  %o = edge.scaled_dot_product_attention %q, %kr, %vr, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = true} : (tensor<1x4x3x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>, none) -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}

// -----

// Not folded: heads interleaved the other way (unsqueeze at dim 1: head h is
// head h % 2), which is not grouped-query order.
// CHECK-LABEL: func.func @tiled_heads
// CHECK: edge.expand
// CHECK: enable_gqa = false
func.func @tiled_heads(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> attributes {edge.in_spec = "", edge.out_spec = "$"} {
  %none = edge.none
  %ku = edge.unsqueeze %k {dim = 1 : i64} : (tensor<1x2x5x8xf32>) -> tensor<1x1x2x5x8xf32>
  %ke = edge.expand %ku {implicit = false, size = array<i64: 1, 2, 2, 5, 8>} : (tensor<1x1x2x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %kr = edge.view %ke {size = array<i64: 1, 4, 5, 8>} : (tensor<1x2x2x5x8xf32>) -> tensor<1x4x5x8xf32>
  %o = edge.scaled_dot_product_attention %q, %kr, %kr, %none {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = true} : (tensor<1x4x3x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>, none) -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}
