# install.cmake — what `cmake --install` (and `make install`) puts where,
# by GNUInstallDirs, and how other projects find it:
#   include/memledger/            the public headers
#   lib/libmemledger.so.0.y.z     the shared library (SONAME libmemledger.so.0)
#   lib/libmemledger.a            the same code for static linking
#   lib/memledger/libmemledger_report.so
#                                 the report layer libmemledger.so loads from beside
#                                 itself for the exit report and the lifecycle log
#   bin/memledger, memledger-sim  the tool and the simulated device
#   lib/cmake/memledger/          find_package(memledger CONFIG): memledger::memledger,
#                                 and memledger::memledger_static with COMPONENTS static
#   lib/pkgconfig/memledger.pc    pkg-config: -lmemledger (--static: what libmemledger.a needs)
#   share/doc/memledger/          README, docs/, examples/
# The CUDA interposer and the Python package have their own install rules
# (src/cuda, python/). Every path is relative to the prefix, so a tree
# installed with --prefix elsewhere or unpacked from the .deb works where it is.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MEMLEDGER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/memledger)

install(DIRECTORY include/memledger DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS memledger EXPORT memledgerTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Private to libmemledger.so, which finds it by its own place (not exported,
# no soname: nothing links it).
install(TARGETS memledger_report_module LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/memledger)
install(TARGETS memledger_static EXPORT memledgerStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# memledger-sim links libmemledger.so: found beside it, wherever the prefix is.
file(RELATIVE_PATH bin_to_lib ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
set_target_properties(memledger-sim PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
install(TARGETS memledger-cli memledger-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The CMake package. Version compatibility follows the soname: the C ABI only
# grows (memledger.h), SOVERSION stays 0 while it does, so any 0.y satisfies a
# request for 0.x with x <= y; breaking it bumps both.
install(EXPORT memledgerTargets NAMESPACE memledger:: DESTINATION ${MEMLEDGER_CMAKE_DIR})
install(EXPORT memledgerStaticTargets NAMESPACE memledger:: DESTINATION ${MEMLEDGER_CMAKE_DIR})
configure_package_config_file(cmake/memledgerConfig.cmake.in ${PROJECT_BINARY_DIR}/memledgerConfig.cmake
                              INSTALL_DESTINATION ${MEMLEDGER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/memledgerConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/memledgerConfig.cmake ${PROJECT_BINARY_DIR}/memledgerConfigVersion.cmake
        DESTINATION ${MEMLEDGER_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place (pcfiledir).
file(RELATIVE_PATH pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(cmake/memledger.pc.in ${PROJECT_BINARY_DIR}/memledger.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/memledger.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.cc" PATTERN "*.py" PATTERN "*.json" PATTERN "*.ini" PATTERN "*.md"
                       PATTERN "CMakeLists.txt" PATTERN "Makefile"
                       PATTERN "__pycache__" EXCLUDE PATTERN ".pytest_cache" EXCLUDE)
