// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-linear))' | FileCheck %s

// PT2E's per-channel linear with a fused relu, on a 3-d input: one
// quantized_linear; quant_min rises to the output zero point (7); the
// dequantizes and the zero points go.
// CHECK-LABEL: func.func @linear_relu
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"}
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "s"}
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "b"}
// CHECK: %[[Y:.*]] = edge.quantized_linear %arg0, %[[W]], %[[S]], %[[B]] {input_scale = 1.100000e-02 : f64, input_zero_point = -48 : i64, output_scale = 2.500000e-03 : f64, output_zero_point = 7 : i64, quant_max = 127 : i64, quant_min = 7 : i64} : (tensor<2x3x4xi8>, tensor<2x4xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x3x2xi8>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: edge.dequantize
func.func @linear_relu(%xq: tensor<2x3x4xi8>) -> tensor<2x3x2xi8> {
  %w = edge.constant {name = "w"} dense<[[1, 2, 3, 4], [-5, -6, 7, 8]]> : tensor<2x4xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %z = edge.constant {name = "z"} dense<0> : tensor<2xi64>
  %b = edge.constant {name = "b"} dense<[1.0, -1.0]> : tensor<2xf32>
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.011 : f64, zero_point = -48 : i64} : (tensor<2x3x4xi8>) -> tensor<2x3x4xf32>
  %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %l = edge.linear %xf, %wf, %b : (tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<2x3x2xf32>
  %r = edge.relu %l : (tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %y = edge.quantize_per_tensor %r {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0025 : f64, zero_point = 7 : i64} : (tensor<2x3x2xf32>) -> tensor<2x3x2xi8>
  return %y : tensor<2x3x2xi8>
}

// -----

// The form the front end leaves with fuse_linear off: addmm(b, x,
// permute(w)) and mm(x, permute(w)) (no bias: none). The permutes go too.
// CHECK-LABEL: func.func @addmm_and_mm
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"}
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "w.scale"} dense<5.000000e-01> : tensor<1xf32>
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "b"}
// CHECK: edge.quantized_linear %arg0, %[[W]], %[[S]], %[[B]] {{.*}} : (tensor<3x4xi8>, tensor<2x4xi8>, tensor<1xf32>, tensor<2xf32>) -> tensor<3x2xi8>
// CHECK: %[[N:.*]] = edge.none
// CHECK: edge.quantized_linear %arg0, %[[W]], %[[S]], %[[N]] {{.*}} : (tensor<3x4xi8>, tensor<2x4xi8>, tensor<1xf32>, none) -> tensor<3x2xi8>
// CHECK-NOT: edge.permute
// CHECK-NOT: edge.addmm
// CHECK-NOT: edge.mm
func.func @addmm_and_mm(%xq: tensor<3x4xi8>) -> (tensor<3x2xi8>, tensor<3x2xi8>) {
  %w = edge.constant {name = "w"} dense<[[1, 2, 3, 4], [-5, -6, 7, 8]]> : tensor<2x4xi8>
  %b = edge.constant {name = "b"} dense<[1.0, -1.0]> : tensor<2xf32>
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.01 : f64, zero_point = 0 : i64} : (tensor<3x4xi8>) -> tensor<3x4xf32>
  %wf = edge.dequantize_per_tensor %w {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64, scale = 0.5 : f64, zero_point = 0 : i64} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %wt = edge.permute %wf {dims = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %a = edge.addmm %b, %xf, %wt {alpha = 1 : i64, beta = 1 : i64} : (tensor<2xf32>, tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %ya = edge.quantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  %m = edge.mm %xf, %wt : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %ym = edge.quantize_per_tensor %m {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %ya, %ym : tensor<3x2xi8>, tensor<3x2xi8>
}

// -----

// A linear on [2, 5, 4] as torch.export leaves it: view to [10, 4], linear,
// view back, then the quantize. quantized_linear takes [..., K]: it reads
// the int8 [2, 5, 4] directly and both views go.
// CHECK-LABEL: func.func @through_views
// CHECK: %[[Y:.*]] = edge.quantized_linear %arg0, {{.*}} : (tensor<2x5x4xi8>, tensor<2x4xi8>, tensor<1xf32>, none) -> tensor<2x5x2xi8>
// CHECK-NEXT: return %[[Y]]
func.func @through_views(%xq: tensor<2x5x4xi8>) -> tensor<2x5x2xi8> {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x4xi8>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.01 : f64, zero_point = 0 : i64} : (tensor<2x5x4xi8>) -> tensor<2x5x4xf32>
  %wf = edge.dequantize_per_tensor %w {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64, scale = 0.5 : f64, zero_point = 0 : i64} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %v = edge.view %xf {size = array<i64: 10, 4>} : (tensor<2x5x4xf32>) -> tensor<10x4xf32>
  %l = edge.linear %v, %wf, %none : (tensor<10x4xf32>, tensor<2x4xf32>, none) -> tensor<10x2xf32>
  %o = edge.view %l {size = array<i64: 2, 5, 2>} : (tensor<10x2xf32>) -> tensor<2x5x2xf32>
  %y = edge.quantize_per_tensor %o {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<2x5x2xf32>) -> tensor<2x5x2xi8>
  return %y : tensor<2x5x2xi8>
}

// -----

// Refusals, recorded on the linear: per-channel scales along the input
// features; an asymmetric per-tensor weight; zero points that are not
// constants; a result that is not quantized; an add-mm with beta 2 is not a
// linear at all (untouched, unmarked).
// CHECK-LABEL: func.func @refusals
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the weight is quantized per channel along axis 1, not its output channels (axis 0)"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "asymmetric weights (zero point 3, not 0)"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the weight zero points are not compile-time constants"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "its result is not quantized"}
// CHECK: edge.addmm
// CHECK-NOT: edge.refused
// CHECK-NOT: edge.quantized_linear
func.func @refusals(%xq: tensor<3x4xi8>, %zp: tensor<2xi64>, %b: tensor<2xf32>) -> (tensor<3x2xi8>, tensor<3x2xi8>, tensor<3x2xi8>, tensor<3x2xf32>, tensor<3x2xi8>) {
  %w = edge.constant {name = "w"} dense<[[1, 2, 3, 4], [-5, -6, 7, 8]]> : tensor<2x4xi8>
  %s2 = edge.constant {name = "s2"} dense<[0.5, 0.25]> : tensor<2xf32>
  %s4 = edge.constant {name = "s4"} dense<[0.5, 0.25, 0.5, 0.25]> : tensor<4xf32>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.01 : f64, zero_point = 0 : i64} : (tensor<3x4xi8>) -> tensor<3x4xf32>
  %w1 = edge.dequantize_per_channel %w, %s4, %none {axis = 1 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<4xf32>, none) -> tensor<2x4xf32>
  %l0 = edge.linear %xf, %w1, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %y0 = edge.quantize_per_tensor %l0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  %w2 = edge.dequantize_per_tensor %w {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.5 : f64, zero_point = 3 : i64} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %l1 = edge.linear %xf, %w2, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %y1 = edge.quantize_per_tensor %l1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  %w3 = edge.dequantize_per_channel %w, %s2, %zp {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %l2 = edge.linear %xf, %w3, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %y2 = edge.quantize_per_tensor %l2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  %w4 = edge.dequantize_per_channel %w, %s2, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %l3 = edge.linear %xf, %w4, %b : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %wt = edge.permute %w4 {dims = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %a = edge.addmm %b, %xf, %wt {alpha = 1 : i64, beta = 2 : i64} : (tensor<2xf32>, tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %y4 = edge.quantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %y0, %y1, %y2, %l3, %y4 : tensor<3x2xi8>, tensor<3x2xi8>, tensor<3x2xi8>, tensor<3x2xf32>, tensor<3x2xi8>
}

// -----

// A linear on a dynamically quantized input is ember-fold-quantized-dynamic-linear's:
// this pass neither folds nor marks it.
// CHECK-LABEL: func.func @dynamic_input_is_not_static
// CHECK: edge.linear
// CHECK-NOT: edge.refused
// CHECK-NOT: edge.quantized_linear
func.func @dynamic_input_is_not_static(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x4xi8>
  %s2 = edge.constant {name = "s2"} dense<[0.5, 0.25]> : tensor<2xf32>
  %none = edge.none
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %q = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<3x4xi8>
  %xf = edge.dequantize_per_tensor.tensor %q, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<3x4xf32>
  %wf = edge.dequantize_per_channel %w, %s2, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %l = edge.linear %xf, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  return %l : tensor<3x2xf32>
}
