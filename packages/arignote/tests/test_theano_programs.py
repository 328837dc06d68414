"""Theano-style programs, written as Theano tutorials wrote them, run through ``arignote.theano`` in
``FAST_RUN`` (C), each reaching a falling cost or a good accuracy on small synthetic data."""

from __future__ import annotations

from typing import Any

import numpy

import arignote.theano as theano
import arignote.theano.tensor as T
from arignote.theano.sandbox.rng_mrg import MRG_RandomStreams
from arignote.theano.tensor.nnet import conv2d
from arignote.theano.tensor.shared_randomstreams import RandomStreams
from arignote.theano.tensor.signal.pool import pool_2d

floatX = theano.config.floatX  # noqa: N816 (Theano's spelling)


def blobs(rng: numpy.random.RandomState, n: int, n_in: int, n_classes: int) -> tuple[Any, Any]:
    """Gaussian blobs, one per class, well apart."""
    centers = rng.randn(n_classes, n_in) * 3
    y = rng.randint(0, n_classes, n)
    x = centers[y] + rng.randn(n, n_in)
    return numpy.asarray(x, dtype=floatX), numpy.asarray(y, dtype="int32")


class LogisticRegression:
    """The deeplearning.net tutorial's class, as written there."""

    def __init__(self, input: Any, n_in: int, n_out: int) -> None:  # noqa: A002
        self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=floatX), name="W", borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y: Any) -> Any:
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y: Any) -> Any:
        return T.mean(T.neq(self.y_pred, y))


def test_logistic_regression_with_grad_and_givens() -> None:
    rng = numpy.random.RandomState(1234)
    data_x, data_y = blobs(rng, 600, 20, 4)
    train_x = theano.shared(data_x, borrow=True)
    train_y = T.cast(theano.shared(numpy.asarray(data_y, dtype=floatX), borrow=True), "int32")
    batch_size = 50
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(input=x, n_in=20, n_out=4)
    cost = classifier.negative_log_likelihood(y)
    g_W = T.grad(cost=cost, wrt=classifier.W)  # noqa: N806
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - 0.1 * g_W), (classifier.b, classifier.b - 0.1 * g_b)]
    givens = {x: train_x[index * batch_size: (index + 1) * batch_size],
              y: train_y[index * batch_size: (index + 1) * batch_size]}
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates, givens=givens)
    test_model = theano.function([], classifier.errors(y), givens={x: train_x, y: train_y})
    first = numpy.mean([train_model(i) for i in range(12)])
    for _ in range(4):
        last = numpy.mean([train_model(i) for i in range(12)])
    assert last < first / 2
    assert test_model() < 0.05


class HiddenLayer:
    def __init__(self, rng: numpy.random.RandomState, input: Any, n_in: int, n_out: int, W: Any = None,  # noqa: A002, N803
                 b: Any = None, activation: Any = T.tanh) -> None:
        if W is None:
            bound = numpy.sqrt(6.0 / (n_in + n_out))
            W = theano.shared(numpy.asarray(rng.uniform(-bound, bound, (n_in, n_out)), dtype=floatX),  # noqa: N806
                              name="W", borrow=True)
        if b is None:
            b = theano.shared(numpy.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.W, self.b = W, b
        lin_output = T.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]


def test_mlp_with_borrowed_shared_variables() -> None:
    rng = numpy.random.RandomState(4321)
    # two interleaved classes that a linear model cannot separate: the XOR of two blobs' signs
    data_x = numpy.asarray(rng.randn(800, 2), dtype=floatX)
    data_y = numpy.asarray((data_x[:, 0] * data_x[:, 1] > 0), dtype="int32")
    train_x, train_y = theano.shared(data_x, borrow=True), theano.shared(data_y, borrow=True)
    assert train_x.get_value(borrow=True) is data_x
    x, y, index = T.matrix("x"), T.ivector("y"), T.lscalar("index")
    hidden = HiddenLayer(rng, x, 2, 16)
    output = LogisticRegression(hidden.output, 16, 2)
    params = hidden.params + output.params
    l2 = (hidden.W ** 2).sum() + (output.W ** 2).sum()
    cost = output.negative_log_likelihood(y) + 0.0001 * l2
    gparams = [T.grad(cost, p) for p in params]
    updates = [(p, p - 0.2 * g) for p, g in zip(params, gparams, strict=True)]
    batch = 40
    train = theano.function([index], cost, updates=updates,
                            givens={x: train_x[index * batch:(index + 1) * batch],
                                    y: train_y[index * batch:(index + 1) * batch]})
    accuracy = theano.function([], 1 - output.errors(y), givens={x: train_x, y: train_y})
    first = numpy.mean([train(i) for i in range(20)])
    for _ in range(40):
        last = numpy.mean([train(i) for i in range(20)])
    assert last < first / 2
    assert accuracy() > 0.9


def shapes_images(rng: numpy.random.RandomState, n: int) -> tuple[Any, Any]:
    """8 x 8 images of a horizontal or a vertical bar, in noise."""
    y = rng.randint(0, 2, n).astype("int32")
    x = rng.rand(n, 1, 8, 8) * 0.3
    for i, label in enumerate(y):
        k = rng.randint(1, 7)
        if label:
            x[i, 0, :, k] += 1.0
        else:
            x[i, 0, k, :] += 1.0
    return x.astype(floatX), y


