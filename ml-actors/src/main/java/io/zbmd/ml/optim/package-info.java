/**
 * Optimizers with {@code torch.optim}'s update rules: {@link io.zbmd.ml.optim.SGD} (momentum,
 * dampening, Nesterov, weight decay), {@link io.zbmd.ml.optim.Adam} and {@link
 * io.zbmd.ml.optim.AdamW}. Their state exports to and imports from {@link
 * io.zbmd.ml.optim.OptimizerState}, so a checkpoint resumes training bit for bit.
 */
package io.zbmd.ml.optim;
