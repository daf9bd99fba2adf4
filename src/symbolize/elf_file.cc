// elf_file.cc — see elf_file.h.
#include "symbolize/elf_file.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "symbolize/module_file.h"

namespace memledger {
namespace {

// A separate debug file by build-id, where distributions install them
// (/usr/lib/debug/.build-id/xx/rest.debug, e.g. Debian's -dbgsym packages).
// Not dwfl_standard_find_debuginfo: on its first miss libdw 0.188 dlopens
// libdebuginfod, whose constructor initializes libcurl and OpenSSL inside
// the tracked program (and may fetch debug files over the network when
// DEBUGINFOD_URLS is set); reports are made offline.
int FindDebugInfoByBuildId(Dwfl_Module* module, void**, const char*, Dwarf_Addr, const char*, const char*,
                           GElf_Word, char** debuginfo_file_name) {
  const unsigned char* id = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(module, &id, &vaddr);
  if (length < 2) return -1;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string path = "/usr/lib/debug/.build-id/";
  for (int i = 0; i < length; ++i) {
    path += kHex[id[i] >> 4];
    path += kHex[id[i] & 15];
    if (i == 0) path += '/';
  }
  path += ".debug";
  std::string refusal;
  const int fd = OpenModuleFile(path, std::nullopt, &refusal);
  if (fd >= 0) *debuginfo_file_name = strdup(path.c_str());
  return fd;
}

// Offline: files are reported by path at their own addresses; DWARF is read
// from the file itself, else from a separate debug file found by build-id.
const Dwfl_Callbacks kOfflineCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = FindDebugInfoByBuildId,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

// A C++ linkage name demangled; any other name (C, or one that does not
// demangle) as it is.
std::string Demangled(const char* name) {
  if (name == nullptr) return {};
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    if (char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status)) {
      std::string result(demangled);
      std::free(demangled);
      return result;
    }
  }
  return name;
}

std::string FunctionName(Dwarf_Die* die);

// The declaration an inlined or out-of-line instance is of: its
// DW_AT_abstract_origin and DW_AT_specification followed to the end.
Dwarf_Die DeclarationOf(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    Dwarf_Attribute* origin = dwarf_attr(&die, DW_AT_abstract_origin, &attr);
    if (origin == nullptr) origin = dwarf_attr(&die, DW_AT_specification, &attr);
    if (origin == nullptr || dwarf_formref_die(origin, &next) == nullptr) break;
    die = next;
  }
  return die;
}

// A lambda's call operator, which GCC gives no linkage name, named as its
// symbol demangles, its parameters and number unknown: "<the function it is
// in>::{lambda(…)}::operator()", so
// an inlined lambda reads as the same lambda out of line. Empty unless `die`
// is declared in an unnamed (or "<lambda…>") class within a function. Walks
// the CU from its top (dwarf_getscopes_die), only for these names.
std::string LambdaName(Dwarf_Die* die) {
  Dwarf_Die declaration = DeclarationOf(*die);
  Dwarf_Die* scopes = nullptr;
  const int count = dwarf_getscopes_die(&declaration, &scopes);
  std::string name;
  if (count >= 3) {
    const int closure_tag = dwarf_tag(&scopes[1]);
    const char* closure = dwarf_diename(&scopes[1]);
    const bool is_closure = (closure_tag == DW_TAG_class_type || closure_tag == DW_TAG_structure_type) &&
                            (closure == nullptr || std::string_view(closure).starts_with("<lambda"));
    for (int i = 2; is_closure && i < count; ++i) {
      if (dwarf_tag(&scopes[i]) != DW_TAG_subprogram) continue;
      const std::string function = FunctionName(&scopes[i]);
      if (!function.empty()) name = function + "::{lambda(…)}::operator()";
      break;
    }
  }
  std::free(scopes);
  return name;
}

// True for a C++ function of internal linkage (a static function, any
// method of a class in an unnamed namespace — GoogleTest's TEST bodies):
// GCC gives these no linkage name, so DW_AT_name is all there is, and their
// symbol is qualified. Not for a C function, nor an extern "C" one
// (DW_AT_external without a linkage name): their name is their symbol.
bool QualifiedBySymbol(Dwarf_Die* die) {
  if (dwarf_hasattr_integrate(die, DW_AT_external)) return false;
  Dwarf_Die cu;
  if (dwarf_diecu(die, &cu, nullptr, nullptr) == nullptr) return false;
  const int language = dwarf_srclang(&cu);
  return language == DW_LANG_C_plus_plus || language == DW_LANG_C_plus_plus_03 ||
         language == DW_LANG_C_plus_plus_11 || language == DW_LANG_C_plus_plus_14;
}

