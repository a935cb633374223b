"""Plausible student mistakes in source/05_rnn/attention.ipynb.

Each mutant replaces text (``old``, exactly once) in one solution cell; every one must make
at least one graded test cell fail (tests/mutants/test_mutants.py, docs/mutants.md).
Each check.Mistake value in the notebook is the output its mutant here gives on that check's inputs.
"""

from authoring.mutants import Mutant

MUTANTS = [
    # ---------------------------------------------------------------- attention_scores
    Mutant('attention_scores', 'att_scores_no_tanh', 'the small network without its tanh',
           'h = np.tanh(np.tensordot(Wa, a, axes=1) + (Ws @ s_prev)[:, :, None] + b[:, :, None])',
           'h = np.tensordot(Wa, a, axes=1) + (Ws @ s_prev)[:, :, None] + b[:, :, None]'),
    Mutant('attention_scores', 'att_scores_no_state', 'the decoder state s<t-1> left out of the scores',
           'np.tensordot(Wa, a, axes=1) + (Ws @ s_prev)[:, :, None] + b[:, :, None]',
           'np.tensordot(Wa, a, axes=1) + b[:, :, None]'),
    Mutant('attention_scores', 'att_scores_no_v', 'the hidden units summed instead of weighted by v',
           'e = np.tensordot(v[:, 0], h, axes=1)',
           'e = np.sum(h, axis=0)'),
    Mutant('attention_scores', 'att_scores_no_bias', 'the bias b left out',
           ' + (Ws @ s_prev)[:, :, None] + b[:, :, None])',
           ' + (Ws @ s_prev)[:, :, None])'),
    # ---------------------------------------------------------------- attention_weights
    Mutant('attention_weights', 'att_weights_over_examples', 'softmax over the examples (axis 0), not the input positions',
           'alpha = z / np.sum(z, axis=1, keepdims=True)',
           'alpha = z / np.sum(z, axis=0, keepdims=True)'),
    Mutant('attention_weights', 'att_weights_max_axis0', "each input position's maximum subtracted (axis 0)",
           'np.max(e, axis=1, keepdims=True)',
           'np.max(e, axis=0, keepdims=True)'),
    Mutant('attention_weights', 'att_weights_naive', 'softmax without subtracting the maximum (overflows)',
           'z = np.exp(e - np.max(e, axis=1, keepdims=True))',
           'z = np.exp(e)'),
    Mutant('attention_weights', 'att_weights_not_normalised', 'exp(e) not divided by its sum',
           'alpha = z / np.sum(z, axis=1, keepdims=True)',
           'alpha = z'),
    Mutant('attention_weights', 'att_weights_whole_array', 'normalised over the whole array (every example together)',
           'alpha = z / np.sum(z, axis=1, keepdims=True)',
           'alpha = z / np.sum(z)'),
    # ---------------------------------------------------------------- attention_context
    Mutant('attention_context', 'att_context_mean', 'the mean over the input positions instead of the sum',
           'c = np.sum(alpha[None, :, :] * a, axis=2)',
           'c = np.mean(alpha[None, :, :] * a, axis=2)'),
    Mutant('attention_context', 'att_context_over_examples', 'summed over the examples (axis 1)',
           'c = np.sum(alpha[None, :, :] * a, axis=2)',
           'c = np.sum(alpha[None, :, :] * a, axis=1)'),
    Mutant('attention_context', 'att_context_unweighted', 'the states summed without the weights',
           'c = np.sum(alpha[None, :, :] * a, axis=2)',
           'c = np.sum(a, axis=2)'),
    Mutant('attention_context', 'att_context_last_state', "the encoder's last state (no attention)",
           'c = np.sum(alpha[None, :, :] * a, axis=2)',
           'c = a[:, :, -1]'),
    # ---------------------------------------------------------------- attention_forward
    Mutant('attention_forward', 'att_forward_raw_scores', 'the raw scores used as weights (no softmax)',
           'alpha = attention_weights(e)',
           'alpha = e'),
    Mutant('attention_forward', 'att_forward_exp_only', 'exp(e) used as weights (not normalised)',
           'alpha = attention_weights(e)',
           'alpha = np.exp(e)'),
    Mutant('attention_forward', 'att_forward_context_from_scores', 'the context weighted by the scores e instead of alpha',
           'c = attention_context(alpha, a)',
           'c = attention_context(e, a)'),
    Mutant('attention_forward', 'att_forward_over_examples', 'the softmax taken over the examples (e transposed)',
           'alpha = attention_weights(e)',
           'alpha = attention_weights(e.T).T'),
    # ---------------------------------------------------------------- attention_backward
    Mutant('attention_backward', 'att_backward_softmax_no_sub', "the softmax's backward without the sum term (de = alpha * dalpha)",
           'de = alpha * (dalpha - np.sum(alpha * dalpha, axis=1, keepdims=True))',
           'de = alpha * dalpha'),
    Mutant('attention_backward', 'att_backward_no_direct_path', 'da only through the scores (the direct path alpha * dc dropped)',
           'da = alpha[None, :, :] * dc[:, :, None]',
           'da = np.zeros_like(a)'),
    Mutant('attention_backward', 'att_backward_no_score_path', 'da only through the weighted sum (the path through the scores dropped)',
           'da = da + np.tensordot(Wa.T, dz, axes=1)',
           'da = da'),
    Mutant('attention_backward', 'att_backward_ds_mean', 'ds_prev and dWs averaged over the input positions instead of summed',
           'dzs = np.sum(dz, axis=2)',
           'dzs = np.mean(dz, axis=2)'),
    Mutant('attention_backward', 'att_backward_tanh_twice', 'tanh applied again to h in the derivative',
           '(1 - h ** 2)',
           '(1 - np.tanh(h) ** 2)'),
    Mutant('attention_backward', 'att_backward_dv_mean', 'dv averaged over the examples and positions',
           'dv = np.sum(h * de[None, :, :], axis=(1, 2))[:, None]',
           'dv = np.mean(h * de[None, :, :], axis=(1, 2))[:, None]'),
    # ------------------------------------------- brought from assignment 4 (bring cells, as training.ipynb)
    # ---------------------------------------------------------------- bring_softmax
    Mutant("bring_softmax", "att_softmax_no_max", "softmax without subtracting the maximum (overflow)",
           "E = np.exp(Z - np.max(Z, axis=0, keepdims=True))", "E = np.exp(Z)"),
    Mutant("bring_softmax", "att_softmax_axis1", "softmax over the rows",
           "E = np.exp(Z - np.max(Z, axis=0, keepdims=True))\n    return E / np.sum(E, axis=0, keepdims=True)",
           "E = np.exp(Z - np.max(Z, axis=1, keepdims=True))\n    return E / np.sum(E, axis=1, keepdims=True)"),
    Mutant("bring_softmax", "att_cost_no_m", "cost not divided by m",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))) / Y.shape[1])",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))))"),
    Mutant("bring_softmax", "att_cost_mean", "np.mean over the whole array",
           "return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))) / Y.shape[1])",
           "return float(-np.mean(Y * np.log(np.clip(A, EPS, 1.0))))"),
    Mutant("bring_softmax", "att_cost_no_clip", "log of 0 not clipped",
           "np.log(np.clip(A, EPS, 1.0))", "np.log(A)"),
    Mutant("bring_softmax", "att_grad_sign", "softmax gradient (Y - A) / m",
           "return (A - Y) / Y.shape[1]", "return (Y - A) / Y.shape[1]"),
    Mutant("bring_softmax", "att_grad_no_m", "softmax gradient not divided by m",
           "return (A - Y) / Y.shape[1]", "return A - Y"),
    Mutant("bring_softmax", "att_one_hot_transposed", "one-hot (m, n_c), one example per row",
           "Y = np.zeros((n_c, len(y)))\n    Y[y, np.arange(len(y))] = 1.0", "Y = np.zeros((len(y), n_c))\n    Y[np.arange(len(y)), y] = 1.0"),
    Mutant("bring_softmax", "att_one_hot_max_label", "one-hot with max(y) + 1 rows",
           "Y = np.zeros((n_c, len(y)))", "Y = np.zeros((int(np.max(y)) + 1, len(y)))"),
    Mutant("bring_softmax", "att_one_hot_off_by_one", "label k put in row k - 1",
           "Y[y, np.arange(len(y))] = 1.0", "Y[y - 1, np.arange(len(y))] = 1.0"),
    # ---------------------------------------------------------------- bring_adam
    Mutant("bring_adam", "att_adam_t_after", "bias correction with the old t (t = 0 at the first step)",
           't = config.get("t", 0) + 1\n    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw\n'
           '    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw\n'
           '    m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)\n',
           't = config.get("t", 0)\n    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw\n'
           '    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw\n'
           '    m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)\n    t = t + 1\n'),
    Mutant("bring_adam", "att_adam_no_bias_correction", "no bias correction",
           "m_hat = m / (1 - b1 ** t)\n    v_hat = v / (1 - b2 ** t)", "m_hat = m\n    v_hat = v"),
    Mutant("bring_adam", "att_adam_eps_inside", "epsilon inside the square root",
           'np.sqrt(v_hat) + config["epsilon"]', 'np.sqrt(v_hat + config["epsilon"])'),
    Mutant("bring_adam", "att_adam_notes_one_plus", "the notes' (1 + beta1) * dw",
           '(1 - b1) * dw', '(1 + b1) * dw'),
    Mutant("bring_adam", "att_adam_state_not_saved", "the moments not stored back in config",
           'config["m"], config["v"], config["t"] = m, v, t', 'config["t"] = t'),
]

WRONG_STUDENTS = {'wrong_attention_weights_over_examples': ['att_weights_over_examples'],
                  'wrong_attention_backward_paths': ['att_context_mean', 'att_backward_softmax_no_sub']}
