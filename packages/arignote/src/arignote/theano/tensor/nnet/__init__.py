"""``theano.tensor.nnet``: activations, softmax (Theano 1.0's: a vector gives a row), the cross-entropies,
``conv2d`` (Theano's arguments; a true convolution, filters flipped), batch normalization. Modules: ``conv``
(the old ``conv2d``), ``abstract_conv``, ``bn``."""

from arignote_nn import elu, hard_sigmoid, selu, softsign
from arignote_nn.nnet import (
    binary_crossentropy,
    categorical_crossentropy,
    confusion_matrix,
    conv2d,
    conv2d_transpose,
    relu,
    sigmoid,
    sigmoid_binary_crossentropy,
    softplus,
)

from . import abstract_conv, bn, conv
from .abstract_conv import conv2d_grad_wrt_inputs, separable_conv2d
from .bn import batch_normalization
from .nnet import (
    crossentropy_categorical_1hot,
    crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_argmax_1hot_with_bias,
    crossentropy_softmax_max_and_argmax_1hot,
    crossentropy_softmax_max_and_argmax_1hot_with_bias,
    h_softmax,
    logsoftmax,
    prepend_0_to_each_row,
    prepend_1_to_each_row,
    prepend_scalar_to_each_row,
    softmax,
    softmax_with_bias,
    ultra_fast_sigmoid,
)

#: Theano 1.0's name for the ``conv2d`` of its abstract convolution module (the same function)
abstract_conv2d = conv2d

__all__ = ["abstract_conv", "abstract_conv2d", "batch_normalization", "binary_crossentropy", "bn",
           "categorical_crossentropy", "confusion_matrix", "conv", "conv2d", "conv2d_grad_wrt_inputs",
           "conv2d_transpose", "crossentropy_categorical_1hot", "crossentropy_softmax_1hot",
           "crossentropy_softmax_1hot_with_bias", "crossentropy_softmax_argmax_1hot_with_bias",
           "crossentropy_softmax_max_and_argmax_1hot", "crossentropy_softmax_max_and_argmax_1hot_with_bias", "elu",
           "h_softmax", "hard_sigmoid", "logsoftmax", "prepend_0_to_each_row", "prepend_1_to_each_row",
           "prepend_scalar_to_each_row", "relu", "selu", "separable_conv2d", "sigmoid", "sigmoid_binary_crossentropy",
           "softmax", "softmax_with_bias", "softplus", "softsign", "ultra_fast_sigmoid"]
