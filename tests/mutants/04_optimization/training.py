"""Plausible student mistakes in source/04_optimization/training.ipynb.

Each mutant replaces text (``old``, exactly once) in one solution cell; every one must make
at least one graded test cell fail (tests/mutants/test_mutants.py, docs/mutants.md). Names
start with ``tr_`` (unique across the assignment's two notebooks).
"""

from authoring.mutants import Mutant

MUTANTS = [
    # ---------------------------------------------------------------- bring_layers
    Mutant("bring_layers", "tr_linear_no_bias", "bias forgotten in linear_forward",
           "Z = W @ A_prev + b\n", "Z = W @ A_prev\n"),
    Mutant("bring_layers", "tr_linear_bias_row", "bias added along the rows (b.T)",
           "Z = W @ A_prev + b\n", "Z = W @ A_prev + b.T\n"),
    Mutant("bring_layers", "tr_linear_dw_over_m", "dW and db divided by m again",
           "return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True)",
           "m = dZ.shape[1]\n    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m"),
    Mutant("bring_layers", "tr_linear_db_mean", "db averaged instead of summed",
           "np.sum(dZ, axis=1, keepdims=True)", "np.mean(dZ, axis=1, keepdims=True)"),
    Mutant("bring_layers", "tr_relu_backward_da", "ReLU's derivative taken at dA",
           "return dA * (Z > 0)", "return dA * (dA > 0)"),
    Mutant("bring_layers", "tr_relu_backward_output", "multiplies by the ReLU output instead of its derivative",
           "return dA * (Z > 0)", "return dA * np.maximum(Z, 0)"),
    Mutant("bring_layers", "tr_tanh_backward_square", "tanh's local gradient (1 - A)**2",
           "return dA * (1 - A ** 2)", "return dA * (1 - A) ** 2"),
    Mutant("bring_layers", "tr_tanh_backward_z", "tanh's local gradient written with Z instead of A",
           "return dA * (1 - A ** 2)", "return dA * (1 - np.arctanh(A) ** 2)"),
    Mutant("bring_layers", "tr_tanh_backward_no_da", "tanh's local gradient without the upstream dA",
           "return dA * (1 - A ** 2)", "return 1 - A ** 2"),
    # ---------------------------------------------------------------- bring_softmax
    Mutant("bring_softmax", "tr_softmax_no_max", "softmax without subtracting the maximum (overflow)",
           "E = np.exp(Z - np.max(Z, axis=0, keepdims=True))", "E = np.exp(Z)"),
    Mutant("bring_softmax", "tr_softmax_axis1", "softmax over the rows",
           "E = np.exp(Z - np.max(Z, axis=0, keepdims=True))\n    return E / np.sum(E, axis=0, keepdims=True)",
           "E = np.exp(Z - np.max(Z, axis=1, keepdims=True))\n    return E / np.sum(E, axis=1, keepdims=True)"),
    Mutant("bring_softmax", "tr_cost_no_m", "cost not divided by m",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))) / Y.shape[1])",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))))"),
    Mutant("bring_softmax", "tr_cost_mean", "np.mean over the whole array",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))) / Y.shape[1])",
           "return float(-np.mean(Y * np.log(np.clip(A, EPS, 1.0))))"),
    Mutant("bring_softmax", "tr_cost_no_clip", "log of 0 not clipped",
           "np.log(np.clip(A, EPS, 1.0))", "np.log(A)"),
    Mutant("bring_softmax", "tr_grad_sign", "softmax gradient (Y - A) / m",
           "return (A - Y) / Y.shape[1]", "return (Y - A) / Y.shape[1]"),
    Mutant("bring_softmax", "tr_grad_no_m", "softmax gradient not divided by m",
           "return (A - Y) / Y.shape[1]", "return A - Y"),
    Mutant("bring_softmax", "tr_one_hot_transposed", "one-hot (m, n_c), one example per row",
           "Y = np.zeros((n_c, len(y)))\n    Y[y, np.arange(len(y))] = 1.0", "Y = np.zeros((len(y), n_c))\n    Y[np.arange(len(y)), y] = 1.0"),
    Mutant("bring_softmax", "tr_one_hot_max_label", "one-hot with max(y) + 1 rows",
           "Y = np.zeros((n_c, len(y)))", "Y = np.zeros((int(np.max(y)) + 1, len(y)))"),
    Mutant("bring_softmax", "tr_one_hot_off_by_one", "label k put in row k - 1",
           "Y[y, np.arange(len(y))] = 1.0", "Y[y - 1, np.arange(len(y))] = 1.0"),
    # ---------------------------------------------------------------- bring_adam
    Mutant("bring_adam", "tr_adam_t_after", "bias correction with the old t (t = 0 at the first step)",
           't = config.get("t", 0) + 1\n    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw\n'
           '    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw\n'
           '    m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)\n',
           't = config.get("t", 0)\n    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw\n'
           '    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw\n'
           '    m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)\n    t = t + 1\n'),
    Mutant("bring_adam", "tr_adam_no_bias_correction", "no bias correction",
           "m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)", "m_hat = m\n    v_hat = v"),
    Mutant("bring_adam", "tr_adam_eps_inside", "epsilon inside the square root",
           'np.sqrt(v_hat) + config["epsilon"]', 'np.sqrt(v_hat + config["epsilon"])'),
    Mutant("bring_adam", "tr_adam_notes_one_plus", "the notes' (1 + beta1) * dw",
           '(1 - b1) * dw', '(1 + b1) * dw'),
    Mutant("bring_adam", "tr_adam_state_not_saved", "the moments not stored back in config",
           'config["m"], config["v"], config["t"] = m, v, t', 'config["t"] = t'),
    Mutant("bring_adam", "tr_adam_m_not_saved", "the first moment not stored back in config",
           'config["m"], config["v"], config["t"] = m, v, t', 'config["v"], config["t"] = v, t'),
    Mutant("bring_adam", "tr_adam_v_not_saved", "the second moment not stored back in config",
           'config["m"], config["v"], config["t"] = m, v, t', 'config["m"], config["t"] = m, t'),
    # ---------------------------------------------------------------- initialize
    Mutant("initialize", "tr_init_notes_he", "the notes' He: 2 / sqrt(fan_in)",
           '"he": np.sqrt(2.0 / n_prev)', '"he": 2.0 / np.sqrt(n_prev)'),
    Mutant("initialize", "tr_init_xavier_fan_out", "Xavier and He scaled by the layer's own size",
           '"xavier": np.sqrt(1.0 / n_prev), "he": np.sqrt(2.0 / n_prev)',
           '"xavier": np.sqrt(1.0 / n_l), "he": np.sqrt(2.0 / n_l)'),
    Mutant("initialize", "tr_init_transposed", "the notes' randn(fan_in, fan_out) shape",
           "rng.standard_normal((n_l, n_prev))", "rng.standard_normal((n_prev, n_l))"),
    Mutant("initialize", "tr_init_rng_per_layer", "a new generator in every layer",
           'parameters[f"W{l}"] = rng.standard_normal',
           'rng = np.random.default_rng(seed)\n        parameters[f"W{l}"] = rng.standard_normal'),
    Mutant("initialize", "tr_init_he_as_xavier", "He with Xavier's factor",
           '"he": np.sqrt(2.0 / n_prev)', '"he": np.sqrt(1.0 / n_prev)'),
    Mutant("initialize", "tr_init_small_01", "small scheme 0.1 instead of 0.01",
           '"small": 0.01', '"small": 0.1'),
    # ---------------------------------------------------------------- batchnorm_forward
    Mutant("batchnorm_forward", "tr_bn_ddof1", "unbiased variance (ddof=1)",
           "var = np.var(x, axis=1, keepdims=True)", "var = np.var(x, axis=1, keepdims=True, ddof=1)"),
    Mutant("batchnorm_forward", "tr_bn_axis0", "normalizes over the features instead of the examples",
           "mu = np.mean(x, axis=1, keepdims=True)\n        var = np.var(x, axis=1, keepdims=True)",
           "mu = np.mean(x, axis=0, keepdims=True)\n        var = np.var(x, axis=0, keepdims=True)"),
    Mutant("batchnorm_forward", "tr_bn_eps_outside", "epsilon outside the square root",
           "x_hat = (x - mu) / np.sqrt(var + eps)", "x_hat = (x - mu) / (np.sqrt(var) + eps)"),
    Mutant("batchnorm_forward", "tr_bn_momentum_swapped", "momentum weights the batch",
           'bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu\n        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var',
           'bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * mu\n        bn_param["running_var"] = (1 - momentum) * running_var + momentum * var'),
    Mutant("batchnorm_forward", "tr_bn_test_updates_running", "running statistics updated at test time too",
           "    else:\n        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
           "    else:\n        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta\n"
           "        bn_param[\"running_mean\"] = momentum * running_mean + (1 - momentum) * np.mean(x, axis=1, keepdims=True)\n"
           "        bn_param[\"running_var\"] = momentum * running_var + (1 - momentum) * np.var(x, axis=1, keepdims=True)"),
    Mutant("batchnorm_forward", "tr_bn_test_batch_stats", "test mode normalizes with the batch's statistics",
           "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
           "out = gamma * (x - np.mean(x, axis=1, keepdims=True)) / np.sqrt(np.var(x, axis=1, keepdims=True) + eps) + beta"),
    Mutant("batchnorm_forward", "tr_bn_running_not_stored", "running averages computed but not stored in bn_param",
           'bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu\n        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var',
           'running_mean = momentum * running_mean + (1 - momentum) * mu\n        running_var = momentum * running_var + (1 - momentum) * var'),
    Mutant("batchnorm_forward", "tr_bn_running_std", "running average of the standard deviation",
           "(1 - momentum) * var\n", "(1 - momentum) * np.sqrt(var)\n"),
    Mutant("batchnorm_forward", "tr_bn_no_sqrt", "divides by the variance",
           "x_hat = (x - mu) / np.sqrt(var + eps)", "x_hat = (x - mu) / (var + eps)"),
    # ---------------------------------------------------------------- batchnorm_backward
    Mutant("batchnorm_backward", "tr_bnb_constant_stats", "mean and variance treated as constants",
           "dx = (m * dx_hat - np.sum(dx_hat, axis=1, keepdims=True)\n          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (m * std)",
           "dx = dx_hat / std"),
    Mutant("batchnorm_backward", "tr_bnb_mean_only", "the variance's path forgotten",
           "\n          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (m * std)", ") / (m * std)"),
    Mutant("batchnorm_backward", "tr_bnb_no_gamma", "dx_hat = dout (gamma forgotten)",
           "dx_hat = dout * gamma", "dx_hat = dout"),
    Mutant("batchnorm_backward", "tr_bnb_dgamma_x", "dgamma from x instead of x_hat",
           "dgamma = np.sum(dout * x_hat, axis=1, keepdims=True)",
           "dgamma = np.sum(dout * x, axis=1, keepdims=True)"),
    Mutant("batchnorm_backward", "tr_bnb_dbeta_mean", "dbeta averaged",
           "dbeta = np.sum(dout, axis=1, keepdims=True)", "dbeta = np.mean(dout, axis=1, keepdims=True)"),
    Mutant("batchnorm_backward", "tr_bnb_axis0", "dgamma and dbeta summed over the features",
           "dbeta = np.sum(dout, axis=1, keepdims=True)\n    dgamma = np.sum(dout * x_hat, axis=1, keepdims=True)",
           "dbeta = np.sum(dout, axis=0, keepdims=True)\n    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)"),
    Mutant("batchnorm_backward", "tr_bnb_m_minus_one", "m - 1 in the formula",
           "/ (m * std)", "/ ((m - 1) * std)"),
]

