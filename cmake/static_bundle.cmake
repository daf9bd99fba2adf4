# static_bundle.cmake — how libmemledger.a is assembled: libmemledger.so's
# code as one static archive that a program can link on its own.
#
# libmemledger.so is the client's process-wide files (hook_core.cc, c_api.cc,
# ...: src/client/CMakeLists.txt) linked with memledger's internal STATIC
# libraries (memledger_client_objects, ring, ledger, capture, control, ...),
# which are not installed; the archive links the report layer (report/,
# analysis/, symbolize/) too, which libmemledger.so loads from a file of its
# own. The archive takes the object files already compiled for them and for
# the shared library ($<TARGET_OBJECTS:...>, which accepts STATIC and SHARED
# targets since CMake 3.15): nothing is compiled twice, and the internal
# libraries stay as they are for the tests. What those libraries link from
# outside memledger becomes the archive's link interface ($<LINK_ONLY:...>
# once exported): memledgerConfig.cmake finds each for a consumer, and
# memledger.pc names them in Requires.private.

# Needed to compile memledger, not to link it.
set(MEMLEDGER_HEADER_ONLY_DEPS nlohmann_json::nlohmann_json)

# memledger_static_bundle(NAME SHARED [SWAP FROM TO]): the STATIC library
# NAME, made of the objects of the SHARED library target and of every
# memledger_* library it links, directly or through another — but for the
# library FROM, for which it takes TO (and what TO links) instead: how the
# archive links the report layer that libmemledger.so loads.
function(memledger_static_bundle name shared)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "SWAP")
  set(objects $<TARGET_OBJECTS:${shared}>)
  set(outside)
  set(seen)
  get_target_property(pending ${shared} LINK_LIBRARIES)
  if(arg_SWAP)
    list(GET arg_SWAP 0 swap_from)
    list(GET arg_SWAP 1 swap_to)
    list(TRANSFORM pending REPLACE "^${swap_from}$" ${swap_to})
  endif()
  while(pending)
    list(POP_FRONT pending item)
    if(item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${item})
    if(TARGET ${item} AND item MATCHES "^memledger_")
      get_target_property(type ${item} TYPE)
      if(NOT type MATCHES "^(STATIC|OBJECT)_LIBRARY$")
        message(FATAL_ERROR "${shared} links ${item}, a ${type}: libmemledger.a can only take in "
                            "static or object libraries")
      endif()
      list(APPEND objects $<TARGET_OBJECTS:${item}>)
      get_target_property(links ${item} LINK_LIBRARIES)
      if(links)
        list(APPEND pending ${links})
      endif()
    elseif(NOT item IN_LIST MEMLEDGER_HEADER_ONLY_DEPS)
      list(APPEND outside ${item})
    endif()
  endwhile()
  add_library(${name} STATIC ${objects})
  target_link_libraries(${name} PRIVATE ${outside})
  # Only objects, no sources: say how to archive it, and that it is C++.
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE CXX)
endfunction()
