# FindCAF.cmake: Debian's libcaf-dev 0.17.6 ships no CAFConfig.cmake or .pc
# file, only headers and libcaf_{core,io,openssl}.so. This module finds them
# and defines the imported targets CAF::core, CAF::io and CAF::openssl (the
# names later CAF versions export), plus CAF_VERSION read from caf/config.hpp.
find_path(CAF_INCLUDE_DIR caf/all.hpp)
find_package(Threads REQUIRED)
foreach(c IN ITEMS core io openssl)
  find_library(CAF_${c}_LIBRARY caf_${c})
  if(CAF_${c}_LIBRARY AND NOT TARGET CAF::${c})
    set(CAF_${c}_FOUND TRUE)
    add_library(CAF::${c} SHARED IMPORTED)
    set_target_properties(CAF::${c} PROPERTIES
      IMPORTED_LOCATION "${CAF_${c}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
    if(NOT c STREQUAL "core")
      set_property(TARGET CAF::${c} APPEND PROPERTY
        INTERFACE_LINK_LIBRARIES CAF::core)
    endif()
  endif()
endforeach()
if(CAF_INCLUDE_DIR)
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_v
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX MATCH "[0-9]+$" _caf_v "${_caf_v}")
  math(EXPR _caf_major "${_caf_v} / 10000")
  math(EXPR _caf_minor "${_caf_v} / 100 % 100")
  math(EXPR _caf_patch "${_caf_v} % 100")
  set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_core_LIBRARY
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)
