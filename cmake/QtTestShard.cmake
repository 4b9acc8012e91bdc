# Runs a part of one Qt Test executable, so that CTest can run the parts of a long test side by side
# (tests/CMakeLists.txt, lab_split_test). Run as a script:
#   cmake -DTEST_BINARY=PATH -DONLY=fnA,fnB -P QtTestShard.cmake     the named test functions
#   cmake -DTEST_BINARY=PATH -DEXCEPT=fnA,fnB -P QtTestShard.cmake   every other test function
# The "every other" part asks the binary for its functions (-functions), so a function added to the test
# later runs without anyone listing it, and the parts together always run the whole test. A name the
# binary no longer has fails the part (a renamed function would otherwise run in no part at all).
# The binary's output and exit status are passed on as they are.
cmake_minimum_required(VERSION 3.25)
if(NOT TEST_BINARY)
  message(FATAL_ERROR "QtTestShard: pass -DTEST_BINARY=<the Qt Test executable>")
endif()

string(REPLACE "," ";" ONLY "${ONLY}")
string(REPLACE "," ";" EXCEPT "${EXCEPT}")

execute_process(COMMAND "${TEST_BINARY}" -functions OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "QtTestShard: '${TEST_BINARY} -functions' failed (${rc}):\n${listing}")
endif()
# One "name()" per line; initTestCase, cleanupTestCase and the _data functions are not listed (Qt Test
# runs them itself around the functions it is asked for).
string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*\\(\\)" functions "${listing}")
list(TRANSFORM functions REPLACE "\\(\\)$" "")
if(NOT functions)
  message(FATAL_ERROR "QtTestShard: '${TEST_BINARY} -functions' listed no test function:\n${listing}")
endif()

foreach(name IN LISTS ONLY EXCEPT)
  if(NOT name IN_LIST functions)
    message(FATAL_ERROR "QtTestShard: ${TEST_BINARY} has no test function '${name}' "
                        "(a PART of lab_add_test in tests/CMakeLists.txt names it); it has: ${functions}")
  endif()
endforeach()

if(ONLY)
  set(run ${ONLY})
else()
  set(run ${functions})
  if(EXCEPT)
    list(REMOVE_ITEM run ${EXCEPT})
  endif()
endif()
if(NOT run)
  message(FATAL_ERROR "QtTestShard: nothing left to run in ${TEST_BINARY} (EXCEPT names all of: ${functions})")
endif()

execute_process(COMMAND "${TEST_BINARY}" ${run} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "QtTestShard: ${TEST_BINARY} ${run} failed (${rc})")
endif()
