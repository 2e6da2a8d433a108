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
target_sources(lightnet PRIVATE ${LIGHTNET_CUDA_SOURCES})
set_target_properties(lightnet PROPERTIES CUDA_SEPARABLE_COMPILATION OFF CUDA_RESOLVE_DEVICE_SYMBOLS ON)
target_include_directories(lightnet PRIVATE ${CUDNN_INCLUDE_DIR})
target_compile_options(lightnet PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--use_fast_math -lineinfo>)
target_link_libraries(lightnet PUBLIC CUDA::cudart ${CUDNN_LIBRARY})
target_compile_definitions(lightnet PUBLIC LIGHTNET_WITH_CUDA=1)
message(STATUS "lightnet: CUDA backend ON (CUDA ${CUDAToolkit_VERSION}, cuDNN ${CUDNN_LIBRARY}, archs ${CMAKE_CUDA_ARCHITECTURES})")
