#!/usr/bin/python3
"""Generate the float64 reference values that the sinapse C++ tests compare against.

Usage: /usr/bin/python3 tests/reference/generate_reference.py [OUTPUT]

Writes a C++17 header to OUTPUT, or to stdout when no path is given. The inputs are
hard-coded, so a rerun with the same torch and numpy versions gives the same bytes.
The formulas follow Keras 3 (layers Dense and BatchNormalization, the Adam optimizer,
the binary_crossentropy loss). Gradients come from torch autograd in float64. Each
case also checks them against a closed form or central finite differences and raises
AssertionError when the two disagree, so the header is never written from bad values.
"""

import math
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
# One thread keeps the reduction order, and so the last bits, fixed between runs.
torch.set_num_threads(1)

# Keras 3 constants, from keras.config.epsilon() and the layer and optimizer defaults.
KERAS_EPSILON = 1e-7
BATCH_NORM_EPSILON = 1e-3
BATCH_NORM_MOMENTUM = 0.99
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7


# ---------------------------------------------------------------------------
# Output


def format_double(value):
    """Format one double with %.17g, which round-trips every finite double."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"reference value is not finite: {value!r}")
    text = "%.17g" % value
    # An integral value such as "-0" or "16" would be an int literal, and int -0 loses the sign.
    if all(character in "-0123456789" for character in text):
        text += ".0"
    return text


def as_float64_array(values):
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


class HeaderWriter:
    """Collect the lines of the generated header and reject duplicate names."""

    def __init__(self):
        self.lines = []
        self.names = set()

    def comment(self, text):
        for line in text.strip("\n").split("\n"):
            self.lines.append(("// " + line).rstrip())

    def section(self, text):
        self.lines.append("")
        self.lines.append("// " + "-" * 77)
        self.comment(text)

    def blank(self):
        self.lines.append("")

    def _claim(self, name):
        if name in self.names:
            raise ValueError(f"duplicate reference name: {name}")
        self.names.add(name)

    def scalar(self, name, value, description):
        """Emit a named double constant, used for hyperparameters."""
        self._claim(name)
        self.lines.append("")
        self.comment(description)
        self.lines.append(f"inline constexpr double {name} = {format_double(value)};")

    def string(self, name, value, description):
        self._claim(name)
        self.lines.append("")
        self.comment(description)
        self.lines.append(f'inline constexpr char {name}[] = "{value}";')

    def array(self, name, values, description):
        """Emit NAME_rows, NAME_cols and NAME[] in row-major order.

        A 1-D input becomes an n x 1 column and a scalar becomes 1 x 1.
        """
        array = as_float64_array(values)
        if array.ndim == 0:
            array = array.reshape(1, 1)
        elif array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise ValueError(f"{name}: expected at most 2 dimensions, got shape {array.shape}")
        for suffix in ("", "_rows", "_cols"):
            self._claim(name + suffix)
        rows, cols = array.shape
        self.lines.append("")
        self.comment(f"{description} ({rows}x{cols})")
        self.lines.append(f"inline constexpr int {name}_rows = {rows};")
        self.lines.append(f"inline constexpr int {name}_cols = {cols};")
        self.lines.append(f"inline constexpr double {name}[] = {{")
        for row in array:
            self.lines.append("    " + ", ".join(format_double(v) for v in row) + ",")
        self.lines.append("};")

    def text(self):
        return "\n".join(self.lines) + "\n"


# ---------------------------------------------------------------------------
# Shared math and checks


def tensor(values, requires_grad=False):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def assert_close(actual, expected, check_name, rtol=1e-12, atol=1e-14):
    actual = as_float64_array(actual)
    expected = as_float64_array(expected)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        difference = np.max(np.abs(actual - expected))
        raise AssertionError(f"{check_name}: check failed, max abs difference {difference:.3e}")


def check_gradients_by_finite_differences(loss_function, arrays, gradients, check_name, step=1e-6):
    """Compare autograd gradients with central differences of loss_function(arrays).

    loss_function takes a list of float64 numpy arrays and returns a float. The
    central-difference error at step 1e-6 is about 1e-10, far below the tolerance.
    """
    for index, (array, gradient) in enumerate(zip(arrays, gradients)):
        gradient = as_float64_array(gradient)
        for position in np.ndindex(array.shape):
            shifted_up = [a.copy() for a in arrays]
            shifted_down = [a.copy() for a in arrays]
            shifted_up[index][position] += step
            shifted_down[index][position] -= step
            estimate = (loss_function(shifted_up) - loss_function(shifted_down)) / (2 * step)
            error = abs(estimate - gradient[position])
            if error > 1e-7 * max(1.0, abs(estimate)):
                raise AssertionError(
                    f"{check_name}: gradient {index} at {position} is {gradient[position]!r}, "
                    f"finite differences give {estimate!r}"
                )


def bce_probability_elementwise(p, y, epsilon=KERAS_EPSILON):
    """Keras BCE probability path in float64: clip p to [eps, 1-eps], then cross-entropy."""
    p_clipped = torch.clamp(p, epsilon, 1.0 - epsilon)
    return -(y * torch.log(p_clipped) + (1.0 - y) * torch.log(1.0 - p_clipped))


def bce_probability_mean(p, y):
    """Keras binary_crossentropy, sum_over_batch_size: mean over the last axis, then samples."""
    return bce_probability_elementwise(p, y).mean(dim=-1).mean()


def assert_probabilities_away_from_clip(p, check_name):
    p = as_float64_array(p)
    if np.any(p < 1e-3) or np.any(p > 1.0 - 1e-3):
        raise AssertionError(f"{check_name}: a prediction is within 1e-3 of 0 or 1")


def assert_away_from_zero(values, check_name, margin=1e-3):
    if np.any(np.abs(as_float64_array(values)) <= margin):
        raise AssertionError(f"{check_name}: a ReLU pre-activation is within {margin} of 0")


# ---------------------------------------------------------------------------
# Case a: a single Dense layer with each activation

DENSE_X = [
    [0.5, -1.2, 0.8],
    [1.5, 0.3, -0.7],
    [-0.4, 0.9, 1.1],
    [2.0, -0.6, -1.3],
]
DENSE_KERNEL = [
    [0.7, -0.4],
    [-0.3, 0.9],
    [0.5, 0.6],
]
DENSE_BIAS = [0.1, -0.2]
DENSE_UPSTREAM = [
    [1.0, -0.5],
    [0.25, 2.0],
    [-1.5, 0.75],
    [0.6, -1.1],
]

DENSE_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def dense_preactivation_gradient(activation, z, y, upstream):
    """Return ds/dz for s = sum(upstream * act(z)) in closed form, to check autograd."""
    if activation == "linear":
        return upstream
    if activation == "relu":
        return upstream * (z > 0)
    if activation == "tanh":
        return upstream * (1.0 - y * y)
    if activation == "sigmoid":
        return upstream * y * (1.0 - y)
    if activation == "softmax":
        return y * (upstream - np.sum(upstream * y, axis=1, keepdims=True))
    raise ValueError(f"unknown activation: {activation}")


def write_dense_cases(writer):
    writer.section(
        "Case dense_<activation>: one Keras Dense layer, y = act(x @ kernel + bias).\n"
        "x is 4x3 (samples are rows), kernel is 3x2 (inputs x units, as in Keras),\n"
        "and bias has 2 values.\n"
        "Gradients are of the scalar s = sum(upstream * y), with upstream 4x2.\n"
        "Activations: linear, relu, tanh, sigmoid, and softmax over the last axis.\n"
        "No ReLU pre-activation is within 1e-3 of 0, so the ReLU derivative at 0 never matters."
    )
    x_values = np.array(DENSE_X)
    kernel_values = np.array(DENSE_KERNEL)
    bias_values = np.array(DENSE_BIAS)
    upstream_values = np.array(DENSE_UPSTREAM)
    preactivation = x_values @ kernel_values + bias_values
    assert_away_from_zero(preactivation, "dense")

    writer.array("dense_x", x_values, "Input x, shared by every dense_<activation> case")
    writer.array("dense_kernel", kernel_values, "Kernel, inputs x units")
    writer.array("dense_bias", bias_values, "Bias")
    writer.array("dense_upstream", upstream_values, "Upstream r in s = sum(r * y)")
    writer.array("dense_preactivation", preactivation, "Pre-activation z = x @ kernel + bias")

    for activation, function in DENSE_ACTIVATIONS.items():
        x = tensor(x_values, requires_grad=True)
        kernel = tensor(kernel_values, requires_grad=True)
        bias = tensor(bias_values, requires_grad=True)
        y = function(x @ kernel + bias)
        (y * tensor(upstream_values)).sum().backward()

        y_values = as_float64_array(y)
        dz = dense_preactivation_gradient(activation, preactivation, y_values, upstream_values)
        assert_close(x.grad, dz @ kernel_values.T, f"dense_{activation} dx")
        assert_close(kernel.grad, x_values.T @ dz, f"dense_{activation} dkernel")
        assert_close(bias.grad, dz.sum(axis=0), f"dense_{activation} dbias")

        prefix = f"dense_{activation}"
        writer.array(f"{prefix}_y", y, f"{activation}: output y")
        writer.array(f"{prefix}_dx", x.grad, f"{activation}: ds/dx")
        writer.array(f"{prefix}_dkernel", kernel.grad, f"{activation}: ds/dkernel")
        writer.array(f"{prefix}_dbias", bias.grad, f"{activation}: ds/dbias")


# ---------------------------------------------------------------------------
# Case b: BatchNormalization

# Column 0 has a mean near 1000 and a variance of 0.002616. For it, E[x^2] - E[x]^2 gives
# -0.0625 in float32 and is off by about 2e-10 (relative 1e-7) in float64.
BATCH_NORM_X = [
    [1000.05, -2.5, 0.3],
    [999.97, -0.75, 1.2],
    [1000.02, -3.1, -0.4],
    [999.94, -1.6, 0.9],
    [1000.08, -2.2, 0.05],
]
BATCH_NORM_GAMMA = [1.5, 0.8, -0.6]
BATCH_NORM_BETA = [0.1, -0.3, 0.25]
BATCH_NORM_UPSTREAM = [
    [0.5, -1.0, 0.2],
    [1.2, 0.3, -0.7],
    [-0.4, 0.8, 1.1],
    [0.9, -0.6, -0.3],
    [-1.3, 0.45, 0.6],
]
BATCH_NORM_STEP_X = [
    [
        [1000.3, 1.5, -0.2],
        [999.6, 2.25, 0.4],
        [1000.1, 0.5, 0.1],
        [999.9, 1.75, -0.6],
        [1000.4, 1.0, 0.35],
    ],
    [
        [998.5, -0.5, 2.0],
        [1001.0, 0.25, 1.4],
        [999.25, -1.0, 2.6],
        [1000.75, 0.75, 1.8],
    ],
    # One sample: the batch variance is 0, so the training output equals beta.
    [
        [1002.0, 3.0, -1.5],
    ],
]
BATCH_NORM_X_INFER = [
    [1000.0, 0.0, 0.5],
    [995.0, 2.0, -1.0],
    [1003.5, -1.5, 2.5],
]


def batch_norm_training_forward(x, gamma, beta):
    """Return (y, batch mean, biased batch variance), with the variance in two passes."""
    mean = x.mean(dim=0)
    variance = ((x - mean) ** 2).mean(dim=0)
    y = gamma * (x - mean) / torch.sqrt(variance + BATCH_NORM_EPSILON) + beta
    return y, mean, variance


def batch_norm_input_gradient(x, gamma, upstream):
    """Return ds/dx of batch normalization in closed form, to check autograd."""
    count = x.shape[0]
    mean = x.mean(axis=0)
    variance = ((x - mean) ** 2).mean(axis=0)
    inverse_std = 1.0 / np.sqrt(variance + BATCH_NORM_EPSILON)
    normalized = (x - mean) * inverse_std
    d_normalized = upstream * gamma
    return (inverse_std / count) * (
        count * d_normalized
        - d_normalized.sum(axis=0)
        - normalized * (d_normalized * normalized).sum(axis=0)
    )


def write_batch_norm_gradient_case(writer):
    writer.section(
        "Case batch_norm: Keras 3 BatchNormalization (axis -1), training-mode forward and\n"
        "backward.\n"
        "x is 5x3, gamma and beta have 3 values, epsilon = 1e-3.\n"
        "mean = mean over samples, and var = mean over samples of (x - mean)^2, which is the\n"
        "biased variance (divide by m).\n"
        "y = gamma * (x - mean) / sqrt(var + epsilon) + beta.\n"
        "Gradients are of s = sum(upstream * y) and flow through mean and var.\n"
        "Column 0 has mean ~1000 and variance 0.002616. For it,\n"
        "E[x^2] - E[x]^2 gives -0.0625 in float32 and is off by about 2e-10 in float64, so a\n"
        "two-pass (or Welford) variance is needed to match batch_norm_batch_variance."
    )
    writer.scalar("batch_norm_epsilon", BATCH_NORM_EPSILON, "Keras BatchNormalization epsilon")
    writer.scalar("batch_norm_momentum", BATCH_NORM_MOMENTUM, "Keras BatchNormalization momentum")

    x_values = np.array(BATCH_NORM_X)
    gamma_values = np.array(BATCH_NORM_GAMMA)
    upstream_values = np.array(BATCH_NORM_UPSTREAM)
    x = tensor(x_values, requires_grad=True)
    gamma = tensor(gamma_values, requires_grad=True)
    beta = tensor(BATCH_NORM_BETA, requires_grad=True)
    y, mean, variance = batch_norm_training_forward(x, gamma, beta)
    (y * tensor(upstream_values)).sum().backward()

    inverse_std = 1.0 / np.sqrt(as_float64_array(variance) + BATCH_NORM_EPSILON)
    normalized = (x_values - as_float64_array(mean)) * inverse_std
    expected_dx = batch_norm_input_gradient(x_values, gamma_values, upstream_values)
    assert_close(x.grad, expected_dx, "batch_norm dx", rtol=1e-10, atol=1e-12)
    assert_close(gamma.grad, (upstream_values * normalized).sum(axis=0), "batch_norm dgamma")
    assert_close(beta.grad, upstream_values.sum(axis=0), "batch_norm dbeta")
    if np.any(as_float64_array(variance) < 0):
        raise AssertionError("batch_norm: negative batch variance")

    writer.array("batch_norm_x", x_values, "Input x")
    writer.array("batch_norm_gamma", gamma_values, "gamma")
    writer.array("batch_norm_beta", BATCH_NORM_BETA, "beta")
    writer.array("batch_norm_upstream", upstream_values, "Upstream r in s = sum(r * y)")
    writer.array("batch_norm_batch_mean", mean, "Batch mean per feature")
    writer.array("batch_norm_batch_variance", variance, "Biased batch variance per feature")
    writer.array("batch_norm_y", y, "Training output y")
    writer.array("batch_norm_dx", x.grad, "ds/dx")
    writer.array("batch_norm_dgamma", gamma.grad, "ds/dgamma")
    writer.array("batch_norm_dbeta", beta.grad, "ds/dbeta")


def write_batch_norm_moving_statistics_case(writer):
    writer.section(
        "Case batch_norm_step<k>: moving statistics over three training-mode forward passes.\n"
        "gamma and beta are batch_norm_gamma and batch_norm_beta and stay fixed (no optimizer).\n"
        "Batches are 5x3, 4x3 and 1x3. The 1-sample batch has variance 0, so its output is beta.\n"
        "moving_mean starts at 0 and moving_variance at 1. Each pass updates, as Keras does,\n"
        "  moving = moving * momentum + batch_stat * (1 - momentum), momentum = 0.99,\n"
        "with the same biased batch variance as the normalization.\n"
        "After step 3, inference on batch_norm_x_infer (3x3) uses\n"
        "  y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta."
    )
    gamma = tensor(BATCH_NORM_GAMMA)
    beta = tensor(BATCH_NORM_BETA)
    moving_mean = np.zeros(3)
    moving_variance = np.ones(3)
    for step, batch in enumerate(BATCH_NORM_STEP_X, start=1):
        y, mean, variance = batch_norm_training_forward(tensor(batch), gamma, beta)
        # Keras multiplies by (1 - momentum), which is 0.010000000000000009 in double.
        new_weight = 1.0 - BATCH_NORM_MOMENTUM
        moving_mean = moving_mean * BATCH_NORM_MOMENTUM + as_float64_array(mean) * new_weight
        moving_variance = (
            moving_variance * BATCH_NORM_MOMENTUM + as_float64_array(variance) * new_weight
        )
        if len(batch) == 1:
            assert_close(y, [BATCH_NORM_BETA], "batch_norm one-sample output", rtol=0, atol=0)

        prefix = f"batch_norm_step{step}"
        writer.array(f"{prefix}_x", batch, f"Step {step}: training batch")
        writer.array(f"{prefix}_y", y, f"Step {step}: training output")
        writer.array(f"{prefix}_moving_mean", moving_mean, f"moving_mean after step {step}")
        writer.array(
            f"{prefix}_moving_variance", moving_variance, f"moving_variance after step {step}"
        )

    x_infer = np.array(BATCH_NORM_X_INFER)
    y_infer = (
        np.array(BATCH_NORM_GAMMA)
        * (x_infer - moving_mean)
        / np.sqrt(moving_variance + BATCH_NORM_EPSILON)
        + np.array(BATCH_NORM_BETA)
    )
    writer.array("batch_norm_x_infer", x_infer, "Inference input")
    writer.array("batch_norm_y_infer", y_infer, "Inference output, moving statistics after step 3")


# ---------------------------------------------------------------------------
# Case c: binary cross-entropy

BCE_LABELS = [0.0, 1.0, 0.25]
BCE_PROBABILITIES = [0.0, 1.0, 1e-12, 1.0 - 1e-12, 0.5, 0.3, 0.9]
BCE_LOGITS = [-100.0, -30.0, -5.0, 0.0, 2.5, 30.0, 100.0]
BCE_LABEL_SMOOTHING = 0.1
BCE_BATCH_P = [
    [0.9, 0.2],
    [0.35, 0.6],
    [0.05, 0.75],
]
BCE_BATCH_Y = [
    [1.0, 0.0],
    [0.0, 1.0],
    [1.0, 1.0],
]


def bce_probability_elementwise_float32(p, y):
    """Keras BCE probability path evaluated in numpy float32, as a float32 model does.

    The bounds are float32(1e-7) = 1.0000000117e-7 and float32(1) - float32(1e-7) = 0.99999988.
    """
    float32_one = np.float32(1.0)
    epsilon = np.float32(KERAS_EPSILON)
    upper = float32_one - epsilon
    p32 = np.asarray(p, dtype=np.float32)
    y32 = np.asarray(y, dtype=np.float32)
    p_clipped = np.clip(p32, epsilon, upper)
    loss = -(y32 * np.log(p_clipped) + (float32_one - y32) * np.log(float32_one - p_clipped))
    if loss.dtype != np.float32:
        raise AssertionError(f"bce float32 emulation: result dtype is {loss.dtype}")
    return loss


def write_bce_probability_table(writer):
    writer.section(
        "Case bce_table: Keras binary cross-entropy per element, probability path.\n"
        "p_c = clip(p, eps, 1 - eps) with eps = 1e-7,\n"
        "loss = -(y * log(p_c) + (1 - y) * log(1 - p_c)).\n"
        "Rows are every y in {0, 1, 0.25} (outer loop) with every p in\n"
        "{0, 1, 1e-12, 1 - 1e-12, 0.5, 0.3, 0.9} (inner loop), 21 rows.\n"
        "_loss is float64. _loss_f32 repeats the computation in float32 (p and y cast to\n"
        "float32, bounds float32(1e-7) and float32(1) - float32(1e-7) = 0.99999988), and each\n"
        "value is exactly a float. So y=0, p=1 gives 15.942385 in float32 but y=1, p=0 gives\n"
        "16.118095. NOTE: numpy's float32 log may differ from another libm by 1 ulp.\n"
        "_grad is d loss / d p in float64, and it is 0 where p is clipped."
    )
    writer.scalar("bce_epsilon", KERAS_EPSILON, "keras.config.epsilon(), the clip bound")

    labels = np.repeat(BCE_LABELS, len(BCE_PROBABILITIES))
    probabilities = np.tile(BCE_PROBABILITIES, len(BCE_LABELS))
    p = tensor(probabilities, requires_grad=True)
    loss = bce_probability_elementwise(p, tensor(labels))
    loss.sum().backward()

    inside = (probabilities > KERAS_EPSILON) & (probabilities < 1.0 - KERAS_EPSILON)
    with np.errstate(divide="ignore", invalid="ignore"):
        unclipped_gradient = -labels / probabilities + (1 - labels) / (1 - probabilities)
    expected_gradient = np.where(inside, unclipped_gradient, 0.0)
    assert_close(p.grad, expected_gradient, "bce_table grad")

    loss_f32 = bce_probability_elementwise_float32(probabilities, labels)
    y0_p1 = loss_f32[(labels == 0.0) & (probabilities == 1.0)][0]
    y1_p0 = loss_f32[(labels == 1.0) & (probabilities == 0.0)][0]
    if abs(y0_p1 - 15.942385) > 1e-5:
        raise AssertionError(f"bce_table_loss_f32: y=0, p=1 gives {y0_p1!r}, expected 15.942385")
    if abs(y1_p0 - 16.118095) > 1e-5:
        raise AssertionError(f"bce_table_loss_f32: y=1, p=0 gives {y1_p0!r}, expected 16.118095")

    writer.array("bce_table_y", labels, "Label y")
    writer.array("bce_table_p", probabilities, "Prediction p")
    writer.array("bce_table_loss", loss, "Per-element loss, float64")
    writer.array("bce_table_loss_f32", loss_f32, "Per-element loss, float32")
    writer.array("bce_table_grad", p.grad, "d loss / d p, float64")


def bce_logits_elementwise(z, y):
    """Keras BCE logits path: max(z, 0) - z * y + log1p(exp(-|z|)), with no clipping."""
    return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))


def write_bce_logits_table(writer):
    writer.section(
        "Case bce_logits: Keras binary cross-entropy with from_logits=True, per element.\n"
        "loss = max(z, 0) - z * y + log1p(exp(-|z|)), with no clipping,\n"
        "so z = 100, y = 0 gives 100.\n"
        "grad = d loss / d z = sigmoid(z) - y, evaluated as\n"
        "(1 - y) * sigmoid(z) - y * sigmoid(-z).\n"
        "The naive form cancels: for y = 1, z = 30 it gives -9.348e-14 instead of -9.358e-14,\n"
        "and 0 instead of -3.7e-44 for z = 100. Compare grad with an absolute tolerance.\n"
        "Rows are every y in {0, 1, 0.25} (outer loop) with every z in\n"
        "{-100, -30, -5, 0, 2.5, 30, 100} (inner loop), 21 rows."
    )
    labels = np.repeat(BCE_LABELS, len(BCE_LOGITS))
    logits = np.tile(BCE_LOGITS, len(BCE_LABELS))
    loss = bce_logits_elementwise(logits, labels)
    # sigmoid(z) - y rewritten so that no two numbers near 1 are subtracted when y is 0 or 1.
    gradient = (1.0 - labels) / (1.0 + np.exp(-logits)) - labels / (1.0 + np.exp(logits))

    # torch's own implementation is an independent check of both values.
    z = tensor(logits, requires_grad=True)
    torch_loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, tensor(labels), reduction="none"
    )
    torch_loss.sum().backward()
    assert_close(loss, torch_loss, "bce_logits loss")
    assert_close(gradient, z.grad, "bce_logits grad")

    writer.array("bce_logits_y", labels, "Label y")
    writer.array("bce_logits_z", logits, "Logit z")
    writer.array("bce_logits_loss", loss, "Per-element loss")
    writer.array("bce_logits_grad", gradient, "d loss / d z = sigmoid(z) - y")


def write_bce_batch_case(writer):
    writer.section(
        "Case bce_batch: Keras binary_crossentropy on a 3x2 batch, probability path, float64.\n"
        "Per-sample value = mean of the element losses over the last axis (2 values).\n"
        "Batch value = mean of the per-sample values over the 3 samples.\n"
        "The _smoothed values use label_smoothing 0.1: y_s = y * (1 - 0.1) + 0.5 * 0.1."
    )
    writer.scalar("bce_label_smoothing", BCE_LABEL_SMOOTHING, "label_smoothing of _smoothed")
    p = tensor(BCE_BATCH_P)
    y = tensor(BCE_BATCH_Y)
    smoothed_y = y * (1.0 - BCE_LABEL_SMOOTHING) + 0.5 * BCE_LABEL_SMOOTHING
    sample_loss = bce_probability_elementwise(p, y).mean(dim=-1)
    smoothed_sample_loss = bce_probability_elementwise(p, smoothed_y).mean(dim=-1)
    assert_close(sample_loss.mean(), bce_probability_mean(p, y), "bce_batch mean")

    writer.array("bce_batch_p", p, "Predictions p")
    writer.array("bce_batch_y", y, "Labels y")
    writer.array("bce_batch_sample_loss", sample_loss, "Per-sample loss without smoothing")
    writer.array("bce_batch_loss", sample_loss.mean(), "Batch loss without smoothing")
    writer.array("bce_batch_smoothed_y", smoothed_y, "Smoothed labels y_s")
    writer.array(
        "bce_batch_smoothed_sample_loss", smoothed_sample_loss, "Per-sample loss, smoothing 0.1"
    )
    writer.array("bce_batch_smoothed_loss", smoothed_sample_loss.mean(), "Batch loss, smoothed")


# ---------------------------------------------------------------------------
# Case d: Adam on a two-layer model

ADAM_X = [
    [0.5, -1.0, 1.5],
    [-0.3, 0.8, 0.2],
    [1.2, 0.4, -0.9],
    [-0.7, -0.6, 0.3],
]
ADAM_Y = [[1.0], [0.0], [1.0], [0.0]]
ADAM_INITIAL_WEIGHTS = {
    "kernel_0": [[0.4, -0.6], [0.3, 0.5], [-0.2, 0.7]],
    "bias_0": [0.05, -0.1],
    "kernel_1": [[0.8], [-0.5]],
    "bias_1": [0.0],
}
ADAM_WEIGHT_NAMES = ["kernel_0", "bias_0", "kernel_1", "bias_1"]


def initial_adam_weights():
    return [np.array(ADAM_INITIAL_WEIGHTS[name], dtype=np.float64) for name in ADAM_WEIGHT_NAMES]


def predict_two_layer_model(x, kernel_0, bias_0, kernel_1, bias_1):
    """Input(3) -> Dense(2, tanh) -> Dense(1, sigmoid)."""
    hidden = torch.tanh(x @ kernel_0 + bias_0)
    return torch.sigmoid(hidden @ kernel_1 + bias_1)


def compute_two_layer_loss_and_gradients(weights):
    """Return the BCE batch loss of the Adam model and its gradients for each weight."""
    parameters = [tensor(w, requires_grad=True) for w in weights]
    prediction = predict_two_layer_model(tensor(ADAM_X), *parameters)
    assert_probabilities_away_from_clip(prediction, "adam model")
    loss = bce_probability_mean(prediction, tensor(ADAM_Y))
    loss.backward()
    return float(loss), [as_float64_array(p.grad) for p in parameters]


def run_keras_adam(learning_rate, amsgrad, steps=3):
    """Apply Keras 3 Adam by hand and return (losses before each step, weights after each step).

    torch.optim.Adam is not used, because it adds epsilon to the bias-corrected sqrt(v)
    while Keras adds it to the uncorrected one.
    """
    weights = initial_adam_weights()
    momentums = [np.zeros_like(w) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    velocity_hats = [np.zeros_like(w) for w in weights]
    losses = []
    history = []
    for t in range(1, steps + 1):
        loss, gradients = compute_two_layer_loss_and_gradients(weights)
        losses.append(loss)
        # Keras computes beta**t from the iteration counter plus 1, so t starts at 1.
        alpha = learning_rate * math.sqrt(1.0 - ADAM_BETA_2 ** t) / (1.0 - ADAM_BETA_1 ** t)
        for i, gradient in enumerate(gradients):
            momentums[i] = momentums[i] + (gradient - momentums[i]) * (1.0 - ADAM_BETA_1)
            velocities[i] = (
                velocities[i] + (gradient * gradient - velocities[i]) * (1.0 - ADAM_BETA_2)
            )
            velocity = velocities[i]
            if amsgrad:
                velocity_hats[i] = np.maximum(velocity_hats[i], velocities[i])
                velocity = velocity_hats[i]
            # Same operation order as Keras: (m * alpha) / (sqrt(v) + epsilon).
            weights[i] = weights[i] - (momentums[i] * alpha) / (np.sqrt(velocity) + ADAM_EPSILON)
        history.append([w.copy() for w in weights])
    return losses, history


def assert_amsgrad_changes_weights(amsgrad_history, learning_rate):
    """Raise unless amsgrad moves some weight by more than 1e-6 within the recorded steps.

    v can only fall by a factor 0.999 per step, so in three steps amsgrad changes
    little. Here the gradient of bias_0[1] nearly vanishes at step 2, v drops below
    v_hat, and bias_0 after step 2 differs by about 1.6e-5 from the run without amsgrad.
    """
    _, plain_history = run_keras_adam(learning_rate, amsgrad=False)
    difference = max(
        float(np.max(np.abs(a - b)))
        for amsgrad_weights, plain_weights in zip(amsgrad_history, plain_history)
        for a, b in zip(amsgrad_weights, plain_weights)
    )
    if difference <= 1e-6:
        raise AssertionError(f"adam_amsgrad: amsgrad changes the weights by only {difference:.3e}")


def write_adam_case(writer):
    writer.section(
        "Case adam: three Keras 3 Adam steps on Input(3) -> Dense(2, tanh) -> Dense(1, sigmoid).\n"
        "Loss: binary_crossentropy, probability path, mean over the 4 samples of adam_x and\n"
        "adam_y, the same batch at every step. Predictions stay within [1e-3, 1 - 1e-3],\n"
        "away from the clip.\n"
        "Weights: kernel_0 3x2, bias_0 2, kernel_1 2x1, bias_1 1. m, v and v_hat start at 0.\n"
        "Step t = 1, 2, 3, with g the gradient of the loss:\n"
        "  m = m + (g - m) * (1 - beta_1),  v = v + (g * g - v) * (1 - beta_2),\n"
        "  with amsgrad, v_hat = max(v_hat, v), and v_hat replaces v below,\n"
        "  alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t),\n"
        "  theta = theta - (m * alpha) / (sqrt(v) + epsilon).\n"
        "beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7. Run adam_default: lr = 1e-3, amsgrad off.\n"
        "Run adam_amsgrad: lr = 0.05, amsgrad on. There the gradient of bias_0[1] nearly\n"
        "vanishes at step 2, so v_hat > v, and bias_0 after step 2 differs by about 1.6e-5\n"
        "from the same run without amsgrad. A test tolerance must stay well below that.\n"
        "_loss gives the loss before steps 1, 2 and 3.\n"
        "_step<k>_<weight> gives the weights after step k.\n"
        "NOTE: everything here is float64. A float32 Keras model computes beta^t from\n"
        "float32(0.9) and float32(0.999), so its alpha is about 7e-6 (relative) smaller."
    )
    writer.scalar("adam_beta_1", ADAM_BETA_1, "Keras Adam beta_1")
    writer.scalar("adam_beta_2", ADAM_BETA_2, "Keras Adam beta_2")
    writer.scalar("adam_epsilon", ADAM_EPSILON, "Keras Adam epsilon")
    writer.scalar("adam_default_learning_rate", 1e-3, "learning_rate of run adam_default")
    writer.scalar("adam_amsgrad_learning_rate", 0.05, "learning_rate of run adam_amsgrad")
    writer.array("adam_x", ADAM_X, "Batch input x")
    writer.array("adam_y", ADAM_Y, "Batch labels y")
    for name in ADAM_WEIGHT_NAMES:
        writer.array(f"adam_initial_{name}", ADAM_INITIAL_WEIGHTS[name], f"Initial {name}")

    initial = initial_adam_weights()
    _, initial_gradients = compute_two_layer_loss_and_gradients(initial)
    check_gradients_by_finite_differences(
        lambda weights: compute_two_layer_loss_and_gradients(weights)[0],
        initial,
        initial_gradients,
        "adam model",
    )

    runs = (("adam_default", 1e-3, False), ("adam_amsgrad", 0.05, True))
    for run, learning_rate, amsgrad in runs:
        losses, history = run_keras_adam(learning_rate, amsgrad)
        if amsgrad:
            assert_amsgrad_changes_weights(history, learning_rate)
        writer.array(f"{run}_loss", losses, f"{run}: loss before steps 1, 2 and 3")
        for step, weights in enumerate(history, start=1):
            for name, value in zip(ADAM_WEIGHT_NAMES, weights):
                writer.array(f"{run}_step{step}_{name}", value, f"{run}: {name} after step {step}")


# ---------------------------------------------------------------------------
# Case e: a functional model where one tensor feeds three layers

FANOUT_X = [
    [0.2, -0.5, 1.0],
    [-1.1, 0.4, 0.3],
    [0.7, 0.9, -0.6],
    [-0.3, -0.8, -0.2],
]
FANOUT_Y = [[1.0], [0.0], [0.0], [1.0]]
# Layer name -> (units, activation, kernel, bias), in the order the graph uses them.
FANOUT_LAYERS = {
    "hidden": (4, "tanh",
               [[0.5, -0.3, 0.8, 0.1], [-0.6, 0.4, 0.2, 0.7], [0.3, 0.9, -0.5, -0.4]],
               [0.05, -0.1, 0.2, 0.0]),
    "sigmoid_branch": (2, "sigmoid",
                       [[0.3, -0.7], [0.9, 0.2], [-0.4, 0.6], [0.5, -0.1]],
                       [-0.05, 0.15]),
    "linear_branch": (2, "linear",
                      [[-0.2, 0.4], [0.6, -0.3], [0.1, 0.8], [-0.7, 0.25]],
                      [0.1, -0.2]),
    "relu_branch": (2, "relu",
                    [[0.6, -0.5], [0.4, 0.7], [-0.3, 0.2], [0.8, -0.6]],
                    [0.1, 0.05]),
    "output": (1, "sigmoid",
               [[0.7], [-0.9], [0.5], [-0.4]],
               [0.2]),
}


def predict_fanout_model(x, parameters):
    """Run the fan-out graph. parameters maps a layer name to (kernel, bias) tensors."""

    def dense(name, inputs):
        kernel, bias = parameters[name]
        return inputs @ kernel + bias

    hidden = torch.tanh(dense("hidden", x))
    sigmoid_branch = torch.sigmoid(dense("sigmoid_branch", hidden))
    linear_branch = dense("linear_branch", hidden)
    relu_preactivation = dense("relu_branch", hidden)
    assert_away_from_zero(relu_preactivation, "fanout relu_branch")
    relu_branch = torch.relu(relu_preactivation)
    concatenated = torch.cat([sigmoid_branch, relu_branch + linear_branch], dim=-1)
    return torch.sigmoid(dense("output", concatenated))


def compute_fanout_loss_and_gradients(arrays):
    """Return the loss, prediction and gradients for [x, kernel, bias, kernel, bias, ...]."""
    leaves = [tensor(a, requires_grad=True) for a in arrays]
    x = leaves[0]
    parameters = {
        name: (leaves[1 + 2 * i], leaves[2 + 2 * i]) for i, name in enumerate(FANOUT_LAYERS)
    }
    prediction = predict_fanout_model(x, parameters)
    assert_probabilities_away_from_clip(prediction, "fanout model")
    loss = bce_probability_mean(prediction, tensor(FANOUT_Y))
    loss.backward()
    return float(loss), prediction, [as_float64_array(leaf.grad) for leaf in leaves]


def write_fanout_case(writer):
    writer.section(
        "Case fanout: gradients of a functional model in which h feeds three Dense layers.\n"
        "  x = Input(shape=(3,))\n"
        "  h = Dense(4, activation=\"tanh\")(x)       # fanout_hidden_*\n"
        "  a = Dense(2, activation=\"sigmoid\")(h)    # fanout_sigmoid_branch_*\n"
        "  c = Dense(2, activation=\"linear\")(h)     # fanout_linear_branch_*\n"
        "  h2 = Dense(2, activation=\"relu\")(h)      # fanout_relu_branch_*\n"
        "  s = Add()([h2, c])\n"
        "  joined = Concatenate()([a, s])\n"
        "  out = Dense(1, activation=\"sigmoid\")(joined)  # fanout_output_*\n"
        "Concatenate puts a in columns 0-1 and s in columns 2-3 of the output kernel's input.\n"
        "Loss: binary_crossentropy, probability path, mean over the 4 samples (no prediction is\n"
        "near the clip, and no ReLU pre-activation is within 1e-3 of 0).\n"
        "_d<weight> and fanout_dx are the gradients of that loss."
    )
    arrays = [np.array(FANOUT_X, dtype=np.float64)]
    for _, _, kernel, bias in FANOUT_LAYERS.values():
        arrays.append(np.array(kernel, dtype=np.float64))
        arrays.append(np.array(bias, dtype=np.float64))
    loss, prediction, gradients = compute_fanout_loss_and_gradients(arrays)
    check_gradients_by_finite_differences(
        lambda values: compute_fanout_loss_and_gradients(values)[0],
        arrays,
        gradients,
        "fanout model",
    )

    writer.array("fanout_x", FANOUT_X, "Input x")
    writer.array("fanout_y", FANOUT_Y, "Labels y")
    for name, (units, activation, kernel, bias) in FANOUT_LAYERS.items():
        prefix = f"fanout_{name}"
        writer.array(f"{prefix}_kernel", kernel, f"Dense({units}, {activation}) kernel")
        writer.array(f"{prefix}_bias", bias, f"Dense({units}, {activation}) bias")
    writer.array("fanout_prediction", prediction, "Model output out")
    writer.array("fanout_loss", loss, "Batch BCE loss")
    writer.array("fanout_dx", gradients[0], "d loss / dx")
    for i, name in enumerate(FANOUT_LAYERS):
        writer.array(f"fanout_{name}_dkernel", gradients[1 + 2 * i], f"d loss / d {name} kernel")
        writer.array(f"fanout_{name}_dbias", gradients[2 + 2 * i], f"d loss / d {name} bias")


# ---------------------------------------------------------------------------


def generate_header():
    writer = HeaderWriter()
    writer.lines.append("#pragma once")
    writer.blank()
    writer.comment(
        "Reference values for the sinapse tests.\n"
        "Generated by tests/reference/generate_reference.py, so do not edit by hand.\n"
        "Rerun the generator instead, as tests/reference/README.md describes.\n"
        f"Generated with torch {torch.__version__} and numpy {np.__version__}.\n"
        "Values are float64 unless a name ends in _f32.\n"
        "Each array NAME comes with NAME_rows and NAME_cols and is stored row-major.\n"
        "Samples are rows. Vectors (biases, gamma, beta, per-feature statistics) are n x 1.\n"
        "Values are printed with %.17g, so each parses back to the exact double. Integral values\n"
        "get a trailing .0 so that -0.0 keeps its sign."
    )
    writer.blank()
    writer.lines.append("namespace sinapse_reference {")
    writer.string("generator_torch_version", torch.__version__, "torch version of the generator")
    writer.string("generator_numpy_version", np.__version__, "numpy version of the generator")
    write_dense_cases(writer)
    write_batch_norm_gradient_case(writer)
    write_batch_norm_moving_statistics_case(writer)
    write_bce_probability_table(writer)
    write_bce_logits_table(writer)
    write_bce_batch_case(writer)
    write_adam_case(writer)
    write_fanout_case(writer)
    writer.blank()
    writer.lines.append("}  // namespace sinapse_reference")
    return writer.text()


def main(arguments):
    if len(arguments) > 1:
        sys.exit("usage: generate_reference.py [OUTPUT]")
    header = generate_header()
    if arguments:
        with open(arguments[0], "w", encoding="ascii", newline="\n") as output:
            output.write(header)
    else:
        sys.stdout.write(header)


if __name__ == "__main__":
    main(sys.argv[1:])
