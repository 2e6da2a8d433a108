# CUDA backend (src/cuda): included by native/CMakeLists.txt once nvcc and cuDNN were found.
# Adds the backend's sources to `lightnet`, links cudart + cuDNN, and defines LIGHTNET_WITH_CUDA.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  # Turing, Ampere, Ada, Hopper (sm_90 machine code: Hopper's own instructions need it).
  set(CMAKE_CUDA_ARCHITECTURES "75;80;86;89;90")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)

file(GLOB LIGHTNET_CUDA_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu)
list(REMOVE_ITEM LIGHTNET_CUDA_SOURCES ${LIGHTNET_CUDA_PLANNING_SOURCES})  # already in `lightnet` (CMakeLists.txt)
target_sources(lightnet PRIVATE ${LIGHTNET_CUDA_SOURCES})
set_target_properties(lightnet PROPERTIES CUDA_SEPARABLE_COMPILATION OFF CUDA_RESOLVE_DEVICE_SYMBOLS ON)
target_include_directories(lightnet PRIVATE ${CUDNN_INCLUDE_DIR})
target_compile_options(lightnet PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--use_fast_math -lineinfo>)
target_link_libraries(lightnet PUBLIC CUDA::cudart ${CUDNN_LIBRARY})
target_compile_definitions(lightnet PUBLIC LIGHTNET_WITH_CUDA=1)
message(STATUS "lightnet: CUDA backend ON (CUDA ${CUDAToolkit_VERSION}, cuDNN ${CUDNN_LIBRARY}, archs ${CMAKE_CUDA_ARCHITECTURES})")

# cuSPARSELt (optional): 2:4-sparse 1×1 convolutions on sparse tensor cores. Found from CUSPARSELT_ROOT (CMake or
# environment variable; e.g. a pip `nvidia-cusparselt` package's nvidia/cusparselt folder) or the system paths.
find_path(CUSPARSELT_INCLUDE_DIR cusparseLt.h HINTS ${CUSPARSELT_ROOT} ENV CUSPARSELT_ROOT PATH_SUFFIXES include)
find_library(CUSPARSELT_LIBRARY NAMES cusparseLt libcusparseLt.so.0 HINTS ${CUSPARSELT_ROOT} ENV CUSPARSELT_ROOT
             PATH_SUFFIXES lib lib64)
if(CUSPARSELT_INCLUDE_DIR AND CUSPARSELT_LIBRARY)
  target_include_directories(lightnet PRIVATE ${CUSPARSELT_INCLUDE_DIR})
  target_link_libraries(lightnet PUBLIC ${CUSPARSELT_LIBRARY})
  target_compile_definitions(lightnet PRIVATE LIGHTNET_WITH_CUSPARSELT=1)
  message(STATUS "lightnet: cuSPARSELt ON (${CUSPARSELT_LIBRARY}): 2:4-sparse 1x1 convolutions")
else()
  message(STATUS "lightnet: cuSPARSELt not found (set CUSPARSELT_ROOT): no sparse tensor-core kernels")
endif()