MUTANTS += [
    # ---------------------------------------------------------------- regularization
    Mutant("regularization", "tr_reg_l2_no_two", "L2 gradient without the factor 2",
           "2 * l2 * value", "l2 * value"),
    Mutant("regularization", "tr_reg_l1_abs_grad", "L1 gradient |w| instead of sign(w)",
           "l1 * np.sign(value)", "l1 * np.abs(value)"),
    Mutant("regularization", "tr_reg_biases", "biases (and gamma, beta) penalized too",
           '        if name.startswith("W"):\n', '        if True:\n'),
    Mutant("regularization", "tr_reg_l1_squared", "L1 term squared",
           "l1 * np.sum(np.abs(value))", "l1 * np.sum(np.abs(value)) ** 2"),
    Mutant("regularization", "tr_reg_l2_sqrt", "L2 term as the norm instead of its square",
           "l2 * np.sum(value ** 2)", "l2 * np.sqrt(np.sum(value ** 2))"),
    # ---------------------------------------------------------------- dropout
    Mutant("dropout", "tr_drop_no_rescale", "inverted dropout that forgets / keep_prob",
           "out = x * mask / keep_prob", "out = x * mask"),
    Mutant("dropout", "tr_drop_drop_prob", "keep_prob read as the probability of dropping",
           "mask = rng.random(x.shape) < keep_prob", "mask = rng.random(x.shape) < 1 - keep_prob"),
    Mutant("dropout", "tr_drop_global_rng", "mask from NumPy's global generator",
           "mask = rng.random(x.shape) < keep_prob", "mask = np.random.rand(*x.shape) < keep_prob"),
    Mutant("dropout", "tr_drop_test_scaled", "vanilla test-time scaling in inverted dropout",
           "        mask = None\n        out = x\n", "        mask = None\n        out = x * keep_prob\n"),
    Mutant("dropout", "tr_drop_new_mask_backward", "backward draws a new mask instead of reusing the forward one",
           "    return dout * mask / keep_prob", "    return dout * (np.random.rand(*dout.shape) < keep_prob) / keep_prob"),
    Mutant("dropout", "tr_drop_backward_no_rescale", "backward forgets / keep_prob",
           "    return dout * mask / keep_prob", "    return dout * mask"),
    Mutant("dropout", "tr_drop_test_mode_drops", "dropout also at test time",
           '    if mode == "train":\n        mask = rng.random(x.shape) < keep_prob',
           '    if True:\n        mask = rng.random(x.shape) < keep_prob'),
    # ---------------------------------------------------------------- network
    Mutant("network", "tr_net_bn_after_relu", "batch norm after the ReLU",
           '        bn_cache = None\n        if bn_params is not None:\n            bn_params[l - 1]["mode"] = mode\n'
           '            Z, bn_cache = batchnorm_forward(Z, parameters[f"gamma{l}"], parameters[f"beta{l}"], bn_params[l - 1])\n'
           '        A, relu_cache = relu_forward(Z)\n',
           '        A, relu_cache = relu_forward(Z)\n        bn_cache = None\n        if bn_params is not None:\n'
           '            bn_params[l - 1]["mode"] = mode\n'
           '            A, bn_cache = batchnorm_forward(A, parameters[f"gamma{l}"], parameters[f"beta{l}"], bn_params[l - 1])\n'),
    Mutant("network", "tr_net_backward_skips_dropout", "the backward pass ignores dropout",
           "            dA = dropout_backward(dA, dropout_cache)\n", "            pass\n"),
    Mutant("network", "tr_net_bn_mode_not_set", "bn_params' mode never set (train mode at test time)",
           '            bn_params[l - 1]["mode"] = mode\n', '            bn_params[l - 1]["mode"] = "train"\n'),
    Mutant("network", "tr_net_dropout_always_train", "dropout in train mode at test time",
           "A, dropout_cache = dropout_forward(A, keep_prob, mode, rng)",
           'A, dropout_cache = dropout_forward(A, keep_prob, "train", rng)'),
    Mutant("network", "tr_net_relu_on_last", "ReLU before the softmax",
           "    AL = softmax(Z)", "    AL = softmax(np.maximum(Z, 0))"),
    Mutant("network", "tr_net_bn_backward_skipped", "the backward pass skips batch norm",
           "            dZ, grads[f\"dgamma{l}\"], grads[f\"dbeta{l}\"] = batchnorm_backward(dZ, bn_cache)",
           "            _, grads[f\"dgamma{l}\"], grads[f\"dbeta{l}\"] = batchnorm_backward(dZ, bn_cache)"),
]

