## tachyon_module(NAME DIR DEPS...): a static library tachyon_NAME of DIR/*.cpp (an INTERFACE
## library when DIR has only headers), linking DEPS. DIR is relative to the project root, and
## so are the include paths: #include "stack/core/time.hpp".
function(tachyon_module name dir)
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
  if(srcs)
    add_library(tachyon_${name} STATIC ${srcs})
    set(scope PUBLIC)
  else()
    add_library(tachyon_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(tachyon::${name} ALIAS tachyon_${name})
  set_target_properties(tachyon_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(tachyon_${name} ${scope}
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/tachyon>)
  target_compile_features(tachyon_${name} ${scope} cxx_std_20)
  if(TACHYON_TRACE)
    target_compile_definitions(tachyon_${name} ${scope} TACHYON_TRACE=1)
  endif()
  target_link_libraries(tachyon_${name} ${scope} ${ARGN})
  set_property(GLOBAL APPEND PROPERTY TACHYON_MODULES tachyon_${name})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tachyon/${dir}
          FILES_MATCHING PATTERN "*.hpp")
endfunction()