class LeNetConvPoolLayer:
    def __init__(self, rng: numpy.random.RandomState, input: Any, filter_shape: Any, image_shape: Any,  # noqa: A002
                 poolsize: Any = (2, 2)) -> None:
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        self.W = theano.shared(numpy.asarray(rng.uniform(-bound, bound, filter_shape), dtype=floatX), borrow=True)
        self.b = theano.shared(numpy.zeros((filter_shape[0],), dtype=floatX), borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled_out = pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def test_lenet_with_conv2d_and_pool_2d() -> None:
    rng = numpy.random.RandomState(23455)
    data_x, data_y = shapes_images(rng, 200)
    batch = 20
    train_x, train_y = theano.shared(data_x, borrow=True), theano.shared(data_y, borrow=True)
    index, x, y = T.lscalar(), T.tensor4("x"), T.ivector("y")
    layer0 = LeNetConvPoolLayer(rng, x, filter_shape=(4, 1, 3, 3), image_shape=(batch, 1, 8, 8))
    layer1 = HiddenLayer(rng, layer0.output.flatten(2), 4 * 3 * 3, 16)
    layer2 = LogisticRegression(layer1.output, 16, 2)
    cost = layer2.negative_log_likelihood(y)
    params = layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(p, p - 0.1 * g) for p, g in zip(params, grads, strict=True)]
    givens = {x: train_x[index * batch:(index + 1) * batch], y: train_y[index * batch:(index + 1) * batch]}
    train = theano.function([index], cost, updates=updates, givens=givens)
    errors = theano.function([index], layer2.errors(y), givens=givens)
    first = numpy.mean([train(i) for i in range(10)])
    for _ in range(15):
        last = numpy.mean([train(i) for i in range(10)])
    assert last < first / 2
    assert numpy.mean([errors(i) for i in range(10)]) < 0.1


class DenoisingAutoencoder:
    """The tutorial's dA: ``if not W:`` on a parameter that is None or a shared variable."""

    def __init__(self, numpy_rng: numpy.random.RandomState, theano_rng: Any = None, input: Any = None,  # noqa: A002
                 n_visible: int = 16, n_hidden: int = 8, W: Any = None, bhid: Any = None,  # noqa: N803
                 bvis: Any = None) -> None:
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        if not W:
            bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
            W = theano.shared(numpy.asarray(numpy_rng.uniform(-bound, bound, (n_visible, n_hidden)),  # noqa: N806
                                            dtype=floatX), name="W", borrow=True)
        if not bvis:
            bvis = theano.shared(numpy.zeros(n_visible, dtype=floatX), borrow=True)
        if not bhid:
            bhid = theano.shared(numpy.zeros(n_hidden, dtype=floatX), name="b", borrow=True)
        self.W, self.b, self.b_prime, self.W_prime = W, bhid, bvis, W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input: Any, corruption_level: float) -> Any:  # noqa: A002
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level, dtype=floatX) * input

    def get_cost_updates(self, corruption_level: float, learning_rate: float) -> tuple[Any, Any]:
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = T.nnet.sigmoid(T.dot(tilde_x, self.W) + self.b)
        z = T.nnet.sigmoid(T.dot(y, self.W_prime) + self.b_prime)
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)  # noqa: N806
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        return cost, [(p, p - learning_rate * g) for p, g in zip(self.params, gparams, strict=True)]


def binary_patterns(rng: numpy.random.RandomState, n: int, width: int) -> Any:
    """Noisy copies of four binary prototypes."""
    prototypes = rng.rand(4, width) > 0.5
    flips = rng.rand(n, width) < 0.05
    return numpy.asarray(prototypes[rng.randint(0, 4, n)] ^ flips, dtype=floatX)


def test_denoising_autoencoder_with_random_streams_binomial() -> None:
    rng = numpy.random.RandomState(123)
    data = theano.shared(binary_patterns(rng, 400, 16), borrow=True)
    index, x = T.lscalar(), T.matrix("x")
    shared_w = theano.shared(numpy.asarray(rng.uniform(-0.5, 0.5, (16, 8)), dtype=floatX), name="W")
    da = DenoisingAutoencoder(numpy_rng=rng, theano_rng=RandomStreams(rng.randint(2 ** 30)), input=x, W=shared_w)
    assert da.W is shared_w  # `if not W:` kept the shared variable it was given
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    batch = 20
    train = theano.function([index], cost, updates=updates, givens={x: data[index * batch:(index + 1) * batch]})
    corrupt = theano.function([x], da.get_corrupted_input(x, 0.5))
    ones = numpy.ones((50, 16), dtype=floatX)
    masks = corrupt(ones), corrupt(ones)
    assert 0.4 < masks[0].mean() < 0.6 and not numpy.array_equal(*masks)  # the stream advances on each call
    first = numpy.mean([train(i) for i in range(20)])
    for _ in range(15):
        last = numpy.mean([train(i) for i in range(20)])
    assert last < 0.7 * first


