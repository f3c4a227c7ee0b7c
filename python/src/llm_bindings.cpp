// Python bindings of the LLM runner's tokenizers (ember._C.llm): load a
// tokenizer file, encode, decode, stream pieces into text. A failing call
// raises ember.errors.EmberRuntimeError with the error's name and the line
// the C++ side logged (the file, the JSON member or the token at fault).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/extension/llm/tokenizer.h"
#include "runtime/platform/platform.h"

namespace py = pybind11;
using ember::Error;
using ember::llm::TextStream;
using ember::llm::Tokenizer;
using ember::llm::TokenizerOptions;

namespace {

thread_local std::string* t_lines = nullptr;
thread_local ember::platform::LogSink t_previous = nullptr;

void capture(ember::platform::LogLevel level, const char* message) {
  if (t_lines != nullptr && level >= ember::platform::LogLevel::Error) {
    if (!t_lines->empty()) *t_lines += "; ";
    *t_lines += message;
  }
  if (t_previous != nullptr) t_previous(level, message);
}

/// For one call: error lines go to the exception, not to stderr.
class Capture {
 public:
  Capture() {
    previous_ = ember::platform::get_log_sink();
    if (previous_ != capture) {
      t_previous = previous_;
      ember::platform::set_log_sink(capture);
    }
    outer_ = t_lines;
    t_lines = &lines_;
    sink_only_ = ember::platform::set_errors_to_sink_only(true);
  }
  ~Capture() {
    ember::platform::set_errors_to_sink_only(sink_only_);
    t_lines = outer_;
    if (previous_ != capture) ember::platform::set_log_sink(previous_);
  }
  /// Raise EmberRuntimeError for `e` (not Ok) with the captured lines.
  [[noreturn]] void raise(Error e) {
    py::object type = py::module_::import("ember.errors").attr("EmberRuntimeError");
    std::string message = lines_.empty() ? "tokenizer call failed" : lines_;
    PyErr_SetObject(type.ptr(), type(ember::error_name(e), message).ptr());
    throw py::error_already_set();
  }
  void check(Error e) {
    if (e != Error::Ok) raise(e);
  }

 private:
  std::string lines_;
  std::string* outer_ = nullptr;
  ember::platform::LogSink previous_ = nullptr;
  bool sink_only_ = false;
};

TokenizerOptions make_options(const std::string& pattern,
                              const std::map<std::string, int32_t>& special_tokens,
                              int32_t bos_id, int32_t eos_id) {
  TokenizerOptions o;
  o.pattern = pattern;
  for (const auto& [text, id] : special_tokens) o.special_tokens.emplace_back(text, id);
  o.bos_id = bos_id;
  o.eos_id = eos_id;
  return o;
}

std::shared_ptr<Tokenizer> finish_load(ember::Result<std::unique_ptr<Tokenizer>> r,
                                       Capture* cap) {
  if (!r.ok()) cap->raise(r.error());
  return std::shared_ptr<Tokenizer>(std::move(r.get()));
}

}  // namespace

void bind_llm(py::module_& parent) {
  py::module_ m = parent.def_submodule("llm", "The LLM runner's tokenizers");

  py::class_<Tokenizer, std::shared_ptr<Tokenizer>>(m, "Tokenizer",
      "A tokenizer loaded from tokenizer.json, a tiktoken file or a SentencePiece model")
      .def_static(
          "load",
          [](const std::string& path, const std::string& pattern,
             const std::map<std::string, int32_t>& special_tokens, int32_t bos_id,
             int32_t eos_id) {
            Capture cap;
            return finish_load(ember::llm::load_tokenizer(
                                   path, make_options(pattern, special_tokens, bos_id, eos_id)),
                               &cap);
          },
          py::arg("path"), py::kw_only(), py::arg("pattern") = "",
          py::arg("special_tokens") = std::map<std::string, int32_t>(), py::arg("bos_id") = -1,
          py::arg("eos_id") = -1,
          "Load a tokenizer file (format found from its contents). tiktoken files take the "
          "pattern and special tokens ({text: id}); empty means Llama 3's.")
      .def_static(
          "from_bytes",
          [](py::bytes data, const std::string& name, const std::string& pattern,
             const std::map<std::string, int32_t>& special_tokens, int32_t bos_id,
             int32_t eos_id) {
            Capture cap;
            std::string bytes = data;
            return finish_load(
                ember::llm::load_tokenizer_from_bytes(
                    bytes, name, make_options(pattern, special_tokens, bos_id, eos_id)),
                &cap);
          },
          py::arg("data"), py::arg("name") = "<bytes>", py::kw_only(), py::arg("pattern") = "",
          py::arg("special_tokens") = std::map<std::string, int32_t>(), py::arg("bos_id") = -1,
          py::arg("eos_id") = -1)
      .def(
          "encode",
          [](const Tokenizer& t, const std::string& text, bool bos, bool eos) {
            Capture cap;
            std::vector<int32_t> ids;
            cap.check(t.encode(text, bos, eos, &ids));
            return ids;
          },
          py::arg("text"), py::arg("bos") = false, py::arg("eos") = false)
      .def(
          "decode",
          [](const Tokenizer& t, const std::vector<int32_t>& ids, bool skip_special) {
            Capture cap;
            std::string text;
            cap.check(t.decode(ids, skip_special, &text));
            return text;
          },
          py::arg("ids"), py::arg("skip_special") = false)
      .def(
          "decode_piece",
          [](const Tokenizer& t, int32_t id, bool at_start) {
            Capture cap;
            std::string bytes;
            cap.check(t.decode_piece(id, at_start, &bytes));
            return py::bytes(bytes);
          },
          py::arg("id"), py::arg("at_start") = false,
          "The bytes of one token (maybe part of a UTF-8 character)")
      .def("is_special", &Tokenizer::is_special, py::arg("id"))
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size)
      .def_property_readonly("bos_id", &Tokenizer::bos_id)
      .def_property_readonly("eos_id", &Tokenizer::eos_id)
      .def_property_readonly(
          "format", [](const Tokenizer& t) { return ember::llm::format_name(t.format()); });

  py::class_<TextStream>(m, "TextStream", "Joins decoded pieces into valid UTF-8 text")
      .def(py::init<>())
      .def("push", [](TextStream& s, py::bytes piece) { return s.push(std::string(piece)); },
           py::arg("piece"))
      .def("finish", &TextStream::finish);
}