// `name` (a function's DW_AT_name) qualified by the namespaces, classes and
// function its declaration is in, as its symbol would demangle (without
// its parameters): "ns::(anonymous namespace)::Buffers_Leak_Test::TestBody".
// Only for QualifiedBySymbol's functions: walks the CU from its top
// (dwarf_getscopes_die), once per address (the symbolizer caches frames).
std::string QualifiedName(Dwarf_Die* die, std::string name) {
  Dwarf_Die declaration = DeclarationOf(*die);
  Dwarf_Die* scopes = nullptr;
  const int count = dwarf_getscopes_die(&declaration, &scopes);
  std::string prefix;
  for (int i = 1; i < count; ++i) {  // scopes[0] is the declaration itself
    const int tag = dwarf_tag(&scopes[i]);
    const char* scope = dwarf_diename(&scopes[i]);
    if (tag == DW_TAG_subprogram) {  // a local class's method: "f(int)::Local::method"
      prefix.insert(0, FunctionName(&scopes[i]) + "::");
      break;
    }
    if (tag == DW_TAG_namespace) {
      prefix.insert(0, std::string(scope != nullptr ? scope : "(anonymous namespace)") + "::");
    } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
      prefix.insert(0, std::string(scope != nullptr ? scope : "{unnamed type}") + "::");
    } else if (tag == DW_TAG_compile_unit || tag == DW_TAG_partial_unit) {
      break;
    }
  }
  std::free(scopes);
  return prefix + name;
}

// A subprogram's or inlined call's name: the linkage name demangled, else a
// lambda's name (LambdaName), else DW_AT_name — qualified (QualifiedName)
// where the symbol is (QualifiedBySymbol).
// dwarf_attr_integrate follows DW_AT_abstract_origin and
// DW_AT_specification, where inlined and out-of-line instances keep them.
std::string FunctionName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr))) {
    return Demangled(linkage);
  }
  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
  if (name == nullptr) return "";
  if (std::string_view(name) == "operator()") {
    if (std::string lambda = LambdaName(die); !lambda.empty()) return lambda;
  }
  return QualifiedBySymbol(die) ? QualifiedName(die, name) : std::string(name);
}

// The CU whose code holds `address` (a Dwfl address), and its bias.
// dwfl_module_addrdie looks only in .debug_aranges, which clang does not
// emit by default (libdw 0.188 takes a missing one for "no code"); then each
// CU's own ranges are tried in turn.
Dwarf_Die* CuContaining(Dwfl_Module* module, Dwarf_Addr address, Dwarf_Addr* bias) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(module, address, bias)) return cu;
  Dwarf_Die* cu = nullptr;
  while ((cu = dwfl_module_nextcu(module, cu, bias)) != nullptr) {
    if (dwarf_haspc(cu, address - *bias) == 1) return cu;
  }
  return nullptr;
}

// The scopes of code containing `pc` in `cu`, outermost first: the
// subprogram, then the inlined calls and lexical blocks within it down to the
// innermost. One walk down the concrete tree, skipping whole subtrees that do
// not contain pc. (dwarf_getscopes leaves an inlined call through its
// abstract definition, not its caller; recovering the concrete nesting with
// dwarf_getscopes_die walks the CU twice more: 10x the cold time in
// symbolize_bench.)
std::vector<Dwarf_Die> ScopesContaining(Dwarf_Die* cu, Dwarf_Addr pc) {
  std::vector<Dwarf_Die> scopes;
  Dwarf_Die parent = *cu;
  Dwarf_Die child;
  while (dwarf_child(&parent, &child) == 0) {
    bool entered = false;
    do {
      const int tag = dwarf_tag(&child);
      const bool code = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block;
      if (code && dwarf_haspc(&child, pc) == 1) {
        scopes.push_back(child);
        parent = child;
        entered = true;
      }
    } while (!entered && dwarf_siblingof(&child, &child) == 0);
    if (!entered) break;
  }
  return scopes;
}

