// Recognising a chat template: the Jinja text is lexed as Jinja would lex it (with
// transformers' trim_blocks and lstrip_blocks), each tag's code is reduced to its tokens,
// and the result is compared with the known forms reduced the same way.
#include "engine/tokenizer/chat_template.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSystemHole = "@SYSTEM@";

// ChatML as Qwen2-Instruct and SmolLM2-Instruct write it, the default system prompt a hole.
constexpr std::string_view kChatMLWithSystem =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n@SYSTEM@<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// ChatML without a default system prompt.
constexpr std::string_view kChatML =
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// Meta-Llama-3-Instruct, with and without the add_generation_prompt condition.
constexpr std::string_view kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
    "message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}";
constexpr std::string_view kLlama3Always =
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
    "message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}";

struct Unrecognised {};  // a template this lexer cannot read: simply not a known form

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A Jinja string literal starting at code[i] (a quote), decoded; i moves past it.
std::string read_string(std::string_view code, size_t& i) {
  const char quote = code[i++];
  std::string out;
  while (i < code.size() && code[i] != quote) {
    char c = code[i++];
    if (c != '\\' || i >= code.size()) {
      out += c;
      continue;
    }
    const char e = code[i++];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case '\n':
        break;  // a line continuation
      default:
        out += '\\';
        out += e;
        break;  // Python keeps unknown escapes
    }
  }
  if (i >= code.size()) throw Unrecognised{};
  ++i;
  return out;
}

// The tokens of one tag's code, one space apart, strings JSON-quoted.
std::string canonical_code(std::string_view code) {
  std::string out;
  auto emit = [&](const std::string& token) {
    if (!out.empty()) out += ' ';
    out += token;
  };
  for (size_t i = 0; i < code.size();) {
    const char c = code[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '\'' || c == '"') {
      emit(nlohmann::json(read_string(code, i)).dump());
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < code.size() && (std::isalnum(static_cast<unsigned char>(code[j])) ||
                                 code[j] == '_' || code[j] == '.'))
        ++j;
      emit(std::string(code.substr(i, j - i)));
      i = j;
    } else {
      static const char* const kPairs[] = {"==", "!=", "<=", ">=", "//", "**"};
      std::string op(1, c);
      for (const char* pair : kPairs)
        if (code.substr(i, 2) == pair) op = pair;
      emit(op);
      i += op.size();
    }
  }
  return out;
}

// The template as Jinja's lexer reads it with transformers' settings (trim_blocks,
// lstrip_blocks, no trailing newline kept): the text between tags with whitespace control
// applied, and one line per tag with its code reduced to tokens. Follows jinja2/lexer.py.
std::string canonical_template(std::string_view raw) {
  // Line breaks become \n; one trailing newline goes.
  std::string t;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      t += '\n';
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      t += raw[i];
    }
  }
  if (!t.empty() && t.back() == '\n') t.pop_back();

  std::string out;
  auto add_text = [&](const std::string& text) {
    if (!text.empty()) out += "T " + nlohmann::json(text).dump() + "\n";
  };
  bool line_starting = true;  // the last token ended with a newline (or nothing came yet)
  size_t pos = 0;
  for (;;) {
    size_t open = pos;
    for (;; ++open) {
      open = t.find('{', open);
      if (open == std::string::npos || open + 1 >= t.size()) {
        open = std::string::npos;
        break;
      }
      if (t[open + 1] == '{' || t[open + 1] == '%' || t[open + 1] == '#') break;
    }
    std::string text = t.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    if (open == std::string::npos) {
      add_text(text);
      return out;
    }
    const char kind = t[open + 1] == '{' ? 'E' : t[open + 1] == '%' ? 'S' : 'C';
    size_t code_start = open + 2;
    const char sign = code_start < t.size() ? t[code_start] : '\0';
    if (sign == '-' || sign == '+') ++code_start;
    if (sign == '-') {
      while (!text.empty() && is_space(text.back())) text.pop_back();
    } else if (sign != '+' && kind != 'E') {
      // lstrip_blocks: a tag alone on its line after spaces loses them.
      const size_t line = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
      if (line > 0 || line_starting) {
        size_t k = line;
        while (k < text.size() && is_space(text[k])) ++k;
        if (k == text.size()) text.erase(line);
      }
    }
    add_text(text);

    // The end of the tag (string literals may hold anything).
    const std::string_view close = kind == 'E' ? "}}" : kind == 'S' ? "%}" : "#}";
    size_t j = code_start;
    while (j + 1 < t.size() && std::string_view(t).substr(j, 2) != close) {
      if (kind != 'C' && (t[j] == '\'' || t[j] == '"'))
        read_string(t, j);
      else
        ++j;
    }
    if (j + 1 >= t.size()) throw Unrecognised{};
    size_t code_end = j;
    const char end_sign = code_end > code_start ? t[code_end - 1] : '\0';
    if (end_sign == '-' || (end_sign == '+' && kind != 'E')) --code_end;
    pos = j + 2;
    if (end_sign == '-') {
      while (pos < t.size() && is_space(t[pos])) ++pos;  // "-%}\s*"
    } else if (kind != 'E' && end_sign != '+' && pos < t.size() && t[pos] == '\n') {
      ++pos;  // trim_blocks: "%}\n?"
    }
    line_starting = t[pos - 1] == '\n';
    if (kind != 'C') {
      out += kind;
      out += ' ' + canonical_code(std::string_view(t).substr(code_start, code_end - code_start)) +
             "\n";
    }
  }
}

