# Optional libraries for the vision tools (issue 5), found with pkg-config. Each sets EDGERUN_HAVE_<NAME>=1 on the
# library when found; the code behind it is compiled either way and reports "edgerun was built without <lib>" at run
# time when the library is missing (the arm64 cross build's sysroot, for example, carries none of them).
#   FREETYPE  freetype2            labels drawn on annotated images (boxes are drawn without it)
#   FFMPEG    libavformat/codec/   video files, V4L2 cameras (libavdevice), RTSP/HTTP streams for `edgerun watch`,
#             util/swscale/device  in the module libedgerun_ffmpeg.so (loaded with dlopen on first use; the library
#                                  and the CLI do not link FFmpeg, whose ~210 shared libraries would otherwise be
#                                  loaded by every edgerun command)
#   HTTPLIB   cpp-httplib          webhook actions of `edgerun watch` (and the HTTP server of a later issue)
#   GPIOD     libgpiod (1.6)       GPIO line actions of `edgerun watch`
find_package(PkgConfig QUIET)

function(edgerun_optional_dep name)
  set(found OFF)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(EDGERUN_DEP_${name} QUIET IMPORTED_TARGET ${ARGN})
    if(EDGERUN_DEP_${name}_FOUND)
      set(found ON)
    endif()
  endif()
  set(EDGERUN_HAVE_${name} ${found} PARENT_SCOPE)
  message(STATUS "edgerun: optional ${name} (${ARGN}): ${found}")
endfunction()

edgerun_optional_dep(FREETYPE freetype2)
edgerun_optional_dep(FFMPEG libavformat libavcodec libavutil libswscale libavdevice)
edgerun_optional_dep(HTTPLIB cpp-httplib)
edgerun_optional_dep(GPIOD libgpiod)

function(edgerun_optional_link target)
  foreach(name FREETYPE HTTPLIB GPIOD)
    if(EDGERUN_HAVE_${name})
      target_compile_definitions(${target} PUBLIC EDGERUN_HAVE_${name}=1)
      target_link_libraries(${target} PUBLIC PkgConfig::EDGERUN_DEP_${name})
    endif()
  endforeach()
endfunction()

# The FFmpeg module next to the CLI in the build directory; `target` (the library) knows it exists and where the
# build put it (tests run from a subdirectory), and depends on it so that anything linking the library builds it.
function(edgerun_ffmpeg_module target)
  if(NOT EDGERUN_HAVE_FFMPEG)
    return()
  endif()
  add_library(edgerun_ffmpeg MODULE ${CMAKE_SOURCE_DIR}/src/watch/ffmpeg_module/source_ffmpeg.cpp)
  set_target_properties(edgerun_ffmpeg PROPERTIES PREFIX "lib" OUTPUT_NAME edgerun_ffmpeg
                                                  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
                                                  CXX_VISIBILITY_PRESET hidden)
  target_include_directories(edgerun_ffmpeg PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(edgerun_ffmpeg PRIVATE ${EDGERUN_WARNINGS})
  target_link_libraries(edgerun_ffmpeg PRIVATE PkgConfig::EDGERUN_DEP_FFMPEG)
  target_compile_definitions(${target} PUBLIC EDGERUN_HAVE_FFMPEG=1
                             PRIVATE EDGERUN_MODULE_BUILD_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
  add_dependencies(${target} edgerun_ffmpeg)
endfunction()
