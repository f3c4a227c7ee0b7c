# RUN: %python %s | FileCheck %s
# The importer's Edge IR for a real exported CNN: weights as named
# dense_resource constants, batch norm's three results with two unused,
# max-pool's indices dropped by getitem, flatten as a view, linear as
# permute + addmm, the pytree container strings on the function, and no
# constant for the unused num_batches_tracked buffer.
import torch
from torch import nn

import ember


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc(torch.flatten(x, 1))


ep = torch.export.export(Net().eval(), (torch.randn(1, 3, 4, 4),))
# The import phase alone (the edge phase would fold the batch norm into the
# convolution: tests/lit/passes/fuse-conv-batch-norm.mlir).
session = ember._C.CompilerSession()
session.import_graphs(ember.to_edge(ep)._graphs)
print(session.print(False))

# CHECK-LABEL: func.func @forward(%arg0: tensor<1x3x4x4xf32>) -> tensor<1x5xf32>
# CHECK-SAME: edge.in_spec = "T2#1#0(T1#1($),D0())"
# CHECK-SAME: edge.out_spec = "$"
# CHECK: %[[W:.*]] = edge.constant {name = "conv.weight"} dense_resource<conv.weight> : tensor<4x3x3x3xf32>
# CHECK: %[[B:.*]] = edge.constant {name = "conv.bias"} dense_resource<conv.bias> : tensor<4xf32>
# CHECK-NOT: num_batches_tracked
# The linear weight is folded: stored transposed, no edge.permute at run time.
# CHECK: %[[T:.*]] = edge.constant {name = "fc.weight.permute"} dense_resource<fc.weight.permute> : tensor<16x5xf32>
# CHECK: %[[C:.*]] = edge.convolution %arg0, %[[W]], %[[B]] {{{.*}}padding = array<i64: 1, 1>{{.*}}} : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
# CHECK: %[[BN:.*]], %{{.*}}, %{{.*}} = edge._native_batch_norm_legit_no_training %[[C]], {{.*}} {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64}
# CHECK: %[[R:.*]] = edge.relu %[[BN]]
# CHECK: %[[P:.*]], %{{.*}} = edge.max_pool2d_with_indices %[[R]] {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64>}
# CHECK-NOT: edge.permute
# CHECK: %[[V:.*]] = edge.view %[[P]] {size = array<i64: 1, 16>}
# CHECK: %[[Y:.*]] = edge.addmm %{{.*}}, %[[V]], %[[T]] {alpha = 1 : i64, beta = 1 : i64}
# CHECK: return %[[Y]] : tensor<1x5xf32>