// One line naming a template: its first characters, newlines shown as \n.
std::string excerpt(std::string_view jinja) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < jinja.size() && chars < 60; ++chars) {
    size_t len = unicode::sequence_length(static_cast<unsigned char>(jinja[i]));
    if (jinja[i] == '\n')
      out += "\\n";
    else
      out.append(jinja.substr(i, len));
    i += len;
  }
  return out + (chars == 60 ? "..." : "");
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw TokenizerError(file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string python_strip(std::string_view s) {
  size_t begin = 0, end = s.size(), len;
  while (begin < end && unicode::is_python_space(unicode::decode_at(s, begin, &len))) begin += len;
  while (end > begin && unicode::is_python_space(unicode::decode_before(s, end, &len))) end -= len;
  return std::string(s.substr(begin, end - begin));
}

}  // namespace

ChatTemplate ChatTemplate::recognise(std::string_view jinja, std::string_view bos_token) {
  unicode::require_utf8(jinja, "chat template");
  ChatTemplate result;
  result.bos_token_ = std::string(bos_token);
  try {
    const std::string canonical = canonical_template(jinja);
    if (canonical == canonical_template(kChatML)) return result;
    for (std::string_view llama : {kLlama3, kLlama3Always}) {
      if (canonical == canonical_template(llama)) {
        result.form_ = Form::kLlama3;
        return result;
      }
    }
    const std::string with_system = canonical_template(kChatMLWithSystem);
    const size_t hole = with_system.find(kSystemHole);
    const std::string before = with_system.substr(0, hole);
    const std::string after = with_system.substr(hole + kSystemHole.size());
    if (canonical.size() >= before.size() + after.size() &&
        canonical.compare(0, before.size(), before) == 0 &&
        canonical.compare(canonical.size() - after.size(), after.size(), after) == 0) {
      const std::string middle =
          canonical.substr(before.size(), canonical.size() - before.size() - after.size());
      // The hole sits inside one JSON string: the prompt must be a string fragment.
      const auto parsed = nlohmann::json::parse("\"" + middle + "\"", nullptr, false);
      if (parsed.is_string()) {
        result.default_system_ = parsed.get<std::string>();
        return result;
      }
    }
  } catch (const Unrecognised&) {
  }
  throw TokenizerError("chat template \"" + excerpt(jinja) +
                       "\" is not a known form (ChatML as in Qwen2 and SmolLM2, or Llama 3's)");
}

ChatTemplate ChatTemplate::load(const fs::path& model_dir) {
  const fs::path config_file = model_dir / "tokenizer_config.json";
  nlohmann::json config;
  if (fs::exists(config_file)) {
    config = nlohmann::json::parse(read_text(config_file), nullptr, false);
    if (config.is_discarded()) throw TokenizerError(config_file.string() + ": not JSON");
  }
  std::string bos;
  if (config.is_object() && config.contains("bos_token")) {
    const auto& b = config["bos_token"];
    if (b.is_string()) bos = b.get<std::string>();
    if (b.is_object() && b.contains("content") && b["content"].is_string())
      bos = b["content"].get<std::string>();
  }
  const fs::path jinja_file = model_dir / "chat_template.jinja";
  if (fs::exists(jinja_file)) {
    try {
      return recognise(read_text(jinja_file), bos);
    } catch (const TokenizerError& e) {
      throw TokenizerError(jinja_file.string() + ": " + e.what());
    }
  }
  if (config.is_object() && config.contains("chat_template")) {
    const auto& value = config["chat_template"];
    std::optional<std::string> text;
    if (value.is_string()) text = value.get<std::string>();
    if (value.is_array())
      for (const auto& entry : value)
        if (entry.is_object() && entry.value("name", "") == "default" &&
            entry.contains("template") && entry["template"].is_string())
          text = entry["template"].get<std::string>();
    if (text) {
      try {
        return recognise(*text, bos);
      } catch (const TokenizerError& e) {
        throw TokenizerError(config_file.string() + ": " + e.what());
      }
    }
  }
  throw TokenizerError(
      model_dir.string() +
      ": no chat template (chat_template.jinja, or chat_template in tokenizer_config.json)");
}

std::string ChatTemplate::render(std::string_view user_message) const {
  std::string out;
  if (form_ == Form::kChatML) {
    if (default_system_) out += "<|im_start|>system\n" + *default_system_ + "<|im_end|>\n";
    out += "<|im_start|>user\n";
    out += user_message;
    out += "<|im_end|>\n<|im_start|>assistant\n";
    return out;
  }
  out = bos_token_ + "<|start_header_id|>user<|end_header_id|>\n\n" + python_strip(user_message) +
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace ssa
