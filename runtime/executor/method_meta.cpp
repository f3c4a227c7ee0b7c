// MethodMeta: checked reads of an execution plan's inputs, outputs, planned
// buffers and operators.
#include "runtime/executor/method_meta.h"

#include <cstddef>

#include "runtime/executor/value_table.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

constexpr uint8_t kMaxTag = static_cast<uint8_t>(Tag::OptionalTensorList);

}  // namespace

const char* MethodMeta::name() const {
  return plan_->name() != nullptr ? plan_->name()->c_str() : "";
}

size_t MethodMeta::num_inputs() const {
  return plan_->inputs() != nullptr ? plan_->inputs()->size() : 0;
}

size_t MethodMeta::num_outputs() const {
  return plan_->outputs() != nullptr ? plan_->outputs()->size() : 0;
}

Result<Tag> MethodMeta::value_tag(int32_t value_index) const {
  const auto* values = plan_->values();
  EMBER_CHECK(values != nullptr && value_index >= 0 &&
                  static_cast<uint32_t>(value_index) < values->size(),
              Error::InvalidProgram, "value index %d out of range", static_cast<int>(value_index));
  const uint8_t raw = static_cast<uint8_t>(values->Get(value_index)->val_type());
  EMBER_CHECK(raw <= kMaxTag, Error::InvalidProgram, "value %d has unknown type %u",
              static_cast<int>(value_index), static_cast<unsigned>(raw));
  return static_cast<Tag>(raw);
}

Result<TensorInfo> MethodMeta::tensor_info(int32_t value_index) const {
  Result<Tag> tag = value_tag(value_index);
  if (!tag.ok()) return tag.error();
  EMBER_CHECK(*tag == Tag::Tensor, Error::InvalidArgument, "value %d is not a tensor",
              static_cast<int>(value_index));
  const fb::Tensor* t = plan_->values()->Get(value_index)->val_as_Tensor();
  EMBER_CHECK(t != nullptr, Error::InvalidProgram, "value %d: tensor table missing",
              static_cast<int>(value_index));
  const int8_t raw_dtype = static_cast<int8_t>(t->scalar_type());
  EMBER_CHECK(is_valid_scalar_type(raw_dtype), Error::NotSupported,
              "value %d has unsupported dtype %d", static_cast<int>(value_index),
              static_cast<int>(raw_dtype));
  const uint8_t dyn = static_cast<uint8_t>(t->shape_dynamism());
  EMBER_CHECK(dyn <= static_cast<uint8_t>(ShapeDynamism::DynamicUnbound), Error::InvalidProgram,
              "value %d has unknown shape dynamism %u", static_cast<int>(value_index),
              static_cast<unsigned>(dyn));
  TensorInfo info;
  info.dtype = static_cast<ScalarType>(raw_dtype);
  if (t->sizes() != nullptr) info.sizes = {t->sizes()->data(), t->sizes()->size()};
  if (t->dim_order() != nullptr) info.dim_order = {t->dim_order()->data(), t->dim_order()->size()};
  info.dynamism = static_cast<ShapeDynamism>(dyn);
  info.is_planned = t->allocation_info() != nullptr;
  EMBER_TRY(check_tensor_shape(info.dtype, info.sizes, info.dim_order, &info.nbytes));
  return info;
}

Result<Tag> MethodMeta::input_tag(size_t i) const {
  EMBER_CHECK(i < num_inputs(), Error::InvalidArgument, "input %zu out of range (%zu)", i,
              num_inputs());
  return value_tag(plan_->inputs()->Get(static_cast<uint32_t>(i)));
}

Result<TensorInfo> MethodMeta::input_tensor_info(size_t i) const {
  EMBER_CHECK(i < num_inputs(), Error::InvalidArgument, "input %zu out of range (%zu)", i,
              num_inputs());
  return tensor_info(plan_->inputs()->Get(static_cast<uint32_t>(i)));
}