MUTANTS += [
    # ---------------------------------------------------------------- lr_range_pick
    Mutant("lr_range_pick", "tr_pick_no_bias_correction", "EWA without bias correction",
           "smoothed.append(v / (1 - beta ** t))", "smoothed.append(v)"),
    Mutant("lr_range_pick", "tr_pick_raw_costs", "argmin of the raw costs",
           "return float(rates[int(np.argmin(smoothed))] / 10)", "return float(rates[int(np.argmin(costs[:n]))] / 10)"),
    Mutant("lr_range_pick", "tr_pick_no_divide", "the rate at the minimum itself",
           "return float(rates[int(np.argmin(smoothed))] / 10)", "return float(rates[int(np.argmin(smoothed))])"),
    Mutant("lr_range_pick", "tr_pick_nan_kept", "non-finite costs not cut off",
           "n = len(costs) if finite.all() else int(np.argmin(finite))", "n = len(costs)"),
    Mutant("lr_range_pick", "tr_pick_beta_swapped", "weights of the average swapped",
           "v = beta * v + (1 - beta) * costs[t - 1]", "v = (1 - beta) * v + beta * costs[t - 1]"),
    # ---------------------------------------------------------------- log_uniform
    Mutant("log_uniform", "tr_logu_linear", "uniform on a linear scale",
           "return 10 ** rng.uniform(np.log10(low), np.log10(high), size)", "return rng.uniform(low, high, size)"),
    Mutant("log_uniform", "tr_logu_exponents", "low and high used as exponents",
           "return 10 ** rng.uniform(np.log10(low), np.log10(high), size)", "return 10 ** rng.uniform(low, high, size)"),
    Mutant("log_uniform", "tr_logu_global_rng", "NumPy's global generator",
           "return 10 ** rng.uniform(np.log10(low), np.log10(high), size)",
           "return 10 ** np.random.uniform(np.log10(low), np.log10(high), size)"),
    # ---------------------------------------------------------------- ensemble_predict
    Mutant("ensemble_predict", "tr_ens_vote", "majority vote of the labels",
           "return np.argmax(np.mean(probabilities, axis=0), axis=0)",
           "labels = np.array([np.argmax(p, axis=0) for p in probabilities])\n"
           "    return np.array([np.bincount(column, minlength=probabilities[0].shape[0]).argmax() for column in labels.T])"),
    Mutant("ensemble_predict", "tr_ens_axis", "argmax over the examples",
           "return np.argmax(np.mean(probabilities, axis=0), axis=0)", "return np.argmax(np.mean(probabilities, axis=0), axis=1)"),
    Mutant("ensemble_predict", "tr_ens_probabilities", "returns the averaged probabilities",
           "return np.argmax(np.mean(probabilities, axis=0), axis=0)", "return np.mean(probabilities, axis=0)"),
    Mutant("ensemble_predict", "tr_ens_first_model", "only the first model",
           "return np.argmax(np.mean(probabilities, axis=0), axis=0)", "return np.argmax(probabilities[0], axis=0)"),
]

