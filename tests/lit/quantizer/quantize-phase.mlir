// RUN: ember-opt %s --ember-compile=to=quantize | FileCheck %s
// RUN: ember-opt %s --ember-compile="to=quantize fold-quantized=false" | FileCheck %s --check-prefix=OFF

// The quantize phase runs the folds (static convolution, residual add,
// global pool), the report and the channels-last pass, in that order,
// before partitioning (the add reads an NCHW input, so the convolution's
// result goes back to NCHW, and the pool stays on NCHW's dims);
// fold-quantized=false (PipelineOptions::foldQuantized) leaves the
// reference path as it is.
// CHECK-LABEL: func.func @forward
// CHECK: %[[T:.*]] = edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C:.*]] = edge.quantized_convolution_nhwc %[[T]]
// CHECK: %[[P:.*]] = edge.permute %[[C]] {dims = array<i64: 0, 3, 1, 2>}
// CHECK: %[[A:.*]] = edge.quantized_add %[[P]], %arg0
// CHECK: %[[M:.*]] = edge.quantized_mean %[[A]] {dim = array<i64: -1, -2>, keepdim = true
// CHECK-NOT: edge.refused
// CHECK: return %[[M]]
// OFF-LABEL: func.func @forward
// OFF-NOT: edge.quantized_
// OFF-NOT: edge.refused
func.func @forward(%xq: tensor<1x1x2x2xi8>) -> tensor<1x1x1x1xi8> attributes {edge.in_spec = "", edge.out_spec = ""} {
  %w = edge.constant {name = "w"} dense<3> : tensor<1x1x1x1xi8>
  %s = edge.constant {name = "s"} dense<0.5> : tensor<1xf32>
  %none = edge.none
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<1x1x1x1xi8>, tensor<1xf32>, none) -> tensor<1x1x1x1xf32>
  %c = edge.convolution %xf, %wf, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %cq = edge.quantize_per_tensor %c {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %cf = edge.dequantize_per_tensor %cq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %sum = edge.add.Tensor %cf, %xf {alpha = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %sq = edge.quantize_per_tensor %sum {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.07 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  %sf = edge.dequantize_per_tensor %sq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.07 : f64, zero_point = 0 : i64} : (tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xf32>
  %m = edge.mean.dim %sf {dim = array<i64: -1, -2>, keepdim = true} : (tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>
  %mq = edge.quantize_per_tensor %m {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.07 : f64, zero_point = 0 : i64} : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8>
  return %mq : tensor<1x1x1x1xi8>
}
