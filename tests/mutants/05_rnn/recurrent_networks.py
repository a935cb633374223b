"""Plausible student mistakes in source/05_rnn/recurrent_networks.ipynb.

Each mutant replaces text (``old``, exactly once) in one solution cell; every one must make
at least one graded test cell fail (tests/mutants/test_mutants.py, docs/mutants.md).
Each check.Mistake value in the notebook is the output its mutant here gives on that check's inputs.
"""

from authoring.mutants import Mutant

MUTANTS = [
    # ---------------------------------------------------------------- rnn_cell_forward
    Mutant('rnn_cell_forward', 'rnn_cf_softmax_axis', 'softmax normalised over the examples (axis 1)',
           'e / np.sum(e, axis=0, keepdims=True)',
           'e / np.sum(e, axis=1, keepdims=True)'),
    Mutant('rnn_cell_forward', 'rnn_cf_no_recurrence', 'the previous hidden state ignored (no Waa a_prev)',
           'np.tanh(Waa @ a_prev + Wax @ xt + ba)',
           'np.tanh(Wax @ xt + ba)'),
    Mutant('rnn_cell_forward', 'rnn_cf_no_softmax', 'raw scores instead of the softmax',
           'yt_pred = e / np.sum(e, axis=0, keepdims=True)',
           'yt_pred = z'),
    Mutant('rnn_cell_forward', 'rnn_cf_naive_softmax', 'softmax without subtracting the maximum (overflows)',
           'e = np.exp(z - np.max(z, axis=0, keepdims=True))',
           'e = np.exp(z)'),
    Mutant('rnn_cell_forward', 'rnn_cf_no_bias', 'the bias ba left out',
           'np.tanh(Waa @ a_prev + Wax @ xt + ba)',
           'np.tanh(Waa @ a_prev + Wax @ xt)'),
    # ---------------------------------------------------------------- rnn_forward
    Mutant('rnn_forward', 'rnn_f_not_carried', 'every step starts from a0 (the hidden state not carried)',
           'rnn_cell_forward(x[:, :, t], a_next, parameters)',
           'rnn_cell_forward(x[:, :, t], a0, parameters)'),
    Mutant('rnn_forward', 'rnn_f_store_prev', 'stores the state a step started from (a<0> ... a<T-1>)',
           '        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)\n        a[:, :, t] = a_next',
           '        a[:, :, t] = a_next\n        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)'),
    Mutant('rnn_forward', 'rnn_f_last_missing', 'the last time step skipped',
           'for t in range(T_x):',
           'for t in range(T_x - 1):'),
    Mutant('rnn_forward', 'rnn_f_reversed', 'reads the sequence backwards',
           'x[:, :, t]',
           'x[:, :, T_x - 1 - t]'),
    # ---------------------------------------------------------------- sequence_loss
    Mutant('sequence_loss', 'loss_binary_ce', "the notes' binary cross-entropy on a softmax output",
           'loss = -np.sum(Y * np.log(y_pred)) / m',
           'loss = -np.sum(Y * np.log(y_pred) + (1 - Y) * np.log(1 - y_pred)) / m'),
    Mutant('sequence_loss', 'loss_mean_time', 'averaged over the time steps too',
           'loss = -np.sum(Y * np.log(y_pred)) / m',
           'loss = -np.sum(Y * np.log(y_pred)) / (m * Y.shape[2])'),
    Mutant('sequence_loss', 'loss_no_m', 'summed over the examples (no 1/m)',
           'loss = -np.sum(Y * np.log(y_pred)) / m',
           'loss = -np.sum(Y * np.log(y_pred))'),
    Mutant('sequence_loss', 'loss_all_classes', 'log-probabilities of every class summed (Y not used)',
           'loss = -np.sum(Y * np.log(y_pred)) / m',
           'loss = -np.sum(np.log(y_pred)) / m'),
    # ---------------------------------------------------------------- rnn_cell_backward
    Mutant('rnn_cell_backward', 'rnn_cb_tanh_twice', 'tanh applied again to a_next in the derivative',
           'dz = da_next * (1 - a_next ** 2)',
           'dz = da_next * (1 - np.tanh(a_next) ** 2)'),
    Mutant('rnn_cell_backward', 'rnn_cb_dWaa_next', 'dWaa from a_next instead of a_prev',
           'dWaa = dz @ a_prev.T',
           'dWaa = dz @ a_next.T'),
    Mutant('rnn_cell_backward', 'rnn_cb_da_prev_skip_tanh', 'da_prev not passed back through the tanh',
           'da_prev = Waa.T @ dz',
           'da_prev = Waa.T @ da_next'),
    Mutant('rnn_cell_backward', 'rnn_cb_dba_mean', 'dba averaged over the examples',
           'dba = np.sum(dz, axis=1, keepdims=True)',
           'dba = np.mean(dz, axis=1, keepdims=True)'),
    Mutant('rnn_cell_backward', 'rnn_cb_dx_Waa', 'dxt not passed back through the tanh',
           'dxt = Wax.T @ dz',
           'dxt = Wax.T @ da_next'),
    # ---------------------------------------------------------------- rnn_backward
    Mutant('rnn_backward', 'bptt_truncated', 'the gradient through the recurrence dropped (truncated to one step)',
           'da[:, :, t] + da_prevt',
           'da[:, :, t]'),
    Mutant('rnn_backward', 'bptt_forward_order', 'the steps visited forwards in time',
           'for t in reversed(range(T_x)):',
           'for t in range(T_x):'),
    Mutant('rnn_backward', 'bptt_dWaa_overwritten', 'dWaa overwritten at every step instead of accumulated',
           'dWaa += g["dWaa"]',
           'dWaa = g["dWaa"]'),
    Mutant('rnn_backward', 'bptt_da0_output', "da0 taken from the first step's output gradient",
           'da0 = da_prevt',
           'da0 = da[:, :, 0]'),
]

WRONG_STUDENTS = {}
