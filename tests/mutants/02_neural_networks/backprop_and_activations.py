"""Plausible student mistakes in source/02_neural_networks/backprop_and_activations.ipynb;
each one must lose points.

Each mutant replaces text (``old``, exactly once) in one solution cell (grade_id = the
backward function of a forward/backward pair, or the function's name).
tests/mutants/02_neural_networks.py gathers this list with the other notebook's.
"""

from authoring.mutants import Mutant

NUMGRAD_LOOP = """\
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)"""

MUTANTS = [
    # ---------------------------------------------------------------- add gate
    Mutant("add_backward", "add_splits_gradient", "splits the upstream gradient in two",
           "dx = dout\n    dy = dout\n", "dx = dout / 2\n    dy = dout / 2\n"),
    Mutant("add_backward", "add_negates_dy", "dy = -dout (subtract's rule)",
           "dy = dout\n", "dy = -dout\n"),
    Mutant("add_backward", "add_forward_multiplies", "forward multiplies",
           "    out = x + y\n", "    out = x * y\n"),
    Mutant("add_backward", "add_dy_ones", "dy = 1 (local gradient without the upstream one)",
           "dy = dout\n", "dy = np.ones_like(dout)\n"),
    # ---------------------------------------------------------------- subtract gate
    Mutant("subtract_backward", "sub_no_minus", "dy = +dout",
           "dy = -dout", "dy = dout"),
    Mutant("subtract_backward", "sub_swapped_signs", "dx = -dout, dy = dout",
           "dx = dout\n    dy = -dout", "dx = -dout\n    dy = dout"),
    Mutant("subtract_backward", "sub_forward_reversed", "forward computes y - x",
           "    out = x - y\n", "    out = y - x\n"),
    # ---------------------------------------------------------------- multiply gate
    Mutant("mul_backward", "mul_swapped", "dx = dout * x, dy = dout * y",
           "dx = dout * y\n    dy = dout * x", "dx = dout * x\n    dy = dout * y"),
    Mutant("mul_backward", "mul_no_upstream", "local gradients only (forgets dout)",
           "dx = dout * y\n    dy = dout * x", "dx = y\n    dy = x"),
    Mutant("mul_backward", "mul_dx_wrong", "only dx uses its own input",
           "dx = dout * y", "dx = dout * x"),
    Mutant("mul_backward", "mul_forward_add", "forward adds",
           "    out = x * y\n", "    out = x + y\n"),
    # ---------------------------------------------------------------- max gate
    Mutant("max_backward", "max_both", "passes the gradient to both inputs",
           "dx = dout * (x >= y)\n    dy = dout * (x < y)", "dx = dout\n    dy = dout"),
    Mutant("max_backward", "max_to_smaller", "routes the gradient to the smaller input",
           "dx = dout * (x >= y)\n    dy = dout * (x < y)",
           "dx = dout * (x < y)\n    dy = dout * (x >= y)"),
    Mutant("max_backward", "max_tie_both", "a tie sends the gradient to both inputs",
           "dy = dout * (x < y)", "dy = dout * (x <= y)"),
    Mutant("max_backward", "max_forward_minimum", "forward takes the minimum",
           "out = np.maximum(x, y)", "out = np.minimum(x, y)"),
    # ---------------------------------------------------------------- branch gate
    Mutant("branch_backward", "branch_overwrite", "keeps the last gradient only",
           "dx = dout1 + dout2", "dx = dout2"),
    Mutant("branch_backward", "branch_average", "averages the gradients",
           "dx = dout1 + dout2", "dx = (dout1 + dout2) / 2"),
    Mutant("branch_backward", "branch_product", "multiplies the gradients",
           "dx = dout1 + dout2", "dx = dout1 * dout2"),
    # ---------------------------------------------------------------- sigmoid gate
    Mutant("sigmoid_backward", "sigmoid_no_upstream", "forgets the upstream gradient",
           "dz = da * a * (1 - a)", "dz = a * (1 - a)"),
    Mutant("sigmoid_backward", "sigmoid_tanh_derivative", "1 - a**2",
           "dz = da * a * (1 - a)", "dz = da * (1 - a ** 2)"),
    Mutant("sigmoid_backward", "sigmoid_cache_z", "caches z, so the derivative uses z",
           "    cache = a\n", "    cache = z\n"),
    # ---------------------------------------------------------------- tanh gate
    Mutant("tanh_backward", "tanh_square_of_difference", "(1 - a)**2",
           "dz = da * (1 - a ** 2)", "dz = da * (1 - a) ** 2"),
    Mutant("tanh_backward", "tanh_no_upstream", "forgets the upstream gradient",
           "dz = da * (1 - a ** 2)", "dz = 1 - a ** 2"),
    Mutant("tanh_backward", "tanh_cache_z", "caches z, so the derivative is 1 - z**2",
           "    cache = a\n", "    cache = z\n"),
    Mutant("tanh_backward", "tanh_sigmoid_derivative", "a * (1 - a)",
           "dz = da * (1 - a ** 2)", "dz = da * a * (1 - a)"),
    # ---------------------------------------------------------------- staged expression
    Mutant("staged_expression", "staged_no_branch_sum", "dx only along the product path",
           "dx = branch_backward(dx1, dx2)", "dx = dx1"),
    Mutant("staged_expression", "staged_only_sigmoid_path", "dx only along the sigmoid path",
           "dx = branch_backward(dx1, dx2)", "dx = dx2"),
    Mutant("staged_expression", "staged_max_swapped", "dz and dw swapped",
           "dz, dw = max_backward(dq, cache_q)", "dw, dz = max_backward(dq, cache_q)"),
    Mutant("staged_expression", "staged_upstream_f", "starts the backward pass with df = f instead of 1",
           "ds, dg = mul_backward(1.0, cache_f)", "ds, dg = mul_backward(f, cache_f)"),
    # ---------------------------------------------------------------- numerical_gradient
    Mutant("numerical_gradient", "numgrad_one_sided", "one-sided difference",
           NUMGRAD_LOOP,
           "        old = x[i]\n        f_0 = f(x)\n        x[i] = old + h\n        f_plus = f(x)\n"
           "        x[i] = old\n        grad[i] = (f_plus - f_0) / h"),
    Mutant("numerical_gradient", "numgrad_no_restore", "does not put the entry back",
           "        x[i] = old\n", ""),
    Mutant("numerical_gradient", "numgrad_divide_by_h", "divides by h instead of 2h",
           "(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h"),
    Mutant("numerical_gradient", "numgrad_fixed_h", "ignores the argument h",
           "    x = np.array(x, dtype=float)\n", "    x = np.array(x, dtype=float)\n    h = 1e-5\n"),
    Mutant("numerical_gradient", "numgrad_perturb_all", "perturbs every entry at once",
           NUMGRAD_LOOP,
           "        grad[i] = (f(x + h) - f(x - h)) / (2 * h)"),
    Mutant("numerical_gradient", "numgrad_int_copy", "copies without converting to float (ints truncate x + h)",
           "x = np.array(x, dtype=float)", "x = np.array(x)"),
    # ---------------------------------------------------------------- relative_error
    Mutant("relative_error", "relerr_mean", "mean instead of max",
           "float(np.max(", "float(np.mean("),
    Mutant("relative_error", "relerr_no_abs", "no absolute value of the difference",
           "np.abs(a - b)", "(a - b)"),
    Mutant("relative_error", "relerr_max_denominator", "denominator max(|a|, |b|)",
           "np.abs(a) + np.abs(b)", "np.maximum(np.abs(a), np.abs(b))"),
    Mutant("relative_error", "relerr_abs_of_sum", "denominator |a + b|",
           "np.abs(a) + np.abs(b)", "np.abs(a + b)"),
    Mutant("relative_error", "relerr_no_guard", "no 1e-8 guard: 0/0 = nan with a warning",
           "np.maximum(1e-8, np.abs(a) + np.abs(b))", "(np.abs(a) + np.abs(b))"),
    # ---------------------------------------------------------------- relu
    Mutant("relu_backward", "relu_np_max", "np.max(Z, 0): a reduction along axis 0",
           "A = np.maximum(Z, 0)", "A = np.max(Z, 0)"),
    Mutant("relu_backward", "relu_of_gradient", "applies ReLU to the gradient",
           "dZ = dA * (Z > 0)", "dZ = np.maximum(dA, 0)"),
    Mutant("relu_backward", "relu_inverted_mask", "passes the gradient where Z < 0",
           "dZ = dA * (Z > 0)", "dZ = dA * (Z < 0)"),
    Mutant("relu_backward", "relu_no_upstream", "returns the mask",
           "dZ = dA * (Z > 0)", "dZ = (Z > 0) * 1.0"),
    # ---------------------------------------------------------------- leaky relu
    Mutant("leaky_relu_backward", "leaky_slope_01", "slope 0.1 (the lecture slide)",
           "A = np.where(Z > 0, Z, 0.01 * Z)", "A = np.where(Z > 0, Z, 0.1 * Z)"),
    Mutant("leaky_relu_backward", "leaky_relu_derivative", "derivative 0 for Z < 0",
           "np.where(Z > 0, 1.0, 0.01)", "np.where(Z > 0, 1.0, 0.0)"),
    Mutant("leaky_relu_backward", "leaky_value_as_derivative", "0.01 * Z as the derivative",
           "np.where(Z > 0, 1.0, 0.01)", "np.where(Z > 0, 1.0, 0.01 * Z)"),
    Mutant("leaky_relu_backward", "leaky_backward_slope_01", "backward slope 0.1",
           "np.where(Z > 0, 1.0, 0.01)", "np.where(Z > 0, 1.0, 0.1)"),
    # ---------------------------------------------------------------- prelu
    Mutant("prelu_backward", "prelu_dalpha_not_summed", "dalpha as an array",
           "dalpha = float(np.sum(dA * np.where(Z > 0, 0.0, Z)))",
           "dalpha = dA * np.where(Z > 0, 0.0, Z)"),
    Mutant("prelu_backward", "prelu_dalpha_all_elements", "dalpha summed over every element",
           "dalpha = float(np.sum(dA * np.where(Z > 0, 0.0, Z)))", "dalpha = float(np.sum(dA * Z))"),
    Mutant("prelu_backward", "prelu_dalpha_mean", "dalpha averaged",
           "dalpha = float(np.sum(", "dalpha = float(np.mean("),
    Mutant("prelu_backward", "prelu_fixed_slope", "dZ with the leaky slope 0.01",
           "dZ = dA * np.where(Z > 0, 1.0, alpha)", "dZ = dA * np.where(Z > 0, 1.0, 0.01)"),
    # ---------------------------------------------------------------- elu
    Mutant("elu_backward", "elu_notes_swapped", "the notes' ELU: branches swapped",
           "A = np.where(Z > 0, Z, alpha * np.expm1(np.minimum(Z, 0)))",
           "A = np.where(Z <= 0, Z, alpha * (np.exp(Z) - 1))"),
    Mutant("elu_backward", "elu_naive_exp", "np.exp(Z) in both branches: overflow warning at Z = 1000",
           "alpha * np.expm1(np.minimum(Z, 0))", "alpha * (np.exp(Z) - 1)"),
    Mutant("elu_backward", "elu_derivative_no_alpha", "derivative exp(Z) without alpha",
           "alpha * np.exp(np.minimum(Z, 0))", "np.exp(np.minimum(Z, 0))"),
    Mutant("elu_backward", "elu_backward_overflow", "derivative np.exp(Z): overflow warning",
           "alpha * np.exp(np.minimum(Z, 0))", "alpha * np.exp(Z)"),
    # ---------------------------------------------------------------- selu
    Mutant("selu_backward", "selu_notes_swapped", "the notes' SELU: branches swapped",
           "np.where(Z > 0, Z, SELU_ALPHA * np.expm1(np.minimum(Z, 0)))",
           "np.where(Z <= 0, Z, SELU_ALPHA * np.expm1(Z))"),
    Mutant("selu_backward", "selu_backward_no_lambda", "derivative without lambda",
           "dZ = dA * SELU_LAMBDA * np.where", "dZ = dA * np.where"),
    Mutant("selu_backward", "selu_lambda_positive_only", "lambda on the positive branch only",
           "A = SELU_LAMBDA * np.where(Z > 0, Z, SELU_ALPHA",
           "A = np.where(Z > 0, SELU_LAMBDA * Z, SELU_ALPHA"),
    Mutant("selu_backward", "selu_backward_no_alpha", "derivative without alpha",
           "1.0, SELU_ALPHA * np.exp(np.minimum(Z, 0))", "1.0, np.exp(np.minimum(Z, 0))"),
    # ---------------------------------------------------------------- maxout
    Mutant("maxout_backward", "maxout_argmin", "routes to the smallest piece",
           "winner = np.argmax(Z, axis=0)", "winner = np.argmin(Z, axis=0)"),
    Mutant("maxout_backward", "maxout_broadcast", "every piece gets the gradient",
           "dZ = (np.arange(Z.shape[0]).reshape(-1, 1, 1) == winner) * dA",
           "dZ = np.ones_like(Z) * dA"),
    Mutant("maxout_backward", "maxout_wrong_axis", "max over the last axis",
           "A = np.max(Z, axis=0)", "A = np.max(Z, axis=-1)"),
    Mutant("maxout_backward", "maxout_mask_ties", "mask Z == max: ties get the gradient twice",
           "dZ = (np.arange(Z.shape[0]).reshape(-1, 1, 1) == winner) * dA",
           "dZ = (Z == Z.max(axis=0)) * dA"),
    # ---------------------------------------------------------------- count_dead_units
    Mutant("count_dead_units", "dead_wrong_axis", "rows and columns confused",
           "np.all(A == 0, axis=1)", "np.all(A == 0, axis=0)"),
    Mutant("count_dead_units", "dead_count_zeros", "counts zero entries",
           "return int(np.sum(np.all(A == 0, axis=1)))", "return int(np.sum(A == 0))"),
    Mutant("count_dead_units", "dead_any", "np.any instead of np.all",
           "np.all(A == 0, axis=1)", "np.any(A == 0, axis=1)"),
    Mutant("count_dead_units", "dead_fraction", "fraction of dead units",
           "return int(np.sum(np.all(A == 0, axis=1)))", "return float(np.mean(np.all(A == 0, axis=1)))"),
    # ---------------------------------------------------------------- relu_jacobian
    Mutant("relu_jacobian", "jacobian_identity", "identity matrix",
           "return np.diag((Z.ravel() > 0).astype(float))", "return np.eye(Z.size)"),
    Mutant("relu_jacobian", "jacobian_column_order", "flattens column by column",
           "(Z.ravel() > 0)", "(Z.ravel(order='F') > 0)"),
    Mutant("relu_jacobian", "jacobian_mask_only", "returns the (n, m) mask",
           "return np.diag((Z.ravel() > 0).astype(float))", "return (Z > 0).astype(float)"),
    Mutant("relu_jacobian", "jacobian_bool", "a boolean matrix",
           "return np.diag((Z.ravel() > 0).astype(float))", "return np.diag(Z.ravel() > 0)"),
]
