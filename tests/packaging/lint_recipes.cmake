# packaging.lint: the package-manager recipes that cannot be run here (no conan, no vcpkg).
#   cmake -DFINEGRAIN_SOURCE_DIR=... -DCMAKEDIR=share/cmake/finegrain -DVERSION=x.y.z
#         [-DPYTHON3=python3] -DWORK_DIR=... -P lint_recipes.cmake
# - the conan recipe and its test_package compile (python3 -m py_compile);
# - vcpkg.json is valid JSON, names the port `finegrain` at the project's version;
# - the vcpkg CONFIG_PATH and the conan build module live where `cmake --install` puts the package.
cmake_minimum_required(VERSION 3.21)

set(conan_dir "${FINEGRAIN_SOURCE_DIR}/cmake/packaging/conan")
set(port_dir "${FINEGRAIN_SOURCE_DIR}/cmake/packaging/vcpkg/ports/finegrain")
set(errors "")

if(PYTHON3)
  foreach(py IN ITEMS "${conan_dir}/conanfile.py" "${conan_dir}/test_package/conanfile.py")
    # Bytecode goes to the build tree, not next to the sources.
    execute_process(COMMAND "${CMAKE_COMMAND}" -E env "PYTHONPYCACHEPREFIX=${WORK_DIR}/pycache"
                            "${PYTHON3}" -m py_compile "${py}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      string(APPEND errors "py_compile ${py}:\n${out}\n")
    endif()
  endforeach()
else()
  message(STATUS "python3 not found: conan recipe not compiled")
endif()

file(READ "${port_dir}/vcpkg.json" manifest)
string(JSON port_name ERROR_VARIABLE json_error GET "${manifest}" name)
if(json_error)
  string(APPEND errors "vcpkg.json: ${json_error}\n")
else()
  string(JSON port_version ERROR_VARIABLE json_error GET "${manifest}" version)
  if(NOT port_name STREQUAL "finegrain" OR NOT port_version STREQUAL VERSION)
    string(APPEND errors "vcpkg.json: name '${port_name}' version '${port_version}', expected 'finegrain' '${VERSION}'\n")
  endif()
endif()

file(READ "${port_dir}/portfile.cmake" portfile)
if(NOT portfile MATCHES "vcpkg_cmake_config_fixup\\([^)]*CONFIG_PATH[ \t\r\n]+\"?([^ \t\r\n\")]+)")
  string(APPEND errors "portfile.cmake: no vcpkg_cmake_config_fixup(CONFIG_PATH ...)\n")
elseif(NOT CMAKE_MATCH_1 STREQUAL CMAKEDIR)
  string(APPEND errors "portfile.cmake: CONFIG_PATH ${CMAKE_MATCH_1}, but finegrain installs its config to ${CMAKEDIR}\n")
endif()

file(READ "${conan_dir}/conanfile.py" recipe)
if(NOT recipe MATCHES "_cmake_dir = \"([^\"]+)\"")
  string(APPEND errors "conanfile.py: no _cmake_dir\n")
elseif(NOT CMAKE_MATCH_1 STREQUAL CMAKEDIR)
  string(APPEND errors "conanfile.py: build module in ${CMAKE_MATCH_1}, but finegrain installs it to ${CMAKEDIR}\n")
endif()
if(NOT recipe MATCHES "cmake_build_modules\"[^\n]*finegrainDispatch\\.cmake")
  string(APPEND errors "conanfile.py: finegrainDispatch.cmake is not a cmake_build_modules entry\n")
endif()

if(errors)
  message(FATAL_ERROR "${errors}")
endif()
message(STATUS "conan recipe, vcpkg port: OK (config dir ${CMAKEDIR})")
