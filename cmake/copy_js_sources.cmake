# Copies what npm needs to build the package from SRC to DST (cmake -DSRC=... -DST=... -P this file).
# Build outputs of the source tree (native/build*, dist, node_modules) stay behind: a stale CMake cache
# or addon from the source tree must not leak into the package build.
foreach(f package.json package-lock.json tsconfig.json tsconfig.build.json)
  file(COPY ${SRC}/${f} DESTINATION ${DST})
endforeach()
file(COPY ${SRC}/src DESTINATION ${DST})
file(COPY ${SRC}/native DESTINATION ${DST}
  PATTERN "build" EXCLUDE
  PATTERN "build-*" EXCLUDE)