// The inlined calls at `address` (in `cu`'s addresses) and the function
// they are in, innermost first, from the DWARF scopes. The innermost frame is
// at `file`:`line` (the line table's); each inlined call's caller is at the
// call's DW_AT_call_file:DW_AT_call_line. Empty when no subprogram covers
// the address.
std::vector<SourceFrame> ScopeFrames(Dwarf_Die* cu, Dwarf_Addr address, std::string file, int line) {
  std::vector<Dwarf_Die> scopes = ScopesContaining(cu, address);
  Dwarf_Files* files = nullptr;
  if (dwarf_getsrcfiles(cu, &files, nullptr) != 0) files = nullptr;

  std::vector<SourceFrame> frames;
  for (auto scope = scopes.rbegin(); scope != scopes.rend(); ++scope) {
    const int tag = dwarf_tag(&*scope);
    if (tag == DW_TAG_lexical_block) continue;
    const bool inlined = tag == DW_TAG_inlined_subroutine;
    frames.push_back(SourceFrame{FunctionName(&*scope), file, line, inlined});
    if (!inlined) break;

    // The caller goes on at the call site.
    Dwarf_Attribute attr;
    Dwarf_Word value = 0;
    const char* call_file = nullptr;
    if (files != nullptr && dwarf_formudata(dwarf_attr(&*scope, DW_AT_call_file, &attr), &value) == 0) {
      call_file = dwarf_filesrc(files, value, nullptr, nullptr);
    }
    file = call_file != nullptr ? call_file : "";
    line = dwarf_formudata(dwarf_attr(&*scope, DW_AT_call_line, &attr), &value) == 0 ? static_cast<int>(value) : 0;
  }
  return frames;
}

bool HasBuildId(Dwfl_Module* module, std::string_view build_id) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(module, &bits, &vaddr);
  return length > 0 && std::string_view(reinterpret_cast<const char*>(bits), static_cast<std::size_t>(length)) == build_id;
}

}  // namespace

std::unique_ptr<ElfFile> ElfFile::Open(const std::string& path, std::string_view build_id,
                                       std::optional<uid_t> reader, std::string* refusal) {
  std::string refused;
  const int fd = OpenModuleFile(path, reader, &refused);
  if (refusal != nullptr) *refusal = refused;
  if (fd < 0) return nullptr;
  Dwfl* dwfl = dwfl_begin(&kOfflineCallbacks);
  if (dwfl == nullptr) {
    close(fd);
    return nullptr;
  }
  dwfl_report_begin(dwfl);
  // Placed at its own p_vaddr, so the bias libdwfl reports is 0 for
  // executables and shared objects alike; it is applied all the same.
  // On success libdwfl owns fd.
  Dwfl_Module* module = dwfl_report_elf(dwfl, path.c_str(), path.c_str(), fd, 0, true);
  if (module == nullptr) close(fd);
  dwfl_report_end(dwfl, nullptr, nullptr);
  GElf_Addr bias = 0;
  if (module == nullptr || dwfl_module_getelf(module, &bias) == nullptr ||
      (!build_id.empty() && !HasBuildId(module, build_id))) {
    dwfl_end(dwfl);
    return nullptr;
  }
  return std::unique_ptr<ElfFile>(new ElfFile(dwfl, module, bias));
}

ElfFile::ElfFile(Dwfl* dwfl, Dwfl_Module* module, std::uint64_t bias) : dwfl_(dwfl), module_(module), bias_(bias) {}

ElfFile::~ElfFile() { dwfl_end(dwfl_); }

std::vector<SourceFrame> ElfFile::FramesAt(std::uint64_t elf_address) {
  const Dwarf_Addr address = elf_address + bias_;
  std::vector<SourceFrame> frames;
  std::string file;
  int line = 0;
  Dwarf_Addr cu_bias = 0;
  if (Dwarf_Die* cu = CuContaining(module_, address, &cu_bias)) {
    if (Dwarf_Line* row = dwarf_getsrc_die(cu, address - cu_bias)) {
      if (const char* name = dwarf_linesrc(row, nullptr, nullptr)) file = name;
      if (dwarf_lineno(row, &line) != 0) line = 0;
    }
    frames = ScopeFrames(cu, address - cu_bias, file, line);
  }
  if (frames.empty()) {
    // No DWARF function here: the ELF symbol, at the line table's position if any.
    std::string function = Demangled(dwfl_module_addrname(module_, address));
    if (!function.empty() || !file.empty()) frames.push_back(SourceFrame{std::move(function), std::move(file), line, false});
  }
  return frames;
}

}  // namespace memledger
