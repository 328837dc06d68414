"""The emitter: scalar expressions and loops as C (or, through a dialect, CUDA) source."""
