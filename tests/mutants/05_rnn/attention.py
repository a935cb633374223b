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
    # ---------------------------------------------------------------- train_reversal_model
    Mutant('train_reversal_model', 'att_train_too_few_steps', 'too few training steps',
           'reversal_steps = 300', 'reversal_steps = 30'),
    Mutant('train_reversal_model', 'att_train_lr_too_high', 'a learning rate far too large for Adam',
           'reversal_learning_rate = 0.01', 'reversal_learning_rate = 1.0'),
    Mutant('train_reversal_model', 'att_train_lr_too_small', 'a learning rate far too small',
           'reversal_learning_rate = 0.01', 'reversal_learning_rate = 0.0001'),
]

WRONG_STUDENTS = {'wrong_attention_weights_over_examples': ['att_weights_over_examples'],
                  'wrong_attention_backward_paths': ['att_context_mean', 'att_backward_softmax_no_sub']}
