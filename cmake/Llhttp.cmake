# llhttp (the HTTP parser of Node.js) as shipped by Debian's node-llhttp package: C sources in
# /usr/share/llhttp, header in /usr/share/include/llhttp. We compile them into a small static library
# in strict mode. Only core/http/ includes llhttp.h; everything else uses the wrapper there.
set(LLHTTP_SOURCE_DIR "/usr/share/llhttp" CACHE PATH "Directory holding llhttp's api.c, http.c, llhttp.c")
set(LLHTTP_INCLUDE_DIR "/usr/share/include/llhttp" CACHE PATH "Directory holding llhttp.h")

foreach(f api.c http.c llhttp.c)
  if(NOT EXISTS "${LLHTTP_SOURCE_DIR}/${f}")
    message(FATAL_ERROR "llhttp source ${LLHTTP_SOURCE_DIR}/${f} is missing. "
                        "Install Debian's 'node-llhttp' package (scripts/bootstrap does this), "
                        "or point LLHTTP_SOURCE_DIR at llhttp's C sources.")
  endif()
endforeach()
if(NOT EXISTS "${LLHTTP_INCLUDE_DIR}/llhttp.h")
  message(FATAL_ERROR "llhttp header ${LLHTTP_INCLUDE_DIR}/llhttp.h is missing. "
                      "Install Debian's 'node-llhttp' package (scripts/bootstrap does this).")
endif()

add_library(llhttp STATIC
  "${LLHTTP_SOURCE_DIR}/api.c" "${LLHTTP_SOURCE_DIR}/http.c" "${LLHTTP_SOURCE_DIR}/llhttp.c")
target_include_directories(llhttp SYSTEM PUBLIC "${LLHTTP_INCLUDE_DIR}")
target_compile_definitions(llhttp PUBLIC LLHTTP_STRICT_MODE=1)
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)
# Generated code: not ours to warn about.
target_compile_options(llhttp PRIVATE -w)
