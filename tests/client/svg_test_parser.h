#pragma once
// Parses an SVG with expat for the plot tests: whether it is well-formed XML, how many elements of
// each name and class it has, and its texts.

#include <expat.h>

#include <map>
#include <string>
#include <vector>

namespace convlat::client {

struct ParsedSvg {
  bool well_formed = false;
  std::string error;
  std::map<std::string, int> elements;  // by name: "circle", "path", "text", ...
  std::map<std::string, int> classes;   // by class attribute: "tick", "legend", "mark", "cell", ...
  std::vector<std::string> texts;       // the content of every <text>, in order
};

inline ParsedSvg ParseSvg(const std::string& svg) {
  struct State {
    ParsedSvg parsed;
    bool in_text = false;
  } state;
  XML_Parser parser = XML_ParserCreate("UTF-8");
  XML_SetUserData(parser, &state);
  XML_SetElementHandler(
      parser,
      [](void* data, const XML_Char* name, const XML_Char** attributes) {
        auto& s = *static_cast<State*>(data);
        ++s.parsed.elements[name];
        for (int i = 0; attributes[i] != nullptr; i += 2) {
          if (std::string(attributes[i]) == "class") ++s.parsed.classes[attributes[i + 1]];
        }
        if (std::string(name) == "text") s.in_text = true, s.parsed.texts.emplace_back();
      },
      [](void* data, const XML_Char* name) {
        if (std::string(name) == "text") static_cast<State*>(data)->in_text = false;
      });
  XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* text, int length) {
    auto& s = *static_cast<State*>(data);
    if (s.in_text) s.parsed.texts.back().append(text, length);
  });
  state.parsed.well_formed = XML_Parse(parser, svg.data(), static_cast<int>(svg.size()), 1) == XML_STATUS_OK;
  if (!state.parsed.well_formed) state.parsed.error = XML_ErrorString(XML_GetErrorCode(parser));
  XML_ParserFree(parser);
  return state.parsed;
}

}  // namespace convlat::client
