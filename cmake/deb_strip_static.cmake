# deb_strip_static.cmake — run by CPack (CPACK_PRE_BUILD_SCRIPTS, deb.cmake)
# on the staged tree before it becomes the .deb: libmemledger.a loses its
# debug information, as static libraries in Debian packages do (tens of MB
# of DWARF otherwise); the debug information of the shared library, the
# tools and the modules goes to the dbgsym package.
file(GLOB_RECURSE archives ${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a)
foreach(archive IN LISTS archives)
  execute_process(COMMAND ${CPACK_MEMLEDGER_STRIP} --strip-debug ${archive} COMMAND_ERROR_IS_FATAL ANY)
endforeach()
