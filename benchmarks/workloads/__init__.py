"""The benchmark workloads W1-W6, the convnet step (see the codegen-c and meta-package issues) and W8 (scan)."""
