// register_portable_kernels(): the explicit table of every portable kernel.
// All entries use the empty KernelKey: each kernel checks its dtypes and
// fails with NotSupported for the ones it lacks.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace {

using namespace portable;  // NOLINT: the table below names every kernel

const Kernel kPortableKernels[] = {
    {"aten::add.out", &add_out, KernelKey{}},
    {"aten::sub.out", &sub_out, KernelKey{}},
    {"aten::mul.out", &mul_out, KernelKey{}},
    {"aten::div.out", &div_out, KernelKey{}},
    {"aten::div.out_mode", &div_out_mode, KernelKey{}},
    {"aten::relu.out", &relu_out, KernelKey{}},
    {"aten::hardtanh.out", &hardtanh_out, KernelKey{}},
    {"aten::sigmoid.out", &sigmoid_out, KernelKey{}},
    {"aten::tanh.out", &tanh_out, KernelKey{}},
    {"aten::gelu.out", &gelu_out, KernelKey{}},
    {"aten::_softmax.out", &softmax_out, KernelKey{}},
    {"aten::_native_batch_norm_legit_no_training.out", &batch_norm_no_training_out, KernelKey{}},
    {"aten::convolution.out", &convolution_out, KernelKey{}},
    {"aten::max_pool2d_with_indices.out", &max_pool2d_with_indices_out, KernelKey{}},
    {"aten::avg_pool2d.out", &avg_pool2d_out, KernelKey{}},
    {"aten::_adaptive_avg_pool2d.out", &adaptive_avg_pool2d_out, KernelKey{}},
    {"aten::mean.out", &mean_out, KernelKey{}},
    {"aten::sum.IntList_out", &sum_intlist_out, KernelKey{}},
    {"aten::addmm.out", &addmm_out, KernelKey{}},
    {"aten::mm.out", &mm_out, KernelKey{}},
    {"aten::bmm.out", &bmm_out, KernelKey{}},
    {"aten::view_copy.out", &view_copy_out, KernelKey{}},
    {"aten::permute_copy.out", &permute_copy_out, KernelKey{}},
    {"aten::unsqueeze_copy.out", &unsqueeze_copy_out, KernelKey{}},
    {"aten::squeeze_copy.dims_out", &squeeze_copy_dims_out, KernelKey{}},
    {"aten::squeeze_copy.dim_out", &squeeze_copy_dim_out, KernelKey{}},
    {"aten::expand_copy.out", &expand_copy_out, KernelKey{}},
    {"aten::cat.out", &cat_out, KernelKey{}},
    {"aten::clone.out", &clone_out, KernelKey{}},
    {"aten::_to_copy.out", &to_copy_out, KernelKey{}},
    {"dim_order_ops::_to_dim_order_copy.out", &to_dim_order_copy_out, KernelKey{}},
    {"dim_order_ops::_clone_dim_order.out", &clone_dim_order_out, KernelKey{}},
    {"aten::copy_", &copy_, KernelKey{}},
    {"aten::index_put.out", &index_put_out, KernelKey{}},

    // ---- unary
    // ---- end unary

    // ---- binary
    // ---- end binary

    // ---- reduction
    {"aten::mean.dtype_out", &mean_dtype_out, KernelKey{}},
    {"aten::prod.out", &prod_out, KernelKey{}},
    {"aten::prod.int_out", &prod_int_out, KernelKey{}},
    {"aten::cumsum.out", &cumsum_out, KernelKey{}},
    {"aten::var.correction_out", &var_correction_out, KernelKey{}},
    {"aten::var_mean.correction_out", &var_mean_correction_out, KernelKey{}},
    {"aten::linalg_vector_norm.out", &linalg_vector_norm_out, KernelKey{}},
    {"aten::amax.out", &amax_out, KernelKey{}},
    {"aten::amin.out", &amin_out, KernelKey{}},
    {"aten::max.dim_max", &max_dim_max, KernelKey{}},
    {"aten::min.dim_min", &min_dim_min, KernelKey{}},
    {"aten::max.unary_out", &max_unary_out, KernelKey{}},
    {"aten::min.unary_out", &min_unary_out, KernelKey{}},
    {"aten::argmax.out", &argmax_out, KernelKey{}},
    {"aten::argmin.out", &argmin_out, KernelKey{}},
    {"aten::any.all_out", &any_all_out, KernelKey{}},
    {"aten::any.out", &any_out, KernelKey{}},
    {"aten::any.dims_out", &any_dims_out, KernelKey{}},
    {"aten::_log_softmax.out", &log_softmax_out, KernelKey{}},
    {"aten::native_layer_norm.out", &native_layer_norm_out, KernelKey{}},
    {"aten::native_group_norm.out", &native_group_norm_out, KernelKey{}},
    // ---- end reduction

    // ---- shape
    // ---- end shape

    // ---- indexing
    // ---- end indexing
};

bool g_registered = false;

}  // namespace

Error register_portable_kernels() {
  if (g_registered) return Error::Ok;
  const Error err = register_kernels(
      Span<const Kernel>(kPortableKernels, sizeof(kPortableKernels) / sizeof(kPortableKernels[0])));
  if (err == Error::Ok) g_registered = true;
  return err;
}

}  // namespace ember
