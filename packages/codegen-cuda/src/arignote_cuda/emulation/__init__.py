"""The CUDA dialect run on the CPU: kernels compiled as C++ with a header that provides the thread hierarchy,
shared memory, barriers and warp shuffles (``header.h``), so that their logic is tested without a GPU; and the
driver of the emulated mode (``driver.py``: host memory standing in for device memory)."""
