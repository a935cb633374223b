"""Plausible student mistakes in source/05_rnn/language_model.ipynb.

Each mutant replaces text (``old``, exactly once) in one solution cell; every one must make
at least one graded test cell fail (tests/mutants/test_mutants.py, docs/mutants.md).
Each check.Mistake value in the notebook is the output its mutant here gives on that check's inputs.
"""

from authoring.mutants import Mutant

MUTANTS = [
    # ---------------------------------------------------------------- cosine_similarity
    Mutant('cosine_similarity', 'cos_rows', 'the rows (attributes) normalised instead of the columns (words)',
           'axis=0, keepdims=True', 'axis=1, keepdims=True'),
    Mutant('cosine_similarity', 'cos_dot', 'dot products, not normalised',
           'U = E / np.sqrt(np.sum(E ** 2, axis=0, keepdims=True))', 'U = E'),
    Mutant('cosine_similarity', 'cos_no_sqrt', 'divided by the squared lengths',
           'np.sqrt(np.sum(E ** 2, axis=0, keepdims=True))', 'np.sum(E ** 2, axis=0, keepdims=True)'),
    # ---------------------------------------------------------------- embedding_backward
    Mutant('embedding_backward', 'emb_fancy_add', 'dE[:, ids] += dout (a repeated id keeps only its last gradient)',
           'np.add.at(dE, (slice(None), ids), dout)', 'dE[:, ids] += dout'),
    Mutant('embedding_backward', 'emb_mean', 'averaged over the examples',
           'np.add.at(dE, (slice(None), ids), dout)\n',
           'np.add.at(dE, (slice(None), ids), dout)\n    dE /= ids.shape[0]\n'),
    Mutant('embedding_backward', 'emb_transposed', 'dE as (V, A), one row per character',
           'dE = np.zeros((dout.shape[0], V))\n    np.add.at(dE, (slice(None), ids), dout)',
           'dE = np.zeros((V, dout.shape[0]))\n    np.add.at(dE, ids, np.moveaxis(dout, 0, -1))'),
    Mutant('embedding_backward', 'emb_library', "the library's embedding_backward (right values, forbidden)",
           'np.add.at(dE, (slice(None), ids), dout)',
           'dE = recurrent.embedding_backward(dout, recurrent.embedding_forward(ids, np.zeros((dout.shape[0], V)))[1])'),
    Mutant('embedding_backward', 'emb_kernel', "the compiled kernel behind the library (deepgrad.kernels.recurrent.embedding_backward; right values, forbidden)",
           'np.add.at(dE, (slice(None), ids), dout)',
           'from deepgrad.kernels.recurrent import embedding_backward as fast_embedding_backward\n'
           '    dE = fast_embedding_backward(np.ascontiguousarray(ids, dtype=np.int64), np.ascontiguousarray(dout, dtype=np.float64), V)'),
    # ---------------------------------------------------------------- build_vocabulary
    Mutant('build_vocabulary', 'voc_no_eos', 'no end token',
           'char_to_id = {EOS: 0}\n', 'char_to_id = {}\n'),
    Mutant('build_vocabulary', 'voc_unsorted', 'ids in the order the characters first occur',
           'chars = sorted(set("".join(names)))', 'chars = list(dict.fromkeys("".join(names)))'),
    Mutant('build_vocabulary', 'voc_eos_last', 'the end token after the characters',
           'char_to_id = {EOS: 0}\n    for i, ch in enumerate(chars):\n        char_to_id[ch] = i + 1\n',
           'char_to_id = {}\n    for i, ch in enumerate(chars):\n        char_to_id[ch] = i\n    char_to_id[EOS] = len(chars)\n'),
    # ---------------------------------------------------------------- encode
    Mutant('encode', 'enc_not_shifted', 'the targets are the inputs (not the next character)',
           'Y[i, :len(ids) + 1] = ids + [eos]', 'Y[i, :len(ids) + 1] = [eos] + ids'),
    Mutant('encode', 'enc_no_end', 'the final <eos> prediction masked out',
           'mask[i, :len(ids) + 1] = 1.0', 'mask[i, :len(ids)] = 1.0'),
    Mutant('encode', 'enc_mask_padding', 'the mask is 1 on the padding too',
           'mask[i, :len(ids) + 1] = 1.0', 'mask[i, :] = 1.0'),
    Mutant('encode', 'enc_no_start', 'no start token: the inputs are the letters, misaligned with the targets',
           'X[i, :len(ids) + 1] = [eos] + ids', 'X[i, :len(ids)] = ids'),
    # ---------------------------------------------------------------- lm_loss
    Mutant('lm_loss', 'lm_padding_counted', 'averaged over all m * T steps, padding included',
           'n_chars = np.sum(mask)', 'n_chars = mask.size'),
    Mutant('lm_loss', 'lm_per_name', 'divided by the number of names, not of characters',
           'n_chars = np.sum(mask)', 'n_chars = m'),
    Mutant('lm_loss', 'lm_grad_unmasked', 'the gradient not masked',
           'dlogits = dlogits * mask / n_chars', 'dlogits = dlogits / n_chars'),
    Mutant('lm_loss', 'lm_softmax_axis', 'the softmax over the examples (axis 1)',
           'z = logits - np.max(logits, axis=0, keepdims=True)\n    log_p = z - np.log(np.sum(np.exp(z), axis=0, keepdims=True))',
           'z = logits - np.max(logits, axis=1, keepdims=True)\n    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))'),
    Mutant('lm_loss', 'lm_naive_softmax', 'the log-softmax without subtracting the maximum (overflows)',
           'z = logits - np.max(logits, axis=0, keepdims=True)', 'z = logits'),
    # ---------------------------------------------------------------- bigram_model
    Mutant('bigram_model', 'big_no_smoothing', 'no add-k smoothing',
           'P = (counts + k) / np.sum(counts + k, axis=0, keepdims=True)', 'P = counts / np.sum(counts, axis=0, keepdims=True)'),
    Mutant('bigram_model', 'big_rows', 'rows normalised instead of columns',
           'np.sum(counts + k, axis=0, keepdims=True)', 'np.sum(counts + k, axis=1, keepdims=True)'),
    Mutant('bigram_model', 'big_padding', 'the padding pairs counted',
           'real = mask > 0', 'real = np.ones(mask.shape, dtype=bool)'),
    Mutant('bigram_model', 'big_fancy_add', 'counts[Y, X] += 1 (a repeated pair counted once)',
           'np.add.at(counts, (Y[real], X[real]), 1.0)', 'counts[Y[real], X[real]] += 1.0'),
    Mutant('bigram_model', 'big_transposed', 'counts indexed (input, target)',
           'np.add.at(counts, (Y[real], X[real]), 1.0)', 'np.add.at(counts, (X[real], Y[real]), 1.0)'),
    # ---------------------------------------------------------------- train_names
    Mutant('train_names', 'train_reports_validation', 'reports the validation loss as the test loss',
           'names_test_loss = model_loss(names_params, *test_data)', 'names_test_loss = best_validation'),
    Mutant('train_names', 'train_reports_training', 'reports the training loss as the test loss',
           'names_test_loss = model_loss(names_params, *test_data)', 'names_test_loss = model_loss(names_params, *train_data)'),
    Mutant('train_names', 'train_ascent', 'the update adds the step (gradient ascent)',
           'params[key] -= names_learning_rate', 'params[key] += names_learning_rate'),
    Mutant('train_names', 'train_one_epoch', 'stops after the first epoch',
           'for epoch in range(1, names_max_epochs + 1):', 'for epoch in range(1, 2):'),
    Mutant('train_names', 'train_keeps_last', 'names_params = params: the last parameters (the same arrays, updated in place), not the best',
           'names_params = {key: value.copy() for key, value in params.items()}', 'names_params = params'),
    Mutant('train_names', 'train_history_swapped', 'names_history rows as (epoch, validation, training)',
           'names_history.append((epoch, float(np.mean(batch_losses)), validation_loss))',
           'names_history.append((epoch, validation_loss, float(np.mean(batch_losses))))'),
    Mutant('train_names', 'train_on_test', 'trained on the test names',
           'order = rng.permutation(len(train_data[0]))\n    batch_losses = []\n    for start in range(0, len(order), names_batch_size):\n'
           '        batch = order[start:start + names_batch_size]\n        loss, grads = model_loss_and_grads(params, *(a[batch] for a in train_data))',
           'order = rng.permutation(len(test_data[0]))\n    batch_losses = []\n    for start in range(0, len(order), names_batch_size):\n'
           '        batch = order[start:start + names_batch_size]\n        loss, grads = model_loss_and_grads(params, *(a[batch] for a in test_data))'),
    Mutant('train_names', 'train_on_validation', 'trained on the validation names',
           'order = rng.permutation(len(train_data[0]))\n    batch_losses = []\n    for start in range(0, len(order), names_batch_size):\n'
           '        batch = order[start:start + names_batch_size]\n        loss, grads = model_loss_and_grads(params, *(a[batch] for a in train_data))',
           'order = rng.permutation(len(validation_data[0]))\n    batch_losses = []\n    for start in range(0, len(order), names_batch_size):\n'
           '        batch = order[start:start + names_batch_size]\n        loss, grads = model_loss_and_grads(params, *(a[batch] for a in validation_data))'),
    # ---------------------------------------------------------------- sample_next
    Mutant('sample_next', 'smp_times_temperature', 'logits multiplied by the temperature',
           'z = logits / temperature', 'z = logits * temperature'),
    Mutant('sample_next', 'smp_greedy', 'always the most likely character (u ignored)',
           'ids = np.sum(cumulative <= u, axis=0)', 'ids = np.argmax(p, axis=0)'),
    Mutant('sample_next', 'smp_softmax_axis', 'the softmax over the examples (axis 1)',
           'z = z - np.max(z, axis=0, keepdims=True)\n    p = np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)',
           'z = z - np.max(z, axis=1, keepdims=True)\n    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)'),
    Mutant('sample_next', 'smp_not_cumulative', 'u compared with the probabilities, not their cumulative sum',
           'cumulative = np.cumsum(p, axis=0)', 'cumulative = p'),
    Mutant('sample_next', 'smp_no_clamp', 'no clamp: id V when the cumulative sum ends below u',
           '    ids = np.minimum(ids, logits.shape[0] - 1)\n', ''),
    Mutant('sample_next', 'smp_argmax_cumulative', 'argmax of cumulative > u: id 0 when the cumulative sum ends below u',
           'ids = np.sum(cumulative <= u, axis=0)\n    ids = np.minimum(ids, logits.shape[0] - 1)',
           'ids = np.argmax(cumulative > u, axis=0)'),
]
