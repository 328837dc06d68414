"""``theano.tensor.signal``: ``pool`` (``pool_2d``, ``max_pool_2d_same_size``) and its old name
``downsample``."""