Result<Tag> MethodMeta::output_tag(size_t i) const {
  EMBER_CHECK(i < num_outputs(), Error::InvalidArgument, "output %zu out of range (%zu)", i,
              num_outputs());
  return value_tag(plan_->outputs()->Get(static_cast<uint32_t>(i)));
}

Result<TensorInfo> MethodMeta::output_tensor_info(size_t i) const {
  EMBER_CHECK(i < num_outputs(), Error::InvalidArgument, "output %zu out of range (%zu)", i,
              num_outputs());
  return tensor_info(plan_->outputs()->Get(static_cast<uint32_t>(i)));
}

size_t MethodMeta::num_planned_buffers() const {
  const auto* sizes = plan_->non_const_buffer_sizes();
  return sizes != nullptr && sizes->size() > 0 ? sizes->size() - 1 : 0;
}

Result<int64_t> MethodMeta::planned_buffer_size(size_t i) const {
  EMBER_CHECK(i < num_planned_buffers(), Error::InvalidArgument,
              "planned buffer %zu out of range (%zu)", i, num_planned_buffers());
  const int64_t size = plan_->non_const_buffer_sizes()->Get(static_cast<uint32_t>(i + 1));
  EMBER_CHECK(size >= 0, Error::InvalidProgram, "planned buffer %zu has negative size", i);
  return size;
}

size_t MethodMeta::num_operators() const {
  return plan_->operators() != nullptr ? plan_->operators()->size() : 0;
}

Result<OperatorName> MethodMeta::operator_name(size_t i) const {
  EMBER_CHECK(i < num_operators(), Error::InvalidArgument, "operator %zu out of range (%zu)", i,
              num_operators());
  const fb::Operator* op = plan_->operators()->Get(static_cast<uint32_t>(i));
  OperatorName out;
  if (op->name() != nullptr) out.name = op->name()->c_str();
  if (op->overload() != nullptr) out.overload = op->overload()->c_str();
  return out;
}

size_t MethodMeta::num_instructions() const {
  const auto* chains = plan_->chains();
  if (chains == nullptr || chains->size() == 0) return 0;
  const auto* instructions = chains->Get(0)->instructions();
  return instructions != nullptr ? instructions->size() : 0;
}

size_t MethodMeta::num_delegates() const {
  return plan_->delegates() != nullptr ? plan_->delegates()->size() : 0;
}

Result<const char*> MethodMeta::delegate_backend(size_t i) const {
  EMBER_CHECK(i < num_delegates(), Error::InvalidArgument, "delegate %zu out of range (%zu)", i,
              num_delegates());
  const auto* id = plan_->delegates()->Get(static_cast<uint32_t>(i))->id();
  return id != nullptr ? id->c_str() : "";
}

size_t MethodMeta::method_memory_bound() const { return ember::method_memory_bound(plan_); }

size_t MethodMeta::poison_memory_bound() const {
  // Method::plan_poison: per value a last use, a group and a flag, per value
  // at most one region; per instruction a start and a fill index; each of
  // the six arrays aligned.
  const size_t values = plan_->values() != nullptr ? plan_->values()->size() : 0;
  const auto* chains = plan_->chains();
  const size_t steps = chains != nullptr && chains->size() > 0 && chains->Get(0)->instructions()
                           ? chains->Get(0)->instructions()->size()
                           : 0;
  return values * (2 * sizeof(int32_t) + sizeof(bool) + 2 * sizeof(void*)) +
         (2 * steps + 1) * sizeof(uint32_t) + 6 * alignof(std::max_align_t);
}

const char* MethodMeta::input_container_spec() const {
  const auto* meta = plan_->container_meta_type();
  return meta != nullptr && meta->encoded_inp_str() != nullptr ? meta->encoded_inp_str()->c_str() : "";
}

const char* MethodMeta::output_container_spec() const {
  const auto* meta = plan_->container_meta_type();
  return meta != nullptr && meta->encoded_out_str() != nullptr ? meta->encoded_out_str()->c_str() : "";
}

}  // namespace ember
