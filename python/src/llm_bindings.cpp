// Python bindings of the LLM runner (ember._C.llm): the tokenizers (load a
// tokenizer file, encode, decode, stream pieces into text) and the runner
// (load an ember.llm.export .pte with its tokenizer, generate). A failing call
// raises ember.errors.EmberRuntimeError with the error's name and the line
// the C++ side logged (the file, the JSON member or the token at fault).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/extension/llm/runner.h"
#include "runtime/extension/llm/tokenizer.h"
#include "runtime/platform/platform.h"

namespace py = pybind11;
using ember::Error;
using ember::llm::Generation;
using ember::llm::GenerationConfig;
using ember::llm::Runner;
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

[[noreturn]] void raise_status(const ember::Status& st) {
  py::object type = py::module_::import("ember.errors").attr("EmberRuntimeError");
  PyErr_SetObject(type.ptr(), type(ember::error_name(st.error), st.message).ptr());
  throw py::error_already_set();
}

py::dict stats_dict(const ember::llm::GenerationStats& s) {
  py::dict d;
  d["load_ms"] = s.load_ms;
  d["time_to_first_token_ms"] = s.time_to_first_token_ms;
  d["prefill_ms"] = s.prefill_ms;
  d["decode_ms"] = s.decode_ms;
  d["prefill_tokens_per_s"] = s.prefill_tokens_per_s;
  d["decode_tokens_per_s"] = s.decode_tokens_per_s;
  d["prompt_tokens"] = s.prompt_tokens;
  d["generated_tokens"] = s.generated_tokens;
  d["peak_rss_kib"] = s.peak_rss_kib;
  d["stop_reason"] = ember::llm::stop_reason_name(s.stop_reason);
  return d;
}

/// Runner::generate (a str prompt) or generate_from_tokens (ids) without the
/// GIL; `on_text` is called with it. An exception the callback raises is
/// raised once generation ends (the runner cannot be interrupted).
py::dict generate(Runner& r, py::object prompt, const GenerationConfig& config,
                  py::object on_text) {
  std::optional<py::error_already_set> callback_error;
  ember::llm::TextCallback cb;
  if (!on_text.is_none()) {
    cb = [&on_text, &callback_error](const std::string& text) {
      py::gil_scoped_acquire gil;
      if (callback_error) return;
      try {
        on_text(py::str(text));
      } catch (py::error_already_set& e) {
        callback_error.emplace(std::move(e));
      }
    };
  }
  Generation out;
  ember::Status st;
  if (py::isinstance<py::str>(prompt)) {
    const std::string text = prompt.cast<std::string>();
    py::gil_scoped_release nogil;
    st = r.generate(text, config, cb, &out);
  } else {
    const std::vector<int32_t> ids = prompt.cast<std::vector<int32_t>>();
    py::gil_scoped_release nogil;
    st = r.generate_from_tokens(ids, config, cb, &out);
  }
  if (callback_error) throw std::move(*callback_error);
  if (!st.ok()) raise_status(st);
  py::dict d;
  d["text"] = out.text;
  d["tokens"] = out.tokens;
  d["prompt_tokens"] = out.prompt_tokens;
  d["stats"] = stats_dict(out.stats);
  return d;
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

  py::class_<Runner>(m, "Runner", "An ember.llm.export program with its tokenizer")
      .def_static(
          "load",
          [](const std::string& pte_path, const std::string& tokenizer_path,
             const std::string& pattern, const std::map<std::string, int32_t>& special_tokens,
             int32_t bos_id, int32_t eos_id) {
            ember::llm::RunnerOptions options;
            options.tokenizer = make_options(pattern, special_tokens, bos_id, eos_id);
            ember::Status st;
            std::unique_ptr<Runner> r;
            {
              py::gil_scoped_release nogil;
              r = Runner::load(pte_path, tokenizer_path, options, &st);
            }
            if (!r) raise_status(st);
            return r;
          },
          py::arg("pte_path"), py::arg("tokenizer_path"), py::kw_only(), py::arg("pattern") = "",
          py::arg("special_tokens") = std::map<std::string, int32_t>(), py::arg("bos_id") = -1,
          py::arg("eos_id") = -1,
          "Load the program and the tokenizer (tokenizer options as Tokenizer.load takes them)")
      .def(
          "generate",
          [](Runner& r, py::object prompt, int32_t max_new_tokens, float temperature,
             int32_t top_k, float top_p, float repetition_penalty, uint64_t seed,
             const std::vector<int32_t>& stop_ids, bool echo, int bos, py::object on_text) {
            GenerationConfig c;
            c.max_new_tokens = max_new_tokens;
            c.temperature = temperature;
            c.top_k = top_k;
            c.top_p = top_p;
            c.repetition_penalty = repetition_penalty;
            c.seed = seed;
            c.stop_ids = stop_ids;
            c.echo = echo;
            c.bos = bos;
            return generate(r, std::move(prompt), c, std::move(on_text));
          },
          py::arg("prompt"), py::kw_only(), py::arg("max_new_tokens") = 128,
          py::arg("temperature") = 0.0f, py::arg("top_k") = 0, py::arg("top_p") = 1.0f,
          py::arg("repetition_penalty") = 1.0f, py::arg("seed") = 0,
          py::arg("stop_ids") = std::vector<int32_t>(), py::arg("echo") = false,
          py::arg("bos") = -1, py::arg("on_text") = py::none(),
          "Generate from a str prompt (encoded, bos per `bos`) or a list of ids (as they are); "
          "returns {text, tokens, prompt_tokens, stats}")
      .def_property_readonly("max_seq_len", &Runner::max_seq_len)
      .def_property_readonly("vocab_size", &Runner::vocab_size)
      .def_property_readonly("bos_id", &Runner::bos_id)
      .def_property_readonly("eos_ids", &Runner::eos_ids)
      .def_property_readonly("model_family", &Runner::model_family)
      .def_property_readonly("load_ms", &Runner::load_ms)
      .def_property_readonly("tokenizer_vocab_size",
                             [](const Runner& r) { return r.tokenizer().vocab_size(); });
}
