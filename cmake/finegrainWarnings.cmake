# Warnings for finegrain's own tests, benchmarks and examples (never on the INTERFACE target).
include_guard(GLOBAL)

function(finegrain_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion
                                             $<$<BOOL:${FINEGRAIN_WERROR}>:-Werror>)
  endif()
endfunction()
option(FINEGRAIN_WERROR "Treat warnings in finegrain's own targets as errors" OFF)
