"""Arignote nn-extras: neural-network building blocks on top of graph-core and autograd-sym.

Activations, softmax and cross-entropies, convolution and pooling ops with their gradients, batch and layer
normalization, dropout, embedding, weight initializers, and optimizers that return ``function`` updates. Theano's
argument conventions live in :mod:`arignote_nn.nnet`.

>>> import arignote_core as ac
>>> import arignote_nn as nn
>>> x = ac.dmatrix("x")
>>> f = ac.function([x], nn.softmax(nn.relu(x), axis=1))
>>> f([[0.0, -1.0]]).round(3).tolist()
[[0.5, 0.5]]
"""

from . import derivatives, init, nnet  # derivatives: registers the ops' derivative rules
from ._version import __version__
from .activations import elu, gelu, hard_sigmoid, leaky_relu, relu, selu, sigmoid, silu, softplus, softsign, swish
from .conv import Conv2d, Conv2dGradInput, Conv2dGradWeights, conv1d, conv2d, conv2d_transpose
from .conv3d import Conv3d, Conv3dGradInput, Conv3dGradWeights, conv3d
from .ctc import CTCLoss, CTCLossGrad, ctc_loss
from .dropout import dropout
from .embedding import embedding
from .init import glorot_normal, glorot_uniform, he_normal, he_uniform, orthogonal
from .losses import binary_crossentropy, categorical_crossentropy, mse
from .metrics import ConfusionMatrix, confusion_matrix
from .normalization import batch_norm, batch_norm_inference, batch_norm_train, layer_norm
from .optimizers import adagrad, adam, adamw, clip_by_global_norm, global_norm, momentum, nesterov, rmsprop, sgd
from .pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d, avg_pool2d, max_pool2d
from .pool_nd import global_average_pool, global_max_pool, global_pool, pool_1d, pool_3d
from .separable import separable_conv2d
from .softmax import log_softmax, softmax
from .unpool import max_unpool_2d, unpool_2d

__all__ = [
    "AveragePool2dGrad", "ConfusionMatrix", "Conv2d", "Conv2dGradInput", "Conv2dGradWeights", "Conv3d",
    "Conv3dGradInput", "Conv3dGradWeights", "MaxPool2dGrad",
    "MaxPool2dGradGrad", "Pool2d", "__version__", "adagrad", "adam", "adamw", "avg_pool2d", "batch_norm",
    "batch_norm_inference", "batch_norm_train", "binary_crossentropy", "categorical_crossentropy",
    "clip_by_global_norm", "confusion_matrix", "conv1d", "conv2d", "conv2d_transpose", "conv3d",
    "dropout", "elu", "embedding", "gelu",
    "global_norm", "glorot_normal", "glorot_uniform", "hard_sigmoid", "he_normal", "he_uniform", "init",
    "layer_norm", "leaky_relu", "log_softmax", "max_pool2d", "momentum", "mse", "nesterov", "nnet", "orthogonal",
    "relu", "rmsprop", "selu", "separable_conv2d", "sgd", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish",
    "CTCLoss", "CTCLossGrad", "ctc_loss", "global_average_pool", "global_max_pool", "global_pool",
    "max_unpool_2d", "pool_1d", "pool_3d", "unpool_2d",
]
