// The files of web/ (the preview page), built into the binary by cmake/embed_files.cmake so that the
// program needs nothing on disk and nothing from a CDN.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::http {

struct EmbeddedFile {
  std::string name;  // file name without folder, e.g. "index.html"
  std::string_view bytes;
};

const std::vector<EmbeddedFile>& embedded_files();

// The content type for a file name by its extension (html, js, css, svg, png, ico, json).
std::string content_type_for(std::string_view name);

}  // namespace vigil::http
