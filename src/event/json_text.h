// json_text.h — the one way memledger turns a JSON value into text.
//
// nlohmann::json::dump throws type_error 316 on a string that is not valid
// UTF-8; names are made valid where they are decoded (event/utf8.h), and
// this is the defence in depth: any ill-formed byte left is written as
// U+FFFD (error_handler_t::replace) and nothing throws. Every emission of
// JSON in src/, tools/ and python/ goes through JsonText.
//
// Header-only (nlohmann is); thread-safe as dump is on a value not being changed.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace memledger {

// `value` as JSON text: compact, or pretty-printed with `indent` spaces.
inline std::string JsonText(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace memledger
