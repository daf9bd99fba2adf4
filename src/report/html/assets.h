// assets.h — the HTML report's viewer, embedded into the library at build
// time from the files beside this one by embed_assets.cmake (the list and the
// order of the scripts are in src/report/CMakeLists.txt).
#pragma once

#include <string_view>

namespace memledger::html_assets {

// page.html: the page, with {{name}} markers WriteHtmlReport fills.
extern const std::string_view kPageHtml;
// viewer.css.
extern const std::string_view kViewerCss;
// The viewer's scripts, concatenated: one classic <script>.
extern const std::string_view kViewerJs;

}  // namespace memledger::html_assets
