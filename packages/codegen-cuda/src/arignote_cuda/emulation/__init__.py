"""The CUDA dialect run on the CPU: kernels compiled as C++ with a header that provides the thread hierarchy,
shared memory, barriers and warp shuffles (``header.h``), so that their logic is tested without a GPU."""
