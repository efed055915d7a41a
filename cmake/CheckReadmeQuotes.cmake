# cmake -DREADME=... -DSOURCE=... -P CheckReadmeQuotes.cmake
#
# Fails unless README quotes SOURCE verbatim from its first #include to its
# end (the embedding example must be the code that is built and run).
file(READ "${README}" readme)
file(READ "${SOURCE}" source)
string(FIND "${source}" "#include" start)
if(start EQUAL -1)
  message(FATAL_ERROR "${SOURCE} has no #include")
endif()
string(SUBSTRING "${source}" ${start} -1 quoted)
string(FIND "${readme}" "${quoted}" at)
if(at EQUAL -1)
  message(FATAL_ERROR
    "README.md does not quote ${SOURCE} verbatim (from its first #include): "
    "copy it into the README again")
endif()
message(STATUS "README.md quotes ${SOURCE}")
