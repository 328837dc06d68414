"""The benchmark workloads W1-W6 and the convnet step (see the codegen-c and meta-package issues)."""
