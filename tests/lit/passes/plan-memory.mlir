// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory))' | FileCheck %s
// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory{plan-inputs=false alignment=64}))' | FileCheck %s --check-prefix=NOIN
// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory{algorithm=greedy alias-views=false}))' | FileCheck %s --check-prefix=GREEDY
// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory{algorithm=refined}))' | FileCheck %s --check-prefix=REFINED
// RUN: not ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-plan-memory{algorithm=fastest}))' 2>&1 | FileCheck %s --check-prefix=BAD

// A chain reuses memory: each 24-byte tensor takes a 32-byte slot; x is dead
// after the first op, so the third result can take x's slot.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: edge.arg_offsets = array<i64: [[X:[0-9]+]]>
// CHECK-SAME: edge.memory_candidates = {greedy = 64 : i64, greedy_by_breadth = 64 : i64, greedy_by_size = 64 : i64, greedy_by_size_first_fit = 64 : i64, refined = 64 : i64}
// CHECK-SAME: edge.memory_lower_bound = array<i64: 48>
// CHECK-SAME: edge.planned_sizes = array<i64: 64>
// CHECK: edge.relu %{{.*}} {edge.offsets = array<i64: [[A:[0-9]+]]>}
// CHECK: edge.sigmoid %{{.*}} {edge.offsets = array<i64: [[X]]>}
// CHECK: edge.tanh %{{.*}} {edge.offsets = array<i64: [[A]]>}
// NOIN-LABEL: func.func @chain
// NOIN-SAME: edge.arg_offsets = array<i64: -1>
// NOIN-SAME: edge.planned_sizes = array<i64: 128>
// GREEDY-LABEL: func.func @chain
// GREEDY-SAME: edge.memory_algorithm = "greedy", edge.memory_candidates = {greedy = 64 : i64}
// BAD: unknown memory planning algorithm 'fastest' (best, greedy, greedy_by_size, greedy_by_size_first_fit, greedy_by_breadth, refined)
func.func @chain(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = edge.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = edge.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = edge.tanh %b : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// Values alive at the same time never share memory, and an output lives to
// the end even when an op after it is the last to run.
// CHECK-LABEL: func.func @overlap
// CHECK-SAME: edge.arg_offsets = array<i64: 0>
// CHECK-SAME: edge.planned_sizes = array<i64: 192>
// CHECK: edge.relu %{{.*}} {edge.offsets = array<i64: 128>}
// CHECK: edge.sigmoid %{{.*}} {edge.offsets = array<i64: 64>}
// CHECK: edge.add.Tensor %{{.*}} {alpha = 1 : i64, edge.offsets = array<i64: 0>}
func.func @overlap(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = edge.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = edge.sigmoid %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = edge.add.Tensor %a, %b {alpha = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a, %c : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Unused results of a multi-result op still get memory while the op writes them.
// CHECK-LABEL: func.func @unused_result
// CHECK: edge.max_pool2d_with_indices %{{.*}} {{{.*}}edge.offsets = array<i64: [[O:[0-9]+]], [[I:[0-9]+]]>
func.func @unused_result(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %p:2 = edge.max_pool2d_with_indices %x {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %p#0 : tensor<1x1x2x2xf32>
}

// -----

// Dynamic shapes: tensors are planned at their upper-bound types (4x16 f32:
// 256 bytes each), run-time sizes take no memory and get no offsets.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: edge.planned_sizes = array<i64: 512>
// CHECK: edge.sym_size %arg0 {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
// CHECK: edge.view {{.*}}edge.offsets = array<i64: {{[0-9]+}}>
// NOIN-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<4x16xf32> {edge.dynamic}) -> tensor<64xf32> {
  %b = edge.sym_size %x {dim = 0 : i64} : (tensor<4x16xf32>) -> i64
  %n = edge.sym_op "mul"(%b, %b) : (i64, i64) -> i64
  %v = edge.view %x, %n {size = array<i64: 64>, sym_slots = array<i64: 1, 0>, edge.dynamic_results = array<i1: true>} : (tensor<4x16xf32>, i64) -> tensor<64xf32>
  return %v : tensor<64xf32>
}

// -----

// A view shares its input's memory: it is at its input's offset, marked for
// executorch_prim::et_view, and its input lives until the view's last use
// (relu's result is still alive at the add, so sigmoid cannot take it).
// CHECK-LABEL: func.func @views
// CHECK-SAME: edge.planned_sizes = array<i64: 192>
// CHECK: edge.relu %arg0 {edge.offsets = array<i64: [[A:[0-9]+]]>}
// CHECK: edge.view %{{.*}} {edge.offsets = array<i64: [[A]]>, edge.view_alias, size = array<i64: 16>}
// CHECK: edge.sigmoid %arg0 {edge.offsets = array<i64: [[B:[0-9]+]]>}
// CHECK: edge.view %{{.*}} {edge.offsets = array<i64: [[B]]>, edge.view_alias, size = array<i64: 16>}
// CHECK: edge.add.Tensor
// Without aliasing every view is a copy with memory of its own.
// GREEDY-LABEL: func.func @views
// GREEDY: edge.view %{{.*}} {edge.offsets = array<i64: {{[0-9]+}}>, size = array<i64: 16>}
func.func @views(%x: tensor<4x4xf32>) -> tensor<16xf32> {
  %a = edge.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %v = edge.view %a {size = array<i64: 16>} : (tensor<4x4xf32>) -> tensor<16xf32>
  %b = edge.sigmoid %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %w = edge.view %b {size = array<i64: 16>} : (tensor<4x4xf32>) -> tensor<16xf32>
  %s = edge.add.Tensor %v, %w {alpha = 1 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %s : tensor<16xf32>
}

// -----

// A view that is a function result, or a view of a mutable buffer, keeps
// its own memory.
// CHECK-LABEL: func.func @no_alias
// CHECK: edge.view %{{.*}} {edge.offsets = array<i64: {{[0-9]+}}>, size = array<i64: 4>}
// CHECK: edge.view %{{.*}} {edge.offsets = array<i64: {{[0-9]+}}>, size = array<i64: 4>}
func.func @no_alias(%x: tensor<2x2xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %state = edge.mutable_buffer {name = "state"} dense<0.0> : tensor<2x2xf32>
  %v = edge.view %state {size = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
  %w = edge.view %x {size = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
  %s = edge.add.Tensor %v, %v {alpha = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %s, %w : tensor<4xf32>, tensor<4xf32>
}

// -----

// Arenas by memory id: relu's result goes to arena 2, the rest to arena 1.
// CHECK-LABEL: func.func @arenas
// CHECK-SAME: edge.memory_lower_bound = array<i64: 64, 64>
// CHECK-SAME: edge.planned_sizes = array<i64: 64, 64>
// CHECK: edge.relu %arg0 {edge.memory_id = 2 : i64, edge.memory_ids = array<i64: 2>, edge.offsets = array<i64: 0>}
func.func @arenas(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = edge.relu %x {edge.memory_id = 2 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = edge.sigmoid %a : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %b : tensor<4x4xf32>
}

// -----

// TensorFlow's "same" padding in miniature (MobileNet at 128x128 has it at
// full size): a chain of equal-sized tensors (x, relu, tanh: 256 bytes each)
// then a slightly larger pad (272-byte slots) and its user. Largest first,
// the offset searches put the chain at 0, 256, 512: the tanh, alive with the
// pad, cannot go back to 0, so they need 768 bytes. ExecuTorch's greedy
// (the later of equal sizes first) and the refined search alternate the
// chain between the pad's slot and its user's: 544, the bound.
// CHECK-LABEL: func.func @same_padding
// CHECK-SAME: edge.memory_algorithm = "greedy"
// CHECK-SAME: edge.memory_candidates = {greedy = 544 : i64, greedy_by_breadth = 784 : i64, greedy_by_size = 768 : i64, greedy_by_size_first_fit = 768 : i64, refined = 544 : i64}
// CHECK-SAME: edge.planned_sizes = array<i64: 544>
// CHECK: edge.relu %arg0 {edge.offsets = array<i64: [[A:[0-9]+]]>}
// CHECK: edge.tanh %{{.*}} {edge.offsets = array<i64: [[B:[0-9]+]]>}
// CHECK: edge.constant_pad_nd %{{.*}} {edge.offsets = array<i64: [[A]]>
// CHECK: edge.relu %{{.*}} {edge.offsets = array<i64: [[B]]>}
func.func @same_padding(%x: tensor<64xf32>) -> tensor<65xf32> {
  %a = edge.relu %x : (tensor<64xf32>) -> tensor<64xf32>
  %b = edge.tanh %a : (tensor<64xf32>) -> tensor<64xf32>
  %p = edge.constant_pad_nd %b {pad = array<i64: 0, 1>, value = 0 : i64} : (tensor<64xf32>) -> tensor<65xf32>
  %q = edge.relu %p : (tensor<65xf32>) -> tensor<65xf32>
  return %q : tensor<65xf32>
}

// -----

// What every heuristic misses and the refined search finds (five tensors:
// planned exactly). The pad's 400 bytes go first, then the two 384-byte cats
// (%b is unused: alive only while cat writes it): %c beside the pad, %b at 0,
// which leaves x and relu (alive with both cats) nowhere below 784, so 1168.
// The optimum puts %b high as well, overlapping %c's bytes (they are never
// alive together), and x and relu under both: 784, the bound.
// CHECK-LABEL: func.func @refined_beats_heuristics
// CHECK-SAME: edge.memory_algorithm = "refined"
// CHECK-SAME: edge.memory_candidates = {greedy = 1168 : i64, greedy_by_breadth = 1168 : i64, greedy_by_size = 1168 : i64, greedy_by_size_first_fit = 1168 : i64, refined = 784 : i64}
// CHECK-SAME: edge.memory_lower_bound = array<i64: 784>
// CHECK-SAME: edge.planned_sizes = array<i64: 784>
// CHECK: edge.relu %arg0 {edge.offsets = array<i64: 192>}
// CHECK: edge.cat {{.*}}edge.offsets = array<i64: 384>
// CHECK: edge.cat {{.*}}edge.offsets = array<i64: 400>
// CHECK: edge.constant_pad_nd {{.*}}edge.offsets = array<i64: 0>
// REFINED-LABEL: func.func @refined_beats_heuristics
// REFINED-SAME: edge.memory_algorithm = "refined", edge.memory_candidates = {refined = 784 : i64}
func.func @refined_beats_heuristics(%x: tensor<48xf32>) -> tensor<100xf32> {
  %a = edge.relu %x : (tensor<48xf32>) -> tensor<48xf32>
  %b = edge.cat %x, %a {dim = 0 : i64} : (tensor<48xf32>, tensor<48xf32>) -> tensor<96xf32>
  %c = edge.cat %x, %a {dim = 0 : i64} : (tensor<48xf32>, tensor<48xf32>) -> tensor<96xf32>
  %p = edge.constant_pad_nd %c {pad = array<i64: 0, 4>, value = 0 : i64} : (tensor<96xf32>) -> tensor<100xf32>
  return %p : tensor<100xf32>
}

// -----

// A cache update written back into its mutable buffer, nothing reading the
// buffer after it: planned in place (the buffer's offset, edge.in_place), so
// the emitter copies nothing back. The value cache is read after its update
// (by the add), so its update gets memory of its own.
// CHECK-LABEL: func.func @cache_update_in_place
// CHECK: %[[K:.*]] = edge.mutable_buffer {edge.offsets = array<i64: [[KOFF:[0-9]+]]>, name = "k"}
// CHECK: edge.update_cache %[[K]], %arg0, %arg1 {dim = 2 : i64, edge.in_place, edge.offsets = array<i64: [[KOFF]]>}
// CHECK: edge.update_cache %{{.*}}, %arg0, %arg1 {dim = 2 : i64, edge.offsets = array<i64: {{[0-9]+}}>}
func.func @cache_update_in_place(%pos: tensor<1xi64>, %kv: tensor<1x2x1x4xf32>) -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %k = edge.mutable_buffer {name = "k"} dense<0.0> : tensor<1x2x8x4xf32>
  %v = edge.mutable_buffer {name = "v"} dense<0.0> : tensor<1x2x8x4xf32>
  %ku = edge.update_cache %k, %pos, %kv {dim = 2 : i64} : (tensor<1x2x8x4xf32>, tensor<1xi64>, tensor<1x2x1x4xf32>) -> tensor<1x2x8x4xf32>
  %vu = edge.update_cache %v, %pos, %kv {dim = 2 : i64} : (tensor<1x2x8x4xf32>, tensor<1xi64>, tensor<1x2x1x4xf32>) -> tensor<1x2x8x4xf32>
  %old = edge.add.Tensor %v, %ku {alpha = 1 : i64} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %s = edge.add.Tensor %vu, %old {alpha = 1 : i64} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  edge.write_back %ku into %k : tensor<1x2x8x4xf32>
  edge.write_back %vu into %v : tensor<1x2x8x4xf32>
  return %s, %old : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}
