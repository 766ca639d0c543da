// ChatTemplate: the prompt format of an instruct checkpoint, for one user message with the
// assistant's turn opened -- what transformers' apply_chat_template(messages,
// add_generation_prompt=True) renders from the checkpoint's Jinja template.
//
// The engine does not run Jinja. It recognises the template as one of the known forms and
// renders that form itself:
//   ChatML        <|im_start|>role\n...<|im_end|>\n  (Qwen2, SmolLM2), with the default
//                 system prompt the template inserts when the first message is not "system"
//   Llama 3       <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> after BOS, the
//                 message trimmed as Python's str.strip() does (Meta-Llama-3-Instruct)
// A template is recognised when it is one of these written in Jinja, whatever its spacing
// inside tags, quoting, or whitespace control; anything else is refused with a
// TokenizerError that names the template by its first characters.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ssa {

class ChatTemplate {
 public:
  enum class Form { kChatML, kLlama3 };

  // `bos_token`: the tokenizer's BOS string (Llama 3's template starts with it).
  static ChatTemplate recognise(std::string_view jinja, std::string_view bos_token);
  // A model folder's template: chat_template.jinja, else tokenizer_config.json's
  // "chat_template" (a string, or the entry named "default" of a list); BOS from
  // tokenizer_config.json's bos_token.
  static ChatTemplate load(const std::filesystem::path& model_dir);

  Form form() const { return form_; }
  // ChatML: the system prompt added when the conversation has none.
  const std::optional<std::string>& default_system() const { return default_system_; }

  // The prompt for one user message, ending where the assistant's answer begins.
  std::string render(std::string_view user_message) const;

 private:
  Form form_ = Form::kChatML;
  std::optional<std::string> default_system_;
  std::string bos_token_;
};

}  // namespace ssa