MUTANTS += [
    # ---------------------------------------------------------------- train_mnist
    Mutant("train_mnist", "tr_mnist_train_accuracy", "reports the training accuracy",
           "mnist_test_accuracy = accuracy(X_test, y_test, mnist_params, mnist_bn)",
           "mnist_test_accuracy = accuracy(X_train, y_train, mnist_params, mnist_bn)"),
    Mutant("train_mnist", "tr_mnist_val_accuracy", "reports the validation accuracy",
           "mnist_test_accuracy = accuracy(X_test, y_test, mnist_params, mnist_bn)",
           "mnist_test_accuracy = accuracy(X_val, y_val, mnist_params, mnist_bn)"),
    Mutant("train_mnist", "tr_mnist_trained_on_test", "trains on the test set",
           "train(X_train, y_train, mnist_layer_dims", "train(X_test, y_test, mnist_layer_dims"),
    Mutant("train_mnist", "tr_mnist_no_batch_norm", "no batch norm",
           '"batch_norm": True', '"batch_norm": False'),
    Mutant("train_mnist", "tr_mnist_no_dropout", "no dropout",
           '"keep_prob": 0.9', '"keep_prob": 1.0'),
    Mutant("train_mnist", "tr_mnist_sgd", "plain SGD instead of Adam",
           '"optimizer": "adam"', '"optimizer": "sgd"'),
    Mutant("train_mnist", "tr_mnist_one_epoch", "one epoch only",
           "mnist_epochs = 12", "mnist_epochs = 1"),
]

WRONG_STUDENTS = {
    "wrong_tr_dropout_no_rescale": ["tr_drop_no_rescale"],
    "wrong_tr_bn_test_updates_and_l2": ["tr_bn_test_updates_running", "tr_reg_l2_no_two"],
}

MUTANTS += [
    Mutant("train_mnist", "tr_mnist_no_schedule", "no learning-rate schedule",
           ',\n                 "schedule": lambda epoch: 0.5 * (1 + np.cos(np.pi * epoch / 12))}', '}'),
    Mutant("train_mnist", "tr_mnist_trained_on_val", "trains on the validation set",
           "train(X_train, y_train, mnist_layer_dims", "train(X_val, y_val, mnist_layer_dims"),
]
