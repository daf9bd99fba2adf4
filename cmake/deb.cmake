# deb.cmake — the Debian package, by CPack's DEB generator: `make deb` at the
# top (or the `package` target of a build directory) writes
# memledger_VERSION_ARCH.deb with everything install.cmake installs, under
# /usr, stripped (libmemledger.a of its debug information only), and
# memledger-dbgsym_VERSION_ARCH.ddeb with the debug information by build-id
# under /usr/lib/debug/.build-id, where memledger's own symbolizer looks.
# Depends comes from dpkg-shlibdeps (Debian's dpkg-dev).
set(MEMLEDGER_DEB_MAINTAINER "memledger maintainers <maintainers@users.noreply.b-seed-f8823235.example>"
    CACHE STRING "The Maintainer field of the .deb")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME memledger)
set(CPACK_PACKAGE_CONTACT ${MEMLEDGER_DEB_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ledger of accelerator (device) memory")
set(CPACK_PACKAGE_DESCRIPTION
    "memledger keeps the books of device memory: every buffer's life from allocation to free, across \
threads, processes and devices. It reports usage per device, memory type and process, leaks grouped \
by allocation stack, and the mistakes of allocator hooks.\n\
This package holds libmemledger (shared and static, C and C++ headers, CMake package and pkg-config \
file), the memledger tool (run, serve, status, top, report, export), the simulated device \
memledger-sim, and the Python module.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_MEMLEDGER_STRIP ${CMAKE_STRIP})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb_strip_static.cmake)
# Besides what dpkg-shlibdeps finds: the package is also the -dev one, and
# what libmemledger.a links must be there to link it (COMPONENTS static)
# and for pkg-config, which reads memledger.pc's Requires.private even for
# the shared library.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libabsl-dev, libzstd-dev, libfmt-dev, libdw-dev, libunwind-dev, libre2-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config, python3")
include(CPack)
