## Installs the libraries and exports the CMake package: find_package(tachyon) then link
## tachyon::tachyon.
include(CMakePackageConfigHelpers)
get_property(modules GLOBAL PROPERTY TACHYON_MODULES)
install(TARGETS ${modules} EXPORT tachyonTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT tachyonTargets NAMESPACE tachyon::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tachyon)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tachyonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tachyonConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tachyon)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tachyonConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tachyonConfig.cmake ${PROJECT_BINARY_DIR}/tachyonConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tachyon)
