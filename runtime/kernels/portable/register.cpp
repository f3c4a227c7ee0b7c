// register_portable_kernels(): the explicit table of every portable kernel.
// All entries use the empty KernelKey: each kernel checks its dtypes and
// fails with NotSupported for the ones it lacks. A selective build
// (selective_build.h) keeps only its operators' entries, so that the linker
// drops the other kernels.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/selective_build.h"

// The tables' `#if !EMBER_SELECTING || EMBER_SELECT_<op>` lines.
#define EMBER_SELECTING EMBER_SELECTION_ACTIVE

namespace ember {
namespace {

using namespace portable;  // NOLINT: the table below names every kernel

/// Every portable kernel: those of the Edge ops (kernels.inc, generated from
/// exir/ops.yaml), then those of operators that are not Edge ops.
const Kernel kPortableKernels[] = {
#define EMBER_PORTABLE_KERNEL(function, op) {op, &function, KernelKey{}},
#include "runtime/kernels/portable/kernels.inc"
#undef EMBER_PORTABLE_KERNEL
#if !EMBER_SELECTING || EMBER_SELECT_aten__squeeze_copy_dim_out
    {"aten::squeeze_copy.dim_out", &squeeze_copy_dim_out, KernelKey{}},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_dim_order_ops___to_dim_order_copy_out
    {"dim_order_ops::_to_dim_order_copy.out", &to_dim_order_copy_out, KernelKey{}},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_dim_order_ops___clone_dim_order_out
    {"dim_order_ops::_clone_dim_order.out", &clone_dim_order_out, KernelKey{}},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__copy_
    {"aten::copy_", &copy_, KernelKey{}},
#endif
    {nullptr, nullptr, KernelKey{}},  // end (not registered): a selection may keep none
};

/// What each portable kernel writes: the table generated from exir/ops.yaml,
/// then the kernels whose schemas are not in it.
const OperatorWrites kPortableWrites[] = {
#include "runtime/kernels/portable/op_writes.inc"
#if !EMBER_SELECTING || EMBER_SELECT_aten__copy_
    // copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)
    {"aten::copy_", 3, 0x1u},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__squeeze_copy_dim_out
    // squeeze_copy.dim_out(Tensor self, int dim, *, Tensor(a!) out) -> Tensor(a!)
    {"aten::squeeze_copy.dim_out", 3, 0x4u},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_dim_order_ops___to_dim_order_copy_out
    // (Tensor self, *, bool non_blocking=False, int[]? dim_order=None, Tensor(a!) out)
    {"dim_order_ops::_to_dim_order_copy.out", 4, 0x8u},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_dim_order_ops___clone_dim_order_out
    {"dim_order_ops::_clone_dim_order.out", 4, 0x8u},
#endif
    {nullptr, 0, 0},  // end (not registered)
};


bool g_registered = false;

}  // namespace

Error register_portable_kernels() {
  if (g_registered) return Error::Ok;
  const Error prim = register_prim_ops();
  if (prim != Error::Ok) return prim;
  EMBER_TRY(register_operator_writes(table_entries(kPortableWrites)));
  const Error err = register_kernels(table_entries(kPortableKernels));
  if (err == Error::Ok) g_registered = true;
  return err;
}

}  // namespace ember