class RBM:
    """The tutorial's RBM: a Gibbs chain in scan, draws from MRG_RandomStreams, CD-k."""

    def __init__(self, input: Any, n_visible: int, n_hidden: int,  # noqa: A002
                 numpy_rng: numpy.random.RandomState) -> None:
        bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
        self.W = theano.shared(numpy.asarray(numpy_rng.uniform(-bound, bound, (n_visible, n_hidden)), dtype=floatX),
                               name="W", borrow=True)
        self.hbias = theano.shared(numpy.zeros(n_hidden, dtype=floatX), name="hbias", borrow=True)
        self.vbias = theano.shared(numpy.zeros(n_visible, dtype=floatX), name="vbias", borrow=True)
        self.theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))
        self.input = input
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample: Any) -> Any:
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis: Any) -> list[Any]:
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample: Any) -> list[Any]:
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean, dtype=floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid: Any) -> list[Any]:
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample: Any) -> list[Any]:
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean, dtype=floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample: Any) -> list[Any]:
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def get_cost_updates(self, lr: float = 0.1, k: int = 1) -> tuple[Any, Any]:
        _, _, ph_sample = self.sample_h_given_v(self.input)
        ([pre_sigmoid_nvs, _nv_means, nv_samples, _pre_sigmoid_nhs, _nh_means, _nh_samples], updates) = theano.scan(
            self.gibbs_hvh, outputs_info=[None, None, None, None, None, ph_sample], n_steps=k, name="gibbs_hvh")
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params, strict=True):
            updates[param] = param - gparam * T.cast(lr, dtype=floatX)
        pre_sigmoid_nv = pre_sigmoid_nvs[-1]
        cross_entropy = T.mean(T.sum(self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                                     + (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)), axis=1))
        return -cross_entropy, updates


def test_rbm_with_gibbs_chain_scan_and_mrg_streams() -> None:
    rng = numpy.random.RandomState(1234)
    data = theano.shared(binary_patterns(rng, 400, 16), borrow=True)
    index, x = T.lscalar(), T.matrix("x")
    rbm = RBM(input=x, n_visible=16, n_hidden=8, numpy_rng=rng)
    cost, updates = rbm.get_cost_updates(lr=0.1, k=2)
    batch = 20
    train = theano.function([index], cost, updates=updates, givens={x: data[index * batch:(index + 1) * batch]},
                            name="train_rbm")
    first = numpy.mean([train(i) for i in range(20)])
    for _ in range(15):
        last = numpy.mean([train(i) for i in range(20)])
    assert last < 0.8 * first


def test_lstm_with_scan_and_an_input_default() -> None:
    rng = numpy.random.RandomState(42)
    n_in, n_hid, steps, n = 2, 8, 6, 200
    seqs = rng.randn(steps, n, n_in).astype(floatX)
    labels = (seqs[:, :, 0].sum(axis=0) > 0).astype("int32")  # the sign of the first feature's sum

    def weight(*shape: int) -> Any:
        return theano.shared(numpy.asarray(rng.uniform(-0.3, 0.3, shape), dtype=floatX), borrow=True)

    W, U = weight(n_in, 4 * n_hid), weight(n_hid, 4 * n_hid)  # noqa: N806
    b = theano.shared(numpy.zeros(4 * n_hid, dtype=floatX), borrow=True)
    V, c = weight(n_hid, 2), theano.shared(numpy.zeros(2, dtype=floatX), borrow=True)  # noqa: N806
    params = [W, U, b, V, c]

    def _slice(m: Any, k: int) -> Any:
        return m[:, k * n_hid:(k + 1) * n_hid]

    def step(x_t: Any, h_tm1: Any, c_tm1: Any) -> list[Any]:
        preact = T.dot(x_t, W) + T.dot(h_tm1, U) + b
        i, f = T.nnet.sigmoid(_slice(preact, 0)), T.nnet.sigmoid(_slice(preact, 1))
        o, g = T.nnet.sigmoid(_slice(preact, 2)), T.tanh(_slice(preact, 3))
        c_t = f * c_tm1 + i * g
        return [o * T.tanh(c_t), c_t]

    x, y, lr = T.tensor3("x"), T.ivector("y"), T.scalar("lr")
    n_samples = x.shape[1]
    zeros = T.alloc(numpy.asarray(0.0, dtype=floatX), n_samples, n_hid)
    (h, _), _ = theano.scan(step, sequences=x, outputs_info=[zeros, zeros])
    p_y = T.nnet.softmax(T.dot(h[-1], V) + c)
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    grads = T.grad(cost, params)
    train = theano.function([x, y, theano.In(lr, value=numpy.asarray(1.0, dtype=floatX))], cost,
                            updates=[(p, p - lr * g) for p, g in zip(params, grads, strict=True)])
    accuracy = theano.function([x, y], T.mean(T.eq(T.argmax(p_y, axis=1), y)))
    first = train(seqs, labels)
    for _ in range(60):
        last = train(seqs, labels)  # lr takes its default
    last = train(seqs, labels, lr=0.5)
    assert last < first / 2
    assert accuracy(seqs, labels) > 0.9
