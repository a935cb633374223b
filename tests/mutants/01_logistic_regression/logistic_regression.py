"""Plausible student mistakes in assignment 1; each one must lose points.

Each mutant replaces text (``old``, exactly once) in one solution cell of
source/01_logistic_regression/logistic_regression.ipynb; every one must make at least one
graded test cell fail (tests/mutants/test_mutants.py, docs/mutants.md).
"""

from authoring.mutants import Mutant

SIGMOID = """\
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"""

COST = "return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)"

MUTANTS = [
    # ---------------------------------------------------------------- sigmoid
    Mutant("sigmoid", "sigmoid_naive_exp", "the textbook formula: overflows (warning) at z = -1000",
           SIGMOID, "    return 1.0 / (1.0 + np.exp(-z))"),
    Mutant("sigmoid", "sigmoid_where_both_branches",
           "np.where with both branches evaluated: overflow warnings despite the 'stable' form",
           SIGMOID, "    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"),
    Mutant("sigmoid", "sigmoid_sign", "exponent +z instead of -z",
           SIGMOID, "    with np.errstate(over='ignore'):\n        return 1.0 / (1.0 + np.exp(z))"),
    Mutant("sigmoid", "sigmoid_exp_ratio", "e^z / (1 + e^z): inf/inf = nan at z = 1000",
           SIGMOID, "    return np.exp(z) / (1.0 + np.exp(z))"),
    Mutant("sigmoid", "sigmoid_renamed", "renames the function: every check of it hits a NameError",
           "def sigmoid(z):", "def stable_sigmoid(z):"),
    Mutant("sigmoid", "sigmoid_math_exp", "math.exp on an array (TypeError)",
           SIGMOID, "    import math\n    return 1.0 / (1.0 + math.exp(-z))"),
    # ---------------------------------------------------------------- initialize_parameters
    Mutant("initialize_parameters", "init_w_1d", "w of shape (n_x,) instead of (n_x, 1)",
           "w = np.zeros((n_x, 1))", "w = np.zeros(n_x)"),
    Mutant("initialize_parameters", "init_w_row", "w as a row (1, n_x)",
           "w = np.zeros((n_x, 1))", "w = np.zeros((1, n_x))"),
    Mutant("initialize_parameters", "init_b_array", "b as a (1, 1) array",
           "b = 0.0", "b = np.zeros((1, 1))"),
    Mutant("initialize_parameters", "init_random", "small random weights instead of zeros",
           "w = np.zeros((n_x, 1))", "w = np.random.randn(n_x, 1) * 0.01"),
    # ---------------------------------------------------------------- hypothesis
    Mutant("hypothesis", "hypothesis_no_bias", "forgot + b",
           "return sigmoid(w.T @ X + b)", "return sigmoid(w.T @ X)"),
    Mutant("hypothesis", "hypothesis_transposed", "X^T w: (m, 1) instead of (1, m)",
           "return sigmoid(w.T @ X + b)", "return sigmoid(X.T @ w + b)"),
    Mutant("hypothesis", "hypothesis_minus_b", "subtracts b",
           "return sigmoid(w.T @ X + b)", "return sigmoid(w.T @ X - b)"),
    Mutant("hypothesis", "hypothesis_no_sigmoid", "returns z = w^T X + b (forgot the sigmoid)",
           "return sigmoid(w.T @ X + b)", "return w.T @ X + b"),
    Mutant("hypothesis", "hypothesis_1d", "element-wise sum: shape (m,)",
           "return sigmoid(w.T @ X + b)", "return sigmoid(np.sum(w * X, axis=0) + b)"),
    # ---------------------------------------------------------------- predict
    Mutant("predict", "predict_ge", ">= 0.5: a = 0.5 predicts 1",
           "> 0.5).astype(float)", ">= 0.5).astype(float)"),
    Mutant("predict", "predict_probabilities", "returns the probabilities",
           "return (hypothesis(w, b, X) > 0.5).astype(float)", "return hypothesis(w, b, X)"),
    Mutant("predict", "predict_threshold_z", "thresholds z at 0.5 instead of a",
           "return (hypothesis(w, b, X) > 0.5).astype(float)",
           "return ((w.T @ X + b) > 0.5).astype(float)"),
    Mutant("predict", "predict_inverted", "labels the wrong way round",
           "return (hypothesis(w, b, X) > 0.5).astype(float)",
           "return (hypothesis(w, b, X) <= 0.5).astype(float)"),
    Mutant("predict", "predict_bool", "returns a boolean array",
           "return (hypothesis(w, b, X) > 0.5).astype(float)", "return hypothesis(w, b, X) > 0.5"),
    # ---------------------------------------------------------------- compute_cost
    Mutant("compute_cost", "cost_notes_formula", "the notes' -(log a + log(1 - a))",
           COST, "return float(-np.sum(np.log(A) + np.log(1 - A)) / m)"),
    Mutant("compute_cost", "cost_no_divide_by_m", "sum instead of mean",
           COST, "return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))"),
    Mutant("compute_cost", "cost_no_minus", "forgot the minus sign",
           COST, "return float(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)"),
    Mutant("compute_cost", "cost_no_clip", "no clipping: log(0) warning and inf/nan",
           "    A = np.clip(A, EPS, 1 - EPS)\n", ""),
    Mutant("compute_cost", "cost_clip_below_only", "clips A away from 0 only: log(1 - 1) warns",
           "A = np.clip(A, EPS, 1 - EPS)", "A = np.clip(A, EPS, None)"),
    Mutant("compute_cost", "cost_select_terms_no_clip",
           "picks -log a or -log(1 - a) by the label and silences the log(0) warning instead of clipping",
           "    A = np.clip(A, EPS, 1 - EPS)\n    " + COST,
           '    with np.errstate(divide="ignore"):\n'
           "        return float(np.mean(np.where(Y == 1, -np.log(A), -np.log(1 - A))))"),
    Mutant("compute_cost", "cost_log10", "np.log10 instead of the natural log",
           COST, "return float(-np.sum(Y * np.log10(A) + (1 - Y) * np.log10(1 - A)) / m)"),
    Mutant("compute_cost", "cost_array", "returns a (1, 1) array (keepdims) instead of a float",
           COST, "return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), keepdims=True) / m"),
    # ---------------------------------------------------------------- compute_gradients
    Mutant("compute_gradients", "grads_dw_no_divide", "dw not divided by m",
           "dw = (X @ dZ.T) / m", "dw = X @ dZ.T"),
    Mutant("compute_gradients", "grads_no_divide", "neither gradient divided by m",
           "    dw = (X @ dZ.T) / m\n    db = float(np.sum(dZ) / m)",
           "    dw = X @ dZ.T\n    db = float(np.sum(dZ))"),
    Mutant("compute_gradients", "grads_db_no_divide", "db not divided by m",
           "db = float(np.sum(dZ) / m)", "db = float(np.sum(dZ))"),
    Mutant("compute_gradients", "grads_dw_1d", "sums X * dZ over the examples: dw of shape (n_x,)",
           "dw = (X @ dZ.T) / m", "dw = np.sum(X * dZ, axis=1) / m"),
    Mutant("compute_gradients", "grads_sign", "Y - A instead of A - Y",
           "dZ = A - Y", "dZ = Y - A"),
    Mutant("compute_gradients", "grads_db_not_summed", "db not summed over the batch",
           "db = float(np.sum(dZ) / m)", "db = dZ / m"),
    Mutant("compute_gradients", "grads_dw_transposed", "dZ X^T: dw of shape (1, n_x)",
           "dw = (X @ dZ.T) / m", "dw = (dZ @ X.T) / m"),
    Mutant("compute_gradients", "grads_db_keepdims", "db as a (1, 1) array",
           "db = float(np.sum(dZ) / m)", "db = np.sum(dZ, axis=1, keepdims=True) / m"),
    # ---------------------------------------------------------------- gradient_descent
    Mutant("gradient_descent", "gd_ascent", "adds the gradients (ascent)",
           "w = w - learning_rate * dw\n        b = b - learning_rate * db",
           "w = w + learning_rate * dw\n        b = b + learning_rate * db"),
    Mutant("gradient_descent", "gd_no_rate", "steps by the whole gradient (forgot the learning rate)",
           "w = w - learning_rate * dw\n        b = b - learning_rate * db",
           "w = w - dw\n        b = b - db"),
    Mutant("gradient_descent", "gd_hypothesis_once", "computes A once, before the loop",
           "    for i in range(num_iterations):\n        A = hypothesis(w, b, X)\n",
           "    A = hypothesis(w, b, X)\n    for i in range(num_iterations):\n"),
    Mutant("gradient_descent", "gd_cost_after_update", "records the cost after the update",
           "        costs[i] = compute_cost(A, Y)\n        dw, db = compute_gradients(X, A, Y)\n"
           "        w = w - learning_rate * dw\n        b = b - learning_rate * db\n",
           "        dw, db = compute_gradients(X, A, Y)\n        w = w - learning_rate * dw\n"
           "        b = b - learning_rate * db\n        costs[i] = compute_cost(hypothesis(w, b, X), Y)\n"),
    Mutant("gradient_descent", "gd_b_frozen", "never updates b",
           "        b = b - learning_rate * db\n", ""),
    Mutant("gradient_descent", "gd_in_place", "w -= ... modifies the caller's w",
           "w = w - learning_rate * dw", "w -= learning_rate * dw"),
    Mutant("gradient_descent", "gd_fixed_rate", "ignores learning_rate (hard-coded 0.01)",
           "w = w - learning_rate * dw\n        b = b - learning_rate * db",
           "w = w - 0.01 * dw\n        b = b - 0.01 * db"),
    Mutant("gradient_descent", "gd_costs_list", "returns the costs as a list",
           "costs = np.zeros(num_iterations)", "costs = [0.0] * num_iterations"),
    # ---------------------------------------------------------------- accuracy
    Mutant("accuracy", "accuracy_count", "number correct instead of the fraction",
           "return float(np.mean(Y_pred == Y))", "return float(np.sum(Y_pred == Y))"),
    Mutant("accuracy", "accuracy_percent", "a percentage",
           "return float(np.mean(Y_pred == Y))", "return float(100 * np.mean(Y_pred == Y))"),
    Mutant("accuracy", "accuracy_error_rate", "the error rate",
           "return float(np.mean(Y_pred == Y))", "return float(np.mean(Y_pred != Y))"),
    Mutant("accuracy", "accuracy_divide_by_rows", "divides by Y.shape[0] (= 1) instead of m",
           "return float(np.mean(Y_pred == Y))", "return float(np.sum(Y_pred == Y) / Y.shape[0])"),
    Mutant("accuracy", "accuracy_broadcast", "compares (1, m) with (m, 1): an (m, m) table",
           "return float(np.mean(Y_pred == Y))", "return float(np.mean(Y_pred == Y.T))"),
    # ---------------------------------------------------------------- train_cancer
    Mutant("train_cancer", "cancer_train_accuracy", "reports the training accuracy",
           "cancer_test_accuracy = accuracy(predict(w_cancer, b_cancer, cancer.X_test), cancer.Y_test)",
           "cancer_test_accuracy = accuracy(predict(w_cancer, b_cancer, cancer.X_train), cancer.Y_train)"),
    Mutant("train_cancer", "cancer_untrained", "predicts with the initial parameters",
           "cancer_test_accuracy = accuracy(predict(w_cancer, b_cancer, cancer.X_test), cancer.Y_test)",
           "cancer_test_accuracy = accuracy(predict(w, b, cancer.X_test), cancer.Y_test)"),
    Mutant("train_cancer", "cancer_too_few_steps", "a tiny rate and a few iterations",
           "cancer_learning_rate, cancer_iterations = 0.5, 1000",
           "cancer_learning_rate, cancer_iterations = 1e-4, 5"),
    Mutant("train_cancer", "cancer_trained_on_test", "trains on the test set (test accuracy 1.0)",
           "gradient_descent(w, b, cancer.X_train, cancer.Y_train,",
           "gradient_descent(w, b, cancer.X_test, cancer.Y_test,"),
    # ---------------------------------------------------------------- train_digits
    Mutant("train_digits", "digits_train_accuracy", "reports the training accuracy",
           "digits_test_accuracy = accuracy(predict(w_digits, b_digits, digits.X_test), digits.Y_test)",
           "digits_test_accuracy = accuracy(predict(w_digits, b_digits, digits.X_train), digits.Y_train)"),
    Mutant("train_digits", "digits_untrained", "predicts with the initial parameters",
           "digits_test_accuracy = accuracy(predict(w_digits, b_digits, digits.X_test), digits.Y_test)",
           "digits_test_accuracy = accuracy(predict(w, b, digits.X_test), digits.Y_test)"),
    Mutant("train_digits", "digits_too_few_steps", "a tiny rate and a few iterations",
           "digits_learning_rate, digits_iterations = 0.5, 500",
           "digits_learning_rate, digits_iterations = 1e-4, 5"),
    Mutant("train_digits", "digits_trained_on_test", "trains on the test set",
           "gradient_descent(w, b, digits.X_train, digits.Y_train,",
           "gradient_descent(w, b, digits.X_test, digits.Y_test,"),
    # ---------------------------------------------------------------- compute_gradients_loop
    Mutant("compute_gradients_loop", "loop_no_divide_by_m", "forgets to divide by m",
           "    dw = dw / m\n    db = db / m\n", ""),
    Mutant("compute_gradients_loop", "loop_dw_not_divided", "divides db by m but not dw",
           "    dw = dw / m\n", ""),
    Mutant("compute_gradients_loop", "loop_db_not_divided", "divides dw by m but not db",
           "    db = db / m\n", ""),
    Mutant("compute_gradients_loop", "loop_db_overwritten", "db = dz instead of +=",
           "db += dz", "db = dz"),
    Mutant("compute_gradients_loop", "loop_swapped_index", "X[i, n] instead of X[n, i]",
           "X[n, i] * dz", "X[i, n] * dz"),
    Mutant("compute_gradients_loop", "loop_sign", "y - a instead of a - y",
           "dz = A[0, i] - Y[0, i]", "dz = Y[0, i] - A[0, i]"),
    # ---------------------------------------------------------------- add_quadratic_features
    Mutant("add_quadratic_features", "quad_order", "squares in the wrong order",
           "np.vstack([x1, x2, x1**2, x2**2, x1 * x2])", "np.vstack([x1, x2, x2**2, x1**2, x1 * x2])"),
    Mutant("add_quadratic_features", "quad_no_cross_term", "forgets x1*x2",
           "np.vstack([x1, x2, x1**2, x2**2, x1 * x2])", "np.vstack([x1, x2, x1**2, x2**2])"),
    Mutant("add_quadratic_features", "quad_hstack", "hstack: one long row",
           "np.vstack([x1, x2, x1**2, x2**2, x1 * x2])", "np.hstack([x1, x2, x1**2, x2**2, x1 * x2])"),
    Mutant("add_quadratic_features", "quad_times_two", "x * 2 instead of x ** 2",
           "np.vstack([x1, x2, x1**2, x2**2, x1 * x2])", "np.vstack([x1, x2, x1 * 2, x2 * 2, x1 * x2])"),
    # ---------------------------------------------------------------- train_circles
    Mutant("train_circles", "circles_raw_features", "trains and tests on x1, x2 only",
           "w, b = initialize_parameters(5)\n"
           "w_quad, b_quad, costs_quad = gradient_descent(w, b, add_quadratic_features(circles.X_train),\n"
           "                                              circles.Y_train, circles_learning_rate, circles_iterations)\n"
           "circles_test_accuracy = accuracy(predict(w_quad, b_quad, add_quadratic_features(circles.X_test)),",
           "w, b = initialize_parameters(2)\n"
           "w_quad, b_quad, costs_quad = gradient_descent(w, b, circles.X_train,\n"
           "                                              circles.Y_train, circles_learning_rate, circles_iterations)\n"
           "circles_test_accuracy = accuracy(predict(w_quad, b_quad, circles.X_test),"),
    Mutant("train_circles", "circles_test_without_features", "predicts the test set from x1, x2 only",
           "predict(w_quad, b_quad, add_quadratic_features(circles.X_test))",
           "predict(w_quad, b_quad, circles.X_test)"),
    Mutant("train_circles", "circles_too_few_steps", "a tiny rate and a few iterations",
           "circles_learning_rate, circles_iterations = 1.0, 2000",
           "circles_learning_rate, circles_iterations = 1e-3, 5"),
    Mutant("train_circles", "circles_train_accuracy", "reports the training accuracy",
           "predict(w_quad, b_quad, add_quadratic_features(circles.X_test)),\n                                 circles.Y_test)",
           "predict(w_quad, b_quad, add_quadratic_features(circles.X_train)),\n                                 circles.Y_train)"),
    Mutant("train_circles", "circles_trained_on_test", "trains on the test set",
           "gradient_descent(w, b, add_quadratic_features(circles.X_train),\n"
           "                                              circles.Y_train,",
           "gradient_descent(w, b, add_quadratic_features(circles.X_test),\n"
           "                                              circles.Y_test,"),
]

# The wrong students of the demo class (authoring.demo): each hands in the solution with
# these mutants. Prefer mutants that keep the notebook fast (a mutant that makes training
# crawl costs the per-cell timeout).
WRONG_STUDENTS = {
    "wrong_sigmoid": ["sigmoid_naive_exp"],
    # a wrong gradient sign also spoils every training cell below it
    "wrong_cost_and_grads": ["cost_no_divide_by_m", "grads_sign"],
    "wrong_features": ["quad_no_cross_term"],
    # NameErrors in hidden test cells: their tracebacks must not quote the hidden code
    "wrong_renamed_function": ["sigmoid_renamed"],
}
