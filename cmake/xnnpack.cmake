# Optional XNNPACK backend (src/backends/xnnpack/): Debian's libxnnpack-dev (2022 snapshot, operator API) and
# libpthreadpool-dev. EDGERUN_WITH_XNNPACK defaults to ON when both are found; the adapter's sources are dropped
# from the library otherwise, and EDGERUN_HAVE_XNNPACK tells the runtime whether the "xnnpack" backend exists.
find_path(XNNPACK_INCLUDE_DIR xnnpack.h)
find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
find_library(XNNPACK_LIBRARY XNNPACK)
find_library(PTHREADPOOL_LIBRARY pthreadpool)
if(XNNPACK_INCLUDE_DIR AND PTHREADPOOL_INCLUDE_DIR AND XNNPACK_LIBRARY AND PTHREADPOOL_LIBRARY)
  set(EDGERUN_XNNPACK_FOUND ON)
else()
  set(EDGERUN_XNNPACK_FOUND OFF)
endif()
option(EDGERUN_WITH_XNNPACK "Build the XNNPACK backend (needs libxnnpack-dev and libpthreadpool-dev)"
       ${EDGERUN_XNNPACK_FOUND})
if(EDGERUN_WITH_XNNPACK AND NOT EDGERUN_XNNPACK_FOUND)
  message(FATAL_ERROR "EDGERUN_WITH_XNNPACK=ON but xnnpack.h/libXNNPACK or pthreadpool.h/libpthreadpool was not "
                      "found (apt-get install libxnnpack-dev libpthreadpool-dev)")
endif()
message(STATUS "edgerun: XNNPACK backend ${EDGERUN_WITH_XNNPACK}")

# Removes the adapter's sources from `sources_var` when the backend is off.
function(edgerun_xnnpack_sources sources_var)
  if(NOT EDGERUN_WITH_XNNPACK)
    set(list ${${sources_var}})
    list(FILTER list EXCLUDE REGEX "/src/backends/xnnpack/")
    set(${sources_var} ${list} PARENT_SCOPE)
  endif()
endfunction()

function(edgerun_xnnpack_link target)
  if(EDGERUN_WITH_XNNPACK)
    target_compile_definitions(${target} PUBLIC EDGERUN_HAVE_XNNPACK=1)
    target_include_directories(${target} SYSTEM PRIVATE ${XNNPACK_INCLUDE_DIR} ${PTHREADPOOL_INCLUDE_DIR})
    target_link_libraries(${target} PUBLIC ${XNNPACK_LIBRARY} ${PTHREADPOOL_LIBRARY})
  endif()
endfunction()
