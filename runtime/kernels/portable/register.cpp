// register_portable_kernels(): the explicit table of every portable kernel.
// All entries use the empty KernelKey: each kernel checks its dtypes and
// fails with NotSupported for the ones it lacks.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace {

using namespace portable;  // NOLINT: the table below names every kernel

/// Every portable kernel: those of the Edge ops (kernels.inc, generated from
/// exir/ops.yaml), then those of operators that are not Edge ops.
const Kernel kPortableKernels[] = {
#define EMBER_PORTABLE_KERNEL(function, op) {op, &function, KernelKey{}},
#include "runtime/kernels/portable/kernels.inc"
#undef EMBER_PORTABLE_KERNEL
    {"aten::squeeze_copy.dim_out", &squeeze_copy_dim_out, KernelKey{}},
    {"dim_order_ops::_to_dim_order_copy.out", &to_dim_order_copy_out, KernelKey{}},
    {"dim_order_ops::_clone_dim_order.out", &clone_dim_order_out, KernelKey{}},
    {"aten::copy_", &copy_, KernelKey{}},
};

/// What each portable kernel writes: the table generated from exir/ops.yaml,
/// then the kernels whose schemas are not in it.
const OperatorWrites kPortableWrites[] = {
#include "runtime/kernels/portable/op_writes.inc"
    // copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)
    {"aten::copy_", 3, 0x1u},
    // squeeze_copy.dim_out(Tensor self, int dim, *, Tensor(a!) out) -> Tensor(a!)
    {"aten::squeeze_copy.dim_out", 3, 0x4u},
    // (Tensor self, *, bool non_blocking=False, int[]? dim_order=None, Tensor(a!) out)
    {"dim_order_ops::_to_dim_order_copy.out", 4, 0x8u},
    {"dim_order_ops::_clone_dim_order.out", 4, 0x8u},
};

bool g_registered = false;

}  // namespace

Error register_portable_kernels() {
  if (g_registered) return Error::Ok;
  const Error prim = register_prim_ops();
  if (prim != Error::Ok) return prim;
  EMBER_TRY(register_operator_writes(Span<const OperatorWrites>(
      kPortableWrites, sizeof(kPortableWrites) / sizeof(kPortableWrites[0]))));
  const Error err = register_kernels(
      Span<const Kernel>(kPortableKernels, sizeof(kPortableKernels) / sizeof(kPortableKernels[0])));
  if (err == Error::Ok) g_registered = true;
  return err;
}

}  // namespace ember
